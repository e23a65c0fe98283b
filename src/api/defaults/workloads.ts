/** SetDefaults_ReplicationController, SetDefaults_ReplicaSet, SetDefaults_Deployment. */
import type { Deployment, ReplicaSet } from '../types/apps.js';
import type { ReplicationController } from '../types/core.js';
import { setPodTemplateDefaults } from './pod.js';

/** RC: selector and metadata.labels from the template's labels when empty; replicas 1. */
export function setReplicationControllerDefaults(rc: ReplicationController): void {
  const spec = (rc.spec ??= {});
  const labels = spec.template?.metadata?.labels;
  if (labels) {
    if (!spec.selector || Object.keys(spec.selector).length === 0) spec.selector = { ...labels };
    if (!rc.metadata.labels || Object.keys(rc.metadata.labels).length === 0)
      rc.metadata.labels = { ...labels };
  }
  if (spec.replicas === undefined) spec.replicas = 1;
  setPodTemplateDefaults(spec.template);
}

export function setReplicaSetDefaults(rs: ReplicaSet): void {
  const spec = (rs.spec ??= { selector: {} });
  if (spec.replicas === undefined) spec.replicas = 1;
  setPodTemplateDefaults(spec.template);
}

/** Deployment: replicas 1, RollingUpdate 25%/25%, revisionHistoryLimit 10, progressDeadlineSeconds 600. */
export function setDeploymentDefaults(d: Deployment): void {
  const spec = (d.spec ??= { selector: {}, template: {} });
  if (spec.replicas === undefined) spec.replicas = 1;
  const strategy = (spec.strategy ??= {});
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= '25%';
    ru.maxSurge ??= '25%';
  }
  if (spec.revisionHistoryLimit === undefined) spec.revisionHistoryLimit = 10;
  if (spec.progressDeadlineSeconds === undefined) spec.progressDeadlineSeconds = 600;
  setPodTemplateDefaults(spec.template);
}

/** A Deployment's status and conditions (kube's sync.go calculateStatus and progress.go). */
import type { Condition } from '../../api/meta/types.js';
import type { Deployment, DeploymentStatus, ReplicaSet } from '../../api/types/apps.js';
import { maxUnavailable, replicasOf, sumReplicas } from './util.js';

/** `spec.progressDeadlineSeconds` when unset (the API defaults it to 600). */
export const defaultProgressDeadlineSeconds = 600;

/** Sets a condition, keeping lastTransitionTime while its status holds (kube's SetDeploymentCondition); `force` rewrites an equal one (progress updates lastUpdateTime). */
export function setCondition(
  conditions: (Condition & { lastUpdateTime?: string })[],
  c: Condition & { lastUpdateTime?: string },
  force = false,
): void {
  const i = conditions.findIndex((x) => x.type === c.type);
  const cur = i >= 0 ? conditions[i] : undefined;
  if (!force && cur !== undefined && cur.status === c.status && cur.reason === c.reason) return;
  if (cur !== undefined && cur.status === c.status && cur.lastTransitionTime !== undefined)
    c.lastTransitionTime = cur.lastTransitionTime;
  if (i >= 0) conditions.splice(i, 1);
  conditions.push(c);
}

/** Counters from the ReplicaSets and the Available condition (kube's calculateStatus). */
export function computeStatus(
  d: Deployment,
  all: readonly ReplicaSet[],
  newRS: ReplicaSet | undefined,
  conditions: (Condition & { lastUpdateTime?: string })[],
  now: string,
): DeploymentStatus {
  const available = all.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
  const specTotal = sumReplicas(all);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: all.reduce((n, rs) => n + (rs.status?.replicas ?? 0), 0),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: all.reduce((n, rs) => n + (rs.status?.readyReplicas ?? 0), 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, specTotal - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  const conds = [...conditions];
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(conds, {
      type: 'Available',
      status: 'True',
      lastUpdateTime: now,
      lastTransitionTime: now,
      reason: 'MinimumReplicasAvailable',
      message: 'Deployment has minimum availability.',
    });
  } else {
    setCondition(conds, {
      type: 'Available',
      status: 'False',
      lastUpdateTime: now,
      lastTransitionTime: now,
      reason: 'MinimumReplicasUnavailable',
      message: 'Deployment does not have minimum availability.',
    });
  }
  status.conditions = conds;
  return status;
}

/** Every replica updated and available, and the current generation observed. */
export function isComplete(d: Deployment, s: DeploymentStatus): boolean {
  const r = replicasOf(d);
  return (
    s.updatedReplicas === r &&
    s.replicas === r &&
    s.availableReplicas === r &&
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** The rollout moved since the stored status (kube's DeploymentProgressing). */
export function madeProgress(old: DeploymentStatus | undefined, cur: DeploymentStatus): boolean {
  const o = old ?? {};
  const oldOld = (o.replicas ?? 0) - (o.updatedReplicas ?? 0);
  const newOld = (cur.replicas ?? 0) - (cur.updatedReplicas ?? 0);
  return (
    (cur.updatedReplicas ?? 0) > (o.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (cur.readyReplicas ?? 0) > (o.readyReplicas ?? 0) ||
    (cur.availableReplicas ?? 0) > (o.availableReplicas ?? 0)
  );
}

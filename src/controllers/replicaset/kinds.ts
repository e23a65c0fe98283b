/**
 * ReplicaSet (apps/v1) and ReplicationController (core/v1) share one controller: only the way
 * the selector is written and the names on events differ. A WorkloadKind captures those.
 */
import {
  nothing,
  selectorFromLabelSelector,
  selectorFromSet,
  type Selector,
} from '../../api/meta/labels.js';
import type { ReplicaSet } from '../../api/types/apps.js';
import type { PodTemplateSpec, ReplicationController } from '../../api/types/core.js';
import { resources, type ResourceType } from '../../api/scheme.js';

/** A ReplicaSet or a ReplicationController. */
export type ReplicaOwner = ReplicaSet | ReplicationController;

/** What differs between ReplicaSets and ReplicationControllers. */
export interface WorkloadKind {
  readonly resource: ResourceType;
  readonly apiVersion: string;
  readonly kind: 'ReplicaSet' | 'ReplicationController';
  /** `source.component` of the events (`kubectl describe` shows it under From). */
  readonly component: 'replicaset-controller' | 'replication-controller';
  selector(owner: ReplicaOwner): Selector;
}

/** apps/v1 ReplicaSet: a structured LabelSelector. */
export const replicaSetKind: WorkloadKind = {
  resource: resources.replicasets,
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  component: 'replicaset-controller',
  selector: (owner) => selectorFromLabelSelector((owner as ReplicaSet).spec?.selector),
};

/** core/v1 ReplicationController: a map selector, defaulting to the template labels. */
export const replicationControllerKind: WorkloadKind = {
  resource: resources.replicationcontrollers,
  apiVersion: 'v1',
  kind: 'ReplicationController',
  component: 'replication-controller',
  // An RC's selector defaults to its template labels; an empty one selects nothing here, so
  // that a malformed RC can never claim every pod of its namespace.
  selector: (owner) => {
    const rc = owner as ReplicationController;
    const set = rc.spec?.selector ?? rc.spec?.template?.metadata?.labels ?? {};
    return Object.keys(set).length === 0 ? nothing : selectorFromSet(set);
  },
};

/** `spec.replicas`, defaulting to 1 as the API does. */
export function desiredReplicas(owner: ReplicaOwner): number {
  return owner.spec?.replicas ?? 1;
}

/** The pod template. */
export function templateOf(owner: ReplicaOwner): PodTemplateSpec | undefined {
  return owner.spec?.template;
}

/** `spec.minReadySeconds`, 0 when unset. */
export function minReadySecondsOf(owner: ReplicaOwner): number {
  return owner.spec?.minReadySeconds ?? 0;
}

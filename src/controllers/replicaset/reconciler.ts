/**
 * The pure core shared by the ReplicaSet and ReplicationController controllers: which pods an
 * owner claims (adopts, releases), how many to create or which to delete, the pod built from
 * the template, and the status to report.
 */
import type { Selector } from '../../api/meta/labels.js';
import { selectorFromSet } from '../../api/meta/labels.js';
import type { Condition, OwnerReference } from '../../api/meta/types.js';
import type { Pod } from '../../api/types/core.js';
import { controllerOf, jsonEqual, newControllerRef, rfc3339 } from '../common/meta.js';
import { isPodActive, isPodAvailable, isPodReady } from '../common/pods.js';
import {
  desiredReplicas,
  minReadySecondsOf,
  templateOf,
  type ReplicaOwner,
  type WorkloadKind,
} from './kinds.js';
import { rankForDeletion } from './ranking.js';

/** kube's burstReplicas: at most this many creates or deletes per sync. */
export const burstReplicas = 500;

/** The outcome of claiming a namespace's pods for an owner. */
export interface Claim {
  /** Pods controlled by the owner whose labels still match (including terminating ones). */
  readonly owned: Pod[];
  /** Orphans that match: to be adopted (controller ownerReference added). */
  readonly adopt: Pod[];
  /** Controlled pods whose labels no longer match: to be released (ownerReference removed). */
  readonly release: Pod[];
}

/** Sorts the namespace's pods into owned, to adopt and to release (kube's ClaimPods). */
export function claimPods(owner: ReplicaOwner, selector: Selector, pods: readonly Pod[]): Claim {
  const owned: Pod[] = [];
  const adopt: Pod[] = [];
  const release: Pod[] = [];
  const ownerDeleting = owner.metadata.deletionTimestamp !== undefined;
  for (const pod of pods) {
    const ref = controllerOf(pod);
    const matches = selector.matches(pod.metadata.labels);
    if (ref !== undefined) {
      if (ref.uid !== owner.metadata.uid) continue;
      if (matches) owned.push(pod);
      else if (!ownerDeleting && pod.metadata.deletionTimestamp === undefined) release.push(pod);
      continue;
    }
    if (!matches || ownerDeleting || pod.metadata.deletionTimestamp !== undefined) continue;
    if (isPodActive(pod)) adopt.push(pod);
  }
  return { owned, adopt, release };
}

/** Create some pods, delete these, or nothing. */
export type ReplicaDiff =
  | { readonly action: 'none' }
  | { readonly action: 'create'; readonly count: number }
  | { readonly action: 'delete'; readonly pods: Pod[] };

/** How to move from the active pods to `spec.replicas` (at most burstReplicas at a time). */
export function diffReplicas(
  owner: ReplicaOwner,
  active: readonly Pod[],
  related: readonly Pod[] = active,
): ReplicaDiff {
  const diff = active.length - desiredReplicas(owner);
  if (diff < 0) return { action: 'create', count: Math.min(-diff, burstReplicas) };
  if (diff > 0) {
    const n = Math.min(diff, burstReplicas);
    return { action: 'delete', pods: rankForDeletion(active, related).slice(0, n) };
  }
  return { action: 'none' };
}

/** The pod a create sends: the template with a generated name and the controller reference. */
export function podFromTemplate(owner: ReplicaOwner, kind: WorkloadKind): Pod {
  const template = templateOf(owner);
  const meta = template?.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${owner.metadata.name ?? ''}-`,
      namespace: owner.metadata.namespace ?? '',
      ownerReferences: [newControllerRef(owner, kind.apiVersion, kind.kind)],
    },
    spec: structuredClone(template?.spec ?? { containers: [] }),
  };
  if (meta.labels !== undefined) pod.metadata.labels = { ...meta.labels };
  if (meta.annotations !== undefined) pod.metadata.annotations = { ...meta.annotations };
  if (meta.finalizers !== undefined) pod.metadata.finalizers = [...meta.finalizers];
  return pod;
}

/** The ownerReferences of a pod after adoption. */
export function adoptedOwnerRefs(
  pod: Pod,
  owner: ReplicaOwner,
  kind: WorkloadKind,
): OwnerReference[] {
  return [
    ...(pod.metadata.ownerReferences ?? []),
    newControllerRef(owner, kind.apiVersion, kind.kind),
  ];
}

/** The ownerReferences of a pod after release. */
export function releasedOwnerRefs(pod: Pod, owner: ReplicaOwner): OwnerReference[] {
  return (pod.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
}

/** The status fields the controller writes. */
export interface ReplicaStatus {
  replicas: number;
  fullyLabeledReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  observedGeneration?: number;
  conditions?: Condition[];
}

/**
 * The status to report (kube's calculateStatus): counts over the active owned pods, and a
 * ReplicaFailure condition while creating or deleting fails.
 */
export function computeStatus(input: {
  readonly owner: ReplicaOwner;
  readonly active: readonly Pod[];
  /** The error of the last create/delete round and which it was, if it failed. */
  readonly failure?:
    { readonly reason: 'FailedCreate' | 'FailedDelete'; readonly message: string } | undefined;
  readonly now: number;
}): ReplicaStatus {
  const { owner, active, now } = input;
  const templateLabels = templateOf(owner)?.metadata?.labels ?? {};
  const fullyLabeled = selectorFromSet(templateLabels);
  const minReady = minReadySecondsOf(owner);
  const status: ReplicaStatus = {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) => fullyLabeled.matches(p.metadata.labels)).length,
    readyReplicas: active.filter(isPodReady).length,
    availableReplicas: active.filter((p) => isPodAvailable(p, minReady, now)).length,
  };
  if (owner.metadata.generation !== undefined)
    status.observedGeneration = owner.metadata.generation;
  const others = (owner.status?.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
  const existing = owner.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
  const conditions = [...others];
  if (input.failure !== undefined) {
    conditions.push(
      existing ?? {
        type: 'ReplicaFailure',
        status: 'True',
        lastTransitionTime: rfc3339(now),
        reason: input.failure.reason,
        message: input.failure.message,
      },
    );
  }
  if (conditions.length > 0) status.conditions = conditions;
  return status;
}

/** Whether the stored status already equals `next` (no write needed). */
export function statusEqual(owner: ReplicaOwner, next: ReplicaStatus): boolean {
  const cur = owner.status;
  return (
    cur !== undefined &&
    cur.replicas === next.replicas &&
    (cur.fullyLabeledReplicas ?? 0) === next.fullyLabeledReplicas &&
    (cur.readyReplicas ?? 0) === next.readyReplicas &&
    (cur.availableReplicas ?? 0) === next.availableReplicas &&
    cur.observedGeneration === next.observedGeneration &&
    jsonEqual(cur.conditions ?? [], next.conditions ?? [])
  );
}

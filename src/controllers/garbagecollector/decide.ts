/**
 * The garbage collector's pure decisions (kube's pkg/controller/garbagecollector
 * attemptToDeleteItem, processDeletingDependentsItem, orphanDependents):
 *
 * For a dependent, given the state of each owner it references:
 * - some owner exists and is not being deleted in the foreground ("solid"): keep it; drop the
 *   references to owners that are gone, and stop blocking owners waiting in the foreground;
 * - no solid owner, some waiting for their dependents (foregroundDeletion): delete it, in the
 *   foreground when it has dependents of its own;
 * - every owner gone: delete it (with its own orphan/foreground finalizer's policy, else
 *   Background).
 * For an owner being deleted:
 * - with the `orphan` finalizer: remove its references from every dependent, then the finalizer;
 * - with `foregroundDeletion`: delete its dependents; once none with blockOwnerDeletion is left,
 *   remove the finalizer.
 */
import type { KubeObject, OwnerReference } from '../../api/meta/types.js';

export const finalizerOrphan = 'orphan';
export const finalizerForeground = 'foregroundDeletion';

export type OwnerState = 'solid' | 'waiting' | 'absent' | 'unknown';

export type DependentDecision =
  | { readonly action: 'keep' }
  | { readonly action: 'patchOwners'; readonly ownerReferences: OwnerReference[] }
  | {
      readonly action: 'delete';
      readonly propagationPolicy: 'Background' | 'Foreground' | 'Orphan';
    };

/** Decides the fate of a dependent from the states of its owners (by owner uid). */
export function decideDependent(
  dependent: KubeObject,
  owners: ReadonlyMap<string, OwnerState>,
  hasDependents: boolean,
): DependentDecision {
  const refs = dependent.metadata.ownerReferences ?? [];
  if (refs.length === 0) return { action: 'keep' };
  const state = (r: OwnerReference): OwnerState => owners.get(r.uid) ?? 'unknown';
  const solid = refs.filter((r) => state(r) === 'solid' || state(r) === 'unknown');
  const waiting = refs.filter((r) => state(r) === 'waiting');
  const absent = refs.filter((r) => state(r) === 'absent');
  if (solid.length > 0) {
    if (absent.length === 0 && !waiting.some((r) => r.blockOwnerDeletion === true))
      return { action: 'keep' };
    const next = refs
      .filter((r) => state(r) !== 'absent')
      .map((r) =>
        state(r) === 'waiting' && r.blockOwnerDeletion === true
          ? { ...r, blockOwnerDeletion: false }
          : r,
      );
    return { action: 'patchOwners', ownerReferences: next };
  }
  if (dependent.metadata.deletionTimestamp !== undefined) return { action: 'keep' };
  if (waiting.length > 0 && hasDependents)
    return { action: 'delete', propagationPolicy: 'Foreground' };
  const finalizers = dependent.metadata.finalizers ?? [];
  if (finalizers.includes(finalizerOrphan))
    return { action: 'delete', propagationPolicy: 'Orphan' };
  if (finalizers.includes(finalizerForeground))
    return { action: 'delete', propagationPolicy: 'Foreground' };
  return { action: 'delete', propagationPolicy: 'Background' };
}

export type OwnerDecision =
  | { readonly action: 'none' }
  | { readonly action: 'orphan'; readonly dependents: readonly KubeObject[] }
  | { readonly action: 'removeFinalizer'; readonly finalizer: string }
  | { readonly action: 'deleteDependents'; readonly dependents: readonly KubeObject[] };

/** Decides what to do for an owner being deleted with the orphan or foreground finalizer. */
export function decideOwner(owner: KubeObject, dependents: readonly KubeObject[]): OwnerDecision {
  if (owner.metadata.deletionTimestamp === undefined) return { action: 'none' };
  const finalizers = owner.metadata.finalizers ?? [];
  const uid = owner.metadata.uid ?? '';
  if (finalizers.includes(finalizerOrphan)) {
    const still = dependents.filter((d) =>
      (d.metadata.ownerReferences ?? []).some((r) => r.uid === uid),
    );
    return still.length > 0
      ? { action: 'orphan', dependents: still }
      : { action: 'removeFinalizer', finalizer: finalizerOrphan };
  }
  if (finalizers.includes(finalizerForeground)) {
    const blocking = dependents.filter((d) =>
      (d.metadata.ownerReferences ?? []).some(
        (r) => r.uid === uid && r.blockOwnerDeletion === true,
      ),
    );
    if (blocking.length === 0) return { action: 'removeFinalizer', finalizer: finalizerForeground };
    const toDelete = dependents.filter((d) => d.metadata.deletionTimestamp === undefined);
    return toDelete.length > 0
      ? { action: 'deleteDependents', dependents: toDelete }
      : { action: 'none' };
  }
  return { action: 'none' };
}

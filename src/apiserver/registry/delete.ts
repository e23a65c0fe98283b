/**
 * Delete, as kube's generic store does it:
 * - preconditions (uid, resourceVersion) → 409 Conflict;
 * - propagationPolicy Orphan / Foreground add the `orphan` / `foregroundDeletion` finalizers
 *   that the garbage collector acts on; Background removes them;
 * - an object with finalizers gets deletionTimestamp and stays until an update empties them;
 * - a pod bound to a node is deleted gracefully: deletionTimestamp + deletionGracePeriodSeconds,
 *   and it stays until its agent deletes it with grace 0; unbound or finished pods go at once;
 * - a namespace turns Terminating and stays until its finalizers are done (the namespace
 *   controller empties `spec.finalizers` through /finalize once its content is gone).
 */
import { conflict } from '../../api/meta/status.js';
import type { DeleteOptions, KubeObject } from '../../api/meta/types.js';
import type { ResourceType } from '../../api/scheme.js';
import type { Namespace, Pod } from '../../api/types/core.js';
import { ConflictError, KeyNotFoundError } from '../../storage/store.js';
import { asStored, encodeObject } from './codec.js';
import {
  groupResource,
  mustRead,
  strategyOf,
  timestamp,
  type RegistryContext,
  type WriteOptions,
} from './context.js';
import { translateStoreError } from './errors.js';
import { objectKey } from './keys.js';

export const finalizerOrphan = 'orphan';
export const finalizerForeground = 'foregroundDeletion';

export interface DeleteResult {
  /** The object: its last state when deleted, or as it now stands (deletionTimestamp set). */
  readonly obj: KubeObject;
  /** True when the object is gone from the store. */
  readonly deleted: boolean;
}

const maxAttempts = 16;

/** The finalizers an object should carry after a delete with these options. */
function propagationFinalizers(current: readonly string[], options: DeleteOptions): string[] {
  let policy = options.propagationPolicy;
  if (policy === undefined && options.orphanDependents !== undefined)
    policy = options.orphanDependents ? 'Orphan' : 'Background';
  if (policy === undefined) return [...current];
  const out = current.filter((f) => f !== finalizerOrphan && f !== finalizerForeground);
  if (policy === 'Orphan') out.push(finalizerOrphan);
  if (policy === 'Foreground') out.push(finalizerForeground);
  return out;
}

/** Seconds a pod gets to terminate (kube's pod CheckGracefulDelete). */
function podGracePeriod(pod: Pod, options: DeleteOptions): number {
  if ((pod.spec?.nodeName ?? '') === '') return 0;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 0;
  const g = options.gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, g);
}

function checkPreconditions(rt: ResourceType, obj: KubeObject, options: DeleteOptions): void {
  const p = options.preconditions;
  if (!p) return;
  const name = obj.metadata.name ?? '';
  if (p.uid !== undefined && p.uid !== obj.metadata.uid)
    throw conflict(
      groupResource(rt),
      name,
      `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`,
    );
  if (p.resourceVersion !== undefined && p.resourceVersion !== obj.metadata.resourceVersion)
    throw conflict(
      groupResource(rt),
      name,
      `Precondition failed: ResourceVersion in precondition: ${p.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion ?? ''}`,
    );
}

/**
 * Deletes one object of the stored resource `rt` (or marks it for deletion).
 * @throws ApiError 404 NotFound, 409 Conflict
 */
export async function deleteObject(
  ctx: RegistryContext,
  rt: ResourceType,
  namespace: string | undefined,
  name: string,
  options: DeleteOptions,
  write: WriteOptions = {},
): Promise<DeleteResult> {
  const gr = groupResource(rt);
  const key = objectKey(rt, namespace, name);
  for (let attempt = 1; ; attempt++) {
    const cur = await mustRead(ctx, rt, namespace, name);
    const obj = cur.obj;
    checkPreconditions(rt, obj, options);
    const meta = obj.metadata;
    const nowMs = ctx.clock.now();
    const before = JSON.stringify(obj);
    const finalizers = propagationFinalizers(meta.finalizers ?? [], options);
    if (finalizers.length > 0 || meta.finalizers !== undefined) meta.finalizers = finalizers;

    let keep = finalizers.length > 0;
    if (rt.group === '' && rt.resource === 'namespaces') {
      const ns = obj as Namespace;
      if (meta.deletionTimestamp !== undefined && (ns.spec?.finalizers ?? []).length > 0)
        throw conflict(
          gr,
          name,
          'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.',
        );
      if ((ns.spec?.finalizers ?? []).length > 0) keep = true;
      if (keep) ns.status = { ...ns.status, phase: 'Terminating' };
    }
    let grace = 0;
    if (rt.group === '' && rt.resource === 'pods') {
      grace = podGracePeriod(obj, options);
      if (meta.deletionTimestamp !== undefined && meta.deletionGracePeriodSeconds !== undefined) {
        // Already terminating: a delete may only shorten the grace period.
        grace = Math.min(grace, meta.deletionGracePeriodSeconds);
      }
      if (grace > 0) keep = true;
    }

    if (keep) {
      // Marked, not removed: deletionTimestamp is when the grace period ends.
      const graceChanged = meta.deletionGracePeriodSeconds !== grace;
      if (meta.deletionTimestamp === undefined || graceChanged) {
        meta.deletionTimestamp = timestamp(nowMs + grace * 1000);
        meta.deletionGracePeriodSeconds = grace;
      }
      if (JSON.stringify(obj) === before) return { obj, deleted: false };
      if (write.dryRun) return { obj, deleted: false };
      try {
        const kv = await ctx.store.update(key, encodeObject(obj), cur.revision);
        return { obj: asStored(obj, kv), deleted: false };
      } catch (e) {
        if ((e instanceof ConflictError || e instanceof KeyNotFoundError) && attempt < maxAttempts)
          continue;
        throw translateStoreError(e, gr, name);
      }
    }

    if (write.dryRun) return { obj, deleted: true };
    try {
      const { revision } = await ctx.store.delete(key, cur.revision);
      strategyOf(ctx, rt).release?.(obj);
      meta.resourceVersion = String(revision);
      return { obj, deleted: true };
    } catch (e) {
      if (e instanceof ConflictError && attempt < maxAttempts) continue;
      throw translateStoreError(e, gr, name);
    }
  }
}

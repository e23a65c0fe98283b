/**
 * Read-modify-write of one object, kube's GuaranteedUpdate: read the current object, let the
 * caller build the desired one (PUT body, patched object, scaled, bound…), apply the metadata
 * rules and the strategy, and compare-and-swap on the revision that was read. A write that
 * carried no resourceVersion is retried on a store conflict; one that did gets 409 Conflict.
 *
 * Order (strategy.ts): defaults → prepareForUpdate → admit → validateUpdate → allocate(obj, old)
 * → managedFields → store.update → commit (revert on failure).
 */
import * as field from '../../api/meta/fielderrors.js';
import { badRequest, conflict, invalid, notFound, objectModified } from '../../api/meta/status.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { ResourceType } from '../../api/scheme.js';
import type { Namespace } from '../../api/types/core.js';
import { ConflictError, KeyNotFoundError } from '../../storage/store.js';
import { updateManagedFields } from '../encoding/managedfields.js';
import type { AllocationTx } from './strategy.js';
import { asStored, encodeObject } from './codec.js';
import { createObject } from './create.js';
import {
  groupResource,
  readObject,
  setTypeMeta,
  strategyOf,
  timestamp,
  type RegistryContext,
  type WriteOptions,
} from './context.js';
import { translateStoreError } from './errors.js';
import { objectKey } from './keys.js';
import { sameObject } from './meta.js';

/**
 * How the desired object is reconciled with the stored one:
 * - `main`: a write of the resource itself; status is kept from the stored object.
 * - `status`: a write of the status subresource; everything but status and metadata is kept.
 * - `raw`: the caller built the whole object from the stored one (binding, finalize, deletion
 *   bookkeeping); no strategy hooks run.
 */
export type UpdateKind = 'main' | 'status' | 'raw';

export interface UpdateRequest {
  readonly namespace: string | undefined;
  readonly name: string;
  /** Builds the desired object from the current one (a private copy it may mutate). */
  readonly mutate: (current: KubeObject | undefined) => KubeObject | Promise<KubeObject>;
  readonly kind?: UpdateKind;
  /** For managedFields entries (`status`, `scale`). */
  readonly subresource?: string;
  /** Create when missing (PUT on kinds that allow create-on-update). */
  readonly createIfMissing?: boolean;
  /** managedFields were already set (server-side apply). */
  readonly managedFieldsSet?: boolean;
}

export interface UpdateResult {
  readonly obj: KubeObject;
  readonly created: boolean;
}

const maxAttempts = 16;

const keepFromOld = new Set(['metadata', 'status', 'kind', 'apiVersion']);

/** For a status write: every top-level field but metadata and status comes from the stored object. */
function resetForStatus(obj: KubeObject, old: KubeObject): void {
  const o = obj as unknown as Record<string, unknown>;
  const prev = old as unknown as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!keepFromOld.has(k) && !(k in prev)) Reflect.deleteProperty(o, k);
  for (const k of Object.keys(prev)) if (!keepFromOld.has(k)) o[k] = structuredClone(prev[k]);
}

/** A namespace also waits for its spec.finalizers (the namespace controller's `kubernetes`). */
function namespaceFinalizersPending(rt: ResourceType, obj: KubeObject): boolean {
  if (rt.group !== '' || rt.resource !== 'namespaces') return false;
  return ((obj as Namespace).spec?.finalizers ?? []).length > 0;
}

/** kube's BeforeUpdate: what an update may never change, taken from the stored object. */
function preserveMetadata(rt: ResourceType, obj: KubeObject, old: KubeObject): void {
  const m = obj.metadata;
  const o = old.metadata;
  if ((m.uid ?? '') === '') m.uid = o.uid ?? '';
  else if (m.uid !== o.uid)
    throw invalid(rt.group, rt.kind, o.name ?? '', [
      field.invalid('metadata.uid', m.uid, 'field is immutable'),
    ]);
  if (o.creationTimestamp) m.creationTimestamp = o.creationTimestamp;
  if (o.deletionTimestamp) m.deletionTimestamp = o.deletionTimestamp;
  else delete m.deletionTimestamp;
  if (o.deletionGracePeriodSeconds !== undefined && m.deletionGracePeriodSeconds === undefined)
    m.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
  if (o.generation !== undefined) m.generation = o.generation;
  else delete m.generation;
  if (m.generateName === '') delete m.generateName;
  delete m.selfLink;
}

/**
 * Updates (or, with createIfMissing, creates) one object of the stored resource `rt`.
 * @throws ApiError 404, 409 Conflict, 422 Invalid, 400 BadRequest
 */
export async function updateObject(
  ctx: RegistryContext,
  rt: ResourceType,
  req: UpdateRequest,
  options: WriteOptions = {},
): Promise<UpdateResult> {
  const gr = groupResource(rt);
  const kind = req.kind ?? 'main';
  const strategy = strategyOf(ctx, rt);
  const sctx = ctx.strategyContext;
  const key = objectKey(rt, req.namespace, req.name);

  for (let attempt = 1; ; attempt++) {
    const cur = await readObject(ctx, rt, req.namespace, req.name);
    if (!cur) {
      if (!req.createIfMissing) throw notFound(gr, req.name);
      const obj = await req.mutate(undefined);
      if ((obj.metadata.resourceVersion ?? '') !== '') throw notFound(gr, req.name);
      try {
        const created = await createObject(ctx, rt, obj, {
          ...options,
          ...(req.managedFieldsSet !== undefined ? { managedFieldsSet: req.managedFieldsSet } : {}),
        });
        return { obj: created, created: true };
      } catch (e) {
        // Lost a race with another create: update what is there now.
        if (
          attempt < maxAttempts &&
          e instanceof Error &&
          'reason' in e &&
          e.reason === 'AlreadyExists'
        )
          continue;
        throw e;
      }
    }
    const old = cur.obj;
    const obj = await req.mutate(structuredClone(old));
    setTypeMeta(rt, obj);
    if ((obj.metadata.name ?? '') !== req.name)
      throw badRequest(
        `the name of the object (${obj.metadata.name ?? ''}) does not match the name on the URL (${req.name})`,
      );
    if (rt.namespaced) {
      const ns = obj.metadata.namespace ?? '';
      if (ns !== '' && ns !== req.namespace)
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      obj.metadata.namespace = req.namespace ?? '';
    } else delete obj.metadata.namespace;

    const sentRV = obj.metadata.resourceVersion ?? '';
    const conditional = sentRV !== '';
    if (conditional && sentRV !== String(cur.revision))
      throw conflict(gr, req.name, objectModified);

    preserveMetadata(rt, obj, old);
    let tx: AllocationTx | undefined;
    if (kind === 'main') {
      if (rt.subresources.includes('status')) {
        const st = (old as { status?: unknown }).status;
        if (st === undefined) delete (obj as { status?: unknown }).status;
        else (obj as { status?: unknown }).status = structuredClone(st);
      }
      strategy.defaults?.(obj);
      strategy.prepareForUpdate?.(obj, old);
      await strategy.admit?.(obj, old, sctx);
      const errs = strategy.validateUpdate?.(obj, old, sctx) ?? [];
      if (errs.length > 0) throw invalid(rt.group, rt.kind, req.name, errs);
    } else if (kind === 'status') {
      resetForStatus(obj, old);
      strategy.prepareForStatusUpdate?.(obj, old);
      const errs = strategy.validateStatusUpdate?.(obj, old, sctx) ?? [];
      if (errs.length > 0) throw invalid(rt.group, rt.kind, req.name, errs);
    }

    if (kind === 'main') tx = await strategy.allocate?.(obj, old, sctx);
    // Nothing changed: no write, no event, the same resourceVersion (kube does the same).
    if (sameObject(obj, old)) {
      tx?.revert();
      return { obj: old, created: false };
    }
    try {
      const now = timestamp(ctx.clock.now());
      if (!req.managedFieldsSet)
        updateManagedFields(rt, old, obj, {
          manager: options.fieldManager ?? 'unknown',
          now,
          ...(req.subresource !== undefined ? { subresource: req.subresource } : {}),
        });
      if (options.dryRun) {
        tx?.revert();
        obj.metadata.resourceVersion = String(cur.revision);
        return { obj, created: false };
      }
      // The last finalizer went away from an object being deleted: the update is the deletion.
      const finalized =
        obj.metadata.deletionTimestamp !== undefined &&
        (obj.metadata.finalizers ?? []).length === 0 &&
        (old.metadata.deletionGracePeriodSeconds ?? 0) === 0 &&
        !namespaceFinalizersPending(rt, obj);
      if (finalized) {
        const { revision } = await ctx.store.delete(key, cur.revision);
        tx?.commit();
        strategy.release?.(obj);
        obj.metadata.resourceVersion = String(revision);
        return { obj, created: false };
      }
      const kv = await ctx.store.update(key, encodeObject(obj), cur.revision);
      tx?.commit();
      return { obj: asStored(obj, kv), created: false };
    } catch (e) {
      tx?.revert();
      if (
        (e instanceof ConflictError || e instanceof KeyNotFoundError) &&
        !conditional &&
        attempt < maxAttempts
      )
        continue;
      throw translateStoreError(e, gr, req.name);
    }
  }
}

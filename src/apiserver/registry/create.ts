/**
 * Create, in the order documented in strategy.ts:
 *
 *   defaults → prepareForCreate → metadata (uid, timestamps, generateName) → namespace lifecycle
 *   → admit → validate → allocate → managedFields → store.create → commit (revert on failure)
 */
import { badRequest, invalid } from '../../api/meta/status.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { ResourceType } from '../../api/scheme.js';
import { KeyExistsError } from '../../storage/store.js';
import { updateManagedFields } from '../encoding/managedfields.js';
import type { AllocationTx } from './strategy.js';
import { asStored, encodeObject } from './codec.js';
import {
  groupResource,
  setTypeMeta,
  strategyOf,
  timestamp,
  type RegistryContext,
  type WriteOptions,
} from './context.js';
import { translateStoreError } from './errors.js';
import { objectKey } from './keys.js';
import { checkNamespaceForCreate, generateName, validateNewName } from './meta.js';

export interface CreateOptions extends WriteOptions {
  /** managedFields were already set (server-side apply). */
  readonly managedFieldsSet?: boolean;
}

/** How often a generated name is retried when it collides. */
const generateNameAttempts = 8;

/**
 * Stores a new object of the stored resource `rt`. The object is mutated (defaults, metadata).
 * @throws ApiError 409 AlreadyExists, 404/403 for the namespace, 422 Invalid, 400 BadRequest
 */
export async function createObject(
  ctx: RegistryContext,
  rt: ResourceType,
  obj: KubeObject,
  options: CreateOptions = {},
): Promise<KubeObject> {
  const strategy = strategyOf(ctx, rt);
  const meta = obj.metadata;
  setTypeMeta(rt, obj);
  if ((meta.resourceVersion ?? '') !== '')
    throw badRequest('resourceVersion should not be set on objects to be created');
  // A client may not set status on create where status has its own subresource.
  if (rt.subresources.includes('status')) delete (obj as { status?: unknown }).status;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  if (meta.name === '') delete meta.name;
  if (meta.generateName === '') delete meta.generateName;

  strategy.defaults?.(obj);
  strategy.prepareForCreate?.(obj);

  const now = ctx.clock.now();
  meta.uid = ctx.newUID();
  meta.creationTimestamp = timestamp(now);
  validateNewName(rt, obj);
  const generated = meta.name === undefined;
  if (generated) meta.name = generateName(meta.generateName ?? '');
  const name = meta.name ?? '';

  if (rt.namespaced) await checkNamespaceForCreate(ctx, rt, meta.namespace ?? '', name);

  const sctx = ctx.strategyContext;
  await strategy.admit?.(obj, undefined, sctx);
  const errs = strategy.validate?.(obj, sctx) ?? [];
  if (errs.length > 0) throw invalid(rt.group, rt.kind, name, errs);

  const tx: AllocationTx | undefined = await strategy.allocate?.(obj, undefined, sctx);
  try {
    if (!options.managedFieldsSet)
      updateManagedFields(rt, undefined, obj, {
        manager: options.fieldManager ?? 'unknown',
        now: timestamp(now),
      });
    if (options.dryRun) {
      tx?.revert();
      return obj;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const kv = await ctx.store.create(
          objectKey(rt, meta.namespace, meta.name ?? ''),
          encodeObject(obj),
        );
        tx?.commit();
        return asStored(obj, kv);
      } catch (e) {
        if (e instanceof KeyExistsError && generated && attempt < generateNameAttempts) {
          meta.name = generateName(meta.generateName ?? '');
          continue;
        }
        throw translateStoreError(e, groupResource(rt), meta.name ?? '');
      }
    }
  } catch (e) {
    tx?.revert();
    throw e;
  }
}

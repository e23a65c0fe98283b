/**
 * Server-side apply (`application/apply-patch+yaml`, `kubectl apply --server-side`): the applied
 * configuration is merged into the live object by the schema's list semantics; the manager comes
 * to own exactly the fields it applied; fields it applied before and no longer does are removed
 * unless another manager owns them; changing a field another manager owns is a 409 conflict
 * unless `force` (then ownership moves). Follows structured-merge-diff's Updater.Apply and
 * apimachinery's field manager chain, including the two kubectl-specific steps: an apply by
 * `kubectl` may take over the fields of a client-side apply whose last-applied configuration
 * still matches the live object, and keeps that annotation up to date.
 */
import { ApiError, badRequest, statusOf } from '../../api/meta/status.js';
import type { KubeObject, StatusCause } from '../../api/meta/types.js';
import type { Schema } from '../../api/schema/dsl.js';
import { kindSchema } from '../../api/schema/registry.js';
import { isObject } from '../../api/schema/walk.js';
import { apiVersionOf } from '../../api/scheme.js';
import { FieldSet, pathString } from './fieldpath.js';
import {
  capUpdateManagers,
  decodeManagers,
  managerId,
  setManagedFields,
  stripServerFields,
  withoutManagedFields,
  type ManagerRecord,
  type Managers,
} from './managedfields.js';
import { typeError, type KindRef } from './strict.js';
import { compare, merge, removeItems, toFieldSet, TypedError, withNamedFields } from './typed.js';

export interface ApplyOptions {
  /** The fieldManager query parameter (required for apply). */
  readonly manager: string;
  readonly force: boolean;
  /** RFC 3339 time recorded on the manager's entry. */
  readonly now: string;
  readonly subresource?: string;
}

export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

interface Conflict {
  readonly manager: ManagerRecord;
  readonly path: readonly string[];
}

/** `"kubectl-client-side-apply" using v1`, as apimachinery's printManager renders a manager. */
function printManager(r: ManagerRecord): string {
  let s = JSON.stringify(r.manager);
  if (r.subresource !== '') s += ` with subresource ${JSON.stringify(r.subresource)}`;
  return r.operation === 'Update' ? `${s} using ${r.apiVersion}` : s;
}

/** The 409 kube answers: kubectl prints `Apply failed with N conflicts: …`. */
export function conflictError(conflicts: readonly Conflict[]): ApiError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.manager)}`,
    field: pathString(c.path),
  }));
  let message: string;
  const first = conflicts[0];
  if (conflicts.length === 1 && first) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(first.manager)}: ${pathString(first.path)}`;
  } else {
    const byManager = new Map<string, Conflict[]>();
    for (const c of conflicts) {
      const k = printManager(c.manager);
      byManager.set(k, [...(byManager.get(k) ?? []), c]);
    }
    const lines: string[] = [];
    for (const k of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${k}:`);
      for (const c of byManager.get(k) ?? []) lines.push(`- ${pathString(c.path)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(statusOf(409, 'Conflict', message, { causes }));
}

/** Fields removed from the object: the applier's previous fields nobody owns any more. */
function prune(
  merged: unknown,
  managers: Managers,
  last: FieldSet | undefined,
  s: Schema,
): unknown {
  if (!last || last.isEmpty()) return merged;
  let owned = new FieldSet();
  for (const r of managers.values()) owned = owned.union(r.set);
  const toRemove = withNamedFields(last, s).difference(withNamedFields(owned, s));
  return removeItems(merged, toRemove, s);
}

/** Ownership changes of everyone but the applier; the conflicts found. */
function update(
  live: unknown,
  next: unknown,
  managers: Managers,
  applierId: string,
  s: Schema,
): Conflict[] {
  const cmp = compare(live, next, s);
  const changed = cmp.modified.union(cmp.added);
  const conflicts: Conflict[] = [];
  for (const [id, rec] of managers) {
    if (id === applierId) continue;
    for (const path of rec.set.intersection(changed).paths())
      conflicts.push({ manager: rec, path });
  }
  return conflicts;
}

function takeOwnership(
  managers: Managers,
  applierId: string,
  live: unknown,
  next: unknown,
  s: Schema,
): void {
  const cmp = compare(live, next, s);
  const changed = cmp.modified.union(cmp.added);
  for (const [id, rec] of managers) {
    if (id === applierId) continue;
    rec.set = rec.set.difference(changed).difference(cmp.removed);
    if (rec.set.isEmpty()) managers.delete(id);
  }
}

/** Fields a client-side apply by kubectl set and that still hold their last-applied values. */
function allowedFromLastApplied(
  live: Record<string, unknown>,
  s: Schema,
  apiVersion: string,
): FieldSet | undefined {
  const meta = live['metadata'];
  const annotations =
    isObject(meta) && isObject(meta['annotations']) ? meta['annotations'] : undefined;
  const raw = annotations?.[lastAppliedAnnotation];
  if (typeof raw !== 'string' || raw === '') return undefined;
  try {
    const last: unknown = JSON.parse(raw);
    if (!isObject(last) || last['apiVersion'] !== apiVersion) return undefined;
    const set = toFieldSet(last, s);
    const cmp = compare(last, live, s);
    return set.difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
  } catch {
    return undefined;
  }
}

function sortConflicts(conflicts: Conflict[]): Conflict[] {
  return conflicts.sort((a, b) => {
    const ma = printManager(a.manager);
    const mb = printManager(b.manager);
    if (ma !== mb) return ma < mb ? -1 : 1;
    const pa = pathString(a.path);
    const pb = pathString(b.path);
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  });
}

/**
 * The object after applying `applied` (undefined current = create), with managedFields updated.
 * Run defaulting, validation and allocation on the result as for any write.
 * @throws ApiError 400 for a configuration that is not a usable apply (wrong apiVersion or kind,
 *   managedFields set, undeclared fields, list items without keys), 409 on conflicts
 */
export function serverSideApply(
  current: KubeObject | undefined,
  applied: KubeObject,
  rt: KindRef,
  options: ApplyOptions,
): KubeObject {
  const apiVersion = apiVersionOf(rt);
  if (!isObject(applied)) throw badRequest('the applied configuration must be an object');
  if (applied.apiVersion !== apiVersion) {
    throw badRequest(
      `Incorrect version specified in apply patch. Specified patch version: ${applied.apiVersion ?? ''}, expected: ${apiVersion}`,
    );
  }
  if (applied.kind !== rt.kind) {
    throw badRequest(
      `Incorrect kind specified in apply patch. Specified patch kind: ${applied.kind ?? ''}, expected: ${rt.kind}`,
    );
  }
  if (isObject(applied.metadata) && applied.metadata['managedFields'] != null) {
    throw badRequest('metadata.managedFields must be nil');
  }
  if (!options.manager)
    throw badRequest('PATCH requests of type application/apply-patch+yaml require a fieldManager');
  const t = kindSchema(rt);
  if (!t) throw badRequest(`no schema for ${apiVersion}, Kind=${rt.kind}`);
  const s: Schema = { kind: 'object', type: t.name };
  const where = `${applied.metadata?.namespace ?? ''}/${applied.metadata?.name ?? ''}; ${apiVersion}, Kind=${rt.kind}`;
  const terr = typeError(rt, applied);
  if (terr !== undefined)
    throw badRequest(`failed to create typed patch object (${where}): ${terr}`);
  const live = withoutManagedFields(current);

  let managers: Managers;
  try {
    managers = decodeManagers(current?.metadata?.managedFields);
  } catch {
    managers = new Map();
  }
  const applier: ManagerRecord = {
    manager: options.manager,
    operation: 'Apply',
    apiVersion,
    subresource: options.subresource ?? '',
    time: options.now,
    set: new FieldSet(),
  };
  const applierId = managerId(applier);

  const run = (
    force: boolean,
  ): { result: Record<string, unknown>; managers: Managers; conflicts: Conflict[] } => {
    const ms: Managers = new Map([...managers].map(([id, r]) => [id, { ...r }]));
    let appliedSet: FieldSet;
    let merged: Record<string, unknown>;
    try {
      appliedSet = toFieldSet(applied, s);
      merged = merge(live, applied, s);
    } catch (e) {
      if (e instanceof TypedError) {
        throw badRequest(`failed to create typed patch object (${where}): ${e.message}`);
      }
      throw e;
    }
    const last = ms.get(applierId)?.set;
    ms.set(applierId, { ...applier, set: appliedSet });
    const result = prune(merged, ms, last, s) as Record<string, unknown>;
    const conflicts = update(live, result, ms, applierId, s);
    if (conflicts.length > 0 && !force) return { result, managers: ms, conflicts };
    takeOwnership(ms, applierId, live, result, s);
    return { result, managers: ms, conflicts: [] };
  };

  let out = run(options.force);
  if (out.conflicts.length > 0) {
    // kubectl taking over from its own client-side apply: conflicts on fields that still hold
    // their last-applied values are not conflicts (lastappliedmanager.go).
    const allowed =
      options.manager === 'kubectl' ? allowedFromLastApplied(live, s, apiVersion) : undefined;
    const remaining = out.conflicts.filter((c) => !allowed?.has(c.path));
    if (remaining.length > 0) throw conflictError(sortConflicts(remaining));
    out = run(true);
  }

  const rec = out.managers.get(applierId);
  if (rec) {
    rec.set = stripServerFields(rec.set);
    if (rec.set.isEmpty()) out.managers.delete(applierId);
  }
  capUpdateManagers(out.managers);
  const result = out.result as unknown as KubeObject;
  result.metadata = isObject(result.metadata) ? result.metadata : {};

  // kubectl's last-applied annotation follows server-side applies (lastappliedupdater.go).
  const annotations = result.metadata.annotations;
  if (options.manager === 'kubectl' && annotations?.[lastAppliedAnnotation]) {
    const copy = structuredClone(applied);
    if (copy.metadata?.annotations) {
      const { [lastAppliedAnnotation]: _drop, ...rest } = copy.metadata.annotations;
      copy.metadata.annotations = rest;
    }
    annotations[lastAppliedAnnotation] = JSON.stringify(copy);
  }
  setManagedFields(result, out.managers);
  return result;
}

/**
 * managedFields bookkeeping: which field manager owns which fields, as kube-apiserver records it.
 * Ordinary writes (create, update, patch: operation Update) give the writing manager the fields it
 * added or changed and take them from every other manager; server-side apply (apply.ts) records
 * the applied fields (operation Apply). `kubectl get --show-managed-fields` shows the result.
 *
 * Follows apimachinery's managedfields internals: entries are keyed by (manager, operation,
 * apiVersion for updates, subresource); apiVersion, kind and the server-owned metadata fields are
 * never owned; at most 10 Update entries are kept (older ones merge into `ancient-changes`);
 * entries are sorted Apply first, then by time, manager, apiVersion, subresource.
 */
import type { KubeObject, ManagedFieldsEntry } from '../../api/meta/types.js';
import { kindSchema } from '../../api/schema/registry.js';
import { isObject } from '../../api/schema/walk.js';
import { apiVersionOf } from '../../api/scheme.js';
import { FieldSet, fieldElement } from './fieldpath.js';
import type { KindRef } from './strict.js';
import { compare, TypedError } from './typed.js';

export interface UpdateManagedFieldsOptions {
  readonly manager: string;
  readonly now: string;
  readonly subresource?: string;
}

export type Operation = 'Apply' | 'Update';

/** One manager's record. */
export interface ManagerRecord {
  readonly manager: string;
  readonly operation: Operation;
  readonly apiVersion: string;
  readonly subresource: string;
  time: string | undefined;
  set: FieldSet;
}

/** Records by identity (see managerId). */
export type Managers = Map<string, ManagerRecord>;

/** The identity of a record: appliers are one record whatever the apiVersion they applied with. */
export function managerId(
  r: Pick<ManagerRecord, 'manager' | 'operation' | 'apiVersion' | 'subresource'>,
): string {
  return JSON.stringify([
    r.manager,
    r.operation,
    r.operation === 'Apply' ? '' : r.apiVersion,
    r.subresource,
  ]);
}

/** Fields nobody owns: the server sets them (stripmeta.go). */
const strippedPaths: readonly (readonly string[])[] = [
  ['apiVersion'],
  ['kind'],
  ['metadata'],
  ['metadata', 'name'],
  ['metadata', 'namespace'],
  ['metadata', 'creationTimestamp'],
  ['metadata', 'selfLink'],
  ['metadata', 'uid'],
  ['metadata', 'clusterName'],
  ['metadata', 'generation'],
  ['metadata', 'managedFields'],
  ['metadata', 'resourceVersion'],
];
const strippedSet = FieldSet.of(...strippedPaths.map((p) => p.map(fieldElement)));

export function stripServerFields(set: FieldSet): FieldSet {
  return set.difference(strippedSet);
}

/** Reads managedFields entries. @throws TypedError for entries that do not decode */
export function decodeManagers(entries: readonly ManagedFieldsEntry[] | undefined): Managers {
  const out: Managers = new Map();
  for (const e of entries ?? []) {
    if (e.operation !== 'Apply' && e.operation !== 'Update') {
      throw new TypedError(`managed fields entry with operation ${JSON.stringify(e.operation)}`);
    }
    if (e.fieldsType !== 'FieldsV1')
      throw new TypedError('missing fieldsType in managed fields entry');
    const rec: ManagerRecord = {
      manager: e.manager ?? '',
      operation: e.operation,
      apiVersion: e.apiVersion ?? '',
      subresource: e.subresource ?? '',
      time: e.time,
      set: FieldSet.fromFieldsV1(e.fieldsV1 ?? {}),
    };
    const id = managerId(rec);
    if (out.has(id)) throw new TypedError(`duplicate managed fields entry for ${rec.manager}`);
    out.set(id, rec);
  }
  return out;
}

function decodeOrEmpty(entries: readonly ManagedFieldsEntry[] | undefined): Managers {
  try {
    return decodeManagers(entries);
  } catch {
    return new Map();
  }
}

/** managedFields entries in kube's order. */
export function encodeManagers(managers: Managers): ManagedFieldsEntry[] {
  const recs = [...managers.values()].filter((r) => !r.set.isEmpty());
  const secs = (t: string | undefined) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  recs.sort(
    (p, q) =>
      (p.operation < q.operation ? -1 : p.operation > q.operation ? 1 : 0) ||
      secs(p.time) - secs(q.time) ||
      (p.manager < q.manager ? -1 : p.manager > q.manager ? 1 : 0) ||
      (p.apiVersion < q.apiVersion ? -1 : p.apiVersion > q.apiVersion ? 1 : 0) ||
      (p.subresource < q.subresource ? -1 : p.subresource > q.subresource ? 1 : 0),
  );
  return recs.map((r) => {
    const e: ManagedFieldsEntry = {
      manager: r.manager,
      operation: r.operation,
      apiVersion: r.apiVersion,
    };
    if (r.time !== undefined) e.time = r.time;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = r.set.toFieldsV1();
    if (r.subresource !== '') e.subresource = r.subresource;
    return e;
  });
}

/** Writes the records into `obj.metadata.managedFields` (removing the key when there are none). */
export function setManagedFields(obj: KubeObject, managers: Managers): void {
  const entries = encodeManagers(managers);
  if (entries.length > 0) obj.metadata.managedFields = entries;
  else delete obj.metadata.managedFields;
}

/** A copy of an object's top level without metadata.managedFields, for comparisons. */
export function withoutManagedFields(obj: KubeObject | undefined): Record<string, unknown> {
  if (!obj) return {};
  const { managedFields: _drop, ...meta } = obj.metadata ?? {};
  return { ...obj, metadata: meta };
}

/** Merges the oldest Update records past `max` into one `ancient-changes` record per apiVersion. */
export function capUpdateManagers(managers: Managers, max = 10): void {
  const updaters = [...managers.entries()].filter(([, r]) => r.operation === 'Update');
  if (updaters.length <= max) return;
  const secs = (t: string | undefined) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  updaters.sort(([ia, a], [ib, b]) => secs(a.time) - secs(b.time) || (ia < ib ? -1 : 1));
  let count = updaters.length;
  const firstByVersion = new Map<string, string>();
  for (const [id, rec] of updaters) {
    if (count <= max) break;
    const first = firstByVersion.get(rec.apiVersion);
    if (first === undefined) {
      firstByVersion.set(rec.apiVersion, id);
      continue;
    }
    const bucket: ManagerRecord = {
      manager: 'ancient-changes',
      operation: 'Update',
      apiVersion: rec.apiVersion,
      subresource: '',
      time: rec.time,
      set: new FieldSet(),
    };
    const bucketId = managerId(bucket);
    let b = managers.get(bucketId);
    if (!b) {
      const firstRec = managers.get(first);
      managers.delete(first);
      b = { ...bucket, set: firstRec?.set ?? new FieldSet() };
      managers.set(bucketId, b);
    }
    b.set = b.set.union(rec.set);
    b.time = rec.time;
    managers.delete(id);
    count--;
  }
}

/**
 * Updates `updated.metadata.managedFields` in place for a create (old undefined) or update by
 * `manager` (operation Update). Call it after defaulting, before the server allocates values
 * (clusterIP, nodePorts): kube-apiserver's field manager sees the object as decoded and defaulted.
 * Managed fields a client sends are kept when they decode (an empty list resets them), except on
 * subresources, which always keep the live record.
 */
export function updateManagedFields(
  rt: KindRef,
  old: KubeObject | undefined,
  updated: KubeObject,
  options: UpdateManagedFieldsOptions,
): void {
  const t = kindSchema(rt);
  const sent = updated.metadata?.managedFields;
  let managers: Managers;
  if (options.subresource) managers = decodeOrEmpty(old?.metadata?.managedFields);
  else if (
    Array.isArray(sent) &&
    (sent.length === 0 ||
      (sent.length === 1 && isObject(sent[0]) && Object.keys(sent[0]).length === 0))
  ) {
    managers = new Map();
  } else {
    managers = decodeOrEmpty(sent);
    if (managers.size === 0) managers = decodeOrEmpty(old?.metadata?.managedFields);
  }
  if (updated.metadata) delete updated.metadata.managedFields;
  if (!t) return;

  let cmp;
  try {
    cmp = compare(withoutManagedFields(old), withoutManagedFields(updated), {
      kind: 'object',
      type: t.name,
    });
  } catch {
    // A list item without its key: kube logs "[SHOULD NOT HAPPEN]" and drops managedFields.
    return;
  }
  const changed = cmp.modified.union(cmp.added);
  const apiVersion = apiVersionOf(rt);
  const self: ManagerRecord = {
    manager: options.manager === '' ? 'unknown' : options.manager,
    operation: 'Update',
    apiVersion,
    subresource: options.subresource ?? '',
    time: undefined,
    set: new FieldSet(),
  };
  const selfId = managerId(self);
  for (const [id, rec] of managers) {
    rec.set = rec.set.difference(changed).difference(cmp.removed);
    if (rec.set.isEmpty() && id !== selfId) managers.delete(id);
  }
  const mine = stripServerFields(changed);
  if (!mine.isEmpty()) {
    const prev = managers.get(selfId);
    managers.set(selfId, { ...self, set: prev ? prev.set.union(mine) : mine, time: options.now });
  } else if (managers.get(selfId)?.set.isEmpty()) managers.delete(selfId);
  capUpdateManagers(managers);
  setManagedFields(updated, managers);
}

/**
 * Schema-aware operations on objects for server-side apply and managedFields, with the semantics
 * of structured-merge-diff (the library kube-apiserver uses):
 *
 * - `toFieldSet`: the fields an applied configuration sets (scalars, list items, map entries, and
 *   struct fields only when empty);
 * - `compare`: the fields added, removed and modified between two objects;
 * - `merge`: an applied configuration merged into a live object (list maps by key, sets by value,
 *   atomic values replaced, the configuration's order kept for shared items);
 * - `removeItems`: an object without a set of fields.
 *
 * Objects in kube-apiserver are Go structs, where a non-pointer struct field (`spec`, `status`,
 * `resources`) always exists; our JSON objects may omit them. `compare` treats such fields as
 * present-and-empty, so ownership records match kube's (no `.` entry for `f:spec`).
 */
import type { Field, Schema } from '../../api/schema/dsl.js';
import { schemaRegistry } from '../../api/schema/registry.js';
import { cloneJson, isObject, jsonEqual, type JsonObject } from '../../api/schema/walk.js';
import { fieldElement, FieldSet, keyElement, valueElement } from './fieldpath.js';

/** A value that does not fit the schema for server-side apply (kube: "field not declared in schema"). */
export class TypedError extends Error {}

type Path = readonly string[];

function dotted(path: Path): string {
  return path.map((pe) => (pe.startsWith('f:') ? `.${pe.slice(2)}` : `[${pe.slice(2)}]`)).join('');
}

interface Child {
  readonly schema: Schema | undefined;
  /** A named field of a struct (as opposed to a map key). */
  readonly named: boolean;
  readonly field: Field | undefined;
}

function childOf(s: Schema | undefined, key: string): Child {
  if (s?.kind === 'map') return { schema: s.values, named: false, field: undefined };
  if (s?.kind === 'object') {
    const f = schemaRegistry().type(s.type).fields.get(key);
    return { schema: f?.schema, named: f !== undefined, field: f };
  }
  return { schema: undefined, named: false, field: undefined };
}

function isAtomic(s: Schema | undefined): boolean {
  if (!s) return true;
  switch (s.kind) {
    case 'scalar':
      return true;
    case 'list':
      return s.listType === 'atomic';
    case 'map':
      return s.atomic;
    case 'object':
      return schemaRegistry().type(s.type).atomic;
  }
}

/** The path element of a list item: `k:` for list maps, `v:` for sets. @throws TypedError */
export function itemElement(s: Schema & { kind: 'list' }, item: unknown, path: Path): string {
  if (s.listType === 'set') return valueElement(item);
  const keys: Record<string, unknown> = {};
  for (const k of s.keys) {
    let v = isObject(item) ? item[k] : undefined;
    if (v === undefined || v === null) {
      const itemType = s.items.kind === 'object' ? schemaRegistry().type(s.items.type) : undefined;
      v = itemType?.fields.get(k)?.default;
      if (v === undefined) {
        throw new TypedError(
          `${dotted(path)}: element ${JSON.stringify(item)}: associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`,
        );
      }
    }
    keys[k] = v;
  }
  return keyElement(keys);
}

function isEmptyish(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    (Array.isArray(v) && v.length === 0) ||
    (isObject(v) && Object.keys(v).length === 0)
  );
}

// ---- toFieldSet -------------------------------------------------------------------------------

/** The fields set by `v` (an applied configuration). @throws TypedError for undeclared fields */
export function toFieldSet(v: unknown, s: Schema): FieldSet {
  const out = new FieldSet();
  const walk = (x: unknown, sch: Schema | undefined, path: Path): void => {
    if (!sch || sch.kind === 'scalar' || isAtomic(sch)) {
      if (path.length > 0) out.insert(path);
      return;
    }
    if (sch.kind === 'list') {
      if (!Array.isArray(x)) return;
      const seen = new Set<string>();
      for (const item of x) {
        const pe = itemElement(sch, item, path);
        if (seen.has(pe))
          throw new TypedError(`${dotted(path)}: duplicate entries for key ${pe.slice(2)}`);
        seen.add(pe);
        const p = [...path, pe];
        walk(item, sch.items, p);
        out.insert(p);
      }
      return;
    }
    if (!isObject(x)) return;
    for (const [k, val] of Object.entries(x)) {
      const c = childOf(sch, k);
      const p = [...path, fieldElement(k)];
      if (!c.schema) throw new TypedError(`${dotted(p)}: field not declared in schema`);
      walk(val, c.schema, p);
      if (!c.named || val === null || (isObject(val) && Object.keys(val).length === 0))
        out.insert(p);
    }
  };
  walk(v, s, []);
  return out;
}

// ---- compare ----------------------------------------------------------------------------------

export interface Comparison {
  readonly added: FieldSet;
  readonly removed: FieldSet;
  readonly modified: FieldSet;
}

/** Fields of each type that exist in Go even when the JSON omits them (computed once per type). */
const implicitFieldsOf = new WeakMap<object, readonly Field[]>();
function implicitFields(typeName: string): readonly Field[] {
  const t = schemaRegistry().type(typeName);
  let fs = implicitFieldsOf.get(t);
  if (!fs) {
    fs = [...t.fields.values()].filter((f) => implicitValue(f) !== undefined);
    implicitFieldsOf.set(t, fs);
  }
  return fs;
}

/** What a Go struct field holds when the JSON omits it: non-pointer structs exist, empty. */
function implicitValue(f: Field | undefined): unknown {
  if (!f || f.pointer) return undefined;
  if (f.schema.kind === 'object') return {};
  if (f.always && (f.schema.kind === 'list' || f.schema.kind === 'map')) return null;
  return undefined;
}

/** The fields added, removed and modified from `lhs` to `rhs`. */
export function compare(lhs: unknown, rhs: unknown, s: Schema): Comparison {
  const cmp: Comparison = {
    added: new FieldSet(),
    removed: new FieldSet(),
    modified: new FieldSet(),
  };
  const leaf = (l: unknown, r: unknown, path: Path): void => {
    if (path.length === 0) return;
    if (l === undefined) cmp.added.insert(path);
    else if (r === undefined) cmp.removed.insert(path);
    else if (!jsonEqual(l, r)) cmp.modified.insert(path);
  };
  const walk = (l: unknown, r: unknown, sch: Schema | undefined, path: Path): void => {
    if (!sch || isAtomic(sch) || (isEmptyish(l) && isEmptyish(r))) return leaf(l, r, path);
    if (sch.kind === 'list') {
      if (
        (l !== undefined && l !== null && !Array.isArray(l)) ||
        (r !== undefined && r !== null && !Array.isArray(r))
      ) {
        return leaf(l, r, path);
      }
      const li = new Map<string, unknown>();
      const ri = new Map<string, unknown>();
      const order: string[] = [];
      for (const item of (l as unknown[] | null | undefined) ?? []) {
        const pe = itemElement(sch, item, path);
        if (!li.has(pe)) {
          li.set(pe, item);
          order.push(pe);
        }
      }
      for (const item of (r as unknown[] | null | undefined) ?? []) {
        const pe = itemElement(sch, item, path);
        if (!ri.has(pe)) {
          ri.set(pe, item);
          if (!li.has(pe)) order.push(pe);
        }
      }
      for (const pe of order) walk(li.get(pe), ri.get(pe), sch.items, [...path, pe]);
    } else {
      if (
        (l !== undefined && l !== null && !isObject(l)) ||
        (r !== undefined && r !== null && !isObject(r))
      ) {
        return leaf(l, r, path);
      }
      const lo = isObject(l) ? l : {};
      const ro = isObject(r) ? r : {};
      const keys = new Set([...Object.keys(lo), ...Object.keys(ro)]);
      if (sch.kind === 'object') for (const f of implicitFields(sch.type)) keys.add(f.name);
      for (const k of keys) {
        const c = childOf(sch, k);
        const implicit = c.named ? implicitValue(c.field) : undefined;
        const lv = Object.hasOwn(lo, k) ? lo[k] : l === undefined ? undefined : implicit;
        const rv = Object.hasOwn(ro, k) ? ro[k] : r === undefined ? undefined : implicit;
        if (lv === undefined && rv === undefined) continue;
        walk(lv, rv, c.schema, [...path, fieldElement(k)]);
      }
    }
    if (path.length === 0) return;
    if (l === undefined) cmp.added.insert(path);
    else if (r === undefined) cmp.removed.insert(path);
  };
  walk(lhs, rhs, s, []);
  return cmp;
}

// ---- merge ------------------------------------------------------------------------------------

/**
 * The merged list order of structured-merge-diff: live items stay in place; the configuration's
 * items keep its order; an item only in the configuration goes right after the configuration
 * item before it.
 */
function mergeList(
  l: unknown[],
  r: unknown[],
  sch: Schema & { kind: 'list' },
  path: Path,
): unknown[] {
  const rPEs: string[] = [];
  const rVals = new Map<string, unknown>();
  for (const item of r) {
    const pe = itemElement(sch, item, path);
    if (rVals.has(pe))
      throw new TypedError(`${dotted(path)}: duplicate entries for key ${pe.slice(2)}`);
    rVals.set(pe, item);
    rPEs.push(pe);
  }
  const lPEs: string[] = [];
  const lVals = new Map<string, unknown>();
  for (const item of l) {
    const pe = itemElement(sch, item, path);
    if (lVals.has(pe)) continue;
    lVals.set(pe, item);
    lPEs.push(pe);
  }
  const shared = rPEs.filter((pe) => lVals.has(pe));
  let nextShared = 0;
  const out: unknown[] = [];
  const merged = new Set<string>();
  const emit = (pe: string): void => {
    merged.add(pe);
    const v = mergeValue(lVals.get(pe), rVals.get(pe), sch.items, [...path, pe]);
    if (v !== undefined) out.push(v);
  };
  let li = 0;
  let ri = 0;
  while (li < lPEs.length || ri < rPEs.length) {
    const lpe = lPEs[li];
    const rpe = rPEs[ri];
    if (lpe !== undefined && rpe !== undefined) {
      if (lpe === rpe) {
        emit(lpe);
        li++;
        ri++;
        nextShared++;
        continue;
      }
      if (rVals.has(lpe) && nextShared < shared.length && shared[nextShared] !== lpe) {
        li++;
        continue;
      }
    }
    if (lpe !== undefined) {
      if (!rVals.has(lpe)) {
        emit(lpe);
        li++;
        continue;
      } else if (merged.has(lpe)) {
        li++;
      }
    }
    if (rpe !== undefined) {
      emit(rpe);
      ri++;
      if (nextShared < shared.length && shared[nextShared] === rpe) nextShared++;
    }
  }
  return out;
}

function mergeValue(l: unknown, r: unknown, sch: Schema | undefined, path: Path): unknown {
  if (r === undefined) return l;
  if (l === undefined || l === null || r === null || !sch || isAtomic(sch)) return cloneJson(r);
  if (sch.kind === 'list') {
    if (!Array.isArray(l) || !Array.isArray(r)) return cloneJson(r);
    if (l.length === 0 && r.length === 0) return cloneJson(r);
    return mergeList(l, r, sch, path);
  }
  if (!isObject(l) || !isObject(r)) return cloneJson(r);
  const out: JsonObject = { ...l };
  for (const [k, v] of Object.entries(r)) {
    out[k] = mergeValue(l[k], v, childOf(sch, k).schema, [...path, fieldElement(k)]);
  }
  return out;
}

/** Drops null members (a null in an applied configuration means "absent"). */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x);
  return out;
}

/** `config` merged into `live` (neither is modified). @throws TypedError */
export function merge(live: unknown, config: unknown, s: Schema): JsonObject {
  return dropNulls(mergeValue(live ?? {}, config, s, [])) as JsonObject;
}

// ---- removal ----------------------------------------------------------------------------------

/** `v` without the fields of `set` (a member removes its whole subtree). */
export function removeItems(
  v: unknown,
  set: FieldSet,
  s: Schema | undefined,
  path: Path = [],
): unknown {
  if (set.isEmpty()) return v;
  if (Array.isArray(v) && s?.kind === 'list' && s.listType !== 'atomic') {
    const out: unknown[] = [];
    for (const item of v) {
      const pe = itemElement(s, item, path);
      if (set.members.has(pe)) continue;
      const sub = set.child(pe);
      out.push(sub ? removeItems(item, sub, s.items, [...path, pe]) : item);
    }
    return out;
  }
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    const pe = fieldElement(k);
    if (set.members.has(pe)) continue;
    const sub = set.child(pe);
    out[k] = sub ? removeItems(x, sub, childOf(s, k).schema, [...path, pe]) : x;
  }
  return out;
}

/** The set plus every prefix that ends in a named struct field (structured-merge-diff's EnsureNamedFieldsAreMembers). */
export function withNamedFields(set: FieldSet, s: Schema | undefined): FieldSet {
  const out = new FieldSet();
  for (const m of set.members) out.members.add(m);
  for (const [pe, c] of set.children) {
    let childSchema: Schema | undefined;
    if (pe.startsWith('f:')) {
      const ch = childOf(s, pe.slice(2));
      childSchema = ch.schema;
      if (ch.named) out.members.add(pe);
    } else if (s?.kind === 'list') childSchema = s.items;
    out.children.set(pe, withNamedFields(c, childSchema));
  }
  return out;
}

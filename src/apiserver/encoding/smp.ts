/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), what `kubectl apply`
 * (client-side), `edit` and `patch` send: a merge patch whose lists merge by the schema's
 * patchMergeKey (service ports by `port`, containers by `name`) and that carries directives:
 *
 * - `$patch: replace` (a map or list is replaced whole), `$patch: delete` (a map is emptied; a list
 *   element with its merge key is removed), `$patch: merge` (rejected, as kube does);
 * - `$setElementOrder/<list>`: the order of the merged list;
 * - `$deleteFromPrimitiveList/<list>`: values removed from a merged list of scalars;
 * - `$retainKeys`: keys of the map to keep (others are cleared), e.g. on volumes;
 * - `null`: removes the key.
 *
 * Semantics follow apimachinery's strategicpatch.StrategicMergeMapPatch (MergeParallelList and
 * IgnoreUnmatchedNulls on), including how merged lists are ordered: patch items in patch (or
 * $setElementOrder) order, interleaved with items only the server has, in their server order.
 */
import { ApiError, badRequest, statusOf } from '../../api/meta/status.js';
import type { Schema } from '../../api/schema/dsl.js';
import { schemaRegistry } from '../../api/schema/registry.js';
import { cloneJson, isObject, jsonEqual, type JsonObject } from '../../api/schema/walk.js';
import { goValue } from './gofmt.js';

const directive = '$patch';
const setElementOrderPrefix = '$setElementOrder/';
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList/';
const retainKeysDirective = '$retainKeys';

/** apimachinery's mergepatch errors that kube answers with 400. */
const errBadPrimitiveList = 'invalid patch format of primitive list';
const errBadRetainKeys = 'invalid patch format of retainKeys';
const errBadSetElementOrder = 'invalid patch format of setElementOrder list';

function unprocessable(message: string): ApiError {
  return new ApiError(
    statusOf(422, 'Invalid', 'the server rejected our request due to an error in our request', {
      causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }],
    }),
  );
}

interface Meta {
  /** The schema of the field's value, if known. */
  readonly schema: Schema | undefined;
  readonly strategies: readonly string[];
  readonly mergeKey: string | undefined;
}

function lookup(s: Schema | undefined, key: string): Meta {
  if (s?.kind === 'map') return { schema: s.values, strategies: [], mergeKey: undefined };
  if (s?.kind === 'object') {
    const f = schemaRegistry().type(s.type).fields.get(key);
    if (f) return { schema: f.schema, strategies: f.patchStrategy, mergeKey: f.patchMergeKey };
  }
  return { schema: undefined, strategies: [], mergeKey: undefined };
}

function itemSchema(s: Schema | undefined): Schema | undefined {
  return s?.kind === 'list' ? s.items : undefined;
}

/**
 * Removes directive-bearing maps and directive keys from a value being added as is. Returns
 * undefined when the value itself is a directive (it is then dropped).
 */
function removeDirectives(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      const y = removeDirectives(x);
      if (y !== undefined) out.push(y);
    }
    return out;
  }
  if (!isObject(v)) return v;
  if (Object.hasOwn(v, directive)) return undefined;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (
      k === retainKeysDirective ||
      k.startsWith(setElementOrderPrefix) ||
      k.startsWith(deleteFromPrimitiveListPrefix)
    ) {
      continue;
    }
    const y = removeDirectives(x);
    if (y !== undefined) out[k] = y;
  }
  return out;
}

/** IgnoreUnmatchedNulls: nulls in a value that has nothing to delete are dropped. */
function discardNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(discardNulls);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = discardNulls(x);
  return out;
}

function addAsIs(v: unknown): unknown {
  return removeDirectives(discardNulls(v));
}

type Kind = 'map' | 'list' | 'scalar';
function kindOf(v: unknown): Kind {
  return Array.isArray(v) ? 'list' : isObject(v) ? 'map' : 'scalar';
}

/** The element kind of the lists (all elements agree). @throws ApiError */
function elementKind(...lists: unknown[][]): Kind | undefined {
  let kind: Kind | undefined;
  for (const l of lists) {
    for (const x of l) {
      const k = kindOf(x);
      if (k === 'list') throw unprocessable('lists of lists are not supported');
      if (kind !== undefined && k !== kind) {
        throw badRequest(
          `expected a ${kind === 'map' ? 'map' : 'scalar'}, but received a ${k === 'map' ? 'map' : 'scalar'}`,
        );
      }
      kind = k;
    }
  }
  return kind;
}

function keyOf(item: unknown, mergeKey: string | undefined): unknown {
  return mergeKey !== undefined && isObject(item) ? item[mergeKey] : item;
}

function requireMergeKey(items: unknown[], mergeKey: string): void {
  for (const item of items) {
    if (!isObject(item) || !Object.hasOwn(item, mergeKey)) {
      throw badRequest(`map: ${goValue(item)} does not contain declared merge key: ${mergeKey}`);
    }
  }
}

/** Index of the item with the same merge key value (or the same scalar) in `list`, or -1. */
function indexIn(list: unknown[], item: unknown, mergeKey: string | undefined): number {
  const k = keyOf(item, mergeKey);
  return list.findIndex((x) => jsonEqual(keyOf(x, mergeKey), k));
}

/** Stable sort of `items` by their position in `order` (unknown positions last). */
function sortByOrder(items: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  const pos = (x: unknown): number => {
    const i = indexIn(order, x, mergeKey);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return items
    .map((x, i) => ({ x, i, p: pos(x) }))
    .sort((a, b) => a.p - b.p || a.i - b.i)
    .map((e) => e.x);
}

/**
 * Interleaves server-only items (`left`) into the patch items (`right`), keeping both relative
 * orders, a server-only item going first when the server's order puts it first.
 */
function mergeSorted(
  left: unknown[],
  right: unknown[],
  serverOrder: unknown[],
  mergeKey: string | undefined,
): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey);
      const ri = indexIn(serverOrder, right[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** Orders a merged list: items named by `patchOrder` in that order, the others in server order. */
function enforceOrder(
  merged: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string | undefined,
): unknown[] {
  if (mergeKey !== undefined) requireMergeKey([...merged, ...patchOrder], mergeKey);
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const x of merged) (indexIn(patchOrder, x, mergeKey) >= 0 ? inPatch : serverOnly).push(x);
  return mergeSorted(
    sortByOrder(serverOnly, serverOrder, mergeKey),
    sortByOrder(inPatch, patchOrder, mergeKey),
    serverOrder,
    mergeKey,
  );
}

function mergeList(
  original: unknown[],
  patch: unknown[],
  meta: Meta,
  isDeleteList: boolean,
): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);
  let merged: unknown[];
  let patchItems = patch;
  if (kind !== 'map') {
    if (isDeleteList) return original.filter((x) => !patch.some((p) => jsonEqual(p, x)));
    merged = [];
    for (const x of [...original, ...patch])
      if (!merged.some((m) => jsonEqual(m, x))) merged.push(x);
    return enforceOrder(merged, patch, original, undefined);
  }
  const mergeKey = meta.mergeKey;
  if (mergeKey === undefined) {
    throw badRequest(
      `cannot merge lists without merge key for ${meta.schema?.kind === 'list' && meta.schema.items.kind === 'object' ? meta.schema.items.type : 'list'}`,
    );
  }
  // Special elements: {$patch: delete, key: v} removes; {$patch: replace} replaces the list.
  let base = original;
  const plain: unknown[] = [];
  let replace = false;
  for (const item of patch) {
    const p = item as JsonObject;
    if (!Object.hasOwn(p, directive)) {
      plain.push(item);
      continue;
    }
    switch (p[directive]) {
      case 'delete':
        if (!Object.hasOwn(p, mergeKey)) {
          throw badRequest(`map: ${goValue(p)} does not contain declared merge key: ${mergeKey}`);
        }
        base = base.filter((x) => !(isObject(x) && jsonEqual(x[mergeKey], p[mergeKey])));
        break;
      case 'replace':
        replace = true;
        break;
      case 'merge':
        throw badRequest('merging lists cannot yet be specified in the patch');
      default:
        throw badRequest(`unknown patch type: ${goValue(p[directive])} in map: ${goValue(p)}`);
    }
  }
  if (replace) return plain.map(addAsIs);
  patchItems = plain;
  requireMergeKey(patchItems, mergeKey);
  merged = [...base];
  const itemMeta = itemSchema(meta.schema);
  for (const item of patchItems) {
    const i = indexIn(merged, item, mergeKey);
    if (i >= 0) {
      merged[i] = mergeMap(merged[i] as JsonObject, item as JsonObject, itemMeta);
    } else merged.push(addAsIs(item));
  }
  return enforceOrder(merged, patchItems, original, mergeKey);
}

function mergeListField(
  original: unknown,
  patch: unknown,
  meta: Meta,
  isDeleteList: boolean,
): unknown {
  if (meta.strategies.includes('merge') || isDeleteList) {
    return mergeList(original as unknown[], patch as unknown[], meta, isDeleteList);
  }
  return addAsIs(patch);
}

/** `$setElementOrder/<key>` lists: merge `<key>` now and order it. Deletes what it used from `patch`. */
function applySetElementOrder(
  original: JsonObject,
  patch: JsonObject,
  s: Schema | undefined,
): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(setElementOrderPrefix)) continue;
    const order = patch[key];
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- consumed directive
    delete patch[key];
    if (!Array.isArray(order)) throw badRequest(errBadSetElementOrder);
    const field = key.slice(setElementOrderPrefix.length);
    if (field === '') throw badRequest(errBadSetElementOrder);
    const meta = lookup(s, field);
    const hasOriginal = Object.hasOwn(original, field);
    const hasPatch = Object.hasOwn(patch, field);
    const originalList = original[field];
    const patchList = patch[field];
    if (hasOriginal && !Array.isArray(originalList)) throw badRequest(errBadSetElementOrder);
    if (hasPatch && !Array.isArray(patchList)) throw badRequest(errBadSetElementOrder);
    const mergeKey = meta.mergeKey;
    validateOrder(hasPatch ? (patchList as unknown[]) : [], order, mergeKey);
    let merged: unknown[];
    if (hasOriginal && hasPatch) {
      merged = mergeListField(originalList, patchList, meta, false) as unknown[];
    } else if (hasPatch) {
      merged = addAsIs(patchList) as unknown[];
    } else if (hasOriginal) {
      merged = originalList as unknown[];
    } else continue;
    const serverOrder = hasOriginal ? (originalList as unknown[]) : [];
    original[field] = enforceOrder(
      merged,
      order,
      serverOrder,
      kindOfList(merged, order) === 'map' ? mergeKey : undefined,
    );
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- consumed with its order
    delete patch[field];
  }
}

function kindOfList(...lists: unknown[][]): Kind | undefined {
  return elementKind(...lists);
}

/** The patch list's items (deletions aside) must appear in the $setElementOrder list's order. */
function validateOrder(patchList: unknown[], order: unknown[], mergeKey: string | undefined): void {
  if (patchList.length === 0 || order.length === 0) return;
  const items = patchList.filter((x) => !(isObject(x) && Object.hasOwn(x, directive)));
  let pi = 0;
  let oi = 0;
  while (pi < items.length && oi < order.length) {
    if (jsonEqual(keyOf(items[pi], mergeKey), keyOf(order[oi], mergeKey))) pi++;
    oi++;
  }
  if (pi < items.length) {
    throw badRequest(
      `The order in patch list:\n${goValue(patchList)}\n doesn't match ${setElementOrderPrefix.slice(0, -1)} list:\n${goValue(order)}\n`,
    );
  }
}

function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, retainKeysDirective)) return;
  const keep = patch[retainKeysDirective];
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- consumed directive
  delete patch[retainKeysDirective];
  if (!Array.isArray(keep)) throw badRequest(errBadRetainKeys);
  for (const [k, v] of Object.entries(patch)) {
    if (
      v === null ||
      k.startsWith(setElementOrderPrefix) ||
      k.startsWith(deleteFromPrimitiveListPrefix)
    )
      continue;
    if (!keep.includes(k)) throw badRequest(errBadRetainKeys);
  }
  for (const k of Object.keys(original)) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- $retainKeys clears the others
    if (!keep.includes(k)) delete original[k];
  }
}

/** Merges `patch` into a copy of `original` (a map of schema `s`). */
function mergeMap(
  original: JsonObject | undefined,
  patchIn: JsonObject,
  s: Schema | undefined,
): JsonObject {
  const patch: JsonObject = { ...patchIn };
  if (Object.hasOwn(patch, directive)) {
    const d = patch[directive];
    if (d === 'replace') {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- consumed directive
      delete patch[directive];
      return addAsIs(patch) as JsonObject;
    }
    if (d === 'delete') return {};
    throw badRequest(`unknown patch type: ${goValue(d)} in map: ${goValue(patchIn)}`);
  }
  const out: JsonObject = { ...(original ?? {}) };
  applyRetainKeys(out, patch);
  applySetElementOrder(out, patch, s);
  // Deletion lists first, so that a value both added and removed ends up added.
  const keys = Object.keys(patch).sort(
    (a, b) =>
      Number(!a.startsWith(deleteFromPrimitiveListPrefix)) -
      Number(!b.startsWith(deleteFromPrimitiveListPrefix)),
  );
  for (const rawKey of keys) {
    const patchV = patch[rawKey];
    let key = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(deleteFromPrimitiveListPrefix)) {
      key = rawKey.slice(deleteFromPrimitiveListPrefix.length);
      if (key === '') throw badRequest(errBadPrimitiveList);
      isDeleteList = true;
      if (!Array.isArray(patchV)) throw badRequest(errBadPrimitiveList);
    }
    if (patchV === null) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- null deletes the key
      delete out[key];
      continue;
    }
    if (!Object.hasOwn(out, key)) {
      if (!isDeleteList) {
        const v = addAsIs(patchV);
        if (v !== undefined) out[key] = v;
      }
      continue;
    }
    const cur = out[key];
    if (kindOf(cur) !== kindOf(patchV)) {
      if (!isDeleteList) {
        const v = addAsIs(patchV);
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a directive replaces the key with nothing
        if (v === undefined) delete out[key];
        else out[key] = v;
      }
      continue;
    }
    const meta = lookup(s, key);
    if (isObject(cur)) {
      out[key] = meta.strategies.includes('replace')
        ? addAsIs(patchV)
        : mergeMap(cur, patchV as JsonObject, meta.schema);
    } else if (Array.isArray(cur)) {
      out[key] = mergeListField(cur, patchV, meta, isDeleteList);
    } else {
      out[key] = cloneJson(patchV);
    }
  }
  return out;
}

/**
 * Applies a strategic merge patch to `original` (not modified) with the merge keys of the
 * object type `typeName` (e.g. `core.v1.Service`); without a type, lists are replaced.
 * @throws ApiError 400 for a malformed patch, 422 for lists of lists
 */
export function applyStrategicMergePatch(
  original: unknown,
  patch: unknown,
  typeName: string | undefined,
): unknown {
  if (!isObject(patch)) {
    throw badRequest(
      `json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch} into Go value of type map[string]interface {}`,
    );
  }
  const s: Schema | undefined = typeName ? { kind: 'object', type: typeName } : undefined;
  return mergeMap(isObject(original) ? cloneJson(original) : undefined, patch, s);
}

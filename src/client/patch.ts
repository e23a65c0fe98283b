/**
 * Patch application for the fake client (and anything else that must apply a patch client-side):
 * JSON merge patch (RFC 7386), JSON patch (RFC 6902) and an approximation of Kubernetes'
 * strategic merge patch. The API server has its own schema-driven implementation; this one knows
 * the merge keys of the fields Portico's kinds use (see `mergeKeys`) and treats every other list
 * as atomic, which is what strategic merge does for lists without a patch strategy.
 */
import { ApiError, statusOf } from '../api/meta/status.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function patchError(message: string): ApiError {
  return new ApiError(statusOf(422, 'Invalid', message));
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** RFC 7386: objects merge recursively, null deletes, everything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) Reflect.deleteProperty(out, k);
    else out[k] = applyMergePatch(out[k], v) as Json;
  }
  return out;
}

// ---- RFC 6902 ----------------------------------------------------------------------------------

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw patchError(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(arr: readonly unknown[], token: string, forInsert: boolean): number {
  if (forInsert && token === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token))
    throw patchError(`invalid array index ${JSON.stringify(token)}`);
  const i = Number(token);
  if (i > arr.length || (!forInsert && i === arr.length))
    throw patchError(`array index ${i} out of bounds`);
  return i;
}

/** The container holding the last token of the path, and that token. */
function locate(doc: Json, path: string[]): { parent: Json; token: string } {
  let cur: Json = doc;
  for (const token of path.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, token, false)] as Json;
    else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, token))
      cur = cur[token] as Json;
    else throw patchError(`path /${path.join('/')} does not exist`);
  }
  return { parent: cur, token: path[path.length - 1] ?? '' };
}

function getAt(doc: Json, path: string[]): Json {
  if (path.length === 0) return doc;
  const { parent, token } = locate(doc, path);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, token, false)] as Json;
  if (isObject(parent) && Object.prototype.hasOwnProperty.call(parent, token))
    return parent[token] as Json;
  throw patchError(`path /${path.join('/')} does not exist`);
}

function addAt(doc: Json, path: string[], value: Json): Json {
  if (path.length === 0) return value;
  const { parent, token } = locate(doc, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, token, true), 0, value);
  else if (isObject(parent)) parent[token] = value;
  else throw patchError(`cannot add to a scalar at /${path.join('/')}`);
  return doc;
}

function removeAt(doc: Json, path: string[]): Json {
  if (path.length === 0) throw patchError('cannot remove the whole document');
  const { parent, token } = locate(doc, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, token, false), 1);
  else if (isObject(parent) && Object.prototype.hasOwnProperty.call(parent, token))
    Reflect.deleteProperty(parent, token);
  else throw patchError(`path /${path.join('/')} does not exist`);
  return doc;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** RFC 6902. @throws ApiError 422 when an operation fails (including a failed `test`). */
export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw patchError('a JSON patch must be an array of operations');
  let doc = clone(target) as Json;
  for (const raw of patch) {
    if (!isObject(raw) || typeof raw['op'] !== 'string' || typeof raw['path'] !== 'string')
      throw patchError(`invalid JSON patch operation ${JSON.stringify(raw)}`);
    const op = raw['op'];
    const path = parsePointer(raw['path']);
    const from = () => {
      if (typeof raw['from'] !== 'string') throw patchError(`${op} needs "from"`);
      return parsePointer(raw['from']);
    };
    const value = (): Json => {
      if (!('value' in raw)) throw patchError(`${op} needs "value"`);
      return clone(raw['value']);
    };
    switch (op) {
      case 'add':
        doc = addAt(doc, path, value());
        break;
      case 'remove':
        doc = removeAt(doc, path);
        break;
      case 'replace':
        getAt(doc, path);
        doc = path.length === 0 ? value() : addAt(removeAt(doc, path), path, value());
        break;
      case 'move': {
        const f = from();
        const v = getAt(doc, f);
        doc = addAt(removeAt(doc, f), path, v);
        break;
      }
      case 'copy':
        doc = addAt(doc, path, clone(getAt(doc, from())));
        break;
      case 'test':
        if (!jsonEqual(getAt(doc, path), raw['value']))
          throw patchError(`test operation failed at ${raw['path']}`);
        break;
      default:
        throw patchError(`unknown JSON patch operation ${JSON.stringify(op)}`);
    }
  }
  return doc;
}

// ---- strategic merge patch ---------------------------------------------------------------------

/** Lists merged by key (patchMergeKey in k8s.io/api), by field name. */
const mergeKeys: Readonly<Record<string, readonly string[]>> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  volumes: ['name'],
  env: ['name'],
  imagePullSecrets: ['name'],
  volumeMounts: ['mountPath'],
  // Container ports merge on containerPort, Service ports on port.
  ports: ['containerPort', 'port'],
  conditions: ['type'],
  addresses: ['type'],
  ownerReferences: ['uid'],
  taints: ['key'],
  hostAliases: ['ip'],
  topologySpreadConstraints: ['topologyKey'],
};
/** Primitive lists with patchStrategy "merge": set union. */
const mergedPrimitiveLists = new Set(['finalizers']);

function keyOf(item: Json, keys: readonly string[]): string | undefined {
  if (!isObject(item)) return undefined;
  for (const k of keys) if (k in item) return `${k}=${JSON.stringify(item[k])}`;
  return undefined;
}

function mergeList(field: string, target: Json | undefined, patch: Json[]): Json {
  const keys = mergeKeys[field];
  const current = Array.isArray(target) ? clone(target) : [];
  if (patch.some((p) => isObject(p) && p['$patch'] === 'replace'))
    return patch.filter((p) => !(isObject(p) && p['$patch'] === 'replace'));
  if (mergedPrimitiveLists.has(field)) {
    for (const p of patch) if (!current.some((c) => jsonEqual(c, p))) current.push(clone(p));
    return current;
  }
  if (!keys || !patch.every((p) => keyOf(p, keys) !== undefined)) return clone(patch);
  for (const p of patch) {
    const k = keyOf(p, keys);
    const i = current.findIndex((c) => keyOf(c, keys) === k);
    if (isObject(p) && p['$patch'] === 'delete') {
      if (i >= 0) current.splice(i, 1);
    } else if (i >= 0) current[i] = strategicMerge(current[i], p);
    else current.push(strategicMerge(undefined, p));
  }
  return current;
}

function strategicMerge(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch['$patch'] === 'replace') {
    const { $patch: _directive, ...rest } = patch;
    return clone(rest);
  }
  if (patch['$patch'] === 'delete') return null;
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v))
        out[field] = cur.filter((c) => !v.some((d) => jsonEqual(c, d)));
      continue;
    }
    if (v === null) Reflect.deleteProperty(out, k);
    else if (Array.isArray(v)) out[k] = mergeList(k, out[k], v);
    else {
      const merged = strategicMerge(out[k], v);
      if (merged === null && isObject(v)) Reflect.deleteProperty(out, k);
      else out[k] = merged;
    }
  }
  return out;
}

/**
 * Strategic merge patch with the merge keys of the common Kubernetes fields, `$patch:
 * replace|delete`, `$deleteFromPrimitiveList/…`; `$setElementOrder` and `$retainKeys` are ignored.
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) throw patchError('a strategic merge patch must be a JSON object');
  return strategicMerge(clone(target) as Json, patch);
}

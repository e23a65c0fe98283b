/**
 * JSON patch (RFC 6902: add, remove, replace, move, copy, test) with the semantics and messages
 * of evanphx/json-patch v4, the library kube-apiserver applies `application/json-patch+json`
 * with: negative array indices count from the end, `test` of a missing path against null passes.
 * kube answers a patch that does not decode with 400 and one that does not apply with 422.
 */
import { ApiError, badRequest, requestEntityTooLarge, statusOf } from '../../api/meta/status.js';
import { cloneJson, isObject, jsonEqual, type JsonObject } from '../../api/schema/walk.js';

/** kube-apiserver's limit on operations in one JSON patch. */
export const maxJsonPatchOperations = 10000;

/** A JSON patch operation that does not apply (kube: 422 Invalid). */
class OpError extends Error {}

interface Op {
  readonly op: string;
  readonly path?: string;
  readonly from?: string;
  readonly value?: unknown;
  readonly hasValue: boolean;
}

/** 422 as kube's NewGenericServerResponse builds it, with the library's reason as a cause. */
function notApplicable(message: string): ApiError {
  const s = statusOf(
    422,
    'Invalid',
    'the server rejected our request due to an error in our request',
    {
      causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }],
    },
  );
  return new ApiError(s);
}

/** Validates the shape of a JSON patch document. @throws ApiError 400, 413 */
export function decodeJsonPatch(patch: unknown): Op[] {
  if (!Array.isArray(patch)) {
    throw badRequest(
      `json: cannot unmarshal ${isObject(patch) ? 'object' : typeof patch} into Go value of type jsonpatch.Patch`,
    );
  }
  if (patch.length > maxJsonPatchOperations) {
    throw requestEntityTooLarge(
      `The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${patch.length}`,
    );
  }
  return patch.map((raw): Op => {
    if (!isObject(raw)) {
      throw badRequest(
        `json: cannot unmarshal ${typeof raw} into Go value of type jsonpatch.Operation`,
      );
    }
    const op = raw['op'];
    const path = raw['path'];
    const from = raw['from'];
    return {
      op: typeof op === 'string' ? op : 'unknown',
      ...(typeof path === 'string' ? { path } : {}),
      ...(typeof from === 'string' ? { from } : {}),
      value: raw['value'],
      hasValue: Object.hasOwn(raw, 'value'),
    };
  });
}

function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw new OpError(`JSON pointer must be empty or start with a "/": ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The container holding the last token of `pointer`, and that token. */
function parent(doc: unknown, pointer: string): { container: unknown; key: string } | undefined {
  const t = tokens(pointer);
  const key = t.pop();
  if (key === undefined) return undefined;
  let cur: unknown = doc;
  for (const k of t) {
    if (Array.isArray(cur)) {
      const i = arrayIndex(k, cur.length, false);
      cur = cur[i];
    } else if (isObject(cur)) {
      if (!Object.hasOwn(cur, k)) return undefined;
      cur = cur[k];
    } else return undefined;
  }
  return isObject(cur) || Array.isArray(cur) ? { container: cur, key } : undefined;
}

function arrayIndex(key: string, length: number, forInsert: boolean): number {
  if (!/^-?\d+$/.test(key)) throw new OpError(`value was not a proper array index: '${key}'`);
  let i = Number(key);
  const max = forInsert ? length : length - 1;
  if (i < -length)
    throw new OpError(`Unable to access invalid index: ${i}: invalid index referenced`);
  if (i < 0) i += length;
  if (i > max) throw new OpError(`Unable to access invalid index: ${i}: invalid index referenced`);
  return i;
}

function get(doc: unknown, pointer: string): { found: boolean; value: unknown } {
  if (pointer === '') return { found: true, value: doc };
  const p = parent(doc, pointer);
  if (!p) return { found: false, value: undefined };
  if (Array.isArray(p.container)) {
    const i = arrayIndex(p.key, p.container.length, false);
    return { found: true, value: p.container[i] };
  }
  const o = p.container as JsonObject;
  return Object.hasOwn(o, p.key)
    ? { found: true, value: o[p.key] }
    : { found: false, value: undefined };
}

function add(doc: unknown, pointer: string, value: unknown): unknown {
  if (pointer === '') return value;
  const p = parent(doc, pointer);
  if (!p)
    throw new OpError(
      `add operation does not apply: doc is missing path: "${pointer}": missing value`,
    );
  if (Array.isArray(p.container)) {
    const i = p.key === '-' ? p.container.length : arrayIndex(p.key, p.container.length, true);
    p.container.splice(i, 0, value);
  } else (p.container as JsonObject)[p.key] = value;
  return doc;
}

function remove(doc: unknown, pointer: string, what = 'remove'): unknown {
  const p = parent(doc, pointer);
  if (!p)
    throw new OpError(
      `${what} operation does not apply: doc is missing path: "${pointer}": missing value`,
    );
  if (Array.isArray(p.container)) {
    p.container.splice(arrayIndex(p.key, p.container.length, false), 1);
  } else {
    const o = p.container as JsonObject;
    if (!Object.hasOwn(o, p.key))
      throw new OpError(`Unable to remove nonexistent key: ${p.key}: missing value`);
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the patch names the key
    delete o[p.key];
  }
  return doc;
}

function applyOp(doc: unknown, op: Op): unknown {
  const path = op.path;
  if (path === undefined) throw new OpError('operation missing path field: missing value');
  const needValue = (): unknown => {
    if (!op.hasValue) throw new OpError('operation, missing value field: missing value');
    return cloneJson(op.value);
  };
  switch (op.op) {
    case 'add':
      return add(doc, path, needValue());
    case 'remove':
      return remove(doc, path);
    case 'replace': {
      const value = needValue();
      if (path === '') return value;
      const p = parent(doc, path);
      if (!p)
        throw new OpError(
          `replace operation does not apply: doc is missing path: ${path}: missing value`,
        );
      if (Array.isArray(p.container)) {
        p.container[arrayIndex(p.key, p.container.length, false)] = value;
      } else {
        const o = p.container as JsonObject;
        if (!Object.hasOwn(o, p.key)) {
          throw new OpError(
            `replace operation does not apply: doc is missing key: ${path}: missing value`,
          );
        }
        o[p.key] = value;
      }
      return doc;
    }
    case 'move':
    case 'copy': {
      if (op.from === undefined) throw new OpError(`operation, missing from field: missing value`);
      const src = get(doc, op.from);
      if (!src.found) {
        throw new OpError(
          `${op.op} operation does not apply: doc is missing from path: ${op.from}: missing value`,
        );
      }
      if (op.op === 'move') {
        if (path.startsWith(`${op.from}/`))
          throw new OpError(`move operation cannot move a value into itself: ${path}`);
        remove(doc, op.from, 'move');
        return add(doc, path, src.value);
      }
      return add(doc, path, cloneJson(src.value));
    }
    case 'test': {
      const want = op.hasValue ? op.value : null;
      const cur = get(doc, path);
      if (!cur.found) {
        if (want === null || want === undefined) return doc;
        throw new OpError(`testing value ${path} failed: test failed`);
      }
      if (!jsonEqual(cur.value, want))
        throw new OpError(`testing value ${path} failed: test failed`);
      return doc;
    }
    default:
      throw new OpError(`Unexpected kind: ${op.op}`);
  }
}

/**
 * Applies a JSON patch to a copy of `doc`.
 * @throws ApiError 400 for a patch that is not a list of operations, 413 past 10,000 operations,
 *   422 for an operation that does not apply (a failed `test` included).
 */
export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  const ops = decodeJsonPatch(patch);
  let out = cloneJson(doc);
  for (const op of ops) {
    try {
      out = applyOp(out, op);
    } catch (e) {
      if (e instanceof OpError) throw notApplicable(e.message);
      throw e;
    }
  }
  return out;
}

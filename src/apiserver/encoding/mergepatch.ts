/**
 * JSON merge patch (RFC 7386, `application/merge-patch+json`): objects merge key by key, `null`
 * removes a key, anything else (lists included) replaces. kube answers a patch that is not a JSON
 * object with 400 `Invalid JSON Patch` (evanphx/json-patch's ErrBadJSONPatch).
 */
import { badRequest } from '../../api/meta/status.js';
import { cloneJson, isObject, type JsonObject } from '../../api/schema/walk.js';

/** Copies `v` without the null members of its objects (RFC 7386 §2: nulls in added values vanish). */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = withoutNulls(x);
  return out;
}

function merge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return cloneJson(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a merge patch names the keys it removes
      delete out[k];
    } else if (isObject(v)) {
      out[k] = Object.hasOwn(out, k) ? merge(out[k], v) : withoutNulls(v);
    } else {
      out[k] = cloneJson(v);
    }
  }
  return out;
}

/** Applies a merge patch to `doc` (not modified). @throws ApiError 400 for a patch that is not an object */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (!isObject(patch)) throw badRequest('Invalid JSON Patch');
  return merge(doc, patch);
}

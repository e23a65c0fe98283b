/**
 * PATCH bodies: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch
 * with the list merge keys of the kind's schema. Server-side apply is in apply.ts.
 */
import { unsupportedMediaType } from '../../api/meta/status.js';
import type { KubeObject } from '../../api/meta/types.js';
import { kindSchema } from '../../api/schema/registry.js';
import { mediaTypeOf, mediaTypes } from './decode.js';
import { applyJsonPatch } from './jsonpatch.js';
import { applyMergePatch } from './mergepatch.js';
import { applyStrategicMergePatch } from './smp.js';
import type { KindRef } from './strict.js';

export type PatchKind = 'json' | 'merge' | 'strategic';

/** The patch kind of a PATCH request's Content-Type (`apply` for server-side apply). @throws ApiError 415 */
export function patchKindOf(contentType: string | undefined): PatchKind | 'apply' {
  const t = mediaTypeOf(contentType);
  switch (t) {
    case mediaTypes.jsonPatch:
      return 'json';
    case mediaTypes.mergePatch:
      return 'merge';
    case mediaTypes.strategicMergePatch:
      return 'strategic';
    case mediaTypes.applyPatch:
      return 'apply';
    default:
      throw unsupportedMediaType(t);
  }
}

/**
 * Applies a decoded patch body to a copy of `current` (which is not modified). The result may
 * carry unknown fields or wrong types: run the strict checks on it.
 * @throws ApiError 400 for a malformed patch, 413 for too many JSON patch operations, 422 for a
 *   JSON patch that does not apply
 */
export function applyPatch(
  kind: PatchKind,
  current: KubeObject,
  patch: unknown,
  rt: KindRef,
): KubeObject {
  switch (kind) {
    case 'json':
      return applyJsonPatch(current, patch) as KubeObject;
    case 'merge':
      return applyMergePatch(current, patch) as KubeObject;
    case 'strategic':
      return applyStrategicMergePatch(current, patch, kindSchema(rt)?.name) as KubeObject;
  }
}

/**
 * PATCH bodies: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch
 * with the list merge keys of the built-in kinds. (Stub until the encoding work lands: merge
 * patch only.)
 */
import { unsupportedMediaType } from '../../api/meta/status.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { ResourceType } from '../../api/scheme.js';

export type PatchKind = 'json' | 'merge' | 'strategic';

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a merge patch names the keys it removes
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Applies a patch to a copy of `current`. @throws ApiError 400/422 for a patch that does not apply. */
export function applyPatch(
  kind: PatchKind,
  current: KubeObject,
  patch: unknown,
  _rt: ResourceType,
): KubeObject {
  if (kind === 'merge') return mergePatch(current, patch) as KubeObject;
  throw unsupportedMediaType(
    `application/${kind === 'json' ? 'json-patch+json' : 'strategic-merge-patch+json'}`,
  );
}

/**
 * Server-side apply (`application/apply-patch+yaml`): merges the applied configuration into the
 * live object, records field ownership in managedFields, and answers 409 Conflict when another
 * manager owns a changed field and `force` is false. (Stub until the encoding work lands:
 * a plain merge without ownership.)
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { ResourceType } from '../../api/scheme.js';
import { applyPatch } from './patch.js';

export interface ApplyOptions {
  readonly manager: string;
  readonly force: boolean;
  readonly now: string;
  readonly subresource?: string;
}

/** The object after applying `applied` (undefined current = create). @throws ApiError 409 on conflicts */
export function serverSideApply(
  current: KubeObject | undefined,
  applied: KubeObject,
  rt: ResourceType,
  _options: ApplyOptions,
): KubeObject {
  if (!current) return applied;
  return applyPatch('merge', current, applied, rt);
}

/**
 * managedFields bookkeeping for ordinary writes (operation Update), so that `kubectl get
 * --show-managed-fields` and later server-side applies see who set what. (Stub until the
 * encoding work lands: no bookkeeping.)
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { ResourceType } from '../../api/scheme.js';

export interface UpdateManagedFieldsOptions {
  readonly manager: string;
  readonly now: string;
  readonly subresource?: string;
}

/** Updates `updated.metadata.managedFields` in place for a create (old undefined) or update. */
export function updateManagedFields(
  _rt: ResourceType,
  _old: KubeObject | undefined,
  _updated: KubeObject,
  _options: UpdateManagedFieldsOptions,
): void {}

/**
 * The one place where storage errors become API errors (style guide §4.4): key exists → 409
 * AlreadyExists, revision mismatch → 409 Conflict, missing → 404 NotFound, compacted → 410
 * Expired (clients relist). Anything else passes through unchanged.
 */
import {
  alreadyExists,
  conflict,
  expired,
  notFound,
  objectModified,
  type GroupResource,
} from '../../api/meta/status.js';
import {
  CompactedError,
  ConflictError,
  KeyExistsError,
  KeyNotFoundError,
} from '../../storage/store.js';

export function translateStoreError(err: unknown, gr: GroupResource, name: string): unknown {
  if (err instanceof KeyExistsError) return alreadyExists(gr, name);
  if (err instanceof KeyNotFoundError) return notFound(gr, name);
  if (err instanceof ConflictError) return conflict(gr, name, objectModified);
  if (err instanceof CompactedError)
    return expired(`The resourceVersion for the provided list is too old.`);
  return err;
}

/** Runs a store call, translating its errors. */
export async function storeCall<T>(
  gr: GroupResource,
  name: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw translateStoreError(e, gr, name);
  }
}

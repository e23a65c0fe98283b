/** Narrowing of API errors the controllers act on. */
import { isApiError } from '../../api/meta/status.js';

/** 404 NotFound: the object is gone (a delete or read that lost a race). */
export const isNotFound = (e: unknown): boolean => isApiError(e, 'NotFound');
/** 409 Conflict: a write from a stale resourceVersion; retried after the cache catches up. */
export const isConflict = (e: unknown): boolean => isApiError(e, 'Conflict');
/** 409 AlreadyExists. */
export const isAlreadyExists = (e: unknown): boolean => isApiError(e, 'AlreadyExists');

/**
 * A create refused because the namespace is being deleted (403 with cause NamespaceTerminating):
 * creates will keep failing, so the controller drops the work instead of retrying.
 */
export function isNamespaceTerminating(e: unknown): boolean {
  if (!isApiError(e)) return false;
  return (e.status.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

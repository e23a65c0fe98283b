/**
 * Errors a Client raises. Answers from the server are ApiError (src/api/meta/status.ts) carrying
 * the server's Status; callers branch on `reason`. Failures to reach the server at all are
 * ClientError with an `E_CLIENT_*` code.
 */
import { PorticoError } from '../lib/errors.js';
import { ApiError, isApiError } from '../api/meta/status.js';

export { ApiError, isApiError };

export type ClientErrorCode =
  /** TCP connect failed (refused, unreachable, DNS). */
  | 'E_CLIENT_UNREACHABLE'
  /** No response (or no progress) within the request timeout. */
  | 'E_CLIENT_TIMEOUT'
  /** The connection dropped or TLS failed after connecting. */
  | 'E_CLIENT_TRANSPORT'
  /** The server answered something that is not the JSON we asked for. */
  | 'E_CLIENT_DECODE'
  /** The request cannot be built (missing namespace or name, bad kubeconfig). */
  | 'E_CLIENT_REQUEST'
  /** No usable kubeconfig or in-cluster configuration. */
  | 'E_CLIENT_CONFIG';

/** A request that never got an API answer. */
export class ClientError extends PorticoError {
  declare readonly code: ClientErrorCode;
}

export const isNotFound = (e: unknown): boolean => isApiError(e, 'NotFound');
export const isAlreadyExists = (e: unknown): boolean => isApiError(e, 'AlreadyExists');
export const isConflict = (e: unknown): boolean => isApiError(e, 'Conflict');
export const isInvalid = (e: unknown): boolean => isApiError(e, 'Invalid');

/** 410: the resourceVersion asked for was compacted; the caller must relist. */
export function isExpired(e: unknown): boolean {
  return (
    e instanceof ApiError && (e.httpStatus === 410 || e.reason === 'Expired' || e.reason === 'Gone')
  );
}

/** Errors worth retrying unchanged: 429, 5xx, timeouts and transport failures. */
export function isRetryable(e: unknown): boolean {
  if (e instanceof ClientError)
    return e.code !== 'E_CLIENT_REQUEST' && e.code !== 'E_CLIENT_CONFIG';
  if (e instanceof ApiError) return e.httpStatus === 429 || e.httpStatus >= 500;
  return false;
}

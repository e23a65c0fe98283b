/**
 * API errors as meta/v1 Status objects, with the HTTP codes, reasons and messages of
 * apimachinery's `api/errors`. The API server throws these; the client parses them back; kubectl
 * prints `Error from server (<reason>): <message>`.
 */
import { PorticoError } from '../../lib/errors.js';
import { fieldErrorMessage, toCause, type FieldError } from './fielderrors.js';
import type { Status, StatusCause, StatusDetails, StatusReason } from './types.js';

/** An API error carrying the Status the server sends (or sent). */
export class ApiError extends PorticoError {
  readonly status: Status;
  constructor(status: Status) {
    super(
      `E_API_${(status.reason || 'Unknown').toUpperCase()}`,
      status.message ?? `HTTP ${status.code}`,
    );
    this.status = status;
  }
  get httpStatus(): number {
    return this.status.code;
  }
  get reason(): StatusReason | undefined {
    return this.status.reason;
  }
}

/** Resource plus group, as errors name it: `services`, `deployments.apps`. */
export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

function qualified(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

export function statusOf(
  code: number,
  reason: StatusReason,
  message: string,
  details?: StatusDetails,
): Status {
  const s: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details) s.details = details;
  return s;
}

function err(
  code: number,
  reason: StatusReason,
  message: string,
  details?: StatusDetails,
): ApiError {
  return new ApiError(statusOf(code, reason, message, details));
}

export function isApiError(e: unknown, reason?: StatusReason): e is ApiError {
  return e instanceof ApiError && (reason === undefined || e.reason === reason);
}

export const notFound = (gr: GroupResource, name: string): ApiError =>
  err(404, 'NotFound', `${qualified(gr)} "${name}" not found`, {
    name,
    group: gr.group,
    kind: gr.resource,
  });

export const alreadyExists = (gr: GroupResource, name: string): ApiError =>
  err(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, {
    name,
    group: gr.group,
    kind: gr.resource,
  });

export const conflict = (gr: GroupResource, name: string, detail: string): ApiError =>
  err(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${detail}`, {
    name,
    group: gr.group,
    kind: gr.resource,
  });

/** The message of a stale resourceVersion on update. */
export const objectModified =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 422 Invalid: `Service "x" is invalid: [spec.ports[0].name: Required value, …]`. */
export function invalid(
  group: string,
  kind: string,
  name: string,
  errors: readonly FieldError[],
): ApiError {
  // Identical messages appear once, as in apimachinery's ErrorList.ToAggregate (causes keep all).
  const msgs = [...new Set(errors.map(fieldErrorMessage))];
  const joined = msgs.length === 1 ? (msgs[0] ?? '') : `[${msgs.join(', ')}]`;
  const causes: StatusCause[] = errors.map(toCause);
  const qualifiedKind = group === '' ? kind : `${kind}.${group}`;
  return err(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${joined}`, {
    name,
    group,
    kind,
    causes,
  });
}

export const badRequest = (message: string, causes?: StatusCause[]): ApiError =>
  err(400, 'BadRequest', message, causes ? { causes } : undefined);
export const unauthorized = (message = 'Unauthorized'): ApiError =>
  err(401, 'Unauthorized', message);
export const forbidden = (gr: GroupResource, name: string, message: string): ApiError =>
  err(403, 'Forbidden', `${qualified(gr)} "${name}" is forbidden: ${message}`, {
    name,
    group: gr.group,
    kind: gr.resource,
  });
export const methodNotSupported = (gr: GroupResource, action: string): ApiError =>
  err(
    405,
    'MethodNotAllowed',
    `${action} is not supported on resources of kind "${qualified(gr)}"`,
    {
      group: gr.group,
      kind: gr.resource,
    },
  );
export const notAcceptable = (message: string): ApiError => err(406, 'NotAcceptable', message);
/** 410 Expired: what a watch or list from a compacted resourceVersion gets; clients relist. */
export const expired = (message: string): ApiError => err(410, 'Expired', message);
export const gone = (message: string): ApiError => err(410, 'Gone', message);
export const requestEntityTooLarge = (message: string): ApiError =>
  err(413, 'RequestEntityTooLarge', message);
export const unsupportedMediaType = (contentType: string): ApiError =>
  err(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`,
    {
      causes: [{ reason: 'UnsupportedMediaType', message: contentType }],
    },
  );
export const tooManyRequests = (message: string, retryAfterSeconds: number): ApiError =>
  err(429, 'TooManyRequests', message, { retryAfterSeconds });
export const internal = (message: string): ApiError =>
  err(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
export const serviceUnavailable = (message: string): ApiError =>
  err(503, 'ServiceUnavailable', message);

/** Status{status: Success} as returned by some deletes. */
export function successStatus(details?: StatusDetails): Status {
  const s: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    code: 200,
  };
  if (details) s.details = details;
  return s;
}

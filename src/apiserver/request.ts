/**
 * The API server's request and response model. server.ts turns sockets into an ApiRequest and
 * writes an ApiResponse back; everything in between (handler.ts, verbs/) is plain functions of
 * these values, testable without sockets.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, internal } from '../api/meta/status.js';
import type { Status } from '../api/meta/types.js';

/** Who made a request (kube's user.Info). */
export interface UserInfo {
  readonly name: string;
  readonly groups: readonly string[];
}

/** The TLS client certificate a request came with, as the socket saw it. */
export interface ClientCertificate {
  /** True when the chain verified against the cluster CA. */
  readonly authorized: boolean;
  readonly commonName: string;
  readonly organizations: readonly string[];
}

export interface ApiRequest {
  readonly method: string;
  /** The path without the query, percent-encoded as received. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The whole body (the server enforces the size limit before the handler runs). */
  readonly body: Buffer;
  readonly clientCertificate?: ClientCertificate;
  /** Aborts when the client goes away; long responses (watch, logs) stop on it. */
  readonly signal: AbortSignal;
  /** The peer address, for logs. */
  readonly remoteAddress?: string;
}

export type ResponseHeaders = Record<string, string | string[]>;

/** A complete response. */
export interface BodyResponse {
  readonly kind: 'body';
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly body: string | Buffer;
}

/** A streamed response (watch, follow logs, proxied bodies): chunks are written as they come. */
export interface StreamResponse {
  readonly kind: 'stream';
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly stream: AsyncIterable<string | Buffer>;
}

export type ApiResponse = BodyResponse | StreamResponse;

/** A JSON response; `warnings` become `Warning: 299 - "…"` headers. */
export function jsonResponse(
  status: number,
  body: unknown,
  options: { headers?: ResponseHeaders; warnings?: readonly string[]; contentType?: string } = {},
): BodyResponse {
  const headers: ResponseHeaders = {
    'content-type': options.contentType ?? 'application/json',
    ...options.headers,
  };
  if (options.warnings && options.warnings.length > 0)
    headers['warning'] = options.warnings.map(warningHeader);
  return {
    kind: 'body',
    status,
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

export function textResponse(
  status: number,
  body: string,
  contentType = 'text/plain',
): BodyResponse {
  return {
    kind: 'body',
    status,
    headers: { 'content-type': `${contentType}; charset=utf-8` },
    body,
  };
}

/**
 * One `Warning` header value (RFC 7234 §5.5 form, as kube-apiserver sends it). kubectl drops a
 * warning whose text is not a correctly quoted and escaped string.
 */
export function warningHeader(text: string): string {
  return `299 - "${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The Status body of an error; unknown errors become 500 InternalError. */
export function statusOfError(err: unknown): Status {
  if (err instanceof ApiError) return err.status;
  return internal(err instanceof Error ? err.message : String(err)).status;
}

/** The response for an error. */
export function errorResponse(err: unknown, warnings?: readonly string[]): BodyResponse {
  const status = statusOfError(err);
  const headers: ResponseHeaders = {};
  const retry = status.details?.retryAfterSeconds;
  if (retry !== undefined) headers['retry-after'] = String(retry);
  return jsonResponse(status.code, status, warnings ? { headers, warnings } : { headers });
}

/** The first value of a header. */
export function header(req: Pick<ApiRequest, 'headers'>, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

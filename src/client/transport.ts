/**
 * The HTTP(S) layer under HttpClient: one keep-alive agent per client carrying the TLS settings
 * of a RestConfig, authentication headers (token files re-read every minute, as client-go does
 * for projected service-account tokens), timeouts, and network failures turned into ClientErrors
 * that say which server could not be reached and what to check.
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { ApiError, statusOf } from '../api/meta/status.js';
import type { Status, StatusReason } from '../api/meta/types.js';
import { isAbortError } from '../lib/errors.js';
import { ClientError } from './errors.js';
import type { RestConfig } from './kubeconfig.js';

export interface Exchange {
  readonly method: string;
  /** Path below the server URL, starting with `/`. */
  readonly path: string;
  readonly query?: URLSearchParams;
  readonly body?: Buffer;
  readonly contentType?: string;
  readonly accept?: string;
  readonly signal?: AbortSignal | undefined;
  /** Time allowed until the response headers (streaming) or the whole body (otherwise). */
  readonly timeoutMs: number;
}

export interface Response {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly message: http.IncomingMessage;
}

const tokenRereadMs = 60_000;

const reasonByCode: Readonly<Record<number, StatusReason>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** Messages apimachinery uses when a response carries no Status (`errors.NewGenericServerResponse`). */
const genericMessage: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  403: 'forbidden',
  404: 'the server could not find the requested resource',
  409: 'the server reported a conflict',
  429: 'the server has received too many requests and has asked us to try again later',
  500: 'an error on the server has prevented the request from succeeding',
  503: 'the server is currently unable to handle the request',
  504: 'the server was unable to return a response in the time allotted, but may still be processing the request',
};

function isStatus(v: unknown): v is Status {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as { kind?: unknown }).kind === 'Status' &&
    typeof (v as { code?: unknown }).code === 'number'
  );
}

/** The ApiError for an HTTP error response: its Status, or one built from the code and body. */
export function errorFromResponse(code: number, body: Buffer, retryAfter?: string): ApiError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (isStatus(parsed)) {
    const s: Status = { ...parsed, metadata: parsed.metadata ?? {} };
    if (s.code === 0) s.code = code;
    return new ApiError(s);
  }
  const text = body.toString('utf8').trim();
  const reason = reasonByCode[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest');
  const base = genericMessage[code] ?? `the server responded with HTTP ${code}`;
  const message = text !== '' && text.length < 1000 ? `${base} (${text})` : base;
  const seconds = retryAfter !== undefined ? Number(retryAfter) : NaN;
  return new ApiError(
    statusOf(
      code,
      reason,
      message,
      Number.isFinite(seconds) ? { retryAfterSeconds: seconds } : undefined,
    ),
  );
}

const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EADDRNOTAVAIL',
]);

export class Transport {
  readonly #config: RestConfig;
  readonly #base: URL;
  readonly #agent: http.Agent;
  readonly #userAgent: string;
  #token: string | undefined;
  #tokenReadAt = 0;

  constructor(options: { readonly config: RestConfig; readonly userAgent: string }) {
    this.#config = options.config;
    this.#base = new URL(options.config.server);
    this.#userAgent = options.userAgent;
    this.#token = options.config.token;
    this.#tokenReadAt = Date.now();
    const c = options.config;
    this.#agent =
      this.#base.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            ...(c.caData ? { ca: c.caData } : {}),
            ...(c.certData ? { cert: c.certData } : {}),
            ...(c.keyData ? { key: c.keyData } : {}),
            ...(c.tlsServerName ? { servername: c.tlsServerName } : {}),
            rejectUnauthorized: !c.insecureSkipTLSVerify,
          })
        : new http.Agent({ keepAlive: true });
  }

  get server(): string {
    return this.#config.server;
  }

  /** Closes idle keep-alive sockets; open requests finish. */
  close(): void {
    this.#agent.destroy();
  }

  #authorization(): string | undefined {
    const c = this.#config;
    if (c.tokenFile !== undefined && Date.now() - this.#tokenReadAt > tokenRereadMs) {
      try {
        this.#token = readFileSync(c.tokenFile, 'utf8').trim();
      } catch {
        // Keep the token we have; the server will say 401 if it has expired.
      }
      this.#tokenReadAt = Date.now();
    }
    if (this.#token !== undefined && this.#token !== '') return `Bearer ${this.#token}`;
    if (c.username !== undefined)
      return `Basic ${Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64')}`;
    return undefined;
  }

  url(path: string, query?: URLSearchParams): URL {
    const u = new URL(this.#base.href);
    u.pathname = this.#base.pathname.replace(/\/+$/, '') + path;
    u.search = query && query.size > 0 ? `?${query.toString()}` : '';
    return u;
  }

  /**
   * Sends a request and resolves with the response once its headers arrive; `finish` must be
   * called when done with the body (it clears the timer and the abort listener).
   * @throws ClientError (unreachable, timeout, transport) or the signal's AbortError.
   */
  open(ex: Exchange): Promise<{ response: Response; finish: () => void; timedOut: () => boolean }> {
    const url = this.url(ex.path, ex.query);
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, ex.timeoutMs);
    const onAbort = (): void => ac.abort();
    ex.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (): void => {
      clearTimeout(timer);
      ex.signal?.removeEventListener('abort', onAbort);
    };
    if (ex.signal?.aborted) ac.abort();
    const headers: http.OutgoingHttpHeaders = {
      Accept: ex.accept ?? 'application/json',
      'User-Agent': this.#userAgent,
    };
    const auth = this.#authorization();
    if (auth !== undefined) headers['Authorization'] = auth;
    if (ex.body !== undefined) {
      headers['Content-Type'] = ex.contentType ?? 'application/json';
      headers['Content-Length'] = ex.body.length;
    }
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        url,
        { method: ex.method, headers, agent: this.#agent, signal: ac.signal },
        (message) => {
          resolve({
            response: { status: message.statusCode ?? 0, headers: message.headers, message },
            finish,
            timedOut: () => timedOut,
          });
        },
      );
      req.on('error', (e) => {
        finish();
        reject(this.translate(e, ex, timedOut));
      });
      req.end(ex.body);
    });
  }

  /** A network error as a ClientError, or the caller's AbortError unchanged. */
  translate(
    e: unknown,
    ex: Pick<Exchange, 'method' | 'path' | 'signal' | 'timeoutMs'>,
    timedOut: boolean,
  ): Error {
    if (e instanceof ApiError || e instanceof ClientError) return e;
    const what = `${ex.method} ${this.#config.server}${ex.path}`;
    if (timedOut)
      return new ClientError('E_CLIENT_TIMEOUT', `${what}: no answer within ${ex.timeoutMs} ms`, {
        cause: e,
      });
    if (ex.signal?.aborted || isAbortError(e)) return e instanceof Error ? e : new Error(String(e));
    const code = (e as { code?: unknown }).code;
    const msg = e instanceof Error ? e.message : String(e);
    if (typeof code === 'string' && unreachableCodes.has(code))
      return new ClientError(
        'E_CLIENT_UNREACHABLE',
        `cannot reach the API server at ${this.#config.server} (${msg}): is it running, and is the server in ${this.#config.source} right?`,
        { cause: e },
      );
    if (
      typeof code === 'string' &&
      (code.startsWith('ERR_TLS') || code.includes('CERT') || code.includes('SELF_SIGNED'))
    )
      return new ClientError(
        'E_CLIENT_TRANSPORT',
        `TLS with ${this.#config.server} failed (${msg}): check certificate-authority in ${this.#config.source}`,
        { cause: e },
      );
    return new ClientError('E_CLIENT_TRANSPORT', `${what}: ${msg}`, { cause: e });
  }
}

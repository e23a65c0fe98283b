/**
 * HttpClient: the Client over HTTP(S) to Portico's API server or any Kubernetes API server.
 * JSON bodies, URLs from the resource table, the four patch content types, client-side rate
 * limiting (token bucket, client-go's QPS/burst), per-request timeouts, retries of 429 and
 * Retry-After answers, and watches read as newline-delimited JSON.
 */
import type { DeleteOptions, KubeList, KubeObject, WatchEvent } from '../api/meta/types.js';
import { resourcePath, type ResourceType } from '../api/scheme.js';
import { realClock, type Clock } from '../lib/clock.js';
import { discardLogger, type Logger } from '../lib/log/logger.js';
import { exponentialBuckets, type Registry, type Counter, type Histogram } from '../lib/metrics.js';
import { ClientError } from './errors.js';
import type { RestConfig } from './kubeconfig.js';
import { TokenBucket } from './ratelimit.js';
import { errorFromResponse, Transport, type Exchange } from './transport.js';
import type {
  Client,
  ListOptions,
  PatchOptions,
  PatchType,
  RawRequest,
  RawResponse,
  WatchOptions,
  WriteOptions,
} from './types.js';
import { decodeWatchEvent, splitLines } from './watchstream.js';

export interface HttpClientOptions {
  readonly config: RestConfig;
  /** Sustained requests per second (client-go's QPS); default 50, 0 disables limiting. */
  readonly qps?: number;
  /** Requests allowed at once (client-go's Burst); default 100. */
  readonly burst?: number;
  /** Time for a request, or for a watch's response headers; default 30 s. */
  readonly timeoutMs?: number;
  /** Retries of 429 / Retry-After answers before the error is returned; default 5. */
  readonly maxRetries?: number;
  /** Sent as User-Agent, and the field manager of server-side apply when none is given. */
  readonly userAgent?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Registers portico_client_requests_total and portico_client_request_duration_seconds. */
  readonly metrics?: Registry;
}

const patchContentTypes: Readonly<Record<PatchType, string>> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** Longest Retry-After we honour before giving the error to the caller. */
const maxRetryAfterSeconds = 10;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isConnectionReset(e: unknown): boolean {
  if (!(e instanceof ClientError) || e.code !== 'E_CLIENT_TRANSPORT') return false;
  const code = (e.cause as { code?: unknown } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

function requestError(message: string): ClientError {
  return new ClientError('E_CLIENT_REQUEST', message);
}

function listQuery(o: ListOptions | undefined, q = new URLSearchParams()): URLSearchParams {
  if (!o) return q;
  if (o.labelSelector) q.set('labelSelector', o.labelSelector);
  if (o.fieldSelector) q.set('fieldSelector', o.fieldSelector);
  if (o.limit !== undefined) q.set('limit', String(o.limit));
  if (o.continue) q.set('continue', o.continue);
  if (o.resourceVersion !== undefined) q.set('resourceVersion', o.resourceVersion);
  if (o.resourceVersionMatch) q.set('resourceVersionMatch', o.resourceVersionMatch);
  return q;
}

function writeQuery(o: WriteOptions | undefined, q = new URLSearchParams()): URLSearchParams {
  if (!o) return q;
  if (o.fieldManager) q.set('fieldManager', o.fieldManager);
  if (o.dryRun) q.set('dryRun', 'All');
  if (o.fieldValidation) q.set('fieldValidation', o.fieldValidation);
  return q;
}

/** The Client over HTTP(S). Call `close()` to release keep-alive sockets. */
export class HttpClient implements Client {
  readonly #transport: Transport;
  readonly #limiter: TokenBucket;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #userAgent: string;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #requests: Counter | undefined;
  readonly #duration: Histogram | undefined;

  constructor(options: HttpClientOptions) {
    this.#userAgent = options.userAgent ?? 'portico';
    this.#transport = new Transport({ config: options.config, userAgent: this.#userAgent });
    this.#clock = options.clock ?? realClock;
    this.#limiter = new TokenBucket({
      qps: options.qps ?? 50,
      burst: options.burst ?? 100,
      clock: this.#clock,
    });
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxRetries = options.maxRetries ?? 5;
    this.#log = options.logger ?? discardLogger;
    this.#requests = options.metrics?.counter(
      'portico_client_requests_total',
      'API requests by verb and HTTP code (code "error" when no answer came).',
    );
    this.#duration = options.metrics?.histogram(
      'portico_client_request_duration_seconds',
      'API request latency by verb, until the response headers.',
      exponentialBuckets(0.001, 2, 15),
    );
  }

  /** The server URL, for log lines. */
  get server(): string {
    return this.#transport.server;
  }

  /** Releases idle keep-alive connections. Open watches end when their signals abort. */
  close(): void {
    this.#transport.close();
  }

  async get<T extends KubeObject>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<T> {
    return this.#object<T>('GET', this.#path(rt, namespace, name));
  }

  async list<T extends KubeObject>(
    rt: ResourceType,
    options: ListOptions = {},
  ): Promise<KubeList<T>> {
    const body = await this.#json(
      'GET',
      resourcePath(rt, { namespace: this.#ns(rt, options.namespace) }),
      {
        query: listQuery(options),
      },
    );
    if (!isObject(body) || !Array.isArray(body['items']))
      throw new ClientError('E_CLIENT_DECODE', `list ${rt.resource}: the answer is not a list`);
    const list = body as unknown as KubeList<T>;
    list.metadata ??= {};
    return list;
  }

  watch<T extends KubeObject>(
    rt: ResourceType,
    options: WatchOptions,
    signal: AbortSignal,
  ): AsyncIterable<WatchEvent<T>> {
    return this.#watch<T>(rt, options, signal);
  }

  async create<T extends KubeObject>(
    rt: ResourceType,
    obj: T,
    options: WriteOptions = {},
  ): Promise<T> {
    const ns = rt.namespaced ? obj.metadata.namespace : undefined;
    if (rt.namespaced && !ns)
      throw requestError(
        `create ${rt.resource}: metadata.namespace is required for a namespaced resource`,
      );
    return this.#object<T>('POST', resourcePath(rt, { namespace: ns }), {
      query: writeQuery(options),
      body: obj,
    });
  }

  async update<T extends KubeObject>(
    rt: ResourceType,
    obj: T,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.#object<T>('PUT', this.#objectPath(rt, obj, 'update'), {
      query: writeQuery(options),
      body: obj,
    });
  }

  async updateStatus<T extends KubeObject>(
    rt: ResourceType,
    obj: T,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.#object<T>('PUT', this.#objectPath(rt, obj, 'updateStatus', 'status'), {
      query: writeQuery(options),
      body: obj,
    });
  }

  async patch<T extends KubeObject>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    body: unknown,
    options: PatchOptions = {},
  ): Promise<T> {
    const q = writeQuery(options);
    if (type === 'apply') {
      if (!q.has('fieldManager')) q.set('fieldManager', this.#userAgent.split('/')[0] ?? 'portico');
      if (options.force) q.set('force', 'true');
    }
    return this.#object<T>('PATCH', this.#path(rt, namespace, name, options.subresource), {
      query: q,
      body,
      contentType: patchContentTypes[type],
    });
  }

  async delete(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): Promise<KubeObject | undefined> {
    const hasBody = Object.keys(options).length > 0;
    const body = await this.#json('DELETE', this.#path(rt, namespace, name), {
      ...(hasBody ? { body: { kind: 'DeleteOptions', apiVersion: 'v1', ...options } } : {}),
    });
    if (!isObject(body) || body['kind'] === 'Status' || !isObject(body['metadata']))
      return undefined;
    return body as unknown as KubeObject;
  }

  async request(options: RawRequest): Promise<RawResponse> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query ?? {}))
      for (const one of typeof v === 'string' ? [v] : v) q.append(k, one);
    const body =
      options.body === undefined
        ? undefined
        : Buffer.isBuffer(options.body)
          ? options.body
          : typeof options.body === 'string'
            ? Buffer.from(options.body)
            : Buffer.from(JSON.stringify(options.body));
    const {
      status,
      headers,
      body: out,
    } = await this.#do({
      method: options.method,
      path: options.path,
      query: q,
      ...(body ? { body } : {}),
      ...(options.contentType ? { contentType: options.contentType } : {}),
      ...(options.accept ? { accept: options.accept } : {}),
      signal: options.signal,
      timeoutMs: this.#timeoutMs,
    });
    return { status, headers, body: out };
  }

  // ---- internals -------------------------------------------------------------------------------

  #ns(rt: ResourceType, namespace: string | undefined): string | undefined {
    return rt.namespaced && namespace !== '' ? namespace : undefined;
  }

  #path(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    subresource?: string,
  ): string {
    if (!name) throw requestError(`${rt.resource}: a name is required`);
    if (rt.namespaced && !namespace)
      throw requestError(`${rt.resource} "${name}": a namespace is required`);
    return resourcePath(rt, { namespace: this.#ns(rt, namespace), name, subresource });
  }

  #objectPath(rt: ResourceType, obj: KubeObject, verb: string, subresource?: string): string {
    if (!obj.metadata.name) throw requestError(`${verb} ${rt.resource}: metadata.name is required`);
    return this.#path(rt, obj.metadata.namespace, obj.metadata.name, subresource);
  }

  async #object<T extends KubeObject>(
    method: string,
    path: string,
    extra: { query?: URLSearchParams; body?: unknown; contentType?: string } = {},
  ): Promise<T> {
    const body = await this.#json(method, path, extra);
    if (!isObject(body) || !isObject(body['metadata']))
      throw new ClientError('E_CLIENT_DECODE', `${method} ${path}: the answer is not an object`);
    return body as unknown as T;
  }

  async #json(
    method: string,
    path: string,
    extra: {
      query?: URLSearchParams;
      body?: unknown;
      contentType?: string;
      signal?: AbortSignal | undefined;
    },
  ): Promise<unknown> {
    const res = await this.#do({
      method,
      path,
      ...(extra.query ? { query: extra.query } : {}),
      ...(extra.body !== undefined ? { body: Buffer.from(JSON.stringify(extra.body)) } : {}),
      ...(extra.contentType ? { contentType: extra.contentType } : {}),
      signal: extra.signal,
      timeoutMs: this.#timeoutMs,
    });
    try {
      return JSON.parse(res.body.toString('utf8')) as unknown;
    } catch (e) {
      throw new ClientError(
        'E_CLIENT_DECODE',
        `${method} ${path}: the answer is not JSON (HTTP ${res.status})`,
        {
          cause: e,
        },
      );
    }
  }

  /** One request with rate limiting, retries of 429 / Retry-After, and errors as ApiError. */
  async #do(
    ex: Exchange,
  ): Promise<{ status: number; headers: RawResponse['headers']; body: Buffer }> {
    for (let attempt = 0; ; attempt++) {
      await this.#limiter.wait(ex.signal);
      const started = this.#clock.now();
      let opened: Awaited<ReturnType<Transport['open']>>;
      try {
        opened = await this.#transport.open(ex);
      } catch (e) {
        this.#observe(ex.method, 'error', started);
        // A kept-alive connection the server closed just as we reused it: reads are safe to
        // send again (client-go retries GETs on a connection reset the same way).
        if (ex.method === 'GET' && attempt < this.#maxRetries && isConnectionReset(e)) continue;
        throw e;
      }
      const { response, finish, timedOut } = opened;
      this.#observe(ex.method, String(response.status), started);
      let body: Buffer;
      try {
        const chunks: Buffer[] = [];
        for await (const c of response.message) chunks.push(c as Buffer);
        body = Buffer.concat(chunks);
      } catch (e) {
        throw this.#transport.translate(e, ex, timedOut());
      } finally {
        finish();
      }
      this.#log.v(6).info('API request', { verb: ex.method, path: ex.path, code: response.status });
      if (response.status < 400)
        return { status: response.status, headers: response.headers, body };
      const retryAfter = response.headers['retry-after'];
      const err = errorFromResponse(response.status, body, retryAfter);
      const wait = this.#retryDelay(ex.method, response.status, retryAfter, attempt);
      if (wait === undefined) throw err;
      this.#log.v(2).info('Retrying API request', {
        verb: ex.method,
        path: ex.path,
        code: response.status,
        waitMs: wait,
      });
      await this.#clock.sleep(wait, ex.signal);
    }
  }

  /**
   * client-go retries answers that carry Retry-After: 429 for any verb (the server did not act
   * on it) and 5xx for reads only.
   */
  #retryDelay(
    method: string,
    code: number,
    retryAfter: string | undefined,
    attempt: number,
  ): number | undefined {
    if (attempt >= this.#maxRetries) return undefined;
    if (code !== 429 && !(code >= 500 && method === 'GET' && retryAfter !== undefined))
      return undefined;
    const seconds = retryAfter !== undefined ? Number(retryAfter) : 1;
    if (!Number.isFinite(seconds) || seconds < 0 || seconds > maxRetryAfterSeconds)
      return undefined;
    return Math.max(seconds, 0.1) * 1000;
  }

  #observe(verb: string, code: string, started: number): void {
    this.#requests?.inc({ verb, code });
    this.#duration?.observe((this.#clock.now() - started) / 1000, { verb });
  }

  async *#watch<T extends KubeObject>(
    rt: ResourceType,
    options: WatchOptions,
    signal: AbortSignal,
  ): AsyncGenerator<WatchEvent<T>> {
    if (signal.aborted) return;
    const q = listQuery(options);
    q.set('watch', 'true');
    if (options.allowWatchBookmarks) q.set('allowWatchBookmarks', 'true');
    if (options.timeoutSeconds !== undefined)
      q.set('timeoutSeconds', String(options.timeoutSeconds));
    const ex: Exchange = {
      method: 'GET',
      path: resourcePath(rt, { namespace: this.#ns(rt, options.namespace) }),
      query: q,
      signal,
      timeoutMs: this.#timeoutMs,
    };
    try {
      await this.#limiter.wait(signal);
    } catch {
      return;
    }
    const started = this.#clock.now();
    let opened: Awaited<ReturnType<Transport['open']>>;
    try {
      opened = await this.#transport.open(ex);
    } catch (e) {
      this.#observe('WATCH', 'error', started);
      if (signal.aborted) return;
      throw e;
    }
    const { response, finish } = opened;
    // The timer guarded the wait for headers; the stream itself may be quiet for a long time.
    finish();
    this.#observe('WATCH', String(response.status), started);
    const onAbort = (): void => {
      response.message.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (response.status >= 400) {
        const chunks: Buffer[] = [];
        for await (const c of response.message) chunks.push(c as Buffer);
        throw errorFromResponse(
          response.status,
          Buffer.concat(chunks),
          response.headers['retry-after'],
        );
      }
      for await (const line of splitLines(response.message)) {
        const ev = decodeWatchEvent<T>(line);
        if (ev) yield ev;
      }
    } catch (e) {
      if (signal.aborted) return;
      throw this.#transport.translate(e, ex, false);
    } finally {
      signal.removeEventListener('abort', onAbort);
      response.message.destroy();
    }
  }
}

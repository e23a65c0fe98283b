/**
 * The test harness for everything that needs a real API server: `startTestApiServer` runs one
 * in-process on 127.0.0.1 (a free port) over a memory or SQLite store in a temporary data dir,
 * with the real HTTPS listener, certificates and authentication; `kubectl` runs the real kubectl
 * against it; `apiRequest` makes raw HTTPS requests as the admin (or as nobody).
 *
 * @example
 * test('creates a service', async (t) => {
 *   const api = await startTestApiServer(t);
 *   const r = await api.kubectl(['create', '-f', '-'], { input: yaml });
 *   assert.equal(r.code, 0, r.stderr);
 * });
 *
 * Other branches rely on these names and shapes: change them additively.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterConfig } from '../api/cluster.js';
import { ApiServer, type ApiServerOptions } from '../apiserver/apiserver.js';
import { createLogger, discardLogger } from '../lib/log/logger.js';
import { MemoryStore } from '../storage/memory/store.js';
import { SqliteStore } from '../storage/sqlite/store.js';
import type { Store } from '../storage/store.js';
import { kubectl, type KubectlOptions, type KubectlResult } from './kubectl.js';

/** What `t` must offer: node:test's TestContext and SuiteContext both do. */
export interface AfterHook {
  after(fn: () => unknown): void;
}

export interface TestApiServerOptions {
  /** memory (default): fast, gone on stop. sqlite: a file in the data dir; survives restart(). */
  readonly store?: 'memory' | 'sqlite';
  /** Reuse a data dir (restart tests); a fresh temporary one otherwise. */
  readonly dataDir?: string;
  readonly config?: ClusterConfig;
  /** The `kubernetes` Service's endpoint address (default 192.0.2.1, a documentation address). */
  readonly advertiseAddress?: string;
  /** Logs to stderr at this verbosity (default: silent; PORTICO_TEST_LOG=N overrides). */
  readonly logVerbosity?: number;
  /** Passed through to ApiServer.start (bookmark interval, watch timeouts, loop intervals). */
  readonly server?: Partial<
    Pick<
      ApiServerOptions,
      | 'bookmarkIntervalMs'
      | 'minWatchTimeoutSeconds'
      | 'eventTtlMs'
      | 'reconcileIntervalMs'
      | 'compaction'
      | 'watchCacheSize'
    >
  >;
}

export interface TestApiServer {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** The admin kubeconfig file. */
  readonly kubeconfig: string;
  /** The cluster CA certificate (PEM). */
  readonly ca: string;
  readonly admin: { readonly cert: string; readonly key: string; readonly token: string };
  readonly server: ApiServer;
  readonly store: Store;
  /** kubectl against this server, with its own discovery cache dir. */
  kubectl(
    args: readonly string[],
    options?: Omit<KubectlOptions, 'kubeconfig'>,
  ): Promise<KubectlResult>;
  /** Stops the server and closes the store (idempotent; also registered with t.after). */
  stop(): Promise<void>;
  /** Stops, then starts a new server over the same data dir (and the same SQLite file). */
  restart(): Promise<TestApiServer>;
}

function openTestStore(kind: 'memory' | 'sqlite', dataDir: string): Store {
  if (kind === 'memory') return new MemoryStore();
  return new SqliteStore({ path: join(dataDir, 'state.db'), compaction: false });
}

/** Starts an API server for a test; it stops when the test ends. */
export async function startTestApiServer(
  t: AfterHook | undefined,
  options: TestApiServerOptions = {},
): Promise<TestApiServer> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ptest-apiserver-'));
  const storeKind = options.store ?? 'memory';
  const store = openTestStore(storeKind, dataDir);
  const envLog = process.env['PORTICO_TEST_LOG'];
  const verbosity = envLog !== undefined ? Number(envLog) : options.logVerbosity;
  const logger =
    verbosity === undefined
      ? discardLogger
      : createLogger({ format: 'text', verbosity }).child({ component: 'apiserver' });
  const server = await ApiServer.start({
    dataDir,
    store,
    logger,
    bindAddress: '127.0.0.1',
    securePort: 0,
    advertiseAddress: options.advertiseAddress ?? '192.0.2.1',
    nodeName: 'ptest-node',
    ...(options.config ? { config: options.config } : {}),
    ...options.server,
  });
  const cacheDir = join(dataDir, 'kubectl-cache', String(server.port));
  mkdirSync(cacheDir, { recursive: true });
  let stopped: Promise<void> | undefined;
  const stopServer = async (removeDir: boolean): Promise<void> => {
    await server.stop();
    await store.close();
    if (removeDir && ownDir) rmSync(dataDir, { recursive: true, force: true });
  };
  const api: TestApiServer = {
    url: server.url,
    port: server.port,
    dataDir,
    kubeconfig: server.credentials.paths.adminKubeconfig,
    ca: server.credentials.caPem,
    admin: {
      cert: server.credentials.admin.cert,
      key: server.credentials.admin.key,
      token: server.credentials.adminToken,
    },
    server,
    store,
    kubectl: (args, o = {}) =>
      kubectl(args, { cacheDir, ...o, kubeconfig: server.credentials.paths.adminKubeconfig }),
    stop: () => (stopped ??= stopServer(true)),
    restart: async () => {
      stopped ??= stopServer(false);
      await stopped;
      const next = await startTestApiServer(undefined, { ...options, dataDir, store: storeKind });
      t?.after(async () => {
        await next.stop();
        if (ownDir) rmSync(dataDir, { recursive: true, force: true });
      });
      return next;
    },
  };
  t?.after(() => api.stop());
  return api;
}

export interface ApiRequestOptions {
  readonly method?: string;
  /** Path and query: `/api/v1/namespaces/default/services?limit=1`. */
  readonly path: string;
  /** An object is sent as JSON; a string or Buffer as is. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Who asks: the admin certificate (default), the admin token, or nobody. */
  readonly as?: 'admin' | 'token' | 'anonymous';
}

export interface ApiRequestResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly json: unknown;
}

/** One HTTPS request to a test server. */
export function apiRequest(
  api: Pick<TestApiServer, 'port' | 'ca' | 'admin'>,
  o: ApiRequestOptions,
): Promise<ApiRequestResult> {
  const body =
    o.body === undefined
      ? undefined
      : typeof o.body === 'string' || Buffer.isBuffer(o.body)
        ? o.body
        : JSON.stringify(o.body);
  const headers: Record<string, string> = { ...o.headers };
  if (body !== undefined && headers['content-type'] === undefined)
    headers['content-type'] = 'application/json';
  // Node sends DELETE bodies without framing unless told the length.
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const as = o.as ?? 'admin';
  if (as === 'token') headers['authorization'] = `Bearer ${api.admin.token}`;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: api.port,
        method: o.method ?? 'GET',
        path: o.path,
        headers,
        ca: api.ca,
        ...(as === 'admin' ? { cert: api.admin.cert, key: api.admin.key } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** One event of a watch stream. */
export interface WatchEventJson {
  readonly type: string;
  readonly object: Record<string, unknown> & { metadata?: Record<string, unknown> };
}

/**
 * A watch over HTTPS as an async iterator of parsed events (one per line). Iteration ends when
 * the server closes the stream or the signal aborts.
 */
export async function* apiWatch(
  api: Pick<TestApiServer, 'port' | 'ca' | 'admin'>,
  path: string,
  signal: AbortSignal,
  headers: Record<string, string> = {},
): AsyncGenerator<WatchEventJson> {
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: api.port,
        path,
        headers,
        ca: api.ca,
        cert: api.admin.cert,
        key: api.admin.key,
        signal,
      },
      resolve,
    );
    req.on('error', reject);
    req.end();
  });
  if (res.statusCode !== 200) {
    res.resume();
    throw new Error(`watch ${path}: HTTP ${res.statusCode ?? 0}`);
  }
  let buf = '';
  try {
    for await (const chunk of res) {
      buf += (chunk as Buffer).toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() !== '') yield JSON.parse(line) as WatchEventJson;
      }
    }
  } catch (e) {
    if (!signal.aborted) throw e;
  }
}

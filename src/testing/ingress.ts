/**
 * The ingress test harness: echo backends on 127.0.0.1 (the conformance suite's W-ECHO: JSON of
 * the request it saw, no `Server` header), EndpointSlices pointing at them, `portico ingress`
 * in-process against a test API server, and requests with the real curl.
 *
 * EndpointSlice validation refuses loopback addresses (as Kubernetes does) and integration tests
 * may only talk to loopback, so `putLoopbackSlice` writes slices straight into the store; every
 * other object goes through the API.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resources } from '../api/scheme.js';
import { labelServiceName, type EndpointSlice } from '../api/types/discovery.js';
import { encodeObject } from '../apiserver/registry/codec.js';
import { objectKey } from '../apiserver/registry/keys.js';
import { connect } from '../client/connect.js';
import type { HttpClient } from '../client/http.js';
import { defaultClassName, defaultControllerName } from '../ingress/class.js';
import { startIngress, type IngressOptions, type RunningIngress } from '../ingress/ingress.js';
import { createLogger, discardLogger } from '../lib/log/logger.js';
import type { AfterHook, TestApiServer } from './apiserver.js';

/** What W-ECHO answers: the request as the backend saw it. */
export interface EchoReply {
  readonly path: string;
  readonly host: string;
  readonly method: string;
  readonly proto: string;
  readonly headers: Record<string, string[]>;
  readonly namespace: string;
  readonly ingress: string;
  readonly service: string;
  readonly pod: string;
}

export interface EchoBackend {
  readonly port: number;
  readonly pod: string;
  /** Requests served so far. */
  readonly served: () => number;
  close(): Promise<void>;
}

function goHeaderName(name: string): string {
  return name
    .toLowerCase()
    .split('-')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('-');
}

/**
 * A W-ECHO backend on 127.0.0.1 (a free port unless given). `kubia: true` answers as the seeds'
 * luksa/kubia does instead (`You've hit <pod>`); `delayMs` holds every answer that long.
 */
export async function startEchoBackend(o: {
  service: string;
  pod: string;
  namespace?: string;
  port?: number;
  kubia?: boolean;
  delayMs?: number;
}): Promise<EchoBackend> {
  let served = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    served++;
    const headers: Record<string, string[]> = {};
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const k = goHeaderName(req.rawHeaders[i] ?? '');
      if (k !== 'Host') (headers[k] ??= []).push(req.rawHeaders[i + 1] ?? '');
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => setTimeout(answer, o.delayMs ?? 0));
    const answer = () => {
      if (o.kubia) {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`You've hit ${o.pod}\n`);
        return;
      }
      if (req.url === '/health') {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('OK');
        return;
      }
      const body = JSON.stringify({
        path: req.url ?? '/',
        host: req.headers.host ?? '',
        method: req.method ?? 'GET',
        proto: `HTTP/${req.httpVersion}`,
        headers,
        namespace: o.namespace ?? 'default',
        ingress: '',
        service: o.service,
        pod: o.pod,
      } satisfies EchoReply);
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
      });
      res.end(body);
    };
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    pod: o.pod,
    served: () => served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * Creates or replaces the EndpointSlice `<service>-loopback[-suffix]` of a Service: the given
 * backends' ports on 127.0.0.1, one slice per port (EndpointSlice ports are per slice), written
 * into the store (see the file comment).
 */
export async function putLoopbackSlices(
  api: TestApiServer,
  service: string,
  backends: readonly { port: number; ready?: boolean }[],
  options: { namespace?: string; portName?: string } = {},
): Promise<void> {
  const namespace = options.namespace ?? 'default';
  const byPort = new Map<number, boolean>();
  for (const b of backends) byPort.set(b.port, b.ready ?? true);
  // Remove this service's slices that are no longer wanted.
  const prefix = objectKey(resources.endpointslices, namespace, `${service}-loopback-`);
  const existing = await api.store.list(prefix);
  for (const kv of existing.items) {
    const port = Number(kv.key.slice(prefix.length));
    if (!byPort.has(port)) await api.store.delete(kv.key);
  }
  for (const [port, ready] of byPort) {
    const name = `${service}-loopback-${port}`;
    const slice: EndpointSlice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name,
        namespace,
        uid: `uid-${name}`,
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        labels: { [labelServiceName]: service },
      },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['127.0.0.1'], conditions: { ready, serving: ready, terminating: false } },
      ],
      ports: [{ name: options.portName ?? '', port, protocol: 'TCP' }],
    };
    const key = objectKey(resources.endpointslices, namespace, name);
    const cur = await api.store.get(key);
    if (cur.kv) await api.store.update(key, encodeObject(slice), cur.kv.modRevision);
    else await api.store.create(key, encodeObject(slice));
  }
}

export interface TestIngress {
  readonly ingress: RunningIngress;
  readonly client: HttpClient;
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly dir: string;
  stop(): Promise<void>;
}

/** Runs `portico ingress` in-process on 127.0.0.1 (free ports) against a test API server. */
export async function startTestIngress(
  t: AfterHook,
  api: TestApiServer,
  options: Partial<IngressOptions> = {},
): Promise<TestIngress> {
  const dir = mkdtempSync(join(tmpdir(), 'ptest-ingress-'));
  const v = process.env['PORTICO_TEST_LOG'];
  const logger =
    v === undefined
      ? discardLogger
      : createLogger({ format: 'text', verbosity: Number(v) }).child({ component: 'ingress' });
  const { client } = connect({ kubeconfig: api.kubeconfig, userAgent: 'ptest-ingress', logger });
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const ingress = await startIngress({
    client,
    logger,
    nodeName: 'ptest-node',
    dir,
    http: { addresses: ['127.0.0.1'], port: httpPort },
    https: { addresses: ['127.0.0.1'], port: httpsPort },
    className: defaultClassName,
    controllerName: defaultControllerName,
    watchWithoutClass: true,
    publishAddresses: ['127.0.0.1'],
    metricsAddress: { host: '127.0.0.1', port: 0 },
    debounceMs: 20,
    renewMs: 1000,
    ...options,
  });
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await ingress.stop(0);
      client.close();
      rmSync(dir, { recursive: true, force: true });
    })());
  t.after(stop);
  return { ingress, client, httpPort, httpsPort, dir, stop };
}

export interface CurlResult {
  readonly code: number;
  readonly status: number;
  /** The status line's protocol: `HTTP/1.1`, `HTTP/2`. */
  readonly proto: string;
  /** Lower-case names. */
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly stderr: string;
}

/** The body as W-ECHO's JSON (throws when it is not). */
export function echo(r: CurlResult): EchoReply {
  return JSON.parse(r.body) as EchoReply;
}

/** Runs the real curl (`-sS -i`, a new connection per call) and parses the last response. */
export function curl(args: readonly string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-sS', '-i', '--max-time', '10', ...args],
      { maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        // -i prints every response of a chain (100 Continue, redirects): take the last one.
        const parts = stdout.split(/\r?\n\r?\n/);
        let i = 0;
        let headText = '';
        for (; i < parts.length; i++) {
          if (/^HTTP\/[\d.]+ \d{3}/.test(parts[i] ?? '')) headText = parts[i] ?? '';
          else break;
        }
        const body = parts.slice(i).join('\n\n');
        const lines = headText.split(/\r?\n/);
        const m = /^(HTTP\/[\d.]+) (\d{3})/.exec(lines[0] ?? '');
        const headers: Record<string, string> = {};
        for (const l of lines.slice(1)) {
          const c = l.indexOf(':');
          if (c > 0) headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
        }
        resolve({
          code,
          status: Number(m?.[2] ?? 0),
          proto: m?.[1] ?? '',
          headers,
          body,
          stderr,
        });
      },
    );
  });
}

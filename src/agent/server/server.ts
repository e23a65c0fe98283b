/**
 * The agent's HTTPS server on the kubelet port (10250): the paths the API server proxies to.
 *
 *   GET  /healthz                                         ok
 *   GET  /pods                                            this node's pods (PodList)
 *   GET  /containerLogs/{ns}/{pod}/{container}            ?follow&tailLines&timestamps&previous
 *                                                         &sinceSeconds&sinceTime&limitBytes
 *   GET|POST /exec/{ns}/{pod}/{container}?command=…       WebSocket v5/v4/… channel.k8s.io
 *   GET|POST /attach/{ns}/{pod}/{container}               WebSocket, as exec
 *   GET|POST /portForward/{ns}/{pod}                      SPDY/3.1 (WebSocket-tunnelled or plain)
 *
 * Client certificates signed by the cluster CA are required when the CA is known (the API server
 * connects with its kubelet-client certificate). Errors are Status objects with kubelet's words.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Pod } from '../../api/types/core.js';
import type { Logger } from '../../lib/log/logger.js';
import type { PodRuntimeView } from '../pod/cache.js';
import type { ContainerStatus as RtContainer, Runtime } from '../runtime/types.js';
import { serveLogs } from './logs.js';
import { handlePortForward } from './portforward.js';
import {
  ChannelConn,
  chooseProtocol,
  errorStatus,
  exitStatus,
  streamOptions,
} from './remotecommand.js';

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  /** PEM CA bundle; client certificates must chain to it. Undefined = no client authentication. */
  readonly clientCA?: string;
}

export interface StreamingServerOptions {
  readonly address: string;
  readonly port: number;
  readonly tls: TlsMaterial;
  readonly logger: Logger;
  readonly findPod: (namespace: string, name: string) => Pod | undefined;
  /** Every pod bound to this node (`/pods`). */
  readonly listPods: () => readonly Pod[];
  /** The pod's status as the agent last computed it (fresher than the informer's). */
  readonly podStatus?: (pod: Pod) => Pod['status'] | undefined;
  readonly runtime: () => Runtime | undefined;
  readonly podView: (uid: string) => PodRuntimeView | undefined;
}

export class HttpError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(code: number, reason: string, message: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

function statusBody(e: HttpError): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: e.message,
    reason: e.reason,
    code: e.code,
  });
}

const reasons: Record<number, string> = {
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

export function httpError(code: number, message: string): HttpError {
  return new HttpError(code, reasons[code] ?? 'InternalError', message);
}

/** What a path names. */
export interface Target {
  readonly pod: Pod;
  readonly runtime: Runtime;
  readonly view: PodRuntimeView;
}

export class StreamingServer {
  readonly #o: StreamingServerOptions;
  #server: Server | undefined;
  readonly #wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  readonly #sockets = new Set<Duplex>();

  constructor(options: StreamingServerOptions) {
    this.#o = options;
  }

  get port(): number | undefined {
    const a = this.#server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  async start(): Promise<void> {
    const { tls } = this.#o;
    const server = createServer({
      cert: tls.cert,
      key: tls.key,
      ...(tls.clientCA ? { ca: tls.clientCA, requestCert: true, rejectUnauthorized: true } : {}),
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.#request(req, res).catch((e: unknown) => this.#fail(res, e));
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => undefined);
      this.#upgrade(req, socket, head).catch((e: unknown) => this.#failUpgrade(socket, e));
    });
    server.on('tlsClientError', () => undefined);
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#o.port, this.#o.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    for (const c of this.#wss.clients) c.terminate();
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }

  #fail(res: ServerResponse, e: unknown): void {
    const err =
      e instanceof HttpError ? e : httpError(500, e instanceof Error ? e.message : String(e));
    if (err.code >= 500) this.#o.logger.error(e, 'Agent request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(err.code, { 'content-type': 'application/json' });
    res.end(statusBody(err));
  }

  #failUpgrade(socket: Duplex, e: unknown): void {
    const err =
      e instanceof HttpError ? e : httpError(500, e instanceof Error ? e.message : String(e));
    if (err.code >= 500) this.#o.logger.error(e, 'Agent stream failed');
    if (socket.destroyed) return;
    const body = statusBody(err);
    socket.end(
      `HTTP/1.1 ${err.code} ${err.reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  /** Without a client CA nobody is authenticated: only /healthz is served. */
  #authorize(): void {
    if (!this.#o.tls.clientCA)
      throw httpError(
        403,
        'this agent has no client CA to authenticate requests with (--client-ca-file)',
      );
  }

  /** The pod and runtime a path names. @throws HttpError */
  target(ns: string, name: string): Target {
    const found = this.#o.findPod(ns, name);
    if (!found) throw httpError(404, `pod "${name}" not found in namespace "${ns}" on this node`);
    const fresh = this.#o.podStatus?.(found);
    const pod: Pod = fresh ? { ...found, status: fresh } : found;
    const runtime = this.#o.runtime();
    if (!runtime) throw httpError(503, 'the node agent is starting: its runtime is not ready yet');
    const view = this.#o.podView(pod.metadata.uid ?? '') ?? {
      uid: pod.metadata.uid ?? '',
      sandboxes: [],
      containers: [],
    };
    return { pod, runtime, view };
  }

  async #request(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://agent');
    const parts = url.pathname
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    this.#authorize();
    if (req.method !== 'GET' && req.method !== 'POST' && req.method !== 'HEAD')
      throw httpError(400, `method ${req.method ?? ''} is not allowed`);
    switch (parts[0]) {
      case 'pods': {
        const pods = this.#o.listPods();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: pods }));
        return;
      }
      case 'containerLogs': {
        if (parts.length !== 4)
          throw httpError(400, 'the path must be /containerLogs/{namespace}/{pod}/{container}');
        const t = this.target(parts[1] ?? '', parts[2] ?? '');
        await serveLogs(t, parts[3] ?? '', url.searchParams, req, res);
        return;
      }
      case 'exec':
      case 'attach':
      case 'portForward':
        throw httpError(400, `${parts[0]} needs a WebSocket (or SPDY) upgrade`);
      default:
        throw httpError(404, `the agent has no path ${url.pathname}`);
    }
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://agent');
    const parts = url.pathname
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    const kind = parts[0];
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    if (kind === 'portForward') {
      if (parts.length !== 3)
        throw httpError(400, 'the path must be /portForward/{namespace}/{pod}');
      const t = this.target(parts[1] ?? '', parts[2] ?? '');
      await handlePortForward({
        target: t,
        req,
        socket,
        head,
        wss: this.#wss,
        logger: this.#o.logger,
      });
      return;
    }
    if (kind !== 'exec' && kind !== 'attach')
      throw httpError(404, `the agent has no path ${url.pathname}`);
    if (parts.length !== 4)
      throw httpError(400, `the path must be /${kind}/{namespace}/{pod}/{container}`);
    if (upgrade !== 'websocket')
      throw httpError(
        400,
        `${kind} is served over WebSocket (v5.channel.k8s.io); this agent does not speak ${upgrade || 'plain HTTP'} for it`,
      );
    const t = this.target(parts[1] ?? '', parts[2] ?? '');
    const containerName = parts[3] ?? '';
    const container = this.#running(t, containerName);
    const opts = streamOptions(url.searchParams);
    const command = url.searchParams.getAll('command');
    if (kind === 'exec' && command.length === 0)
      throw httpError(400, 'you must specify at least 1 command');
    if (!opts.stdin && !opts.stdout && !opts.stderr)
      throw httpError(400, 'you must specify at least 1 of stdin, stdout, stderr');
    const offered = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const protocol = offered.length === 0 ? 'channel.k8s.io' : chooseProtocol(offered);
    if (!protocol)
      throw httpError(
        400,
        `none of the offered subprotocols (${offered.join(', ')}) is supported: use v5.channel.k8s.io or v4.channel.k8s.io`,
      );
    const ws = await new Promise<WebSocket>((resolve) => {
      this.#wss.handleUpgrade(req, socket, head, (w) => resolve(w));
    });
    const conn = new ChannelConn(ws, protocol);
    const log = this.#o.logger;
    // "ready": an empty frame on the lowest output channel
    await conn.send(opts.stdout ? 1 : opts.stderr ? 2 : 3, Buffer.alloc(0));
    const stdout = opts.stdout ? conn.writer(1) : undefined;
    const stderr = opts.stderr ? conn.writer(2) : undefined;
    const ac = new AbortController();
    ws.on('close', () => ac.abort());
    const drained = async (): Promise<void> => {
      for (const w of [stdout, stderr]) {
        if (w) await new Promise<void>((r) => w.end(() => r()));
      }
    };
    try {
      if (kind === 'exec') {
        const code = await t.runtime.exec(container.id, {
          command,
          tty: opts.tty,
          ...(opts.stdin ? { stdin: conn.stdin } : {}),
          ...(stdout ? { stdout } : {}),
          ...(stderr ? { stderr } : {}),
          ...(opts.tty ? { resize: conn.resize } : {}),
          signal: ac.signal,
        });
        await drained();
        await conn.finish(exitStatus(code, command));
      } else {
        await t.runtime.attach(container.id, {
          ...(opts.stdin ? { stdin: conn.stdin } : {}),
          ...(stdout ? { stdout } : {}),
          ...(stderr ? { stderr } : {}),
          ...(opts.tty ? { resize: conn.resize } : {}),
          signal: ac.signal,
        });
        await drained();
        await conn.finish({ metadata: {}, status: 'Success' });
      }
    } catch (e) {
      log.v(2).info('Stream ended with an error', {
        kind,
        err: e instanceof Error ? e.message : String(e),
      });
      await drained().catch(() => undefined);
      await conn.finish(errorStatus(e instanceof Error ? e.message : String(e)));
    }
  }

  /** The running instance of a container. @throws HttpError */
  #running(t: Target, name: string): RtContainer {
    const spec = [...(t.pod.spec?.containers ?? []), ...(t.pod.spec?.initContainers ?? [])].find(
      (c) => c.name === name,
    );
    if (!spec)
      throw httpError(400, `container ${name} is not valid for pod ${t.pod.metadata.name ?? ''}`);
    const latest = t.view.containers
      .filter((c) => c.name === name)
      .sort((a, b) => b.attempt - a.attempt)[0];
    if (!latest || latest.state.state !== 'running')
      throw httpError(400, `container ${name} is not running in pod ${t.pod.metadata.name ?? ''}`);
    return latest;
  }
}

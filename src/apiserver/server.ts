/**
 * The HTTPS listener: turns sockets into ApiRequests for the handler and writes its responses
 * back (whole bodies, or streams with backpressure for watches and logs). Bodies over 3 MiB are
 * refused with 413 before the handler runs (kube-apiserver's limit). Client certificates are
 * requested but not required: the handler decides (token or anonymous paths).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { requestEntityTooLarge } from '../api/meta/status.js';
import type { Logger } from '../lib/log/logger.js';
import type { ApiHandler } from './handler.js';
import { errorResponse, type ApiResponse, type ClientCertificate } from './request.js';

/** kube-apiserver's request body limit. */
export const maxBodyBytes = 3 * 1024 * 1024;

export interface ApiServerListenOptions {
  readonly handler: ApiHandler;
  readonly logger: Logger;
  readonly cert: string;
  readonly key: string;
  /** CA that client certificates must chain to. */
  readonly ca: string;
  readonly host: string;
  readonly port: number;
}

/** Peer certificates per TLS connection: reading one is costly, and it never changes. */
const peerCache = new WeakMap<object, ClientCertificate | null>();

function clientCertificateOf(s: unknown): ClientCertificate | undefined {
  // An https server's request sockets are TLS sockets.
  const socket = s as TLSSocket;
  const cached = peerCache.get(socket);
  if (cached !== undefined) return cached ?? undefined;
  const peer = socket.getPeerCertificate();
  let out: ClientCertificate | undefined;
  if (peer && Object.keys(peer).length > 0) {
    const subject = peer.subject as unknown as
      Record<string, string | string[] | undefined> | undefined;
    const cn = subject?.['CN'];
    const o = subject?.['O'];
    out = {
      authorized: socket.authorized,
      commonName: Array.isArray(cn) ? (cn[0] ?? '') : (cn ?? ''),
      organizations: o === undefined ? [] : Array.isArray(o) ? o : [o],
    };
  }
  peerCache.set(socket, out ?? null);
  return out;
}

function splitUrl(url: string | undefined): { path: string; query: URLSearchParams } {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q < 0
    ? { path: u, query: new URLSearchParams() }
    : { path: u.slice(0, q), query: new URLSearchParams(u.slice(q + 1)) };
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'tooLarge'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBodyBytes) return 'tooLarge';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > maxBodyBytes) return 'tooLarge';
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

async function writeResponse(
  res: ServerResponse,
  r: ApiResponse,
  signal: AbortSignal,
): Promise<void> {
  if (r.kind === 'body') {
    const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
    res.writeHead(r.status, { ...r.headers, 'content-length': String(body.length) });
    res.end(body);
    return;
  }
  res.writeHead(r.status, {
    ...r.headers,
    'transfer-encoding': 'chunked',
    'cache-control': 'no-cache, private',
  });
  res.flushHeaders();
  try {
    for await (const chunk of r.stream) {
      if (signal.aborted || res.destroyed) break;
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
  } finally {
    if (!res.destroyed) res.end();
  }
}

/** A running HTTPS API server. */
export class ApiServerListener {
  readonly #server: Server;
  readonly #log: Logger;
  readonly #sockets = new Set<Duplex>();

  private constructor(server: Server, log: Logger) {
    this.#server = server;
    this.#log = log;
  }

  static async listen(o: ApiServerListenOptions): Promise<ApiServerListener> {
    const server = createServer({
      cert: o.cert,
      key: o.key,
      ca: o.ca,
      requestCert: true,
      rejectUnauthorized: false,
      // HTTP/1.1 only: kubectl then streams watches and upgrades over plain chunked HTTP.
      ALPNProtocols: ['http/1.1'],
    });
    // Watches and follow-logs stay open for a long time: no request timeout.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 65_000;
    const l = new ApiServerListener(server, o.logger);
    server.on('connection', (s: Duplex) => {
      l.#sockets.add(s);
      s.once('close', () => l.#sockets.delete(s));
    });
    server.on('secureConnection', (s: Duplex) => {
      l.#sockets.add(s);
      s.once('close', () => l.#sockets.delete(s));
    });
    server.on('tlsClientError', () => undefined);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void l.#serve(o.handler, req, res);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const { path, query } = splitUrl(req.url);
      const cert = clientCertificateOf(req.socket);
      void o.handler.upgrade(
        {
          method: req.method ?? 'GET',
          path,
          query,
          headers: req.headers,
          ...(cert ? { clientCertificate: cert } : {}),
        },
        socket,
        head,
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return l;
  }

  async #serve(handler: ApiHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ac = new AbortController();
    res.once('close', () => ac.abort());
    try {
      const body = await readBody(req);
      if (body === 'tooLarge') {
        const r = errorResponse(
          requestEntityTooLarge('the request body is too large (the limit is 3 MiB)'),
        );
        res.setHeader('connection', 'close');
        await writeResponse(res, r, ac.signal);
        req.socket.destroySoon();
        return;
      }
      const { path, query } = splitUrl(req.url);
      const cert = clientCertificateOf(req.socket);
      const r = await handler.handle({
        method: req.method ?? 'GET',
        path,
        query,
        headers: req.headers,
        body,
        signal: ac.signal,
        ...(cert ? { clientCertificate: cert } : {}),
        ...(req.socket.remoteAddress !== undefined
          ? { remoteAddress: req.socket.remoteAddress }
          : {}),
      });
      await writeResponse(res, r, ac.signal);
    } catch (e) {
      if (!ac.signal.aborted) this.#log.error(e, 'Writing a response failed', { path: req.url });
      if (!res.headersSent) {
        const r = errorResponse(e);
        await writeResponse(res, r, ac.signal).catch(() => undefined);
      } else res.destroy();
    }
  }

  /** The port the server listens on (useful with port 0). */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Stops accepting, ends open streams and connections. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    for (const s of this.#sockets) s.destroy();
    await closed;
  }
}

/**
 * The Ingress conformance echoserver (W-ECHO): HTTP on HTTP_PORT (3000) answering every request
 * with JSON `{path, host, method, proto, headers, namespace, ingress, service, pod}` (the context
 * from NAMESPACE, INGRESS_NAME, SERVICE_NAME, POD_NAME), `Content-Type: application/json` and no
 * `Server` header; `/health` → 200 `OK`; `/status/NNN` → that status; `X-Echo-Set-Header: K: V`
 * sets response headers. With TLS_SERVER_CERT and TLS_SERVER_PRIVKEY also HTTPS on HTTPS_PORT
 * (8443), adding a `tls` object.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { TLSSocket } from 'node:tls';
import { output } from './flags.js';

/** Go's textproto.CanonicalMIMEHeaderKey: `x-forwarded-for` → `X-Forwarded-For`. */
export function canonicalHeader(name: string): string {
  return name
    .toLowerCase()
    .split('-')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('-');
}

function goHeaders(req: IncomingMessage): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const key = canonicalHeader(req.rawHeaders[i] ?? '');
    if (key === 'Host') continue; // Go moves it to Request.Host
    (out[key] ??= []).push(req.rawHeaders[i + 1] ?? '');
  }
  // Go marshals map keys sorted.
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface EchoServer {
  readonly http: Server;
  readonly https: Server | undefined;
  close(): void;
}

export function echoserver(env: NodeJS.ProcessEnv = process.env): EchoServer {
  const context = {
    namespace: env['NAMESPACE'] ?? '',
    ingress: env['INGRESS_NAME'] ?? '',
    service: env['SERVICE_NAME'] ?? '',
    pod: env['POD_NAME'] ?? '',
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const uri = req.url ?? '/';
    const path = uri.split('?')[0]?.replace(/\/\//g, '/') ?? '/';
    if (path === '/health') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 2 });
      res.end('OK');
      return;
    }
    if (path.startsWith('/status/')) {
      const m = /^\/status\/(\d\d\d)$/.exec(uri);
      res.writeHead(m?.[1] ? Number(m[1]) : 400, { 'Content-Length': 0 });
      res.end();
      return;
    }
    output.stdout(`Echoing back request made to ${uri} to client (${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? 0})\n`);
    const sock = req.socket instanceof TLSSocket ? req.socket : undefined;
    const tls = sock
      ? {
          version: sock.getProtocol()?.replace('TLSv1.', 'TLSv1.') ?? '',
          serverName: (sock as TLSSocket & { servername?: string }).servername ?? '',
          ...(sock.alpnProtocol ? { negotiatedProtocol: sock.alpnProtocol } : {}),
          cipherSuite: sock.getCipher().standardName,
        }
      : undefined;
    const body = JSON.stringify(
      {
        path: uri,
        host: req.headers.host ?? '',
        method: req.method ?? 'GET',
        proto: `HTTP/${req.httpVersion}`,
        headers: goHeaders(req),
        ...context,
        ...(tls ? { tls } : {}),
      },
      null,
      1,
    );
    const extra: Record<string, string> = {};
    for (const list of ([] as string[]).concat(req.headers['x-echo-set-header'] ?? [])) {
      for (const kv of list.split(',')) {
        const i = kv.indexOf(':');
        const name = (i >= 0 ? kv.slice(0, i) : kv).trim();
        const value = i >= 0 ? kv.slice(i + 1).trim() : '';
        if (name) extra[name] = extra[name] !== undefined ? `${extra[name]},${value}` : value;
      }
    }
    res.writeHead(200, {
      ...extra,
      'Content-Type': 'application/json',
      'X-Content-Type-Options': 'nosniff',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  };
  const http = createServer(handler);
  const port = Number(env['HTTP_PORT'] || '3000');
  http.listen(port);
  output.stdout(`Starting server, listening on port ${port} (http)\n`);
  let https: Server | undefined;
  if (env['TLS_SERVER_CERT'] && env['TLS_SERVER_PRIVKEY']) {
    const httpsPort = Number(env['HTTPS_PORT'] || '8443');
    https = createHttpsServer(
      { cert: readFileSync(env['TLS_SERVER_CERT']), key: readFileSync(env['TLS_SERVER_PRIVKEY']) },
      handler,
    );
    https.listen(httpsPort);
    output.stdout(`Starting server, listening on port ${httpsPort} (https)\n`);
  }
  return {
    http,
    https,
    close: () => {
      for (const s of [http, https]) {
        s?.close();
        s?.closeAllConnections();
      }
    },
  };
}

/** Entry for the image's `/echoserver` launcher. */
export function main(): void {
  echoserver();
}

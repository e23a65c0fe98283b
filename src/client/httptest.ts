/**
 * Test helper: a real HTTP server on 127.0.0.1:0 whose answers the test scripts, recording every
 * request (method, path, query, headers, body) and closing itself after the test.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TestContext } from 'node:test';
import type { RestConfig } from './kubeconfig.js';

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly remotePort: number | undefined;
}

export type Handler = (
  req: SeenRequest,
  res: http.ServerResponse,
  raw: http.IncomingMessage,
) => unknown;

export interface ScriptedServer {
  readonly url: string;
  readonly config: RestConfig;
  readonly requests: SeenRequest[];
  handler: Handler;
  /** Destroys every open connection (a crash, as seen by clients). */
  dropConnections(): void;
}

export async function startScriptedServer(
  t: TestContext,
  handler: Handler,
): Promise<ScriptedServer> {
  const sockets = new Set<Socket>();
  const requests: SeenRequest[] = [];
  const state: ScriptedServer = {
    url: '',
    config: { server: '', insecureSkipTLSVerify: false, namespace: 'default', source: 'test' },
    requests,
    handler,
    dropConnections: () => {
      for (const s of sockets) s.destroy();
    },
  };
  const server = http.createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const u = new URL(raw.url ?? '/', 'http://x');
      const seen: SeenRequest = {
        method: raw.method ?? '',
        path: u.pathname,
        query: u.searchParams,
        headers: raw.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        remotePort: raw.socket.remotePort,
      };
      requests.push(seen);
      Promise.resolve(state.handler(seen, res, raw)).catch((e: unknown) => {
        res.destroy(e instanceof Error ? e : new Error(String(e)));
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  Object.assign(state, { url, config: { ...state.config, server: url } });
  t.after(async () => {
    state.dropConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return state;
}

/** Writes a JSON answer. */
export function sendJson(
  res: http.ServerResponse,
  code: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

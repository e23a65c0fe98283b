/**
 * A tiny node agent for tests of the API server's stream proxying: HTTPS on 127.0.0.1 with the
 * kubelet paths the API server forwards to. It answers `/containerLogs/…` with fixed lines (one
 * every few milliseconds when following), and `/exec/…` / `/attach/…` as a WebSocket speaking
 * `v5.channel.k8s.io`: it echoes `command` arguments on stdout, stdin back on stdout, and exits
 * with the code given by a command `exit N`. Every request's client certificate CN is recorded.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { ClusterCA } from '../apiserver/auth/pki.js';

export interface FakeAgent {
  readonly port: number;
  /** CNs of the client certificates requests came with ('' when none). */
  readonly clients: string[];
  /** Paths (with query) requested. */
  readonly requests: string[];
  close(): Promise<void>;
}

export interface FakeAgentOptions {
  /** Lines `/containerLogs` answers with. */
  readonly logLines?: readonly string[];
}

function exitStatus(code: number): string {
  if (code === 0) return JSON.stringify({ metadata: {}, status: 'Success' });
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command, exit status ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  });
}

function frame(channel: number, data: string | Buffer): Buffer {
  return Buffer.concat([
    Buffer.from([channel]),
    typeof data === 'string' ? Buffer.from(data) : data,
  ]);
}

function runExec(ws: WebSocket, query: URLSearchParams): void {
  const command = query.getAll('command');
  const exitMatch = command.join(' ').match(/exit (\d+)/);
  if (exitMatch) {
    ws.send(frame(2, 'bye\n'));
    ws.send(frame(3, exitStatus(Number(exitMatch[1]))));
    ws.close(1000);
    return;
  }
  if (query.get('stdin') === 'true' && command[0] === 'cat') {
    ws.on('message', (data: Buffer) => {
      if (data[0] === 0) ws.send(frame(1, data.subarray(1)));
      if (data[0] === 255 && data[1] === 0) {
        ws.send(frame(3, exitStatus(0)));
        ws.close(1000);
      }
    });
    return;
  }
  ws.send(frame(1, `${command.slice(1).join(' ')}\n`));
  ws.send(frame(3, exitStatus(0)));
  ws.close(1000);
}

/** Starts a fake agent; it stops when `close` is called. */
export async function startFakeAgent(options: FakeAgentOptions = {}): Promise<FakeAgent> {
  const ca = await ClusterCA.create('fake-agent-ca');
  const serving = await ca.issueServing({
    commonName: 'fake-agent',
    dnsNames: ['localhost'],
    ips: ['127.0.0.1'],
  });
  const clients: string[] = [];
  const requests: string[] = [];
  const lines = options.logLines ?? ['line 1', 'line 2', 'line 3'];
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) =>
      protocols.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false,
  });
  const server: Server = createServer({
    cert: serving.cert,
    key: serving.key,
    requestCert: true,
    rejectUnauthorized: false,
  });
  const record = (socket: unknown, url: string | undefined): URL => {
    const peer = (socket as TLSSocket).getPeerCertificate();
    const cn = (peer.subject as unknown as Record<string, string> | undefined)?.['CN'];
    clients.push(cn ?? '');
    requests.push(url ?? '');
    return new URL(url ?? '/', 'https://agent');
  };
  server.on('request', (req, res) => {
    const url = record(req.socket, req.url);
    if (!url.pathname.startsWith('/containerLogs/')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    const tail = Number(url.searchParams.get('tailLines') ?? lines.length);
    const out = lines.slice(Math.max(0, lines.length - tail));
    if (url.searchParams.get('follow') !== 'true') {
      res.end(out.map((l) => `${l}\n`).join(''));
      return;
    }
    let i = 0;
    const timer = setInterval(() => {
      if (i >= out.length) {
        clearInterval(timer);
        res.end();
        return;
      }
      res.write(`${out[i++] ?? ''}\n`);
    }, 20);
    res.on('close', () => clearInterval(timer));
  });
  server.on('upgrade', (req, socket, head) => {
    const url = record(req.socket, req.url);
    wss.handleUpgrade(req, socket, head, (ws) => runExec(ws, url.searchParams));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    clients,
    requests,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

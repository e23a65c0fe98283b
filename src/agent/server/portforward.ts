/**
 * `/portForward/{ns}/{pod}`: kubectl port-forward, as kubelet serves it (portforward.k8s.io over
 * SPDY/3.1). Two transports:
 *   - WebSocket with subprotocol `SPDY/3.1+portforward.k8s.io` (kubectl ≥ 1.30 tries it first):
 *     the SPDY byte stream travels in binary messages;
 *   - a plain `Upgrade: SPDY/3.1` with `X-Stream-Protocol-Version: portforward.k8s.io`.
 *
 * For every forwarded connection the client opens an error stream and a data stream (headers
 * `streamType`, `port`, `requestID`). The agent connects to `localhost:<port>` inside the pod's
 * network namespace (as containerd does, so ports bound to 127.0.0.1 in the pod work), through
 * `nsenter --net=… socat`, and copies both ways; a failure is written on the error stream in
 * kubelet's words ("error forwarding port 8080 to pod …").
 */
import { spawn } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer, WebSocket } from 'ws';
import type { Logger } from '../../lib/log/logger.js';
import { httpError, type Target } from './server.js';
import { SpdyConnection, type SpdyStream } from './spdy.js';

export const portForwardProtocol = 'portforward.k8s.io';
export const portForwardWebSocketProtocol = 'SPDY/3.1+portforward.k8s.io';

export interface PortForwardRequest {
  readonly target: Target;
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly wss: WebSocketServer;
  readonly logger: Logger;
}

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** The pod's network namespace and IP, for connecting to a port inside it. @throws HttpError */
function podNetwork(t: Target): { netns: string; ip: string } {
  const sb = [...t.view.sandboxes].sort((a, b) => b.attempt - a.attempt)[0];
  if (!sb || sb.state !== 'ready' || !sb.netnsPath)
    throw httpError(
      400,
      `pod ${t.pod.metadata.name ?? ''} has no running sandbox to forward ports to`,
    );
  return { netns: sb.netnsPath, ip: sb.ip ?? '' };
}

function forward(t: Target, pair: Required<Omit<Pair, 'timer'>>, log: Logger): void {
  const port = Number(pair.data.header('port'));
  const podName = t.pod.metadata.name ?? '';
  const uid = t.pod.metadata.uid ?? '';
  const fail = (msg: string): void => {
    pair.error.end(`error forwarding port ${port} to pod ${podName}, uid ${uid}: ${msg}`);
    pair.data.end();
  };
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    fail(`invalid port ${String(pair.data.header('port'))}`);
    return;
  }
  let net: { netns: string; ip: string };
  try {
    net = podNetwork(t);
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
    return;
  }
  const child = spawn(
    'nsenter',
    [`--net=${net.netns}`, 'socat', '-', `TCP:localhost:${port},connect-timeout=10`],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const stderr: Buffer[] = [];
  let sent = 0;
  child.stderr.on('data', (b: Buffer) => stderr.push(b));
  child.stdout.on('data', (b: Buffer) => (sent += b.length));
  child.stdout.pipe(pair.data);
  pair.data.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  pair.data.on('error', () => child.kill('SIGKILL'));
  pair.data.on('close', () => child.kill('SIGTERM'));
  child.on('error', (e) => fail(`cannot run socat in the pod's network namespace: ${e.message}`));
  child.on('close', (code) => {
    if (code !== 0 && sent === 0) {
      const why = Buffer.concat(stderr).toString().trim().split('\n').pop() ?? '';
      fail(
        `failed to connect to localhost:${port} inside namespace "${net.netns}": ${why.replace(/^.*E /, '') || `exit ${code ?? 'signal'}`}`,
      );
      return;
    }
    pair.error.end();
  });
  log.v(2).info('Port forward', { pod: `${t.pod.metadata.namespace ?? ''}/${podName}`, port });
}

/** Serves the port-forward protocol over an established SPDY connection's byte stream. */
function serve(t: Target, conn: SpdyConnection, log: Logger): (s: SpdyStream) => void {
  const pairs = new Map<string, Pair>();
  return (s) => {
    const type = s.header('streamtype');
    const port = s.header('port') ?? '';
    const key = s.header('requestid') ?? port;
    if (type !== 'error' && type !== 'data') {
      s.reset(1);
      return;
    }
    void s.reply().catch(() => undefined);
    let pair = pairs.get(key);
    if (!pair) {
      pair = {
        timer: setTimeout(() => {
          // the other stream never came (kubelet waits 30 s too)
          pairs.delete(key);
          pair?.error?.reset();
          pair?.data?.reset();
        }, 30_000),
      };
      pairs.set(key, pair);
    }
    if (type === 'error') pair.error = s;
    else pair.data = s;
    if (pair.error && pair.data) {
      clearTimeout(pair.timer);
      pairs.delete(key);
      forward(t, { error: pair.error, data: pair.data }, log);
    }
    if (conn.closed) s.destroy();
  };
}

export async function handlePortForward(r: PortForwardRequest): Promise<void> {
  const { target, req, socket, head, wss, logger } = r;
  podNetwork(target);
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  if (upgrade === 'websocket') {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((x) => x.trim());
    if (!offered.includes(portForwardWebSocketProtocol))
      throw httpError(
        400,
        `port forwarding over WebSocket needs the subprotocol ${portForwardWebSocketProtocol}`,
      );
    const ws = await new Promise<WebSocket>((resolve) =>
      wss.handleUpgrade(req, socket, head, (w) => resolve(w)),
    );
    const conn: SpdyConnection = new SpdyConnection({
      write: (b, cb) => {
        if (ws.readyState !== ws.OPEN) {
          cb(new Error('closed'));
          return;
        }
        ws.send(b, { binary: true }, (e) => cb(e ?? null));
      },
      onStream: (s) => handler(s),
      onClose: () => ws.close(1000),
    });
    const handler = serve(target, conn, logger);
    ws.on('message', (data: Buffer) => conn.receive(data));
    ws.on('close', () => conn.close('the client closed the WebSocket'));
    ws.on('error', () => conn.close('WebSocket error'));
    return;
  }
  if (upgrade !== 'spdy/3.1')
    throw httpError(400, `port forwarding needs an upgrade to SPDY/3.1, not ${upgrade || 'none'}`);
  const versions = String(req.headers['x-stream-protocol-version'] ?? '')
    .split(',')
    .map((x) => x.trim());
  if (!versions.includes(portForwardProtocol))
    throw httpError(
      403,
      `unable to upgrade: unable to negotiate protocol: client supports [${versions.join(' ')}], server supports [${portForwardProtocol}]`,
    );
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
      `X-Stream-Protocol-Version: ${portForwardProtocol}\r\n\r\n`,
  );
  const conn = new SpdyConnection({
    write: (b, cb) => {
      if (socket.destroyed) {
        cb(new Error('closed'));
        return;
      }
      socket.write(b, (e) => cb(e ?? null));
    },
    onStream: (s) => handler(s),
    onClose: () => socket.end(),
  });
  const handler = serve(target, conn, logger);
  if (head.length > 0) conn.receive(head);
  socket.on('data', (b: Buffer) => conn.receive(b));
  socket.on('close', () => conn.close('the client closed the connection'));
  socket.on('error', () => conn.close('connection error'));
}

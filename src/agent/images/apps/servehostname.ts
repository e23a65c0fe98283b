/**
 * `agnhost serve-hostname` (W-SERVE-HOSTNAME): the pod's hostname over HTTP on --port (9376), or
 * with `--http=false --tcp --udp` as raw TCP (write and close) and UDP replies. After SIGTERM it
 * keeps serving for 60 s ("Awaiting pod deletion"), as upstream does.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { hostname } from 'node:os';
import { bool, int, logf, parseFlags } from './flags.js';

export interface ServeHostname {
  close(): void;
}

export function serveHostname(argv: readonly string[]): ServeHostname {
  const flags = parseFlags(argv, { tcp: 'bool', udp: 'bool', http: 'bool', close: 'bool', port: 'int' });
  const doTCP = bool(flags, 'tcp', false);
  const doUDP = bool(flags, 'udp', false);
  const doHTTP = bool(flags, 'http', true);
  const doClose = bool(flags, 'close', false);
  const port = int(flags, 'port', 9376);
  if (doHTTP && (doTCP || doUDP)) throw new Error("Can't server TCP/UDP mode and HTTP mode at the same time");
  const name = hostname();
  let tcp: TcpServer | undefined;
  let udp: Socket | undefined;
  let http: HttpServer | undefined;
  if (doTCP) {
    tcp = createTcpServer((conn) => {
      logf(`TCP request from ${conn.remoteAddress ?? ''}:${conn.remotePort ?? 0}`);
      conn.on('error', () => undefined);
      conn.end(name);
    });
    tcp.listen(port);
  }
  if (doUDP) {
    const sock = createSocket({ type: 'udp6', ipv6Only: false });
    sock.on('message', (_msg, rinfo) => {
      logf(`UDP request from ${rinfo.address}:${rinfo.port}`);
      sock.send(name, rinfo.port, rinfo.address);
    });
    sock.bind(port);
    udp = sock;
  }
  if (doHTTP) {
    http = createHttpServer((req, res) => {
      logf(`HTTP request from ${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? 0}`);
      const headers: Record<string, string | number> = {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': Buffer.byteLength(name),
      };
      if (doClose) headers['Connection'] = 'close';
      res.writeHead(200, headers);
      res.end(name);
    });
    http.listen(port);
  }
  logf(`Serving on port ${port}.`);
  const onTerm = () => {
    logf('Shutting down after receiving signal: terminated.');
    logf('Awaiting pod deletion.');
    setTimeout(() => process.exit(0), 60_000);
  };
  process.once('SIGTERM', onTerm);
  return {
    close: () => {
      process.removeListener('SIGTERM', onTerm);
      tcp?.close();
      udp?.close();
      http?.close();
      http?.closeAllConnections();
    },
  };
}

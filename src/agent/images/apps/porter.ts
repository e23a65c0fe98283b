/**
 * `agnhost porter` (W-PORTER): for every environment variable SERVE_PORT_<n> (or SERVE_TCP_PORT_<n>)
 * an HTTP server on port n answering its value; SERVE_TLS_PORT_<n> the same over TLS (the image's
 * /localhost.crt and /localhost.key, or CERT_FILE and KEY_FILE); SERVE_UDP_PORT_<n> replies to
 * datagrams. `--json-response` answers `{"body":…,"method":…}` as application/json.
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { bool, logf, parseFlags } from './flags.js';

export interface Porter {
  readonly servers: readonly (Server | Socket)[];
  close(): void;
}

export function porter(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Porter {
  const json = bool(parseFlags(argv, { 'json-response': 'bool' }), 'json-response', false);
  const servers: (Server | Socket)[] = [];
  const handler = (value: string) => (req: IncomingMessage, res: ServerResponse) => {
    if (json) {
      const body = JSON.stringify({ body: value, method: req.method ?? 'GET' });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(value) });
    res.end(value);
  };
  for (const [key, value = ''] of Object.entries(env)) {
    const m = /^SERVE_(PORT|TCP_PORT|TLS_PORT|UDP_PORT)_(\d+)$/.exec(key);
    if (!m?.[1] || !m[2]) continue;
    const port = Number(m[2]);
    if (m[1] === 'UDP_PORT') {
      const sock = createSocket('udp4');
      sock.on('message', (_msg, rinfo) => sock.send(value, rinfo.port, rinfo.address));
      sock.bind(port, '0.0.0.0');
      logf(`Started UDP server on port ${port}`);
      servers.push(sock);
      continue;
    }
    const server =
      m[1] === 'TLS_PORT'
        ? createHttpsServer(
            {
              cert: readFileSync(env['CERT_FILE'] || 'localhost.crt'),
              key: readFileSync(env['KEY_FILE'] || 'localhost.key'),
            },
            handler(value),
          )
        : createServer(handler(value));
    server.on('error', (e) => logf(`server on port "${port}" failed: ${e.message}`));
    server.listen(port, '0.0.0.0');
    servers.push(server);
  }
  return {
    servers,
    close: () => {
      for (const s of servers) {
        if ('closeAllConnections' in s) {
          s.close();
          s.closeAllConnections();
        } else s.close();
      }
    },
  };
}

/**
 * `agnhost netexec` (W-NETEXEC): HTTP on --http-port (8080) with /, /clientip, /dial, /echo,
 * /exit, /header, /healthz, /readyz, /hostname, /hostName, /redirect, /shell, /shutdown, and a UDP
 * server on --udp-port (8081; -1 disables it) answering `hostname`, `echo <msg>` and `clientip`.
 * SIGTERM turns /readyz to 503; with --delay-shutdown=S the process keeps serving S seconds more,
 * otherwise it dies of the signal as the Go program does.
 */
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { request as httpRequest, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { hostname } from 'node:os';
import { int, logf, parseDuration, parseFlags, str } from './flags.js';

export interface Netexec {
  readonly http: Server;
  readonly udp: Socket | undefined;
  close(): void;
}

function send(res: ServerResponse, code: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function dialHTTP(host: string, port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, path: `/${path}`, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('Client.Timeout exceeded while awaiting headers')));
    req.on('error', reject);
    req.end();
  });
}

function dialUDP(host: string, port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error("reading from udp connection failed. err:'i/o timeout'"));
    }, 5000);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(msg.toString());
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      sock.close();
      reject(new Error(`udp connection write failed. err:${e.message}`));
    });
    sock.send(payload, port, host);
  });
}

export function netexec(argv: readonly string[]): Netexec {
  const flags = parseFlags(argv, {
    'http-port': 'int',
    'udp-port': 'int',
    'sctp-port': 'int',
    'tls-cert-file': 'string',
    'tls-private-key-file': 'string',
    'http-override': 'string',
    'udp-listen-addresses': 'string',
    'delay-shutdown': 'int',
  });
  const httpPort = int(flags, 'http-port', 8080);
  const udpPort = int(flags, 'udp-port', 8081);
  const delayShutdown = int(flags, 'delay-shutdown', 0);
  const override = str(flags, 'http-override', '');
  let udpReady = udpPort === -1;
  let terminating = false;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(override || req.url || '/', 'http://localhost');
    const q = url.searchParams;
    switch (url.pathname) {
      case '/':
        logf('GET /');
        send(res, 200, `NOW: ${new Date().toString()}`);
        return;
      case '/clientip': {
        logf('GET /clientip');
        const addr = req.socket.remoteAddress ?? '';
        const host = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
        send(res, 200, `${host.includes(':') ? `[${host}]` : host}:${req.socket.remotePort ?? 0}`);
        return;
      }
      case '/header': {
        const key = q.get('key') ?? '';
        send(res, 200, String(req.headers[key.toLowerCase()] ?? ''));
        return;
      }
      case '/echo': {
        const msg = q.get('msg') ?? '';
        const code = q.get('code') ?? '';
        logf(`GET /echo?msg=${msg}&code=${code}`);
        if (code !== '' && !/^\d+$/.test(code)) {
          send(res, 200, `argument 'code' must be an integer or empty, got ${JSON.stringify(code)}\n`);
          return;
        }
        send(res, code ? Number(code) : 200, msg);
        return;
      }
      case '/hostname':
      case '/hostName':
        logf(`GET ${url.pathname}`);
        send(res, 200, hostname());
        return;
      case '/healthz':
        logf('GET /healthz');
        send(res, udpReady ? 200 : 412, '');
        return;
      case '/readyz':
        send(res, terminating ? 503 : 200, '');
        return;
      case '/shutdown':
        logf('GET /shutdown');
        process.exit(0);
        return;
      case '/exit': {
        const code = Number(q.get('code') ?? '0');
        const wait = parseDuration(q.get('wait') || '0') ?? 0;
        const timeout = parseDuration(q.get('timeout') || '0') ?? 0;
        logf(`GET /exit?code=${code}&timeout=${q.get('timeout') ?? ''}&wait=${q.get('wait') ?? ''}`);
        if (!Number.isInteger(code) || code < 0 || code > 127) {
          send(res, 200, `argument 'code' must be an integer [0-127] or empty, got ${JSON.stringify(q.get('code'))}\n`);
          return;
        }
        send(res, 200, '');
        setTimeout(() => {
          if (timeout === 0) process.exit(code);
          server.close(() => process.exit(code));
          setTimeout(() => process.exit(code), timeout).unref();
        }, wait);
        return;
      }
      case '/redirect': {
        const location = q.get('location') ?? '';
        res.writeHead(Number(q.get('code') ?? '302'), { Location: location });
        res.end();
        return;
      }
      case '/shell': {
        const cmd = q.get('shellCommand') ?? q.get('cmd') ?? '';
        logf(`GET /shell?cmd=${cmd}`);
        execFile('/bin/sh', ['-c', cmd], (err, stdout, stderr) => {
          const out: Record<string, string> = {};
          const combined = stdout + stderr;
          if (combined) out['output'] = combined;
          if (err) out['error'] = `exit status ${typeof err.code === 'number' ? err.code : 1}`;
          send(res, 200, JSON.stringify(out));
        });
        return;
      }
      case '/dial': {
        const host = q.get('host') ?? '';
        const port = Number(q.get('port') ?? '');
        const request = q.get('request') ?? '';
        const protocol = (q.get('protocol') ?? 'http').toLowerCase();
        const tries = Number(q.get('tries') ?? '1');
        logf(`GET /dial?host=${host}&protocol=${protocol}&port=${q.get('port') ?? ''}&request=${request}&tries=${tries}`);
        if (!Number.isInteger(tries)) return send(res, 400, `tries parameter is invalid. ${q.get('tries') ?? ''}\n`);
        if (!request) return send(res, 400, 'request parameter not specified. <nil>\n');
        if (!host || !Number.isInteger(port) || port <= 0 || port > 65535)
          return send(res, 400, 'host and/or port param are invalid.\n');
        if (protocol !== '' && protocol !== 'http' && protocol !== 'udp')
          return send(res, 400, `unsupported protocol. ${protocol}\n`);
        const responses: string[] = [];
        const errors: string[] = [];
        let last = '';
        for (let i = 0; i < tries; i++) {
          try {
            last = protocol === 'udp' ? await dialUDP(host, port, request) : await dialHTTP(host, port, request);
            responses.push(last);
          } catch (e) {
            last = '';
            errors.push(e instanceof Error ? e.message : String(e));
          }
        }
        const out: Record<string, string[]> = {};
        if (last.length > 0) out['responses'] = responses;
        if (errors.length > 0) out['errors'] = errors;
        send(res, 200, JSON.stringify(out));
        return;
      }
      default:
        send(res, 404, '404 page not found\n');
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e: unknown) => send(res, 500, String(e)));
  };
  const cert = str(flags, 'tls-cert-file', '');
  const server = cert
    ? createHttpsServer({ cert: readFileSync(cert), key: readFileSync(str(flags, 'tls-private-key-file', '')) }, listener)
    : createServer(listener);
  server.listen(httpPort);
  logf(`Started HTTP server on port ${httpPort}`);

  let udp: Socket | undefined;
  if (udpPort !== -1) {
    udp = createSocket({ type: 'udp6', ipv6Only: false });
    const sock = udp;
    sock.on('message', (msg, rinfo) => {
      const text = msg.toString().trim().toLowerCase();
      const client = rinfo.address.startsWith('::ffff:') ? rinfo.address.slice(7) : rinfo.address;
      let reply: string | undefined;
      if (text === 'hostname') reply = hostname();
      else if (text.startsWith('echo ')) reply = text.slice(5);
      else if (text === 'clientip') reply = `${client.includes(':') ? `[${client}]` : client}:${rinfo.port}`;
      else if (text.length > 0) logf(`Unknown UDP command received from ${client}:${rinfo.port}: ${text}`);
      if (reply !== undefined) sock.send(reply, rinfo.port, rinfo.address);
    });
    sock.on('listening', () => {
      udpReady = true;
      logf(`Started UDP server on port  ${udpPort}`);
    });
    sock.bind(udpPort);
  }

  const onTerm = () => {
    terminating = true;
    logf('Received SIGTERM');
    if (delayShutdown > 0) {
      logf(`Sleeping ${delayShutdown} seconds before terminating...`);
      setTimeout(() => process.exit(0), delayShutdown * 1000);
    } else {
      process.removeListener('SIGTERM', onTerm);
      process.kill(process.pid, 'SIGTERM');
    }
  };
  process.on('SIGTERM', onTerm);
  return {
    http: server,
    udp,
    close: () => {
      process.removeListener('SIGTERM', onTerm);
      server.close();
      server.closeAllConnections();
      udp?.close();
    },
  };
}

/**
 * TCP and UDP relays for one frontend (address and port) of a Service port. Every byte crosses
 * this process, so this is the fallback where nftables cannot be used (performance.md §2.2: about
 * a third of the kernel's throughput and a fifth of its connection rate).
 */
import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket as DgramSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Logger } from '../../lib/log/logger.js';
import { isIPv6 } from '../types.js';
import type { EndpointSelector, Target } from './select.js';

export interface Relay {
  readonly protocol: 'TCP' | 'UDP';
  /** Starts listening. @throws the bind error (EADDRNOTAVAIL when the address is not local). */
  start(): Promise<void>;
  /** Stops listening; established TCP connections finish on their own unless `dropFlows`. */
  close(dropFlows?: boolean): Promise<void>;
  /** Drops flows to endpoints that are gone (UDP sessions; TCP connections are left alone). */
  prune(live: ReadonlySet<string>): void;
}

const dialAttempts = 3;

export class TcpRelay implements Relay {
  readonly protocol = 'TCP';
  readonly #host: string;
  readonly #port: number;
  readonly #selector: EndpointSelector;
  readonly #log: Logger;
  #server: Server | undefined;
  readonly #connectTimeoutMs: number;
  readonly #sockets = new Set<Socket>();

  constructor(options: {
    host: string;
    port: number;
    selector: EndpointSelector;
    logger: Logger;
    connectTimeoutMs?: number;
  }) {
    this.#host = options.host;
    this.#port = options.port;
    this.#selector = options.selector;
    this.#log = options.logger;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  }

  start(): Promise<void> {
    const server = createServer({ noDelay: true }, (client) => this.#accept(client));
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.#host, port: this.#port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (err) =>
          this.#log.error(err, 'TCP relay error', { frontend: `${this.#host}:${this.#port}` }),
        );
        resolve();
      });
    });
  }

  close(dropFlows = false): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    // Stops accepting at once; the server's own close callback would wait for every connection.
    s?.close();
    if (dropFlows) for (const sock of this.#sockets) sock.destroy();
    return Promise.resolve();
  }

  prune(): void {
    // TCP connections keep their endpoint until they end, as conntrack entries do.
  }

  #accept(client: Socket): void {
    client.on('error', () => undefined);
    this.#sockets.add(client);
    client.on('close', () => this.#sockets.delete(client));
    const tried = new Set<string>();
    const attempt = (): void => {
      const target = this.#selector.pick(client.remoteAddress ?? '', tried);
      if (!target || tried.size >= dialAttempts) {
        client.resetAndDestroy();
        return;
      }
      tried.add(`${target.ip}|${target.port}`);
      this.#dial(client, target, attempt);
    };
    attempt();
  }

  #dial(client: Socket, target: Target, retry: () => void): void {
    const upstream = connect({ host: target.ip, port: target.port, noDelay: true });
    this.#sockets.add(upstream);
    upstream.on('close', () => this.#sockets.delete(upstream));
    let connected = false;
    const timer = setTimeout(
      () => upstream.destroy(new Error('connect timeout')),
      this.#connectTimeoutMs,
    );
    timer.unref();
    upstream.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on('error', () => {
      clearTimeout(timer);
      if (!connected) {
        if (!client.destroyed) retry();
        return;
      }
      client.resetAndDestroy();
    });
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => {
      if (connected) client.end();
    });
  }
}

interface UdpSession {
  readonly upstream: DgramSocket;
  readonly target: Target;
  timer: NodeJS.Timeout;
}

export class UdpRelay implements Relay {
  readonly protocol = 'UDP';
  readonly #host: string;
  readonly #port: number;
  readonly #selector: EndpointSelector;
  readonly #log: Logger;
  readonly #idleMs: number;
  #socket: DgramSocket | undefined;
  readonly #sessions = new Map<string, UdpSession>();

  constructor(options: {
    host: string;
    port: number;
    selector: EndpointSelector;
    logger: Logger;
    idleTimeoutMs?: number;
  }) {
    this.#host = options.host;
    this.#port = options.port;
    this.#selector = options.selector;
    this.#log = options.logger;
    this.#idleMs = options.idleTimeoutMs ?? 30_000;
  }

  start(): Promise<void> {
    const socket = createSocket({ type: isIPv6(this.#host) ? 'udp6' : 'udp4', reuseAddr: false });
    this.#socket = socket;
    socket.on('message', (msg, rinfo) => this.#forward(msg, rinfo));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: this.#host, port: this.#port, exclusive: true }, () => {
        socket.off('error', reject);
        socket.on('error', (err) =>
          this.#log.error(err, 'UDP relay error', { frontend: `${this.#host}:${this.#port}` }),
        );
        resolve();
      });
    });
  }

  #forward(msg: Buffer, rinfo: RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    let s = this.#sessions.get(key);
    if (!s) {
      const target = this.#selector.pick(rinfo.address);
      if (!target) return;
      const upstream = createSocket(isIPv6(target.ip) ? 'udp6' : 'udp4');
      upstream.on('error', () => this.#drop(key));
      upstream.on('message', (reply) => {
        this.#socket?.send(reply, rinfo.port, rinfo.address);
        const cur = this.#sessions.get(key);
        if (cur) cur.timer.refresh();
      });
      const timer = setTimeout(() => this.#drop(key), this.#idleMs);
      timer.unref();
      s = { upstream, target, timer };
      this.#sessions.set(key, s);
    } else s.timer.refresh();
    s.upstream.send(msg, s.target.port, s.target.ip);
  }

  #drop(key: string): void {
    const s = this.#sessions.get(key);
    if (!s) return;
    this.#sessions.delete(key);
    clearTimeout(s.timer);
    s.upstream.close();
  }

  prune(live: ReadonlySet<string>): void {
    for (const [key, s] of this.#sessions)
      if (!live.has(`${s.target.ip}|${s.target.port}`)) this.#drop(key);
  }

  close(): Promise<void> {
    for (const key of [...this.#sessions.keys()]) this.#drop(key);
    const s = this.#socket;
    this.#socket = undefined;
    return new Promise((resolve) => {
      if (!s) resolve();
      else s.close(() => resolve());
    });
  }
}

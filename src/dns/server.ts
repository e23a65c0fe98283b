/**
 * UDP and TCP listeners. A wildcard bind address (0.0.0.0, ::) is expanded into one socket per
 * local address, re-scanned every few seconds, as BIND does: a UDP reply must leave from the
 * address the query came to, or a client behind DNAT (pods reaching the kube-dns Service) would
 * see it come from another address and drop it — Node's sockets cannot choose a reply's source.
 *
 * TCP (RFC 7766): length-prefixed messages, several per connection and pipelined (answers may be
 * out of order), idle connections closed after 10 s, at most 1000 connections.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { asError } from '../lib/errors.js';
import type { Logger } from '../lib/log/logger.js';
import { SLOW, type DnsEngine } from './engine.js';
import { canonicalIP } from './ip.js';

export interface ServerOptions {
  readonly engine: DnsEngine;
  /** Addresses to listen on; `0.0.0.0` and `::` stand for every local address of the family. */
  readonly bindAddresses: readonly string[];
  readonly port: number;
  readonly logger: Logger;
  readonly tcpIdleMs?: number;
  readonly maxTcpConnections?: number;
  /** How often wildcard addresses are re-scanned (default 5 s; 0: never). */
  readonly rescanMs?: number;
  /** Local addresses (tests); default os.networkInterfaces(). */
  readonly localAddresses?: () => string[];
}

interface Listener {
  readonly address: string;
  readonly udp: Socket;
  readonly tcp: Server;
}

/** Every address of this machine (IPv6 link-local ones excluded: they need a scope). */
export function localAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) {
      if (a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80')) continue;
      const c = canonicalIP(a.address);
      if (c && !out.includes(c.ip)) out.push(c.ip);
    }
  return out;
}

/** A dgram `lookup` for literal addresses only, answering synchronously. */
function literalLookup(
  address: string,
  _family: unknown,
  callback: (err: Error | null, address: string, family: number) => void,
): void {
  callback(null, address, address.includes(':') ? 6 : 4);
}

export class DnsServer {
  readonly #o: ServerOptions;
  readonly #listeners = new Map<string, Listener>();
  readonly #failed = new Set<string>();
  readonly #connections = new Set<TcpSocket>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  port: number;

  private constructor(o: ServerOptions) {
    this.#o = o;
    this.port = o.port;
  }

  /** Starts listening. @throws Error when no address could be bound */
  static async start(o: ServerOptions): Promise<DnsServer> {
    const s = new DnsServer(o);
    await s.#sync();
    if (s.#listeners.size === 0)
      throw new Error(
        `could not listen on port ${o.port} of ${o.bindAddresses.join(', ')}: see the errors above (another DNS server on the port? not root for port 53? use --port)`,
      );
    const wildcard = o.bindAddresses.some((a) => a === '0.0.0.0' || a === '::');
    const every = o.rescanMs ?? 5000;
    if (wildcard && every > 0) {
      s.#timer = setInterval(() => {
        s.#sync().catch((e: unknown) => o.logger.error(asError(e), 'Re-scanning addresses failed'));
      }, every);
      s.#timer.unref();
    }
    return s;
  }

  /** The addresses listened on now. */
  get addresses(): string[] {
    return [...this.#listeners.keys()];
  }

  #wanted(): string[] {
    const local = (this.#o.localAddresses ?? localAddresses)();
    const out: string[] = [];
    for (const a of this.#o.bindAddresses) {
      if (a === '0.0.0.0') out.push(...local.filter((x) => !x.includes(':')));
      else if (a === '::') out.push(...local.filter((x) => x.includes(':')));
      else {
        const c = canonicalIP(a);
        if (c) out.push(c.ip);
      }
    }
    return [...new Set(out)];
  }

  async #sync(): Promise<void> {
    if (this.#closed) return;
    const wanted = this.#wanted();
    for (const [addr, l] of this.#listeners) {
      if (wanted.includes(addr)) continue;
      this.#listeners.delete(addr);
      l.udp.close();
      l.tcp.close();
      this.#o.logger.info('Stopped listening on a removed address', { address: addr });
    }
    for (const addr of wanted) {
      if (this.#listeners.has(addr)) continue;
      try {
        const l = await this.#listen(addr);
        this.#listeners.set(addr, l);
        this.#failed.delete(addr);
        this.#o.logger.v(1).info('Listening', { address: addr, port: this.port });
      } catch (e) {
        if (!this.#failed.has(addr))
          this.#o.logger.error(asError(e), 'Cannot listen on an address', {
            address: addr,
            port: this.port,
          });
        this.#failed.add(addr);
      }
    }
  }

  async #listen(address: string): Promise<Listener> {
    const v6 = address.includes(':');
    const engine = this.#o.engine;
    const log = this.#o.logger;
    // Replies go to the address the query came from: no name lookup, no deferral to the next
    // tick (dgram's default lookup costs a process.nextTick and dns.lookup's checks per send).
    const udp = createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6, lookup: literalLookup });
    udp.on('message', (msg, rinfo) => {
      let r: Buffer | null | typeof SLOW;
      try {
        r = engine.answerSync(msg, false, v6);
      } catch (e) {
        log.error(asError(e), 'Answering a query failed');
        r = SLOW;
      }
      if (r === SLOW) {
        engine.answerAsync(msg, false, v6).then(
          (out) => {
            if (out) udp.send(out, rinfo.port, rinfo.address);
          },
          (e: unknown) => log.error(asError(e), 'Answering a query failed'),
        );
      } else if (r !== null) udp.send(r, rinfo.port, rinfo.address);
    });
    udp.on('error', (e) => log.v(2).info('UDP socket error', { address, err: e.message }));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ port: this.port, address, exclusive: true }, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    if (this.port === 0) this.port = udp.address().port;
    const tcp = createServer((sock) => this.#onTcp(sock, v6));
    tcp.maxConnections = this.#o.maxTcpConnections ?? 1000;
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ port: this.port, host: address, ipv6Only: v6 }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      udp.close();
      throw e;
    }
    tcp.on('error', (e) => log.warn('TCP listener error', { address, err: e.message }));
    return { address, udp, tcp };
  }

  #onTcp(sock: TcpSocket, v6: boolean): void {
    const engine = this.#o.engine;
    const log = this.#o.logger;
    this.#connections.add(sock);
    sock.setNoDelay(true);
    sock.setTimeout(this.#o.tcpIdleMs ?? 10_000, () => sock.destroy());
    let buf: Buffer = Buffer.alloc(0);
    let pending = 0;
    const send = (out: Buffer): void => {
      if (sock.destroyed) return;
      const frame = Buffer.allocUnsafe(2 + out.length);
      frame.writeUInt16BE(out.length, 0);
      out.copy(frame, 2);
      sock.write(frame);
    };
    sock.on('data', (d: Buffer) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      while (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (buf.length < 2 + n) break;
        const msg = buf.subarray(2, 2 + n);
        buf = buf.subarray(2 + n);
        if (n < 12) {
          sock.destroy();
          return;
        }
        let r: Buffer | null | typeof SLOW;
        try {
          r = engine.answerSync(msg, true, v6);
        } catch (e) {
          log.error(asError(e), 'Answering a query failed');
          r = SLOW;
        }
        if (r === SLOW) {
          if (pending >= 100) continue;
          pending++;
          engine
            .answerAsync(Buffer.from(msg), true, v6)
            .then(
              (out) => {
                if (out) send(out);
              },
              (e: unknown) => log.error(asError(e), 'Answering a query failed'),
            )
            .finally(() => pending--);
        } else if (r !== null) send(r);
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => this.#connections.delete(sock));
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const c of this.#connections) c.destroy();
    await Promise.all(
      [...this.#listeners.values()].map(
        (l) =>
          new Promise<void>((resolve) => {
            l.udp.close(() => {
              l.tcp.close(() => resolve());
            });
          }),
      ),
    );
    this.#listeners.clear();
  }
}

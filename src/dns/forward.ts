/**
 * Forwarding to upstream resolvers (CoreDNS's `forward` plugin, kubeadm's `forward .
 * /etc/resolv.conf`): UDP first, the same upstream again over TCP when the answer is truncated;
 * on a timeout the next upstream (healthy ones first, starting at a random one); identical
 * queries in flight are sent once; at most `maxConcurrent` queries in flight (beyond: busy).
 *
 * Answers are accepted only from the address and port asked, with the ID and question sent
 * (IDs are random). An upstream found to send our queries back to us (a loop) is excluded.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import type { Clock } from '../lib/clock.js';
import { PorticoError } from '../lib/errors.js';
import type { Logger } from '../lib/log/logger.js';
import { T } from './types.js';

export interface Upstream {
  readonly host: string;
  readonly port: number;
}

export function upstreamString(u: Upstream): string {
  return u.host.includes(':') ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`;
}

export type ForwardErrorCode =
  'E_DNS_NO_UPSTREAM' | 'E_DNS_FORWARD_TIMEOUT' | 'E_DNS_FORWARD_BUSY' | 'E_DNS_FORWARD_FAILED';

export class ForwardError extends PorticoError {
  declare readonly code: ForwardErrorCode;
}

export interface ForwardResult {
  readonly response: Buffer;
  readonly upstream: Upstream;
  readonly tcp: boolean;
}

export interface ForwarderOptions {
  readonly upstreams: readonly Upstream[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Per try (default 2000 ms). */
  readonly timeoutMs?: number;
  /** Whole query, across tries (default 5000 ms). */
  readonly deadlineMs?: number;
  readonly maxConcurrent?: number;
  /** Our advertised UDP payload size in the queries we send (default 1232). */
  readonly udpSize?: number;
  /** Called after each upstream exchange (metrics). */
  readonly observe?: (u: Upstream, rcode: number | 'timeout' | 'error', ms: number) => void;
}

interface Pending {
  readonly upstream: Upstream;
  readonly question: Buffer;
  readonly resolve: (b: Buffer) => void;
}

interface Health {
  fails: number;
  lastFail: number;
}

/** The question section (name + type + class) of a message, or undefined. */
function questionOf(msg: Buffer): Buffer | undefined {
  let off = 12;
  for (let g = 0; g < 128; g++) {
    const l = msg[off];
    if (l === undefined) return undefined;
    if (l === 0) {
      off += 1;
      return off + 4 <= msg.length ? msg.subarray(12, off + 4) : undefined;
    }
    if (l > 63) return undefined;
    off += l + 1;
  }
  return undefined;
}

function sameQuestion(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a[i] ?? 0;
    let y = b[i] ?? 0;
    if (x >= 65 && x <= 90) x |= 32;
    if (y >= 65 && y <= 90) y |= 32;
    if (x !== y) return false;
  }
  return true;
}

export class Forwarder {
  readonly #o: ForwarderOptions;
  readonly #health = new Map<string, Health>();
  readonly #excluded = new Map<string, string>();
  readonly #pending = new Map<number, Pending>();
  readonly #inflight = new Map<string, Promise<ForwardResult>>();
  #sockets: { udp4?: Socket; udp6?: Socket } = {};
  #concurrent = 0;
  #closed = false;

  constructor(options: ForwarderOptions) {
    this.#o = options;
  }

  /** True while some upstream may be asked (cheap: the hot path reads it for the RA bit). */
  get available(): boolean {
    return this.#excluded.size < this.#o.upstreams.length;
  }

  /** The upstreams queries may go to (configured minus excluded). */
  get usable(): Upstream[] {
    return this.#o.upstreams.filter((u) => !this.#excluded.has(upstreamString(u)));
  }

  get upstreams(): readonly Upstream[] {
    return this.#o.upstreams;
  }

  get concurrent(): number {
    return this.#concurrent;
  }

  /** Never forward to this upstream again (it is this server, or loops back to it). */
  exclude(u: Upstream, reason: string): void {
    const k = upstreamString(u);
    if (this.#excluded.has(k)) return;
    this.#excluded.set(k, reason);
    this.#o.logger.error(
      new ForwardError('E_DNS_NO_UPSTREAM', `${k}: ${reason}`),
      'Not forwarding to an upstream that leads back to this server; fix /etc/resolv.conf or --upstream',
      { upstream: k, reason },
    );
  }

  excludedReason(u: Upstream): string | undefined {
    return this.#excluded.get(upstreamString(u));
  }

  close(): void {
    this.#closed = true;
    for (const s of Object.values(this.#sockets)) s?.close();
    this.#sockets = {};
    for (const p of this.#pending.values()) p.resolve(Buffer.alloc(0));
    this.#pending.clear();
  }

  #socket(family: 4 | 6): Socket {
    const key = family === 4 ? 'udp4' : 'udp6';
    const existing = this.#sockets[key];
    if (existing) return existing;
    const s = createSocket(key);
    s.on('message', (msg, rinfo) => {
      if (msg.length < 12) return;
      const p = this.#pending.get(msg.readUInt16BE(0));
      if (!p || rinfo.port !== p.upstream.port || rinfo.address !== p.upstream.host) return;
      const q = questionOf(msg);
      if (!q || !sameQuestion(q, p.question)) return;
      this.#pending.delete(msg.readUInt16BE(0));
      p.resolve(msg);
    });
    s.on('error', (err) => this.#o.logger.warn('Upstream socket error', { err: err.message }));
    s.unref();
    this.#sockets[key] = s;
    return s;
  }

  /** A query message for an upstream: our ID, RD, the question, an OPT record. */
  #queryMessage(id: number, question: Buffer, dnssecOk: boolean, cd: boolean): Buffer {
    const out = Buffer.alloc(12 + question.length + 11);
    out.writeUInt16BE(id, 0);
    out[2] = 0x01;
    out[3] = cd ? 0x10 : 0;
    out.writeUInt16BE(1, 4);
    out.writeUInt16BE(1, 10);
    question.copy(out, 12);
    const o = 12 + question.length;
    out[o] = 0;
    out.writeUInt16BE(T.OPT, o + 1);
    out.writeUInt16BE(this.#o.udpSize ?? 1232, o + 3);
    out[o + 7] = dnssecOk ? 0x80 : 0;
    return out;
  }

  #order(): Upstream[] {
    const now = this.#o.clock.now();
    const all = this.usable;
    if (all.length === 0) return [];
    const start = all.length > 1 ? randomInt(all.length) : 0;
    const rotated = [...all.slice(start), ...all.slice(0, start)];
    const sick = (u: Upstream): boolean => {
      const h = this.#health.get(upstreamString(u));
      return h !== undefined && h.fails >= 2 && now - h.lastFail < 30_000;
    };
    return [...rotated.filter((u) => !sick(u)), ...rotated.filter(sick)];
  }

  /**
   * Asks the upstreams. `question` is the question section as the client sent it.
   * @throws ForwardError E_DNS_NO_UPSTREAM, E_DNS_FORWARD_BUSY, E_DNS_FORWARD_TIMEOUT
   */
  query(question: Buffer, dnssecOk: boolean, cd: boolean): Promise<ForwardResult> {
    const key = `${question.toString('latin1').toLowerCase()}|${dnssecOk ? 1 : 0}|${cd ? 1 : 0}`;
    const existing = this.#inflight.get(key);
    if (existing) return existing;
    const p = this.#query(question, dnssecOk, cd).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, p);
    return p;
  }

  async #query(question: Buffer, dnssecOk: boolean, cd: boolean): Promise<ForwardResult> {
    const order = this.#order();
    if (order.length === 0 || this.#closed)
      throw new ForwardError('E_DNS_NO_UPSTREAM', 'no upstream resolver to forward to');
    if (this.#concurrent >= (this.#o.maxConcurrent ?? 1000))
      throw new ForwardError('E_DNS_FORWARD_BUSY', 'too many forwarded queries in flight');
    this.#concurrent++;
    try {
      const deadline = this.#o.clock.now() + (this.#o.deadlineMs ?? 5000);
      const perTry = this.#o.timeoutMs ?? 2000;
      for (const u of order.slice(0, 3)) {
        const left = deadline - this.#o.clock.now();
        if (left <= 0) break;
        const started = this.#o.clock.now();
        const res = await this.exchange(u, question, dnssecOk, cd, Math.min(perTry, left));
        const ms = this.#o.clock.now() - started;
        const h = this.#health.get(upstreamString(u)) ?? { fails: 0, lastFail: 0 };
        if (res === undefined) {
          h.fails++;
          h.lastFail = this.#o.clock.now();
          this.#health.set(upstreamString(u), h);
          this.#o.observe?.(u, 'timeout', ms);
          continue;
        }
        h.fails = 0;
        this.#health.set(upstreamString(u), h);
        this.#o.observe?.(u, (res.response[3] ?? 0) & 15, ms);
        return res;
      }
      throw new ForwardError('E_DNS_FORWARD_TIMEOUT', 'no upstream answered in time');
    } finally {
      this.#concurrent--;
    }
  }

  /** One exchange with one upstream: UDP, then TCP if truncated. Undefined on timeout or error. */
  async exchange(
    u: Upstream,
    question: Buffer,
    dnssecOk: boolean,
    cd: boolean,
    timeoutMs: number,
  ): Promise<ForwardResult | undefined> {
    const started = this.#o.clock.now();
    const udp = await this.#udp(u, question, dnssecOk, cd, timeoutMs);
    if (udp === undefined) return undefined;
    if (((udp[2] ?? 0) & 0x02) === 0) return { response: udp, upstream: u, tcp: false };
    const left = timeoutMs - (this.#o.clock.now() - started);
    const tcp = await this.#tcp(u, question, dnssecOk, cd, Math.max(left, 500));
    return tcp
      ? { response: tcp, upstream: u, tcp: true }
      : { response: udp, upstream: u, tcp: false };
  }

  #newId(): number {
    for (;;) {
      const id = randomInt(65536);
      if (!this.#pending.has(id)) return id;
    }
  }

  #udp(
    u: Upstream,
    question: Buffer,
    dnssecOk: boolean,
    cd: boolean,
    timeoutMs: number,
  ): Promise<Buffer | undefined> {
    const id = this.#newId();
    const msg = this.#queryMessage(id, question, dnssecOk, cd);
    const sock = this.#socket(u.host.includes(':') ? 6 : 4);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(undefined);
      }, timeoutMs);
      timer.unref();
      this.#pending.set(id, {
        upstream: u,
        question,
        resolve: (b) => {
          clearTimeout(timer);
          resolve(b.length > 0 ? b : undefined);
        },
      });
      sock.send(msg, u.port, u.host, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.#pending.delete(id);
        resolve(undefined);
      });
    });
  }

  #tcp(
    u: Upstream,
    question: Buffer,
    dnssecOk: boolean,
    cd: boolean,
    timeoutMs: number,
  ): Promise<Buffer | undefined> {
    const id = randomInt(65536);
    const msg = this.#queryMessage(id, question, dnssecOk, cd);
    return new Promise((resolve) => {
      const sock = connect({ host: u.host, port: u.port });
      let buf = Buffer.alloc(0);
      const done = (b: Buffer | undefined): void => {
        clearTimeout(timer);
        sock.destroy();
        resolve(b);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(msg.length);
        sock.write(Buffer.concat([len, msg]));
      });
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length < 2) return;
        const n = buf.readUInt16BE(0);
        if (buf.length < 2 + n) return;
        const resp = buf.subarray(2, 2 + n);
        const q = questionOf(resp);
        done(
          resp.length >= 12 && resp.readUInt16BE(0) === id && q && sameQuestion(q, question)
            ? resp
            : undefined,
        );
      });
      sock.on('error', () => done(undefined));
      sock.on('close', () => done(undefined));
    });
  }
}

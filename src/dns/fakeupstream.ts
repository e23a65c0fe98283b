/**
 * A scriptable upstream resolver on 127.0.0.1 (UDP and TCP on one free port) for tests and the
 * benchmark: tests never send queries to real resolvers. It answers from a handler, can set TC
 * on UDP answers, stay silent, or relay queries to another server (to build forwarding loops).
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, connect, type Server } from 'node:net';
import { parseQuery, ParsedQuery, PARSE_OK, questionName } from './query.js';
import type { ResourceRecord } from './types.js';
import { buildTemplate } from './writer.js';

export interface FakeQuestion {
  readonly name: string;
  readonly type: number;
  readonly tcp: boolean;
}

export type FakeReply =
  | {
      readonly rcode?: number;
      readonly answer?: readonly ResourceRecord[];
      readonly authority?: readonly ResourceRecord[];
      /** Over UDP: answer with TC set and no records (the client should retry over TCP). */
      readonly truncateUdp?: boolean;
    }
  | 'drop'
  | { readonly relayTo: number };

export class FakeUpstream {
  readonly queries: FakeQuestion[] = [];
  readonly #udp: Socket;
  readonly #tcp: Server;
  readonly port: number;

  private constructor(udp: Socket, tcp: Server, port: number) {
    this.#udp = udp;
    this.#tcp = tcp;
    this.port = port;
  }

  static async start(handler: (q: FakeQuestion) => FakeReply): Promise<FakeUpstream> {
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const port = udp.address().port;
    const tcp = createServer();
    await new Promise<void>((resolve) => tcp.listen(port, '127.0.0.1', resolve));
    const up = new FakeUpstream(udp, tcp, port);
    udp.on('message', (msg, rinfo) => {
      void up.#answer(msg, false, handler).then((out) => {
        if (out) udp.send(out, rinfo.port, rinfo.address);
      });
    });
    tcp.on('connection', (sock) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
          buf = buf.subarray(2 + buf.readUInt16BE(0));
          void up.#answer(Buffer.from(msg), true, handler).then((out) => {
            if (!out || sock.destroyed) return;
            const len = Buffer.alloc(2);
            len.writeUInt16BE(out.length);
            sock.write(Buffer.concat([len, out]));
          });
        }
      });
      sock.on('error', () => sock.destroy());
    });
    return up;
  }

  async #answer(
    msg: Buffer,
    tcp: boolean,
    handler: (q: FakeQuestion) => FakeReply,
  ): Promise<Buffer | undefined> {
    const q = new ParsedQuery();
    if (parseQuery(msg, q) !== PARSE_OK) return undefined;
    const name = questionName(msg, q);
    const fq = { name, type: q.qtype, tcp };
    this.queries.push(fq);
    const reply = handler(fq);
    if (reply === 'drop') return undefined;
    if ('relayTo' in reply) return relay(msg, reply.relayTo);
    const trunc = !tcp && reply.truncateUdp === true;
    const t = buildTemplate({
      qname: name,
      qtype: q.qtype,
      qclass: q.qclass,
      rcode: reply.rcode ?? 0,
      authoritative: false,
      recursionAvailable: true,
      answer: trunc ? [] : (reply.answer ?? []),
      authority: trunc ? [] : (reply.authority ?? []),
    });
    const out = Buffer.from(t.bytes);
    msg.copy(out, 0, 0, 2);
    msg.copy(out, 12, 12, q.qnameEnd);
    out[2] = (out[2] ?? 0) | ((msg[2] ?? 0) & 0x01) | (trunc ? 0x02 : 0);
    return out;
  }

  /** Queries seen for a name (any case). */
  count(name: string): number {
    return this.queries.filter((q) => q.name === name.toLowerCase()).length;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#udp.close(() => this.#tcp.close(() => resolve()));
    });
  }
}

/** Sends a query to 127.0.0.1:port over UDP and returns the answer (or undefined after 1 s). */
function relay(msg: Buffer, port: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, 1000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(msg, port, '127.0.0.1');
  });
}

/** A TCP DNS exchange with 127.0.0.1:port (for tests). */
export function tcpExchange(port: number, msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      sock.write(Buffer.concat([len, msg]));
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        sock.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    sock.on('error', reject);
  });
}

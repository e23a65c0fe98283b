/**
 * Reading responses from upstream servers without decoding them whole: where each record starts
 * and ends, where its TTL is (the cache rewrites TTLs in place), names decompressed on demand.
 */
import { skipName } from './query.js';
import { T, type ResourceRecord } from './types.js';

export interface WalkedRecord {
  readonly start: number;
  readonly end: number;
  readonly type: number;
  readonly ttlOffset: number;
  readonly ttl: number;
  readonly rdataStart: number;
  readonly rdlen: number;
  /** 0 answer, 1 authority, 2 additional. */
  readonly section: 0 | 1 | 2;
}

export interface WalkedMessage {
  readonly id: number;
  readonly rcode: number;
  readonly truncated: boolean;
  readonly qdcount: number;
  /** End of the question section. */
  readonly questionEnd: number;
  /** End of the question name. */
  readonly qnameEnd: number;
  readonly records: readonly WalkedRecord[];
  readonly an: number;
  readonly ns: number;
  readonly ar: number;
}

/** Walks a response; undefined when it is malformed. */
export function walkMessage(msg: Buffer): WalkedMessage | undefined {
  if (msg.length < 12) return undefined;
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  const ns = msg.readUInt16BE(8);
  const ar = msg.readUInt16BE(10);
  let off = 12;
  let qnameEnd = 12;
  for (let i = 0; i < qd; i++) {
    off = skipName(msg, off);
    if (off < 0 || off + 4 > msg.length) return undefined;
    if (i === 0) qnameEnd = off;
    off += 4;
  }
  const questionEnd = off;
  const records: WalkedRecord[] = [];
  for (let i = 0; i < an + ns + ar; i++) {
    const start = off;
    const n = skipName(msg, off);
    if (n < 0 || n + 10 > msg.length) return undefined;
    const type = msg.readUInt16BE(n);
    const rdlen = msg.readUInt16BE(n + 8);
    const end = n + 10 + rdlen;
    if (end > msg.length) return undefined;
    records.push({
      start,
      end,
      type,
      ttlOffset: n + 4,
      ttl: msg.readUInt32BE(n + 4),
      rdataStart: n + 10,
      rdlen,
      section: i < an ? 0 : i < an + ns ? 1 : 2,
    });
    off = end;
  }
  return {
    id: msg.readUInt16BE(0),
    rcode: (msg[3] ?? 0) & 15,
    truncated: ((msg[2] ?? 0) & 0x02) !== 0,
    qdcount: qd,
    questionEnd,
    qnameEnd,
    records,
    an,
    ns,
    ar,
  };
}

/** A (possibly compressed) name at `off`, as text without the trailing dot; undefined if bad. */
export function readName(msg: Buffer, off: number): string | undefined {
  const labels: string[] = [];
  let total = 0;
  for (let guard = 0; guard < 128; guard++) {
    const l = msg[off];
    if (l === undefined) return undefined;
    if (l === 0) return labels.join('.');
    if ((l & 0xc0) === 0xc0) {
      const ptr = ((l & 0x3f) << 8) | (msg[off + 1] ?? 0);
      if (ptr >= off) return undefined;
      off = ptr;
      continue;
    }
    if (l > 63 || off + 1 + l > msg.length) return undefined;
    labels.push(msg.toString('latin1', off + 1, off + 1 + l));
    total += l + 1;
    if (total > 255) return undefined;
    off += 1 + l;
  }
  return undefined;
}

/**
 * The answer records of an upstream response of these types, as records to re-encode (names
 * decompressed; CNAME targets too). Used when chasing an ExternalName's CNAME.
 */
export function answerRecords(msg: Buffer, walked: WalkedMessage): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  for (const r of walked.records) {
    if (r.section !== 0) continue;
    const name = readName(msg, r.start);
    if (name === undefined) continue;
    if (r.type === T.CNAME) {
      const target = readName(msg, r.rdataStart);
      if (target !== undefined) out.push({ name, ttl: r.ttl, data: { type: 'CNAME', target } });
    } else if (r.type === T.A || r.type === T.AAAA) {
      out.push({
        name,
        ttl: r.ttl,
        data: {
          type: 'RAW',
          rrtype: r.type,
          rdata: Buffer.from(msg.subarray(r.rdataStart, r.rdataStart + r.rdlen)),
        },
      });
    }
  }
  return out;
}

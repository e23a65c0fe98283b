/**
 * The general DNS codec (dns-packet, and the only module that imports it): the fallback for
 * messages the hot-path parser leaves alone (compressed question names), and the readable form
 * of messages that tests, tools and logs use. Answers are never built here.
 */
import * as dnsPacket from 'dns-packet';
import { T, typeName } from './types.js';
import { nameWire } from './writer.js';

type Decoded = ReturnType<typeof dnsPacket.decode>;
type AnyRecord = NonNullable<Decoded['answers']>[number];

/**
 * A query with a plainly written question (same header, the question re-encoded, the OPT record
 * kept), or undefined when the message cannot be decoded.
 */
export function decodeQuery(msg: Buffer): Buffer | undefined {
  let d: Decoded;
  try {
    d = dnsPacket.decode(msg);
  } catch {
    return undefined;
  }
  const q = d.questions?.[0];
  if (!q || (d.questions?.length ?? 0) !== 1) return undefined;
  let name: Buffer;
  try {
    name = nameWire(q.name);
  } catch {
    return undefined;
  }
  const rawType = msg.readUInt16BE(skipQuestionName(msg));
  const rawClass = msg.readUInt16BE(skipQuestionName(msg) + 2);
  const opt = (d.additionals ?? []).find((a: AnyRecord) => a.type === 'OPT') as
    { udpPayloadSize?: number; flags?: number; extendedRcode?: number } | undefined;
  const head = Buffer.from(msg.subarray(0, 12));
  head.writeUInt16BE(0, 6);
  head.writeUInt16BE(0, 8);
  head.writeUInt16BE(opt ? 1 : 0, 10);
  const question = Buffer.alloc(name.length + 4);
  // Keep the client's case: copy the labels as decoded.
  let o = 0;
  for (const label of q.name === '.' || q.name === '' ? [] : q.name.replace(/\.$/, '').split('.')) {
    question[o++] = label.length;
    o += question.write(label, o, 'latin1');
  }
  question[o++] = 0;
  question.writeUInt16BE(rawType, o);
  question.writeUInt16BE(rawClass, o + 2);
  const parts = [head, question.subarray(0, o + 4)];
  if (opt) {
    const b = Buffer.alloc(11);
    b.writeUInt16BE(T.OPT, 1);
    b.writeUInt16BE(opt.udpPayloadSize ?? 512, 3);
    b.writeUInt16BE(opt.flags ?? 0, 7);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

function skipQuestionName(msg: Buffer): number {
  let off = 12;
  for (let g = 0; g < 128; g++) {
    const l = msg[off] ?? 0;
    if (l === 0) return off + 1;
    if ((l & 0xc0) === 0xc0) return off + 2;
    off += l + 1;
  }
  return off;
}

export interface QueryInput {
  readonly name: string;
  readonly type: number;
  readonly id?: number;
  readonly recursionDesired?: boolean;
  /** Adds an OPT record with this UDP payload size. */
  readonly edns?: number;
  readonly dnssecOk?: boolean;
  readonly qclass?: number;
}

/** A query message, for tests and probes. */
export function encodeQuery(input: QueryInput): Buffer {
  const labels =
    input.name === '' || input.name === '.' ? [] : input.name.replace(/\.$/, '').split('.');
  const nameLen = labels.reduce((n, l) => n + 1 + Buffer.byteLength(l, 'latin1'), 1);
  const opt = input.edns !== undefined ? 11 : 0;
  const out = Buffer.alloc(12 + nameLen + 4 + opt);
  out.writeUInt16BE(input.id ?? 0x1234, 0);
  out[2] = input.recursionDesired === false ? 0 : 0x01;
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(opt ? 1 : 0, 10);
  let o = 12;
  for (const l of labels) {
    out[o++] = Buffer.byteLength(l, 'latin1');
    o += out.write(l, o, 'latin1');
  }
  out[o++] = 0;
  out.writeUInt16BE(input.type, o);
  out.writeUInt16BE(input.qclass ?? 1, o + 2);
  o += 4;
  if (opt) {
    out.writeUInt16BE(T.OPT, o + 1);
    out.writeUInt16BE(input.edns ?? 512, o + 3);
    out[o + 7] = input.dnssecOk ? 0x80 : 0;
  }
  return out;
}

/** A decoded message in a readable, comparable form. */
export interface ReadableMessage {
  readonly id: number;
  readonly rcode: string;
  readonly flags: {
    readonly aa: boolean;
    readonly tc: boolean;
    readonly rd: boolean;
    readonly ra: boolean;
  };
  readonly question: string;
  /** `name ttl IN TYPE data`, dig-like, names with their trailing dot. */
  readonly answer: readonly string[];
  readonly authority: readonly string[];
  readonly additional: readonly string[];
  readonly opt?: { readonly udpSize: number; readonly dnssecOk: boolean; readonly version: number };
}

function fqdn(n: string): string {
  return n === '' || n === '.' ? '.' : `${n.replace(/\.$/, '')}.`;
}

function dataText(r: AnyRecord): string {
  const d = (r as { data?: unknown }).data;
  switch (r.type) {
    case 'A':
    case 'AAAA':
      return String(d);
    case 'CNAME':
    case 'PTR':
    case 'NS':
      return fqdn(String(d));
    case 'SRV': {
      const s = d as { priority?: number; weight?: number; port?: number; target?: string };
      return `${s.priority ?? 0} ${s.weight ?? 0} ${s.port ?? 0} ${fqdn(s.target ?? '')}`;
    }
    case 'TXT': {
      const parts = Array.isArray(d) ? d : [d];
      return parts.map((p) => `"${Buffer.isBuffer(p) ? p.toString('utf8') : String(p)}"`).join(' ');
    }
    case 'SOA': {
      const s = d as {
        mname: string;
        rname: string;
        serial: number;
        refresh: number;
        retry: number;
        expire: number;
        minimum: number;
      };
      return `${fqdn(s.mname)} ${fqdn(s.rname)} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
    }
    default:
      return Buffer.isBuffer(d) ? d.toString('hex') : JSON.stringify(d);
  }
}

function rrText(r: AnyRecord): string {
  const ttl = (r as { ttl?: number }).ttl ?? 0;
  return `${fqdn(r.name)} ${ttl} IN ${r.type} ${dataText(r)}`;
}

/** @throws Error when the message cannot be decoded */
export function readMessage(msg: Buffer): ReadableMessage {
  const d = dnsPacket.decode(msg);
  const flags = d.flags ?? 0;
  const optRec = (d.additionals ?? []).find((a: AnyRecord) => a.type === 'OPT') as
    { udpPayloadSize?: number; flags?: number; version?: number } | undefined;
  const rc = msg[3] ?? 0;
  const rcodeNum = (rc & 15) | (optRec ? (msg.readUInt8(msg.length - 11 + 5) ?? 0) << 4 : 0);
  const rcodeText: Record<number, string> = {
    0: 'NOERROR',
    1: 'FORMERR',
    2: 'SERVFAIL',
    3: 'NXDOMAIN',
    4: 'NOTIMP',
    5: 'REFUSED',
    16: 'BADVERS',
  };
  const q = d.questions?.[0];
  return {
    id: d.id ?? 0,
    rcode: rcodeText[rcodeNum] ?? `RCODE${rcodeNum}`,
    flags: {
      aa: (flags & dnsPacket.AUTHORITATIVE_ANSWER) !== 0,
      tc: (flags & dnsPacket.TRUNCATED_RESPONSE) !== 0,
      rd: (flags & dnsPacket.RECURSION_DESIRED) !== 0,
      ra: (flags & dnsPacket.RECURSION_AVAILABLE) !== 0,
    },
    question: q ? `${fqdn(q.name)} ${q.type}` : '',
    answer: (d.answers ?? []).map(rrText),
    authority: (d.authorities ?? []).map(rrText),
    additional: (d.additionals ?? []).filter((a: AnyRecord) => a.type !== 'OPT').map(rrText),
    ...(optRec
      ? {
          opt: {
            udpSize: optRec.udpPayloadSize ?? 512,
            dnssecOk: ((optRec.flags ?? 0) & dnsPacket.DNSSEC_OK) !== 0,
            version: optRec.version ?? 0,
          },
        }
      : {}),
  };
}

export { typeName };

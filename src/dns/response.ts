/**
 * Per-query patching of precomputed answers, and the responses built straight from the query
 * (negative answers with the zone's SOA, bare rcodes). Everything here works on bytes.
 *
 * Size rules: UDP answers fit the requester's limit (512 bytes without EDNS; its advertised
 * payload size, capped by ours, with EDNS); what does not fit is cut at a record boundary, and TC
 * is set when an answer or authority record had to go (dropping additional records alone does
 * not set it, RFC 2181 §9). TCP answers may be as large as 65535 bytes.
 */
import type { ParsedQuery } from './query.js';
import { RCODE, T } from './types.js';
import type { Template } from './writer.js';

/** The OPT record we append to answers to EDNS queries. */
const OPT_LEN = 11;

function writeOpt(out: Buffer, at: number, payload: number, dnssecOk: boolean, extRcode = 0): void {
  out[at] = 0;
  out.writeUInt16BE(T.OPT, at + 1);
  out.writeUInt16BE(payload, at + 3);
  out[at + 5] = extRcode;
  out[at + 6] = 0;
  out[at + 7] = dnssecOk ? 0x80 : 0;
  out[at + 8] = 0;
  out.writeUInt16BE(0, at + 9);
}

/** Size limits of one server. */
export interface SizeLimits {
  /** The UDP payload size we advertise and accept at most (default 1232). */
  readonly maxUdp: number;
}

/** The largest response this query may get over the given transport. */
export function responseLimit(q: ParsedQuery, tcp: boolean, limits: SizeLimits): number {
  if (tcp) return 65535;
  if (!q.edns) return 512;
  return Math.min(q.udpSize, limits.maxUdp);
}

/** The template answered to this query: ID, flags and the question's case patched in. */
export function finalize(
  t: Template,
  msg: Buffer,
  q: ParsedQuery,
  limit: number,
  limits: SizeLimits,
): Buffer {
  const opt = q.edns ? OPT_LEN : 0;
  const full = t.bytes.length + opt;
  let out: Buffer;
  let tc = false;
  if (full <= limit) {
    out = Buffer.allocUnsafe(full);
    t.bytes.copy(out, 0);
    if (opt) {
      writeOpt(out, t.bytes.length, limits.maxUdp, q.dnssecOk);
      out.writeUInt16BE(t.ar + 1, 10);
    }
  } else {
    // Keep whole records while they fit.
    const qEnd = 12 + t.qnameLen + 4;
    let kept = 0;
    let end = qEnd;
    while (kept < t.rrEnds.length && (t.rrEnds[kept] ?? 0) + opt <= limit) {
      end = t.rrEnds[kept] ?? end;
      kept++;
    }
    const an = Math.min(kept, t.an);
    const ns = Math.min(Math.max(kept - t.an, 0), t.ns);
    const ar = Math.max(kept - t.an - t.ns, 0);
    tc = an < t.an || ns < t.ns;
    out = Buffer.allocUnsafe(end + opt);
    t.bytes.copy(out, 0, 0, end);
    out.writeUInt16BE(an, 6);
    out.writeUInt16BE(ns, 8);
    out.writeUInt16BE(ar + (opt ? 1 : 0), 10);
    if (opt) writeOpt(out, end, limits.maxUdp, q.dnssecOk);
  }
  out[0] = msg[0] ?? 0;
  out[1] = msg[1] ?? 0;
  out[2] = (t.bytes[2] ?? 0) | ((msg[2] ?? 0) & 0x01) | (tc ? 0x02 : 0);
  out[3] = (t.bytes[3] ?? 0) | ((msg[3] ?? 0) & 0x10);
  if (q.mixedCase) {
    msg.copy(out, 12, 12, 12 + t.qnameLen);
    if (t.echo.length > 0) {
      const zStart = 12 + t.zoneOffset;
      const zEnd = 12 + t.qnameLen;
      const kept = out.length - opt;
      for (const at of t.echo) if (at + (zEnd - zStart) <= kept) msg.copy(out, at, zStart, zEnd);
    }
  }
  return out;
}

/** The SOA of a zone as negative answers carry it. */
export interface SoaFields {
  /** TTL of the SOA record itself (CoreDNS: min(ttl, 300)). */
  readonly ttl: number;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  /** The negative-caching TTL (CoreDNS: the record TTL). */
  readonly minimum: number;
}

/**
 * NXDOMAIN, NODATA (rcode NOERROR, no answer) or SERVFAIL with the zone's SOA in the authority
 * section, authoritative, the question echoed. The SOA's owner points at the question's zone
 * suffix; its MNAME is `ns.dns.<zone>` and RNAME `hostmaster.<zone>`, as CoreDNS writes them.
 */
export function negative(
  msg: Buffer,
  q: ParsedQuery,
  rcode: number,
  zoneOffset: number,
  soa: SoaFields,
  limits: SizeLimits,
): Buffer {
  const opt = q.edns ? OPT_LEN : 0;
  const qEnd = q.questionEnd;
  const soaLen = 2 + 10 + (1 + 2 + 1 + 3 + 2) + (1 + 10 + 2) + 20;
  const out = Buffer.allocUnsafe(qEnd + soaLen + opt);
  msg.copy(out, 0, 0, qEnd);
  out[2] = 0x84 | ((msg[2] ?? 0) & 0x01);
  out[3] = (rcode & 15) | ((msg[3] ?? 0) & 0x10);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(1, 8);
  out.writeUInt16BE(opt ? 1 : 0, 10);
  const zonePtr = 0xc000 | (12 + zoneOffset);
  let o = qEnd;
  out.writeUInt16BE(zonePtr, o);
  out.writeUInt16BE(T.SOA, o + 2);
  out.writeUInt16BE(1, o + 4);
  out.writeUInt32BE(soa.ttl, o + 6);
  out.writeUInt16BE(soaLen - 12, o + 10);
  o += 12;
  out[o++] = 2;
  out[o++] = 0x6e; // n
  out[o++] = 0x73; // s
  out[o++] = 3;
  out[o++] = 0x64; // d
  out[o++] = 0x6e; // n
  out[o++] = 0x73; // s
  out.writeUInt16BE(zonePtr, o);
  o += 2;
  out[o++] = 10;
  o += out.write('hostmaster', o, 'latin1');
  out.writeUInt16BE(zonePtr, o);
  o += 2;
  out.writeUInt32BE(soa.serial >>> 0, o);
  out.writeUInt32BE(soa.refresh, o + 4);
  out.writeUInt32BE(soa.retry, o + 8);
  out.writeUInt32BE(soa.expire, o + 12);
  out.writeUInt32BE(soa.minimum, o + 16);
  o += 20;
  if (opt) writeOpt(out, o, limits.maxUdp, q.dnssecOk);
  return out;
}

/**
 * A response with only an rcode: the question echoed when it could be read (`q.qnameEnd` > 0),
 * an OPT record when the query had one (BADVERS is carried in the OPT's extended rcode).
 */
export function bare(
  msg: Buffer,
  q: ParsedQuery,
  rcode: number,
  limits: SizeLimits,
  recursionAvailable = false,
): Buffer {
  const withQuestion = q.qnameEnd > 0;
  const qEnd = withQuestion ? q.questionEnd : 12;
  const opt = q.edns || rcode === RCODE.BADVERS ? OPT_LEN : 0;
  const out = Buffer.alloc(qEnd + opt);
  msg.copy(out, 0, 0, Math.min(qEnd, msg.length));
  out[2] = 0x80 | ((msg[2] ?? 0) & 0x79);
  out[3] = (recursionAvailable ? 0x80 : 0) | (rcode & 15) | ((msg[3] ?? 0) & 0x10);
  out.writeUInt16BE(withQuestion ? 1 : 0, 4);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(opt ? 1 : 0, 10);
  if (opt) writeOpt(out, qEnd, limits.maxUdp, q.dnssecOk, rcode >> 4);
  return out;
}

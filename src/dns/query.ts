/**
 * The hot-path query parser: reads the header, the one question and the EDNS OPT record of a
 * query straight from the bytes, hashing the lower-cased name as it goes (FNV-1a), without
 * allocating. Anything unusual (a compressed question name) is left to the dns-packet fallback.
 */
import { T } from './types.js';

export const PARSE_OK = 0;
/** Not a query we answer at all: too short, or a response (QR set). */
export const PARSE_DROP = 1;
export const PARSE_FORMERR = 2;
export const PARSE_NOTIMP = 3;
export const PARSE_BADVERS = 4;
/** Legal but unusual: parse with the full decoder. */
export const PARSE_SLOW = 5;

export type ParseStatus = 0 | 1 | 2 | 3 | 4 | 5;

const MAX_LABELS = 128;

/** One parsed query; reused across queries (the parser overwrites every field). */
export class ParsedQuery {
  /** Offset just past the question name (its type follows). */
  qnameEnd = 0;
  qnameLen = 0;
  hash = 0;
  qtype = 0;
  qclass = 0;
  /** Labels of the question name: offsets from the start of the message. */
  readonly labelOffsets = new Int32Array(MAX_LABELS);
  labelCount = 0;
  edns = false;
  /** The requester's UDP payload size (512 without EDNS). */
  udpSize = 512;
  dnssecOk = false;
  /** True when the question name has upper-case letters. */
  mixedCase = false;
  opcode = 0;

  /** End of the question section (after type and class). */
  get questionEnd(): number {
    return this.qnameEnd + 4;
  }
}

/** FNV-1a over lower-cased bytes: the hash every name table uses. */
export function hashName(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    let c = b[i] ?? 0;
    if (c >= 65 && c <= 90) c |= 32;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

/** Skips a (possibly compressed) name; returns the offset after it or -1. */
export function skipName(msg: Uint8Array, off: number): number {
  for (let guard = 0; guard < 128; guard++) {
    const l = msg[off];
    if (l === undefined) return -1;
    if (l === 0) return off + 1;
    if ((l & 0xc0) === 0xc0) return off + 2 <= msg.length ? off + 2 : -1;
    if (l > 63) return -1;
    off += l + 1;
  }
  return -1;
}

/** Skips one resource record; returns the offset after it or -1. */
export function skipRR(msg: Uint8Array, off: number): number {
  const n = skipName(msg, off);
  if (n < 0 || n + 10 > msg.length) return -1;
  const rdlen = ((msg[n + 8] ?? 0) << 8) | (msg[n + 9] ?? 0);
  const end = n + 10 + rdlen;
  return end <= msg.length ? end : -1;
}

/**
 * Parses a query into `q`. On PARSE_FORMERR/NOTIMP/BADVERS the fields parsed so far are valid
 * (`qnameEnd` is 0 when the question itself could not be read).
 */
export function parseQuery(msg: Buffer, q: ParsedQuery): ParseStatus {
  q.qnameEnd = 0;
  q.edns = false;
  q.udpSize = 512;
  q.dnssecOk = false;
  q.mixedCase = false;
  q.labelCount = 0;
  const len = msg.length;
  if (len < 12) return PARSE_DROP;
  const f1 = msg[2] ?? 0;
  if (f1 & 0x80) return PARSE_DROP;
  q.opcode = (f1 >> 3) & 15;
  const qd = ((msg[4] ?? 0) << 8) | (msg[5] ?? 0);
  const an = ((msg[6] ?? 0) << 8) | (msg[7] ?? 0);
  const ns = ((msg[8] ?? 0) << 8) | (msg[9] ?? 0);
  const ar = ((msg[10] ?? 0) << 8) | (msg[11] ?? 0);
  if (q.opcode !== 0) return qd === 1 ? parseRest(msg, q, an, ns, ar, PARSE_NOTIMP) : PARSE_NOTIMP;
  if (qd !== 1) return PARSE_FORMERR;
  return parseRest(msg, q, an, ns, ar, PARSE_OK);
}

function parseRest(
  msg: Buffer,
  q: ParsedQuery,
  an: number,
  ns: number,
  ar: number,
  status: ParseStatus,
): ParseStatus {
  const len = msg.length;
  let off = 12;
  let h = 0x811c9dc5;
  let mixed = false;
  let labels = 0;
  for (;;) {
    if (off >= len) return PARSE_FORMERR;
    const l = msg[off] ?? 0;
    h = Math.imul(h ^ l, 0x01000193);
    if (l === 0) {
      off++;
      break;
    }
    if ((l & 0xc0) === 0xc0) return status === PARSE_OK ? PARSE_SLOW : status;
    if (l > 63) return PARSE_FORMERR;
    if (labels === MAX_LABELS) return PARSE_FORMERR;
    q.labelOffsets[labels++] = off;
    const end = off + 1 + l;
    if (end > len) return PARSE_FORMERR;
    for (let i = off + 1; i < end; i++) {
      let c = msg[i] ?? 0;
      if (c >= 65 && c <= 90) {
        c |= 32;
        mixed = true;
      }
      h = Math.imul(h ^ c, 0x01000193);
    }
    off = end;
  }
  if (off - 12 > 255) return PARSE_FORMERR;
  if (off + 4 > len) return PARSE_FORMERR;
  q.qnameEnd = off;
  q.qnameLen = off - 12;
  q.hash = h >>> 0;
  q.labelCount = labels;
  q.mixedCase = mixed;
  q.qtype = ((msg[off] ?? 0) << 8) | (msg[off + 1] ?? 0);
  q.qclass = ((msg[off + 2] ?? 0) << 8) | (msg[off + 3] ?? 0);
  off += 4;
  if (an + ns + ar === 0) return status;
  for (let i = 0; i < an + ns; i++) {
    off = skipRR(msg, off);
    if (off < 0) return PARSE_FORMERR;
  }
  let sawOpt = false;
  for (let i = 0; i < ar; i++) {
    const start = off;
    off = skipRR(msg, off);
    if (off < 0) return PARSE_FORMERR;
    if (msg[start] !== 0) continue;
    const type = ((msg[start + 1] ?? 0) << 8) | (msg[start + 2] ?? 0);
    if (type !== T.OPT) continue;
    if (sawOpt) return PARSE_FORMERR;
    sawOpt = true;
    q.edns = true;
    q.udpSize = Math.max(512, ((msg[start + 3] ?? 0) << 8) | (msg[start + 4] ?? 0));
    const version = msg[start + 6] ?? 0;
    q.dnssecOk = ((msg[start + 7] ?? 0) & 0x80) !== 0;
    if (version !== 0 && status === PARSE_OK) status = PARSE_BADVERS;
  }
  return status;
}

/** Lower-case text of the parsed question name, without the trailing dot ('' for the root). */
export function questionName(msg: Buffer, q: ParsedQuery): string {
  const parts: string[] = [];
  for (let i = 0; i < q.labelCount; i++) {
    const at = q.labelOffsets[i] ?? 0;
    const l = msg[at] ?? 0;
    parts.push(msg.toString('latin1', at + 1, at + 1 + l).toLowerCase());
  }
  return parts.join('.');
}

/**
 * Where a zone (lower-case wire form) starts in the question name, as an offset into the name,
 * or -1 when the name is not in the zone.
 */
export function zoneOffsetIn(
  msg: Buffer,
  q: ParsedQuery,
  zoneWire: Uint8Array,
  zoneLabels: number,
): number {
  if (zoneLabels > q.labelCount) return -1;
  const start =
    zoneLabels === 0 ? q.qnameEnd - 1 : (q.labelOffsets[q.labelCount - zoneLabels] ?? 0);
  if (q.qnameEnd - start !== zoneWire.length) return -1;
  for (let i = 0; i < zoneWire.length; i++) {
    let c = msg[start + i] ?? 0;
    if (c >= 65 && c <= 90) c |= 32;
    if (c !== zoneWire[i]) return -1;
  }
  return start - 12;
}

/** True when label `index` (0 = leftmost) equals the lower-case ASCII `label`. */
export function labelIs(msg: Buffer, q: ParsedQuery, index: number, label: string): boolean {
  const at = q.labelOffsets[index];
  if (at === undefined || index >= q.labelCount) return false;
  if ((msg[at] ?? 0) !== label.length) return false;
  for (let i = 0; i < label.length; i++) {
    let c = msg[at + 1 + i] ?? 0;
    if (c >= 65 && c <= 90) c |= 32;
    if (c !== label.charCodeAt(i)) return false;
  }
  return true;
}

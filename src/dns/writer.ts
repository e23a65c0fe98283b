/**
 * Builds response templates: the wire bytes of a whole answer for one (name, type), made once
 * when the data changes and patched per query (ID, RD/CD bits, the question's case; see
 * response.ts). Names are compressed so that an owner equal to the question name is a pointer to
 * it, and a name in the zone ends in a pointer to the question's zone suffix: copying the query's
 * name bytes over the question therefore echoes its case everywhere CoreDNS echoes it (owners and
 * the zone part of other names), while other labels stay lower case, as CoreDNS writes them.
 * SRV targets are never compressed (RFC 2782); their zone suffix is patched in place instead.
 */
import { parseIPv4, parseIPv6 } from './ip.js';
import { CLASS_IN, T, type ResourceRecord } from './types.js';

/** A whole response, minus what each query supplies. */
export interface Template {
  /** Header (ID 0, RD/CD clear) + question (lower case) + records, without an OPT record. */
  readonly bytes: Buffer;
  /** Length of the question name on the wire. */
  readonly qnameLen: number;
  /** Where in the question name the zone suffix starts (-1: not in a zone). */
  readonly zoneOffset: number;
  /** Offsets in `bytes` where the zone suffix was written out and the query's case is copied. */
  readonly echo: readonly number[];
  /** End offset of each record, in order (answer, authority, additional): truncation cuts here. */
  readonly rrEnds: readonly number[];
  readonly an: number;
  readonly ns: number;
  readonly ar: number;
}

export interface TemplateInput {
  /** The question name as the zone stores it (lower case, no trailing dot; '' is the root). */
  readonly qname: string;
  readonly qtype: number;
  readonly qclass?: number;
  /** The zone the name is in (lower case), for case echo; undefined outside any zone. */
  readonly zone?: string | undefined;
  readonly rcode: number;
  /** AA: authoritative answers from the cluster zone. */
  readonly authoritative: boolean;
  /** RA: set on forwarded answers. */
  readonly recursionAvailable?: boolean;
  readonly answer?: readonly ResourceRecord[];
  readonly authority?: readonly ResourceRecord[];
  readonly additional?: readonly ResourceRecord[];
}

export function labelsOf(name: string): string[] {
  return name === '' || name === '.' ? [] : name.replace(/\.$/, '').split('.');
}

/** Lower-case wire form of a name (the key of the answer tables). @throws RangeError when invalid */
export function nameWire(name: string): Buffer {
  const labels = labelsOf(name.toLowerCase());
  const parts: number[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'latin1');
    if (b.length === 0 || b.length > 63) throw new RangeError(`invalid DNS label in ${name}`);
    parts.push(b.length, ...b);
  }
  parts.push(0);
  if (parts.length > 255) throw new RangeError(`DNS name too long: ${name}`);
  return Buffer.from(parts);
}

function setIfAbsent<K, V>(m: Map<K, V>, k: K, v: V): void {
  if (!m.has(k)) m.set(k, v);
}

class Writer {
  #buf = Buffer.alloc(512);
  off = 0;
  readonly dict = new Map<string, number>();
  readonly echo: number[] = [];
  #zone: string | undefined;

  constructor(zone: string | undefined) {
    this.#zone = zone;
  }

  #ensure(n: number): void {
    if (this.off + n <= this.#buf.length) return;
    const next = Buffer.alloc(Math.max(this.#buf.length * 2, this.off + n));
    this.#buf.copy(next, 0, 0, this.off);
    this.#buf = next;
  }
  u8(v: number): void {
    this.#ensure(1);
    this.#buf[this.off++] = v & 255;
  }
  u16(v: number): void {
    this.#ensure(2);
    this.#buf.writeUInt16BE(v & 0xffff, this.off);
    this.off += 2;
  }
  u32(v: number): void {
    this.#ensure(4);
    this.#buf.writeUInt32BE(v >>> 0, this.off);
    this.off += 4;
  }
  bytes(b: Uint8Array): void {
    this.#ensure(b.length);
    this.#buf.set(b, this.off);
    this.off += b.length;
  }
  setU16(at: number, v: number): void {
    this.#buf.writeUInt16BE(v & 0xffff, at);
  }
  result(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.off));
  }

  /** Writes the question name literally and registers only itself and its zone suffix. */
  question(qname: string): { len: number; zoneOffset: number } {
    const start = this.off;
    const labels = labelsOf(qname);
    const lower = labels.map((l) => l.toLowerCase());
    let zoneOffset = -1;
    const zone = this.#zone;
    const zoneLabels = zone === undefined ? -1 : labelsOf(zone).length;
    for (let i = 0; i < labels.length; i++) {
      if (i === labels.length - zoneLabels) zoneOffset = this.off - start;
      const b = Buffer.from(lower[i] ?? '', 'latin1');
      this.u8(b.length);
      this.bytes(b);
    }
    if (zoneLabels === 0) zoneOffset = this.off - start;
    this.u8(0);
    this.dict.set(lower.join('.'), start);
    if (zoneOffset >= 0 && zone !== undefined) setIfAbsent(this.dict, zone, start + zoneOffset);
    return { len: this.off - start, zoneOffset };
  }

  /**
   * A name, compressed when `compress` (pointers to earlier names; its own suffixes become
   * targets), else written out with only the zone suffix patched to the query's case.
   */
  name(name: string, compress: boolean): void {
    const labels = labelsOf(name);
    const lower = labels.map((l) => l.toLowerCase());
    for (let i = 0; i < labels.length; i++) {
      const suffix = lower.slice(i).join('.');
      if (compress) {
        const at = this.dict.get(suffix);
        if (at !== undefined) {
          this.u16(0xc000 | at);
          return;
        }
        if (this.off < 0x3fff) setIfAbsent(this.dict, suffix, this.off);
      } else if (suffix === this.#zone && this.dict.has(suffix)) {
        this.echo.push(this.off);
      }
      const b = Buffer.from(labels[i] ?? '', 'latin1');
      this.u8(b.length);
      this.bytes(b);
    }
    this.u8(0);
  }

  rr(r: ResourceRecord): void {
    this.name(r.name, true);
    const d = r.data;
    const type =
      d.type === 'RAW'
        ? d.rrtype
        : {
            A: T.A,
            AAAA: T.AAAA,
            CNAME: T.CNAME,
            PTR: T.PTR,
            NS: T.NS,
            SRV: T.SRV,
            TXT: T.TXT,
            SOA: T.SOA,
          }[d.type];
    this.u16(type);
    this.u16(CLASS_IN);
    this.u32(r.ttl);
    const lenAt = this.off;
    this.u16(0);
    const start = this.off;
    switch (d.type) {
      case 'A': {
        const b = parseIPv4(d.address);
        if (!b) throw new RangeError(`not an IPv4 address: ${d.address}`);
        this.bytes(Uint8Array.from(b));
        break;
      }
      case 'AAAA': {
        const b = parseIPv6(d.address);
        if (!b) throw new RangeError(`not an IPv6 address: ${d.address}`);
        this.bytes(b);
        break;
      }
      case 'CNAME':
      case 'PTR':
      case 'NS':
        this.name(d.target, true);
        break;
      case 'SRV':
        this.u16(d.priority);
        this.u16(d.weight);
        this.u16(d.port);
        this.name(d.target, false);
        break;
      case 'TXT':
        for (const s of d.text) {
          const b = Buffer.from(s, 'utf8');
          for (let i = 0; i < b.length || i === 0; i += 255) {
            const chunk = b.subarray(i, i + 255);
            this.u8(chunk.length);
            this.bytes(chunk);
            if (b.length === 0) break;
          }
        }
        break;
      case 'SOA':
        this.name(d.mname, true);
        this.name(d.rname, true);
        this.u32(d.serial);
        this.u32(d.refresh);
        this.u32(d.retry);
        this.u32(d.expire);
        this.u32(d.minimum);
        break;
      case 'RAW':
        this.bytes(d.rdata);
        break;
    }
    this.setU16(lenAt, this.off - start);
  }
}

/** Encodes a response template. @throws RangeError on a record that cannot be encoded */
export function buildTemplate(input: TemplateInput): Template {
  const w = new Writer(input.zone);
  const answer = input.answer ?? [];
  const authority = input.authority ?? [];
  const additional = input.additional ?? [];
  w.u16(0);
  w.u8(0x80 | (input.authoritative ? 0x04 : 0));
  w.u8((input.recursionAvailable ? 0x80 : 0) | (input.rcode & 15));
  w.u16(1);
  w.u16(answer.length);
  w.u16(authority.length);
  w.u16(additional.length);
  const q = w.question(input.qname);
  w.u16(input.qtype);
  w.u16(input.qclass ?? CLASS_IN);
  const rrEnds: number[] = [];
  for (const r of [...answer, ...authority, ...additional]) {
    w.rr(r);
    rrEnds.push(w.off);
  }
  return {
    bytes: w.result(),
    qnameLen: q.len,
    zoneOffset: q.zoneOffset,
    echo: w.echo,
    rrEnds,
    an: answer.length,
    ns: authority.length,
    ar: additional.length,
  };
}

/**
 * The cache of forwarded answers (CoreDNS's `cache` plugin): upstream responses kept as wire
 * templates keyed by (name, type, DO bit), served with their TTLs counted down in place.
 *
 * - Positive answers live for their smallest record TTL, clamped to [minTtl, maxTtl]
 *   (defaults 5 s and 3600 s); NXDOMAIN and NODATA for min(SOA TTL, SOA MINIMUM), clamped to
 *   [minTtl, maxDenialTtl] (1800 s), 5 s without a SOA (RFC 2308); SERVFAIL for 5 s.
 * - Other rcodes, truncated answers and malformed ones are not cached.
 * - At capacity the oldest entry goes (insertion order); expired entries go when next looked up.
 */
import type { Clock } from '../lib/clock.js';
import type { ParsedQuery } from './query.js';
import { finalize, responseLimit, type SizeLimits } from './response.js';
import { NameTable } from './table.js';
import { RCODE, T } from './types.js';
import { walkMessage } from './walk.js';
import type { Template } from './writer.js';

export type CacheKind = 'success' | 'denial' | 'servfail';

export interface CachedAnswer {
  readonly template: Template;
  readonly ttlOffsets: readonly number[];
  readonly ttls: readonly number[];
  readonly storedAt: number;
  readonly expiresAt: number;
  readonly kind: CacheKind;
}

export interface CacheOptions {
  readonly clock: Clock;
  /** Entries at most (default 10000). */
  readonly capacity?: number;
  readonly maxTtl?: number;
  readonly maxDenialTtl?: number;
  readonly minTtl?: number;
  readonly servfailTtl?: number;
}

interface NameSlot {
  readonly types: Map<number, CachedAnswer>;
}

function typeKey(qtype: number, qclass: number, dnssecOk: boolean): number {
  return qtype + qclass * 0x10000 + (dnssecOk ? 0x100000000 : 0);
}

export class ForwardCache {
  readonly #o: CacheOptions;
  readonly #table = new NameTable<NameSlot>();
  readonly #order: { readonly name: Uint8Array; readonly key: number; readonly v: CachedAnswer }[] =
    [];
  #head = 0;
  #size = 0;
  hits = 0;
  misses = 0;
  readonly hitsByKind: Record<CacheKind, number> = { success: 0, denial: 0, servfail: 0 };

  constructor(options: CacheOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#size;
  }

  get capacity(): number {
    return this.#o.capacity ?? 10_000;
  }

  /** The cached answer of a query, counting a hit or a miss. */
  get(msg: Buffer, q: ParsedQuery): CachedAnswer | undefined {
    const slot = this.#table.lookup(msg, 12, q.qnameEnd, q.hash);
    const key = typeKey(q.qtype, q.qclass, q.dnssecOk);
    const c = slot?.types.get(key);
    if (!c) {
      this.misses++;
      return undefined;
    }
    if (this.#o.clock.now() >= c.expiresAt) {
      slot?.types.delete(key);
      this.#size--;
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.hitsByKind[c.kind]++;
    return c;
  }

  /**
   * Stores an upstream response to this query (the response's ID and question are the
   * upstream's). Returns what was stored, or undefined when it is not cacheable.
   */
  put(msg: Buffer, q: ParsedQuery, resp: Buffer): CachedAnswer | undefined {
    const c = this.#toCached(resp, q);
    if (!c) return undefined;
    const name = Uint8Array.from(msg.subarray(12, q.qnameEnd), (b) =>
      b >= 65 && b <= 90 ? b | 32 : b,
    );
    let slot = this.#table.get(name);
    if (!slot) {
      slot = { types: new Map() };
      this.#table.set(name, slot);
    }
    const key = typeKey(q.qtype, q.qclass, q.dnssecOk);
    if (!slot.types.has(key)) this.#size++;
    slot.types.set(key, c);
    this.#order.push({ name, key, v: c });
    this.#evict();
    return c;
  }

  #evict(): void {
    while (this.#size > this.capacity && this.#head < this.#order.length) {
      const o = this.#order[this.#head++];
      if (!o) break;
      const slot = this.#table.get(o.name);
      if (slot && slot.types.get(o.key) === o.v) {
        slot.types.delete(o.key);
        this.#size--;
        if (slot.types.size === 0) this.#table.delete(o.name);
      }
    }
    if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order.splice(0, this.#head);
      this.#head = 0;
    }
  }

  clear(): void {
    this.#table.clear();
    this.#order.length = 0;
    this.#head = 0;
    this.#size = 0;
  }

  #toCached(resp: Buffer, q: ParsedQuery): CachedAnswer | undefined {
    const w = walkMessage(resp);
    if (!w || w.truncated || w.qdcount !== 1) return undefined;
    if (w.qnameEnd - 12 !== q.qnameLen) return undefined;
    const rcode = w.rcode;
    let kind: CacheKind;
    let ttl: number;
    const minTtl = this.#o.minTtl ?? 5;
    const records = w.records.filter((r) => r.type !== T.OPT);
    // An OPT record anywhere but last cannot be cut off without breaking compression pointers.
    const optAt = w.records.findIndex((r) => r.type === T.OPT);
    if (optAt >= 0 && optAt !== w.records.length - 1) return undefined;
    if (rcode === RCODE.SERVFAIL) {
      kind = 'servfail';
      ttl = this.#o.servfailTtl ?? 5;
    } else if (rcode === RCODE.NXDOMAIN || (rcode === RCODE.NOERROR && w.an === 0)) {
      kind = 'denial';
      const soa = records.find((r) => r.section === 1 && r.type === T.SOA);
      if (soa && soa.rdlen >= 20) {
        const minimum = resp.readUInt32BE(soa.rdataStart + soa.rdlen - 4);
        ttl = Math.min(soa.ttl, minimum);
      } else ttl = 5;
      ttl = Math.max(minTtl, Math.min(ttl, this.#o.maxDenialTtl ?? 1800));
    } else if (rcode === RCODE.NOERROR) {
      kind = 'success';
      ttl = Math.min(...records.map((r) => r.ttl));
      ttl = Math.max(minTtl, Math.min(ttl, this.#o.maxTtl ?? 3600));
    } else return undefined;
    const end =
      records.length > 0 ? (records[records.length - 1]?.end ?? w.questionEnd) : w.questionEnd;
    const bytes = Buffer.from(resp.subarray(0, end));
    bytes.writeUInt16BE(0, 0);
    bytes[2] = (bytes[2] ?? 0) & ~0x03 & ~0x01; // clear TC and RD: finalize sets them
    bytes[2] = (bytes[2] ?? 0) | 0x80;
    bytes[3] = ((bytes[3] ?? 0) & ~0x10) | 0x80; // RA; CD comes from the query
    for (let i = 12; i < w.qnameEnd; i++) {
      const b = bytes[i] ?? 0;
      if (b >= 65 && b <= 90) bytes[i] = b | 32;
    }
    const arNoOpt = records.filter((r) => r.section === 2).length;
    bytes.writeUInt16BE(arNoOpt, 10);
    const now = this.#o.clock.now();
    return {
      template: {
        bytes,
        qnameLen: q.qnameLen,
        zoneOffset: -1,
        echo: [],
        rrEnds: records.map((r) => r.end),
        an: w.an,
        ns: w.ns,
        ar: arNoOpt,
      },
      ttlOffsets: records.map((r) => r.ttlOffset),
      ttls: records.map((r) => r.ttl),
      storedAt: now,
      expiresAt: now + ttl * 1000,
      kind,
    };
  }

  /** The cached answer for this query, its TTLs counted down. */
  serve(c: CachedAnswer, msg: Buffer, q: ParsedQuery, tcp: boolean, limits: SizeLimits): Buffer {
    const out = finalize(c.template, msg, q, responseLimit(q, tcp, limits), limits);
    const elapsed = Math.floor((this.#o.clock.now() - c.storedAt) / 1000);
    if (elapsed > 0) {
      // Truncation keeps a prefix of the records; patch the TTLs of those.
      const kept =
        out.readUInt16BE(6) + out.readUInt16BE(8) + out.readUInt16BE(10) - (q.edns ? 1 : 0);
      for (let i = 0; i < kept && i < c.ttlOffsets.length; i++)
        out.writeUInt32BE(Math.max(0, (c.ttls[i] ?? 0) - elapsed), c.ttlOffsets[i] ?? 0);
    }
    return out;
  }
}

/**
 * The query pipeline: kubernetes zone → forward (with cache), as kubeadm's Corefile chains
 * CoreDNS's plugins. `answerSync` serves what is in memory straight from the bytes (precomputed
 * answers, negative answers, cached forwarded answers); everything else — CNAME chasing,
 * forwarding, pod names not seen yet, unusual messages — goes through `answerAsync`.
 *
 *   - malformed → FORMERR; opcode ≠ QUERY → NOTIMP; EDNS version ≠ 0 → BADVERS; responses and
 *     runts are dropped; classes other than IN → REFUSED in our zones;
 *   - NXDOMAIN in a cluster zone is SERVFAIL until the informers have synced (CoreDNS);
 *   - outside the zones with no usable upstream: REFUSED; upstreams failing: SERVFAIL;
 *   - zone transfers: REFUSED.
 */
import { performance } from 'node:perf_hooks';
import { asError } from '../lib/errors.js';
import type { Logger } from '../lib/log/logger.js';
import type { ForwardCache } from './cache.js';
import { ForwardError, type Forwarder } from './forward.js';
import type { LoopDetector } from './loop.js';
import type { DnsMetrics } from './metrics.js';
import {
  labelIs,
  parseQuery,
  ParsedQuery,
  PARSE_DROP,
  PARSE_FORMERR,
  PARSE_NOTIMP,
  PARSE_OK,
  PARSE_SLOW,
  questionName,
  zoneOffsetIn,
} from './query.js';
import {
  bare,
  finalize,
  negative,
  responseLimit,
  type SizeLimits,
  type SoaFields,
} from './response.js';
import { CLASS_IN, RCODE, T, type ResourceRecord } from './types.js';
import { answerRecords, walkMessage } from './walk.js';
import { decodeQuery } from './wire.js';
import { buildTemplate, nameWire } from './writer.js';
import { prepared, reverseZoneNames, type KubernetesZone, type NameEntry } from './zone.js';

/** answerSync's answer when the query needs the asynchronous path. */
export const SLOW = Symbol('slow');

export interface EngineOptions {
  readonly zone: KubernetesZone;
  readonly forwarder?: Forwarder;
  readonly cache?: ForwardCache;
  readonly loop?: LoopDetector;
  readonly metrics?: DnsMetrics;
  readonly logger: Logger;
  /** Our UDP payload size (default 1232, the DNS flag day 2020 value). */
  readonly maxUdp?: number;
  /** True once the informers have listed everything (until then NXDOMAIN is SERVFAIL). */
  readonly synced: () => boolean;
}

interface ZoneKey {
  readonly name: string;
  readonly wire: Uint8Array;
  readonly labels: number;
  readonly slot: number;
}

const maxChase = 10;

export class DnsEngine {
  readonly #o: EngineOptions;
  readonly #q = new ParsedQuery();
  readonly #limits: SizeLimits;
  readonly #clusterZones: readonly ZoneKey[];
  readonly #reverseZones: readonly ZoneKey[];
  readonly #forwardSlot: number;

  constructor(options: EngineOptions) {
    this.#o = options;
    this.#limits = { maxUdp: options.maxUdp ?? 1232 };
    const m = options.metrics;
    const key = (name: string): ZoneKey => ({
      name,
      wire: nameWire(name),
      labels: name.split('.').length,
      slot: m ? m.zoneSlot(`${name}.`) : 0,
    });
    this.#clusterZones = options.zone.zones.map(key);
    this.#reverseZones = reverseZoneNames.map(key);
    this.#forwardSlot = m ? m.zoneSlot('.') : 0;
  }

  /** Every zone a metrics slot exists for, in slot order (cluster, reverse, '.'). */
  static metricZones(clusterZones: readonly string[]): string[] {
    return [...clusterZones.map((z) => `${z}.`), ...reverseZoneNames.map((z) => `${z}.`), '.'];
  }

  get limits(): SizeLimits {
    return this.#limits;
  }

  /** RA: set when names outside the zones can be forwarded (CoreDNS never sets it on its own answers). */
  #ra(out: Buffer): void {
    if (this.#o.forwarder?.available) out[3] = (out[3] ?? 0) | 0x80;
  }

  #observe(slot: number, tcp: boolean, v6: boolean, q: ParsedQuery, out: Buffer, t0: number): void {
    this.#o.metrics?.observe(
      slot,
      tcp,
      v6,
      q.qtype,
      (out[3] ?? 0) & 15,
      (performance.now() - t0) / 1000,
    );
  }

  #soa(): SoaFields {
    const z = this.#o.zone;
    return {
      ttl: Math.min(z.ttl, 300),
      serial: z.serial,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: z.ttl,
    };
  }

  #negative(msg: Buffer, q: ParsedQuery, rcode: number, zoneOffset: number): Buffer {
    if (rcode === RCODE.NXDOMAIN && !this.#o.synced()) rcode = RCODE.SERVFAIL;
    return negative(msg, q, rcode, zoneOffset, this.#soa(), this.#limits);
  }

  /**
   * The answer from memory, `null` to drop the message, or SLOW for answerAsync.
   * `v6` only labels the metrics.
   */
  answerSync(msg: Buffer, tcp: boolean, v6 = false): Buffer | null | typeof SLOW {
    const t0 = performance.now();
    const q = this.#q;
    const status = parseQuery(msg, q);
    if (status !== PARSE_OK) {
      if (status === PARSE_DROP) return null;
      if (status === PARSE_SLOW) return SLOW;
      const rcode =
        status === PARSE_FORMERR
          ? RCODE.FORMERR
          : status === PARSE_NOTIMP
            ? RCODE.NOTIMP
            : RCODE.BADVERS;
      const out = bare(msg, q, rcode, this.#limits);
      this.#observe(this.#forwardSlot, tcp, v6, q, out, t0);
      return out;
    }
    if (q.qclass !== CLASS_IN) return SLOW;
    const zone = this.#o.zone;
    const entry = zone.lookup(msg, 12, q.qnameEnd, q.hash);
    if (entry) return this.#fromEntry(entry, msg, q, tcp, v6, t0);
    for (const z of this.#clusterZones) {
      const off = zoneOffsetIn(msg, q, z.wire, z.labels);
      if (off < 0) continue;
      let out: Buffer;
      if (q.labelCount > z.labels && labelIs(msg, q, q.labelCount - z.labels - 1, 'pod')) {
        const pod = zone.lookupPod(msg, 12, q.qnameEnd, q.hash);
        if (!pod) return SLOW;
        return this.#fromEntry(pod, msg, q, tcp, v6, t0);
      }
      if (q.qtype === T.AXFR || q.qtype === T.IXFR) out = bare(msg, q, RCODE.REFUSED, this.#limits);
      else if (q.qtype === T.SOA) out = this.#negative(msg, q, RCODE.NOERROR, off);
      else out = this.#negative(msg, q, RCODE.NXDOMAIN, off);
      this.#ra(out);
      this.#observe(z.slot, tcp, v6, q, out, t0);
      return out;
    }
    for (const z of this.#reverseZones)
      if (zoneOffsetIn(msg, q, z.wire, z.labels) >= 0) return SLOW;
    const cache = this.#o.cache;
    if (cache) {
      const c = cache.get(msg, q);
      if (c) {
        const out = cache.serve(c, msg, q, tcp, this.#limits);
        this.#observe(this.#forwardSlot, tcp, v6, q, out, t0);
        return out;
      }
    }
    return SLOW;
  }

  #fromEntry(
    entry: NameEntry,
    msg: Buffer,
    q: ParsedQuery,
    tcp: boolean,
    v6: boolean,
    t0: number,
  ): Buffer | typeof SLOW {
    const p = prepared(entry, q.qtype);
    let out: Buffer;
    const zoneOffset = q.qnameLen - (entry.zone.length + 2);
    if (typeof p === 'object')
      out = finalize(p, msg, q, responseLimit(q, tcp, this.#limits), this.#limits);
    else if (p === 'nodata') out = this.#negative(msg, q, RCODE.NOERROR, zoneOffset);
    else if (p === 'nxdomain') out = this.#negative(msg, q, RCODE.NXDOMAIN, zoneOffset);
    else if (p === 'refused') out = bare(msg, q, RCODE.REFUSED, this.#limits);
    else return SLOW;
    this.#ra(out);
    this.#observe(this.#slotOf(entry.zone), tcp, v6, q, out, t0);
    return out;
  }

  #slotOf(zone: string): number {
    for (const z of this.#clusterZones) if (z.name === zone) return z.slot;
    for (const z of this.#reverseZones) if (z.name === zone) return z.slot;
    return this.#forwardSlot;
  }

  /** The full pipeline, for everything answerSync could not answer from memory. */
  async answerAsync(msg: Buffer, tcp: boolean, v6 = false): Promise<Buffer | null> {
    const t0 = performance.now();
    // Our own copy of the parse: the shared one is overwritten by the next query.
    const q = new ParsedQuery();
    let status = parseQuery(msg, q);
    let slowMsg = msg;
    if (status === PARSE_SLOW) {
      // A compressed question name: re-encode the query plainly and go on with that.
      const plain = decodeQuery(msg);
      if (!plain) return bare(msg, q, RCODE.FORMERR, this.#limits);
      slowMsg = plain;
      status = parseQuery(slowMsg, q);
    }
    if (status === PARSE_DROP) return null;
    if (status !== PARSE_OK) {
      const rcode =
        status === PARSE_FORMERR
          ? RCODE.FORMERR
          : status === PARSE_NOTIMP
            ? RCODE.NOTIMP
            : RCODE.BADVERS;
      return bare(slowMsg, q, rcode, this.#limits);
    }
    const qname = questionName(slowMsg, q);
    let out: Buffer | null;
    let slot = this.#forwardSlot;
    try {
      const r = await this.#resolveSlow(slowMsg, q, qname, tcp);
      out = r.out;
      slot = r.slot;
    } catch (e) {
      this.#o.logger.error(asError(e), 'Answering a query failed', { name: qname, type: q.qtype });
      out = bare(slowMsg, q, RCODE.SERVFAIL, this.#limits);
    }
    if (out) this.#ra(out);
    if (out && slowMsg !== msg) {
      // Answer with the client's ID and flags (the re-encoded question is what we echo).
      out[0] = msg[0] ?? 0;
      out[1] = msg[1] ?? 0;
    }
    if (out) this.#observe(slot, tcp, v6, q, out, t0);
    return out;
  }

  async #resolveSlow(
    msg: Buffer,
    q: ParsedQuery,
    qname: string,
    tcp: boolean,
  ): Promise<{ out: Buffer | null; slot: number }> {
    const zone = this.#o.zone;
    const limit = responseLimit(q, tcp, this.#limits);
    const inCluster = zone.zoneOf(qname);
    if (q.qclass !== CLASS_IN) {
      if (inCluster !== undefined)
        return { out: bare(msg, q, RCODE.REFUSED, this.#limits), slot: this.#slotOf(inCluster) };
      return this.#forward(msg, q, qname, tcp);
    }
    const res = zone.resolve(qname, q.qtype);
    const slot = this.#slotOf(res.zone);
    const zoneOffset = q.qnameLen - (res.zone.length + 2);
    switch (res.kind) {
      case 'nodata':
        return { out: this.#negative(msg, q, RCODE.NOERROR, zoneOffset), slot };
      case 'nxdomain':
        return { out: this.#negative(msg, q, RCODE.NXDOMAIN, zoneOffset), slot };
      case 'refused':
        return { out: bare(msg, q, RCODE.REFUSED, this.#limits), slot };
      case 'forward':
        if (res.zone !== '' && (!this.#o.forwarder || !this.#o.forwarder.available))
          return { out: this.#negative(msg, q, RCODE.NXDOMAIN, zoneOffset), slot };
        return this.#forward(msg, q, qname, tcp);
      case 'answer': {
        let answer: ResourceRecord[] = [...res.answer];
        let truncated = false;
        if (res.chase) {
          const chased = await this.#chase(res.chase.target, res.chase.type, q, answer);
          answer = chased.answer;
          truncated = chased.truncated;
        }
        const t = buildTemplate({
          qname,
          qtype: q.qtype,
          zone: res.zone,
          rcode: RCODE.NOERROR,
          authoritative: true,
          answer,
          additional: res.additional,
        });
        const out = finalize(t, msg, q, limit, this.#limits);
        if (truncated) out[2] = (out[2] ?? 0) | 0x02;
        return { out, slot };
      }
    }
  }

  /**
   * Follows an ExternalName's CNAME: in-cluster targets from our own data, others through the
   * forwarder (and its cache), up to 10 links. The CNAME stays in the answer even when its target
   * cannot be resolved (CoreDNS would answer NODATA without it).
   */
  async #chase(
    target: string,
    qtype: number,
    q: ParsedQuery,
    answer: ResourceRecord[],
  ): Promise<{ answer: ResourceRecord[]; truncated: boolean }> {
    const zone = this.#o.zone;
    const seen = new Set<string>();
    let truncated = false;
    for (let i = 0; i < maxChase; i++) {
      const lower = target.toLowerCase().replace(/\.$/, '');
      if (seen.has(lower)) break;
      seen.add(lower);
      if (zone.zoneOf(lower) !== undefined) {
        const r = zone.resolve(lower, qtype);
        if (r.kind !== 'answer') break;
        answer.push(...r.answer);
        if (!r.chase) break;
        target = r.chase.target;
        continue;
      }
      const fwd = this.#o.forwarder;
      if (!fwd?.available) break;
      let question: Buffer;
      try {
        const w = nameWire(lower);
        question = Buffer.alloc(w.length + 4);
        w.copy(question, 0);
        question.writeUInt16BE(qtype, w.length);
        question.writeUInt16BE(CLASS_IN, w.length + 2);
      } catch {
        break;
      }
      try {
        const r = await fwd.query(question, q.dnssecOk, false);
        const walked = walkMessage(r.response);
        if (!walked) break;
        truncated ||= walked.truncated;
        answer.push(...answerRecords(r.response, walked));
      } catch {
        // Unanswered upstream: the CNAME alone.
      }
      break;
    }
    return { answer, truncated };
  }

  async #forward(
    msg: Buffer,
    q: ParsedQuery,
    qname: string,
    tcp: boolean,
  ): Promise<{ out: Buffer | null; slot: number }> {
    const slot = this.#forwardSlot;
    const loop = this.#o.loop;
    if (loop?.isProbe(qname)) return { out: bare(msg, q, RCODE.REFUSED, this.#limits), slot };
    const fwd = this.#o.forwarder;
    if (!fwd?.available) return { out: bare(msg, q, RCODE.REFUSED, this.#limits), slot };
    const cache = this.#o.cache;
    const cached = cache?.get(msg, q);
    if (cache && cached) return { out: cache.serve(cached, msg, q, tcp, this.#limits), slot };
    const question = msg.subarray(12, q.questionEnd);
    let res;
    try {
      res = await fwd.query(Buffer.from(question), q.dnssecOk, ((msg[3] ?? 0) & 0x10) !== 0);
    } catch (e) {
      const code = e instanceof ForwardError ? e.code : 'E_DNS_FORWARD_FAILED';
      const rcode =
        code === 'E_DNS_FORWARD_BUSY' || code === 'E_DNS_NO_UPSTREAM'
          ? RCODE.REFUSED
          : RCODE.SERVFAIL;
      return { out: bare(msg, q, rcode, this.#limits, true), slot };
    }
    const stored = cache?.put(msg, q, res.response);
    if (cache && stored) return { out: cache.serve(stored, msg, q, tcp, this.#limits), slot };
    // Not cacheable (an odd rcode, truncated even over TCP): relay it under the client's ID.
    const out = Buffer.from(res.response);
    out[0] = msg[0] ?? 0;
    out[1] = msg[1] ?? 0;
    out[2] = ((out[2] ?? 0) & ~0x01) | ((msg[2] ?? 0) & 0x01);
    if (out.length > responseLimit(q, tcp, this.#limits)) {
      const w = walkMessage(out);
      const cut = Buffer.from(out.subarray(0, w?.questionEnd ?? 12));
      cut.writeUInt16BE(0, 6);
      cut.writeUInt16BE(0, 8);
      cut.writeUInt16BE(0, 10);
      cut[2] = (cut[2] ?? 0) | 0x02;
      return { out: cut, slot };
    }
    return { out, slot };
  }
}

/**
 * The DNS server's metrics under CoreDNS's names (so its dashboards work): counted on the hot
 * path in typed arrays, turned into Prometheus text only when scraped.
 *
 *   coredns_dns_requests_total{server,zone,proto,family,type}
 *   coredns_dns_responses_total{server,zone,rcode}
 *   coredns_dns_request_duration_seconds{server,zone}            (histogram)
 *   coredns_cache_hits_total{server,type}, coredns_cache_misses_total{server}, coredns_cache_entries{server}
 *   coredns_forward_requests_total{to}, coredns_forward_responses_total{to,rcode},
 *   coredns_forward_request_duration_seconds{to}                 (histogram)
 *   coredns_kubernetes_dns_programming_duration_seconds{service_kind}  (histogram)
 *   portico_dns_names{zone}, portico_dns_forward_loops_total, portico_dns_build_info
 */
import { Histogram, Registry, type Counter, type Gauge } from '../lib/metrics.js';
import { rcodeName, T } from './types.js';

const typeSlots: readonly number[] = [
  T.A,
  T.AAAA,
  T.SRV,
  T.PTR,
  T.TXT,
  T.CNAME,
  T.NS,
  T.SOA,
  T.MX,
  T.ANY,
  T.HINFO,
];
const OTHER_TYPE = typeSlots.length;
const TYPES = typeSlots.length + 1;
const slotOfType = new Int8Array(256).fill(OTHER_TYPE);
typeSlots.forEach((t, i) => (slotOfType[t] = i));
const typeLabel = [
  'A',
  'AAAA',
  'SRV',
  'PTR',
  'TXT',
  'CNAME',
  'NS',
  'SOA',
  'MX',
  'ANY',
  'HINFO',
  'other',
];

/** Upper bounds in seconds (CoreDNS's buckets). */
const durationBuckets = [
  0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024,
  2.048, 4.096, 8.192,
];

function esc(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** Counts per query, exposed under CoreDNS's names. */
class QueryMetrics {
  readonly name = 'coredns_dns_requests_total';
  readonly #zones: readonly string[];
  readonly #server: string;
  /** [zone][proto][family][type] */
  readonly requests: Float64Array;
  /** [zone][rcode 0..23] */
  readonly responses: Float64Array;
  /** [zone][bucket] (non-cumulative), then sum and count per zone */
  readonly buckets: Float64Array;
  readonly sums: Float64Array;
  readonly counts: Float64Array;

  constructor(zones: readonly string[], server: string) {
    this.#zones = zones;
    this.#server = server;
    this.requests = new Float64Array(zones.length * 2 * 2 * TYPES);
    this.responses = new Float64Array(zones.length * 24);
    this.buckets = new Float64Array(zones.length * (durationBuckets.length + 1));
    this.sums = new Float64Array(zones.length);
    this.counts = new Float64Array(zones.length);
  }

  expose(): string {
    const s = esc(this.#server);
    const lines: string[] = [
      '# HELP coredns_dns_requests_total Counter of DNS requests made per zone, protocol and family.',
      '# TYPE coredns_dns_requests_total counter',
    ];
    this.#zones.forEach((zone, z) => {
      for (let p = 0; p < 2; p++)
        for (let f = 0; f < 2; f++)
          for (let t = 0; t < TYPES; t++) {
            const v = this.requests[((z * 2 + p) * 2 + f) * TYPES + t] ?? 0;
            if (v > 0)
              lines.push(
                `coredns_dns_requests_total{family="${f + 1}",proto="${p === 0 ? 'udp' : 'tcp'}",server="${s}",type="${typeLabel[t] ?? 'other'}",zone="${esc(zone)}"} ${v}`,
              );
          }
    });
    lines.push(
      '# HELP coredns_dns_responses_total Counter of response status codes.',
      '# TYPE coredns_dns_responses_total counter',
    );
    this.#zones.forEach((zone, z) => {
      for (let r = 0; r < 24; r++) {
        const v = this.responses[z * 24 + r] ?? 0;
        if (v > 0)
          lines.push(
            `coredns_dns_responses_total{rcode="${rcodeName(r)}",server="${s}",zone="${esc(zone)}"} ${v}`,
          );
      }
    });
    lines.push(
      '# HELP coredns_dns_request_duration_seconds Histogram of the time (in seconds) each request took per zone.',
      '# TYPE coredns_dns_request_duration_seconds histogram',
    );
    const nb = durationBuckets.length + 1;
    this.#zones.forEach((zone, z) => {
      if ((this.counts[z] ?? 0) === 0) return;
      const l = `server="${s}",zone="${esc(zone)}"`;
      let cum = 0;
      durationBuckets.forEach((b, i) => {
        cum += this.buckets[z * nb + i] ?? 0;
        lines.push(`coredns_dns_request_duration_seconds_bucket{${l},le="${b}"} ${cum}`);
      });
      lines.push(
        `coredns_dns_request_duration_seconds_bucket{${l},le="+Inf"} ${this.counts[z] ?? 0}`,
        `coredns_dns_request_duration_seconds_sum{${l}} ${this.sums[z] ?? 0}`,
        `coredns_dns_request_duration_seconds_count{${l}} ${this.counts[z] ?? 0}`,
      );
    });
    return lines.join('\n');
  }
}

/** Live numbers read at scrape time. */
export interface MetricSources {
  cache?: () => {
    hits: Record<string, number>;
    misses: number;
    entries: number;
  };
  names?: () => number;
}

export class DnsMetrics {
  readonly registry: Registry;
  readonly #q: QueryMetrics;
  readonly #zones: readonly string[];
  readonly forwardRequests: Counter;
  readonly forwardResponses: Counter;
  readonly forwardDuration: Histogram;
  readonly programming: Histogram;
  readonly loops: Counter;
  readonly #cacheHits: Gauge;
  readonly #cacheMisses: Gauge;
  readonly #cacheEntries: Gauge;
  readonly #names: Gauge;
  #sources: MetricSources = {};
  readonly #server: string;

  /** `zones`: the cluster zones, then the reverse zones, then '.' (forwarded): one slot each. */
  constructor(options: { zones: readonly string[]; server: string; registry?: Registry }) {
    this.registry = options.registry ?? new Registry();
    this.#zones = options.zones;
    this.#server = options.server;
    this.#q = this.registry.register(new QueryMetrics(options.zones, options.server));
    this.forwardRequests = this.registry.counter(
      'coredns_forward_requests_total',
      'Counter of requests made per upstream.',
    );
    this.forwardResponses = this.registry.counter(
      'coredns_forward_responses_total',
      'Counter of responses received per upstream.',
    );
    this.forwardDuration = this.registry.histogram(
      'coredns_forward_request_duration_seconds',
      'Histogram of the time each request took.',
      durationBuckets,
    );
    this.programming = this.registry.register(
      new Histogram(
        'coredns_kubernetes_dns_programming_duration_seconds',
        'Histogram of the time (in seconds) it took to program a dns instance.',
        [
          0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096,
          8.192, 16.384, 32.768, 65.536,
        ],
      ),
    );
    this.loops = this.registry.counter(
      'portico_dns_forward_loops_total',
      'Upstreams found to forward our queries back to us.',
    );
    this.#cacheHits = this.registry.gauge('coredns_cache_hits_total', 'The count of cache hits.');
    this.#cacheMisses = this.registry.gauge(
      'coredns_cache_misses_total',
      'The count of cache misses.',
    );
    this.#cacheEntries = this.registry.gauge(
      'coredns_cache_entries',
      'The number of elements in the cache.',
    );
    this.#names = this.registry.gauge(
      'portico_dns_names',
      'Names of the cluster zones held in memory with their answers.',
    );
  }

  setSources(s: MetricSources): void {
    this.#sources = s;
  }

  /** Slot of a zone name in the counters (the last is '.'). */
  zoneSlot(zone: string): number {
    const i = this.#zones.indexOf(zone);
    return i >= 0 ? i : this.#zones.length - 1;
  }

  /** One answered query. */
  observe(
    zoneSlot: number,
    tcp: boolean,
    v6: boolean,
    qtype: number,
    rcode: number,
    seconds: number,
  ): void {
    const q = this.#q;
    const t = qtype < 256 ? (slotOfType[qtype] ?? OTHER_TYPE) : OTHER_TYPE;
    const ri = ((zoneSlot * 2 + (tcp ? 1 : 0)) * 2 + (v6 ? 1 : 0)) * TYPES + t;
    q.requests[ri] = (q.requests[ri] ?? 0) + 1;
    const si = zoneSlot * 24 + (rcode < 24 ? rcode : 23);
    q.responses[si] = (q.responses[si] ?? 0) + 1;
    let b = 0;
    while (b < durationBuckets.length && seconds > (durationBuckets[b] ?? Infinity)) b++;
    const bi = zoneSlot * (durationBuckets.length + 1) + b;
    q.buckets[bi] = (q.buckets[bi] ?? 0) + 1;
    q.sums[zoneSlot] = (q.sums[zoneSlot] ?? 0) + seconds;
    q.counts[zoneSlot] = (q.counts[zoneSlot] ?? 0) + 1;
  }

  /** Requests answered so far (all zones). */
  get answered(): number {
    return this.#q.counts.reduce((a, b) => a + b, 0);
  }

  expose(): string {
    const c = this.#sources.cache?.();
    if (c) {
      for (const [type, v] of Object.entries(c.hits))
        this.#cacheHits.set(v, { server: this.#server, type });
      this.#cacheMisses.set(c.misses, { server: this.#server });
      this.#cacheEntries.set(c.entries, { server: this.#server, type: 'all' });
    }
    const n = this.#sources.names?.();
    if (n !== undefined) this.#names.set(n);
    return this.registry.expose();
  }
}

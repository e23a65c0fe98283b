/**
 * The cluster zone (CoreDNS's `kubernetes` plugin): state fed by informer handlers, indexed into
 * a table of names, each of which answers for every type — and remembers the wire template it
 * built for a type until the name's data changes. Queries never build records from API objects:
 * a change rebuilds the entries of the objects it touched (once per batch of events), and the
 * first query of a (name, type) afterwards encodes its answer once.
 *
 * Existence follows CoreDNS: a name exists when it has records or is one of the structural names
 * (the apex, `svc`, `pod`, `<ns>.svc`, `<ns>.pod`, `ns.dns`, `dns-version`); otherwise NXDOMAIN.
 * Deliberate differences (all turn a CoreDNS NXDOMAIN for a name that exists into NODATA, as
 * RFC 8020 requires): TXT at structural names, non-TXT at `dns-version`, and empty non-terminals
 * (`_tcp.<svc>…`, `dns.<zone>`). Extra labels under `<pod>.<ns>.pod` are NXDOMAIN (CoreDNS ignores
 * them).
 */
import type { Service, Pod } from '../api/types/core.js';
import type { EndpointSlice } from '../api/types/discovery.js';
import { realClock, type Clock } from '../lib/clock.js';
import { addressOfReverse, cidrContains, reverseName, undashIP, type Cidr } from './ip.js';
import {
  toPodView,
  toServiceView,
  toSliceView,
  type PodView,
  type ServiceView,
  type SliceView,
} from './objects.js';
import {
  addressRecords,
  join,
  serviceBase,
  serviceRecords,
  srvRecords,
  type NameData,
  type PtrContribution,
} from './records.js';
import { NameTable } from './table.js';
import { T, type ResourceRecord, type Resolution } from './types.js';
import { buildTemplate, labelsOf, nameWire, type Template } from './writer.js';

export type PodMode = 'disabled' | 'insecure' | 'verified';

export type ServiceKindLabel =
  'cluster_ip' | 'headless_with_selector' | 'headless_without_selector';

export interface ZoneOptions {
  /** Cluster zones, lower case without trailing dot; the first names PTR targets. */
  readonly zones: readonly string[];
  /** TTL of the records (kubeadm's Corefile: 30; CoreDNS's default: 5). */
  readonly ttl: number;
  readonly podMode: PodMode;
  readonly endpointPodNames?: boolean;
  /** The Service this DNS is published as: the zone's NS record names it. */
  readonly dnsService?: { readonly namespace: string; readonly name: string };
  /** This server's addresses: glue for `ns.dns.<zone>` when the DNS Service is absent. */
  readonly ownAddresses?: () => readonly string[];
  /** Reverse names of addresses in these ranges are ours: unknown ones are NXDOMAIN, not forwarded. */
  readonly authoritativeCidrs?: readonly Cidr[];
  readonly clock?: Clock;
  /** Called per slice change applied, with its trigger time (programming latency). */
  readonly onProgrammed?: (kind: ServiceKindLabel, latencyMs: number) => void;
}

/** What a (name, type) of an entry comes to on the wire. */
export type Prepared = Template | 'nodata' | 'nxdomain' | 'refused' | 'forward' | 'dynamic';

export interface NameEntry {
  /** Lower case, no trailing dot. */
  readonly name: string;
  readonly zone: string;
  readonly resolve: (qtype: number) => Resolution;
  readonly memo: Map<number, Prepared>;
}

const reverseZones = ['in-addr.arpa', 'ip6.arpa'] as const;
const maxPodEntries = 10_000;

function prepare(entry: NameEntry, qtype: number): Prepared {
  const r = entry.resolve(qtype);
  switch (r.kind) {
    case 'answer':
      if (r.chase) return 'dynamic';
      return buildTemplate({
        qname: entry.name,
        qtype,
        zone: entry.zone,
        rcode: 0,
        authoritative: true,
        answer: r.answer,
        additional: r.additional,
      });
    default:
      return r.kind;
  }
}

/** The template (or outcome) of an entry for a type, built once. */
export function prepared(entry: NameEntry, qtype: number): Prepared {
  let p = entry.memo.get(qtype);
  if (p === undefined) {
    p = prepare(entry, qtype);
    entry.memo.set(qtype, p);
  }
  return p;
}

export class KubernetesZone {
  readonly zones: readonly string[];
  readonly ttl: number;
  readonly #o: ZoneOptions;
  readonly #clock: Clock;
  readonly #services = new Map<string, ServiceView>();
  readonly #slices = new Map<string, Map<string, SliceView>>();
  readonly #sliceOwner = new Map<string, string>();
  readonly #namespaces = new Set<string>();
  readonly #podsByIP = new Map<string, Map<string, PodView>>();
  readonly #podKeys = new Map<string, PodView>();
  readonly #table = new NameTable<NameEntry>();
  readonly #podEntries = new NameTable<NameEntry>();
  readonly #owned = new Map<string, Uint8Array[]>();
  readonly #ptrIndex = new Map<string, Map<string, PtrContribution[]>>();
  readonly #svcPtrs = new Map<string, readonly PtrContribution[]>();
  readonly #dirtyServices = new Map<string, number | undefined>();
  #dirty = true;
  #flushScheduled = false;
  #modified: number;

  constructor(options: ZoneOptions) {
    this.#o = options;
    this.zones = options.zones.map((z) => z.toLowerCase().replace(/\.$/, ''));
    this.ttl = options.ttl;
    this.#clock = options.clock ?? realClock;
    this.#modified = Math.floor(this.#clock.now() / 1000);
  }

  /** SOA serial: the time of the last change, in seconds (CoreDNS). */
  get serial(): number {
    return this.#modified >>> 0;
  }

  get podMode(): PodMode {
    return this.#o.podMode;
  }

  /** Names in the table (for metrics). */
  get size(): number {
    return this.#table.size;
  }

  // ---- state changes (informer handlers) ------------------------------------------------

  upsertService(svc: Service): void {
    const v = toServiceView(svc);
    this.#services.set(`${v.namespace}/${v.name}`, v);
    this.#touch(`${v.namespace}/${v.name}`);
  }

  deleteService(svc: Service): void {
    const key = `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name ?? ''}`;
    this.#services.delete(key);
    this.#touch(key);
  }

  upsertSlice(slice: EndpointSlice): void {
    const sliceKey = `${slice.metadata.namespace ?? 'default'}/${slice.metadata.name ?? ''}`;
    const v = toSliceView(slice);
    this.#removeSlice(sliceKey);
    if (!v) return;
    const svcKey = `${v.namespace}/${v.service}`;
    let m = this.#slices.get(svcKey);
    if (!m) this.#slices.set(svcKey, (m = new Map<string, SliceView>()));
    m.set(v.name, v);
    this.#sliceOwner.set(sliceKey, svcKey);
    this.#touch(svcKey, v.triggerTime);
  }

  deleteSlice(slice: EndpointSlice): void {
    this.#removeSlice(`${slice.metadata.namespace ?? 'default'}/${slice.metadata.name ?? ''}`);
  }

  #removeSlice(sliceKey: string): void {
    const owner = this.#sliceOwner.get(sliceKey);
    if (owner === undefined) return;
    this.#sliceOwner.delete(sliceKey);
    const m = this.#slices.get(owner);
    m?.delete(sliceKey.slice(sliceKey.indexOf('/') + 1));
    if (m && m.size === 0) this.#slices.delete(owner);
    this.#touch(owner);
  }

  upsertNamespace(name: string): void {
    if (this.#namespaces.has(name)) return;
    this.#namespaces.add(name);
    this.#namespaceChanged(name);
  }

  deleteNamespace(name: string): void {
    if (!this.#namespaces.delete(name)) return;
    this.#namespaceChanged(name);
  }

  #namespaceChanged(name: string): void {
    for (const key of this.#services.keys()) if (key.startsWith(`${name}/`)) this.#touch(key);
    this.#podEntries.clear();
    this.#markDirty();
  }

  upsertPod(pod: Pod): void {
    const key = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`;
    this.#removePod(key);
    const v = toPodView(pod);
    if (!v) return;
    this.#podKeys.set(key, v);
    for (const ip of v.ips) {
      let m = this.#podsByIP.get(ip);
      if (!m) this.#podsByIP.set(ip, (m = new Map<string, PodView>()));
      m.set(key, v);
    }
    this.#podEntries.clear();
  }

  deletePod(pod: Pod): void {
    this.#removePod(`${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`);
  }

  #removePod(key: string): void {
    const old = this.#podKeys.get(key);
    if (!old) return;
    this.#podKeys.delete(key);
    for (const ip of old.ips) {
      const m = this.#podsByIP.get(ip);
      m?.delete(key);
      if (m && m.size === 0) this.#podsByIP.delete(ip);
    }
    this.#podEntries.clear();
  }

  #touch(svcKey: string, triggerTime?: number): void {
    const prev = this.#dirtyServices.get(svcKey);
    this.#dirtyServices.set(
      svcKey,
      prev === undefined
        ? triggerTime
        : triggerTime === undefined
          ? prev
          : Math.min(prev, triggerTime),
    );
    this.#markDirty();
  }

  #markDirty(): void {
    this.#dirty = true;
    this.#modified = Math.floor(this.#clock.now() / 1000);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.flush();
      });
    }
  }

  // ---- index maintenance ----------------------------------------------------------------

  /** Applies pending changes to the name table (queries call it first; cheap when clean). */
  flush(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    const ptrIPs = new Set<string>();
    const now = this.#clock.now();
    for (const [key, trigger] of this.#dirtyServices) {
      this.#rebuildService(key, ptrIPs);
      const svc = this.#services.get(key);
      if (trigger !== undefined && svc && this.#o.onProgrammed) {
        const kind: ServiceKindLabel =
          svc.kind !== 'headless'
            ? 'cluster_ip'
            : svc.hasSelector
              ? 'headless_with_selector'
              : 'headless_without_selector';
        this.#o.onProgrammed(kind, Math.max(0, now - trigger));
      }
    }
    this.#dirtyServices.clear();
    for (const ip of ptrIPs) this.#rebuildPtr(ip);
    // The apex's SOA serial moves with every change: rebuild the structural names each time.
    this.#rebuildFixed();
  }

  /** This server's addresses changed (the NS glue when the DNS Service is absent). */
  ownAddressesChanged(): void {
    this.#markDirty();
  }

  #install(source: string, entries: NameEntry[]): void {
    for (const old of this.#owned.get(source) ?? []) this.#table.delete(old);
    const names: Uint8Array[] = [];
    for (const e of entries) {
      const w = nameWire(e.name);
      this.#table.set(w, e);
      names.push(w);
    }
    if (names.length > 0) this.#owned.set(source, names);
    else this.#owned.delete(source);
  }

  #entry(name: string, zone: string, resolve: (qtype: number) => Resolution): NameEntry {
    return {
      name,
      zone,
      memo: new Map(),
      resolve: (qtype) =>
        qtype === T.AXFR || qtype === T.IXFR ? { kind: 'refused', zone } : resolve(qtype),
    };
  }

  #rebuildService(key: string, ptrIPs: Set<string>): void {
    const svc = this.#services.get(key);
    const slices = [...(this.#slices.get(key)?.values() ?? [])].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    const recs = svc
      ? serviceRecords(svc, slices, { endpointPodNames: this.#o.endpointPodNames ?? false })
      : undefined;
    const entries: NameEntry[] = [];
    if (svc && recs && this.#namespaces.has(svc.namespace)) {
      for (const zone of this.zones) {
        const base = serviceBase(svc.namespace, svc.name, zone);
        for (const [rel, data] of recs.names) {
          const name = join(rel, base);
          entries.push(this.#entry(name, zone, (t) => this.#answerName(data, name, base, zone, t)));
        }
        for (const rel of recs.ents) {
          entries.push(this.#entry(join(rel, base), zone, () => ({ kind: 'nodata', zone })));
        }
      }
    }
    this.#install(`svc:${key}`, entries);
    // PTR contributions: replace this service's, remember which addresses to rebuild.
    for (const old of this.#svcPtrs.get(key) ?? []) {
      ptrIPs.add(old.ip);
      const m = this.#ptrIndex.get(old.ip);
      m?.delete(key);
      if (m && m.size === 0) this.#ptrIndex.delete(old.ip);
    }
    const ptrs = recs?.ptrs ?? [];
    if (ptrs.length > 0) this.#svcPtrs.set(key, ptrs);
    else this.#svcPtrs.delete(key);
    for (const p of ptrs) {
      ptrIPs.add(p.ip);
      let m = this.#ptrIndex.get(p.ip);
      if (!m) this.#ptrIndex.set(p.ip, (m = new Map<string, PtrContribution[]>()));
      const list = m.get(key);
      if (list) list.push(p);
      else m.set(key, [p]);
    }
  }

  #answerName(data: NameData, name: string, base: string, zone: string, qtype: number): Resolution {
    const ttl = this.ttl;
    if (data.cname !== undefined) {
      const rr: ResourceRecord = { name, ttl, data: { type: 'CNAME', target: data.cname } };
      if (qtype === T.CNAME) return { kind: 'answer', zone, answer: [rr], additional: [] };
      if ((qtype === T.A || qtype === T.AAAA) && data.cname.toLowerCase() !== name)
        return {
          kind: 'answer',
          zone,
          answer: [rr],
          additional: [],
          chase: { target: data.cname, type: qtype },
        };
      return { kind: 'nodata', zone };
    }
    if (qtype === T.A || qtype === T.AAAA) {
      const answer = addressRecords(data, name, qtype === T.A ? 'IPv4' : 'IPv6', ttl);
      return answer.length > 0
        ? { kind: 'answer', zone, answer, additional: [] }
        : { kind: 'nodata', zone };
    }
    if (qtype === T.SRV) {
      const { answer, additional } = srvRecords(data, name, base, ttl);
      return answer.length > 0
        ? { kind: 'answer', zone, answer, additional }
        : { kind: 'nodata', zone };
    }
    return { kind: 'nodata', zone };
  }

  #rebuildPtr(ip: string): void {
    const rname = reverseName(ip);
    if (rname === undefined) return;
    const zone = rname.endsWith('.in-addr.arpa') ? 'in-addr.arpa' : 'ip6.arpa';
    const owners = this.#ptrIndex.get(ip);
    const primary = this.zones[0] ?? 'cluster.local';
    const targets: string[] = [];
    if (owners) {
      const keys = [...owners.keys()].sort();
      const cip = keys.find((k) => owners.get(k)?.some((p) => p.clusterIP));
      const base = (k: string): string => {
        const [ns = '', name = ''] = k.split('/');
        return serviceBase(ns, name, primary);
      };
      if (cip !== undefined) targets.push(base(cip));
      else
        for (const k of keys)
          for (const p of owners.get(k) ?? []) {
            const t = join(p.rel, base(k));
            if (!targets.includes(t)) targets.push(t);
          }
    }
    const entries =
      targets.length === 0
        ? []
        : [
            this.#entry(rname, zone, (t) =>
              t === T.PTR
                ? {
                    kind: 'answer',
                    zone,
                    answer: targets.map((target) => ({
                      name: rname,
                      ttl: this.ttl,
                      data: { type: 'PTR', target },
                    })),
                    additional: [],
                  }
                : { kind: 'nodata', zone },
            ),
          ];
    this.#install(`ptr:${ip}`, entries);
  }

  /** The zone's NS target and its addresses. */
  #nameServer(zone: string): { target: string; ips: readonly string[] } {
    const dns = this.#o.dnsService;
    const svc = dns ? this.#services.get(`${dns.namespace}/${dns.name}`) : undefined;
    if (svc && svc.kind === 'clusterIP' && svc.clusterIPs.length > 0)
      return { target: serviceBase(svc.namespace, svc.name, zone), ips: svc.clusterIPs };
    return { target: `ns.dns.${zone}`, ips: this.#o.ownAddresses?.() ?? [] };
  }

  soaRecord(zone: string, owner: string): ResourceRecord {
    return {
      name: owner,
      ttl: Math.min(this.ttl, 300),
      data: {
        type: 'SOA',
        mname: `ns.dns.${zone}`,
        rname: `hostmaster.${zone}`,
        serial: this.serial,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: this.ttl,
      },
    };
  }

  #rebuildFixed(): void {
    const entries: NameEntry[] = [];
    const nodata = (zone: string) => (): Resolution => ({ kind: 'nodata', zone });
    for (const zone of this.zones) {
      const ns = this.#nameServer(zone);
      const addrs = (name: string, qtype: number): ResourceRecord[] =>
        ns.ips
          .filter((ip) => (qtype === T.AAAA) === ip.includes(':'))
          .map((ip) => ({
            name,
            ttl: this.ttl,
            data: ip.includes(':')
              ? { type: 'AAAA' as const, address: ip }
              : { type: 'A' as const, address: ip },
          }));
      entries.push(
        this.#entry(zone, zone, (t) => {
          if (t === T.SOA)
            return { kind: 'answer', zone, answer: [this.soaRecord(zone, zone)], additional: [] };
          if (t === T.NS)
            return {
              kind: 'answer',
              zone,
              answer: [{ name: zone, ttl: this.ttl, data: { type: 'NS', target: ns.target } }],
              additional: [...addrs(ns.target, T.A), ...addrs(ns.target, T.AAAA)],
            };
          return { kind: 'nodata', zone };
        }),
        this.#entry(`svc.${zone}`, zone, nodata(zone)),
        this.#entry(`pod.${zone}`, zone, nodata(zone)),
        this.#entry(`dns.${zone}`, zone, nodata(zone)),
        this.#entry(`ns.dns.${zone}`, zone, (t) => {
          const answer = t === T.A || t === T.AAAA ? addrs(`ns.dns.${zone}`, t) : [];
          return answer.length > 0
            ? { kind: 'answer', zone, answer, additional: [] }
            : { kind: 'nodata', zone };
        }),
        this.#entry(`dns-version.${zone}`, zone, (t) =>
          t === T.TXT
            ? {
                kind: 'answer',
                zone,
                answer: [
                  {
                    name: `dns-version.${zone}`,
                    ttl: 28800,
                    data: { type: 'TXT', text: ['1.1.0'] },
                  },
                ],
                additional: [],
              }
            : { kind: 'nodata', zone },
        ),
      );
      for (const n of this.#namespaces) {
        entries.push(this.#entry(`${n}.svc.${zone}`, zone, nodata(zone)));
        if (this.#o.podMode !== 'disabled')
          entries.push(this.#entry(`${n}.pod.${zone}`, zone, nodata(zone)));
      }
    }
    this.#install('fixed', entries);
  }

  // ---- lookups ---------------------------------------------------------------------------

  /** The entry for a name straight from a query's bytes (the hot path). */
  lookup(msg: Uint8Array, start: number, end: number, hash: number): NameEntry | undefined {
    if (this.#dirty) this.flush();
    return this.#table.lookup(msg, start, end, hash);
  }

  /** The cached entry of a pod name, if one was made. */
  lookupPod(msg: Uint8Array, start: number, end: number, hash: number): NameEntry | undefined {
    return this.#podEntries.lookup(msg, start, end, hash);
  }

  /** Which cluster zone a (lower-case) name is in, or undefined. */
  zoneOf(name: string): string | undefined {
    return this.zones.find((z) => name === z || name.endsWith(`.${z}`));
  }

  /** The entry for a pod name (`a-b-c-d.<ns>.pod.<zone>`), made and cached on first use. */
  podEntry(name: string, zone: string): NameEntry {
    const wire = nameWire(name);
    const cached = this.#podEntries.get(wire);
    if (cached) return cached;
    const rel = labelsOf(name.slice(0, name.length - zone.length - 1));
    const [label = '', ns = ''] = rel;
    const nx = (): Resolution => ({ kind: 'nxdomain', zone });
    let resolve: (t: number) => Resolution = nx;
    const mode = this.#o.podMode;
    if (rel.length === 3 && mode !== 'disabled' && this.#namespaces.has(ns)) {
      const ip = undashIP(label);
      const known =
        ip !== undefined &&
        (mode === 'insecure' ||
          [...(this.#podsByIP.get(ip)?.values() ?? [])].some((p) => p.namespace === ns));
      if (ip !== undefined && known) {
        const v6 = ip.includes(':');
        resolve = (t) =>
          t === (v6 ? T.AAAA : T.A)
            ? {
                kind: 'answer',
                zone,
                answer: [
                  {
                    name,
                    ttl: this.ttl,
                    data: v6 ? { type: 'AAAA', address: ip } : { type: 'A', address: ip },
                  },
                ],
                additional: [],
              }
            : { kind: 'nodata', zone };
      }
    }
    const entry = this.#entry(name, zone, resolve);
    if (this.#podEntries.size >= maxPodEntries) this.#podEntries.clear();
    this.#podEntries.set(wire, entry);
    return entry;
  }

  /** True when the (lower-case) name is under `pod.<zone>`. */
  isPodName(name: string, zone: string): boolean {
    return name.endsWith(`.pod.${zone}`);
  }

  /**
   * What the zone says about a name (any case, with or without the trailing dot). Names outside
   * every zone come back as `forward` with zone ''.
   */
  resolve(qname: string, qtype: number): Resolution {
    if (this.#dirty) this.flush();
    const name = qname.toLowerCase().replace(/\.$/, '');
    let wire: Buffer;
    try {
      wire = nameWire(name);
    } catch {
      return { kind: 'forward', zone: '' };
    }
    const entry = this.#table.get(wire);
    if (entry) return entry.resolve(qtype);
    const zone = this.zoneOf(name);
    if (zone !== undefined) {
      if (this.isPodName(name, zone)) return this.podEntry(name, zone).resolve(qtype);
      if (qtype === T.AXFR || qtype === T.IXFR) return { kind: 'refused', zone };
      // CoreDNS answers SOA below the apex with NODATA whether or not the name exists.
      if (qtype === T.SOA) return { kind: 'nodata', zone };
      return { kind: 'nxdomain', zone };
    }
    const rz = reverseZones.find((z) => name === z || name.endsWith(`.${z}`));
    if (rz !== undefined) {
      const ip = addressOfReverse(name);
      if (ip !== undefined && (this.#o.authoritativeCidrs ?? []).some((c) => cidrContains(c, ip)))
        return { kind: 'nxdomain', zone: rz };
      return { kind: 'forward', zone: rz };
    }
    return { kind: 'forward', zone: '' };
  }
}

/** The reverse zones the cluster DNS answers PTR records in. */
export const reverseZoneNames: readonly string[] = reverseZones;

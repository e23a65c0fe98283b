/**
 * The records of one Service, as the Kubernetes DNS spec 1.1.0 and CoreDNS's `kubernetes` plugin
 * define them. Pure functions over slim copies of the API objects.
 *
 * Every name a Service owns is relative to `<svc>.<ns>.svc.<zone>`:
 *   ''               the Service: ClusterIPs (A/AAAA), or the ready endpoints when headless; SRV
 *                    over every port; a CNAME when ExternalName
 *   _<port>._<proto> SRV (and A/AAAA) for a named port
 *   <endpoint>       each ready endpoint: its hostname, else its dashed IP (`10-244-1-5`), with
 *                    A/AAAA and SRV — for headless and ClusterIP Services alike (CoreDNS)
 *   _<proto>         empty non-terminals above the port names (NODATA, not NXDOMAIN)
 * and the PTR records of its ClusterIPs and endpoint addresses.
 *
 * Like CoreDNS, a name's records come from a list of (host, port, target) entries — one per
 * port × address — from which A/AAAA are the distinct addresses and SRV the distinct
 * (target, port) pairs with weight ⌊100 / entries⌋.
 */
import { canonicalIP, dashedIP } from './ip.js';
import type { ResourceRecord } from './types.js';

export interface PortInfo {
  /** '' for an unnamed port. */
  readonly name: string;
  /** Upper case as in the API (TCP, UDP, SCTP). */
  readonly protocol: string;
  /** -1 for a Service or slice without ports. */
  readonly port: number;
}

export type ServiceKind = 'clusterIP' | 'headless' | 'externalName';

export interface ServiceInfo {
  readonly namespace: string;
  readonly name: string;
  readonly kind: ServiceKind;
  /** Canonical addresses (empty for headless and ExternalName Services). */
  readonly clusterIPs: readonly string[];
  /** Without a trailing dot ('' unless ExternalName). */
  readonly externalName: string;
  readonly ports: readonly PortInfo[];
}

export interface EndpointInfo {
  readonly ip: string;
  readonly hostname: string;
  /** The pod's name (endpoint_pod_names), '' when none. */
  readonly targetRefName: string;
}

export interface SliceInfo {
  readonly namespace: string;
  readonly name: string;
  /** The Service it belongs to (label kubernetes.io/service-name). */
  readonly service: string;
  readonly ports: readonly PortInfo[];
  /** Ready endpoints only, one per address. */
  readonly endpoints: readonly EndpointInfo[];
}

export interface RecordOptions {
  /** CoreDNS `endpoint_pod_names`: name endpoints after their pod when they have no hostname. */
  readonly endpointPodNames: boolean;
}

/** One CoreDNS "service" entry of a name. */
export interface Entry {
  readonly host: string;
  readonly port: number;
  /** Relative name of the SRV target: '' (the Service) or an endpoint name. */
  readonly target: string;
}

export interface NameData {
  readonly entries: readonly Entry[];
  /** ExternalName: the CNAME target. */
  readonly cname?: string;
}

export interface PtrContribution {
  readonly ip: string;
  /** '' for a ClusterIP (the PTR names the Service), else the endpoint name. */
  readonly rel: string;
  readonly clusterIP: boolean;
}

export interface ServiceRecords {
  readonly names: ReadonlyMap<string, NameData>;
  /** Empty non-terminals (exist, hold no records). */
  readonly ents: readonly string[];
  readonly ptrs: readonly PtrContribution[];
}

const noPorts: readonly PortInfo[] = [{ name: '', protocol: '', port: -1 }];

const labelRule = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The name of an endpoint under its Service (CoreDNS `endpointHostname`). */
export function endpointName(ep: EndpointInfo, opts: RecordOptions): string {
  if (ep.hostname !== '') return ep.hostname.toLowerCase();
  if (opts.endpointPodNames && labelRule.test(ep.targetRefName)) return ep.targetRefName;
  return dashedIP(ep.ip);
}

function add(m: Map<string, Entry[]>, rel: string, e: Entry): void {
  const list = m.get(rel);
  if (list) list.push(e);
  else m.set(rel, [e]);
}

function portLabel(p: PortInfo): string | undefined {
  return p.name === '' || p.port < 0
    ? undefined
    : `_${p.name.toLowerCase()}._${p.protocol.toLowerCase()}`;
}

/** The names and PTR contributions of one Service. */
export function serviceRecords(
  svc: ServiceInfo,
  slices: readonly SliceInfo[],
  opts: RecordOptions,
): ServiceRecords {
  const names = new Map<string, NameData>();
  const ptrs: PtrContribution[] = [];
  if (svc.kind === 'externalName') {
    if (svc.externalName !== '' && canonicalIP(svc.externalName) === undefined)
      names.set('', { entries: [], cname: svc.externalName });
    return { names, ents: [], ptrs };
  }
  const entries = new Map<string, Entry[]>();
  if (svc.kind === 'clusterIP') {
    if (svc.clusterIPs.length === 0) return { names, ents: [], ptrs };
    const ports = svc.ports.length > 0 ? svc.ports : noPorts;
    for (const p of ports) {
      const label = portLabel(p);
      for (const ip of svc.clusterIPs) {
        add(entries, '', { host: ip, port: p.port, target: '' });
        if (label) add(entries, label, { host: ip, port: p.port, target: '' });
      }
    }
    for (const ip of svc.clusterIPs) ptrs.push({ ip, rel: '', clusterIP: true });
  }
  for (const slice of slices) {
    const ports = slice.ports.length > 0 ? slice.ports : noPorts;
    for (const ep of slice.endpoints) {
      const rel = endpointName(ep, opts);
      for (const p of ports) {
        const e: Entry = { host: ep.ip, port: p.port, target: rel };
        add(entries, rel, e);
        if (svc.kind === 'headless') {
          add(entries, '', e);
          const label = portLabel(p);
          if (label) add(entries, label, e);
        }
      }
      ptrs.push({ ip: ep.ip, rel, clusterIP: false });
    }
  }
  const ents = new Set<string>();
  for (const [rel, list] of entries) {
    names.set(rel, { entries: list });
    if (rel.startsWith('_')) ents.add(rel.slice(rel.indexOf('.') + 1));
  }
  return { names, ents: [...ents].filter((e) => !names.has(e)), ptrs };
}

/** `<svc>.<ns>.svc.<zone>` */
export function serviceBase(namespace: string, name: string, zone: string): string {
  return `${name}.${namespace}.svc.${zone}`;
}

export function join(rel: string, base: string): string {
  return rel === '' ? base : `${rel}.${base}`;
}

/** A/AAAA records of a name: its distinct addresses of one family, owner `qname`. */
export function addressRecords(
  data: NameData,
  qname: string,
  family: 'IPv4' | 'IPv6',
  ttl: number,
): ResourceRecord[] {
  const seen = new Set<string>();
  const out: ResourceRecord[] = [];
  for (const e of data.entries) {
    const isV6 = e.host.includes(':');
    if ((family === 'IPv6') !== isV6 || seen.has(e.host)) continue;
    seen.add(e.host);
    out.push({ name: qname, ttl, data: { type: isV6 ? 'AAAA' : 'A', address: e.host } });
  }
  return out;
}

/** SRV records of a name and the addresses of their targets (CoreDNS `plugin.SRV`). */
export function srvRecords(
  data: NameData,
  qname: string,
  base: string,
  ttl: number,
): { answer: ResourceRecord[]; additional: ResourceRecord[] } {
  const answer: ResourceRecord[] = [];
  const additional: ResourceRecord[] = [];
  const n = data.entries.length;
  if (n === 0) return { answer, additional };
  const weight = Math.max(1, Math.floor(100 / n));
  const srvSeen = new Set<string>();
  const addrSeen = new Set<string>();
  for (const e of data.entries) {
    if (e.port < 0) continue;
    const target = join(e.target, base);
    const k = `${target}|${e.port}`;
    if (!srvSeen.has(k)) {
      srvSeen.add(k);
      answer.push({
        name: qname,
        ttl,
        data: { type: 'SRV', priority: 0, weight, port: e.port, target },
      });
    }
    const a = `${target}|${e.host}`;
    if (!addrSeen.has(a)) {
      addrSeen.add(a);
      const v6 = e.host.includes(':');
      additional.push({
        name: target,
        ttl,
        data: { type: v6 ? 'AAAA' : 'A', address: e.host },
      });
    }
  }
  return { answer, additional };
}

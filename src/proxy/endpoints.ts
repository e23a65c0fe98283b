/**
 * EndpointSlices → endpoints per Service port. A Service's endpoints may be spread over several
 * slices, and each slice carries its own port list: the proxy joins a slice port to the Service
 * port with the same name and protocol (CIP-11: two hand-made slices, one per port, one IP).
 * Pure: slices are read in name order, so the result does not depend on arrival order.
 */
import type { EndpointSlice } from '../api/types/discovery.js';
import type { EndpointInfo, IPFamily, ServicePortInfo } from './types.js';

/** The join key of a Service port: its name and protocol. */
export function portJoinKey(portName: string, protocol: string): string {
  return `${portName}/${protocol}`;
}

/** Endpoints of every port that the slices describe, keyed by `portJoinKey`. */
export function endpointsByPort(
  slices: Iterable<EndpointSlice>,
  family: IPFamily,
): Map<string, EndpointInfo[]> {
  const sorted = [...slices]
    .filter((s) => s.addressType === family)
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  const byPort = new Map<string, Map<string, EndpointInfo>>();
  for (const slice of sorted) {
    for (const p of slice.ports ?? []) {
      if (p.port === undefined || p.port === null || p.port <= 0 || p.port > 65535) continue;
      const key = portJoinKey(p.name ?? '', p.protocol ?? 'TCP');
      let eps = byPort.get(key);
      if (!eps) {
        eps = new Map();
        byPort.set(key, eps);
      }
      for (const ep of slice.endpoints ?? []) {
        const ip = ep.addresses?.[0];
        if (ip === undefined || ip === '') continue;
        const ready = ep.conditions?.ready ?? true;
        const info: EndpointInfo = {
          ip,
          port: p.port,
          ready,
          serving: ep.conditions?.serving ?? ready,
          terminating: ep.conditions?.terminating ?? false,
          nodeName: ep.nodeName ?? undefined,
          zone: ep.zone ?? undefined,
          zoneHints: ep.hints?.forZones?.map((z) => z.name),
          nodeHints: ep.hints?.forNodes?.map((n) => n.name),
        };
        const id = `${ip}|${p.port}`;
        const seen = eps.get(id);
        // The same address in two slices (a controller moving it): keep the more usable copy.
        if (!seen || rank(info) > rank(seen)) eps.set(id, info);
      }
    }
  }
  const out = new Map<string, EndpointInfo[]>();
  for (const [key, eps] of byPort) {
    // Sort keys computed once per endpoint, not once per comparison.
    const keyed = [...eps.values()].map((ep) => ({ ep, k: ipSortKey(ep.ip) }));
    keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.ep.port - b.ep.port));
    out.set(
      key,
      keyed.map((x) => x.ep),
    );
  }
  return out;
}

/** The endpoints of one Service port. */
export function endpointsFor(
  sp: ServicePortInfo,
  byPort: ReadonlyMap<string, readonly EndpointInfo[]>,
): readonly EndpointInfo[] {
  return byPort.get(portJoinKey(sp.portName, sp.protocol)) ?? [];
}

function rank(ep: EndpointInfo): number {
  return ep.ready ? 2 : ep.serving ? 1 : 0;
}

/** Orders addresses numerically (10.0.0.9 before 10.0.0.10), so rules read naturally. */
export function compareIP(a: string, b: string): number {
  const pa = ipSortKey(a);
  const pb = ipSortKey(b);
  if (typeof pa !== typeof pb) return typeof pa === 'number' ? -1 : 1;
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/** IPv4 addresses as numbers (cheap), IPv6 as their expanded text; IPv4 sorts first. */
function ipSortKey(ip: string): number | string {
  if (!ip.includes(':')) {
    let n = 0;
    for (const o of ip.split('.')) n = n * 256 + Number(o);
    return n;
  }
  return expandIPv6(ip);
}

/** The full 8-group form of an IPv6 literal, for ordering. */
function expandIPv6(ip: string): string {
  const [head, tail] = ip.includes('::') ? ip.split('::', 2) : [ip, undefined];
  const h = (head ?? '').split(':').filter((x) => x !== '');
  const t = tail === undefined ? [] : tail.split(':').filter((x) => x !== '');
  const fill =
    tail === undefined ? [] : Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0');
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join(':');
}

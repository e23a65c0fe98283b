/**
 * Slim copies of the API objects the DNS reads (CoreDNS's `object/` package idea): only the
 * fields records depend on, so the informer caches' objects are not held twice and comparisons
 * are cheap.
 */
import type { Pod, Service } from '../api/types/core.js';
import {
  annotationLastChangeTriggerTime,
  labelServiceName,
  type EndpointSlice,
} from '../api/types/discovery.js';
import { canonicalIP } from './ip.js';
import type { EndpointInfo, PortInfo, ServiceInfo, SliceInfo } from './records.js';

export interface ServiceView extends ServiceInfo {
  /** For the programming-latency metric's service_kind label. */
  readonly hasSelector: boolean;
}

export interface SliceView extends SliceInfo {
  /** endpoints.kubernetes.io/last-change-trigger-time, ms since the epoch. */
  readonly triggerTime: number | undefined;
}

export interface PodView {
  readonly namespace: string;
  readonly name: string;
  readonly ips: readonly string[];
}

export function toServiceView(svc: Service): ServiceView {
  const spec = svc.spec ?? {};
  const namespace = svc.metadata.namespace ?? 'default';
  const name = svc.metadata.name ?? '';
  const hasSelector = Object.keys(spec.selector ?? {}).length > 0;
  const ports: PortInfo[] = (spec.ports ?? []).map((p) => ({
    name: p.name ?? '',
    protocol: p.protocol ?? 'TCP',
    port: p.port,
  }));
  if (spec.type === 'ExternalName') {
    return {
      namespace,
      name,
      kind: 'externalName',
      clusterIPs: [],
      externalName: (spec.externalName ?? '').replace(/\.$/, ''),
      ports,
      hasSelector,
    };
  }
  const raw = spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : [spec.clusterIP];
  if (raw[0] === 'None') {
    return {
      namespace,
      name,
      kind: 'headless',
      clusterIPs: [],
      externalName: '',
      ports,
      hasSelector,
    };
  }
  const clusterIPs: string[] = [];
  for (const ip of raw) {
    const c = ip === undefined ? undefined : canonicalIP(ip);
    if (c && !clusterIPs.includes(c.ip)) clusterIPs.push(c.ip);
  }
  return { namespace, name, kind: 'clusterIP', clusterIPs, externalName: '', ports, hasSelector };
}

/** Undefined for slices DNS ignores (no service-name label, FQDN addresses). */
export function toSliceView(slice: EndpointSlice): SliceView | undefined {
  const service = slice.metadata.labels?.[labelServiceName];
  if (service === undefined || service === '' || slice.addressType === 'FQDN') return undefined;
  const ports: PortInfo[] = (slice.ports ?? []).map((p) => ({
    name: p.name ?? '',
    protocol: p.protocol ?? 'TCP',
    port: p.port ?? -1,
  }));
  const endpoints: EndpointInfo[] = [];
  for (const ep of slice.endpoints ?? []) {
    // CoreDNS: an endpoint whose ready condition is unset counts as ready.
    if (ep.conditions?.ready === false) continue;
    for (const a of ep.addresses) {
      const c = canonicalIP(a);
      if (!c) continue;
      endpoints.push({
        ip: c.ip,
        hostname: ep.hostname ?? '',
        targetRefName: ep.targetRef?.kind === 'Pod' ? (ep.targetRef.name ?? '') : '',
      });
    }
  }
  const trigger = slice.metadata.annotations?.[annotationLastChangeTriggerTime];
  const t = trigger === undefined ? NaN : Date.parse(trigger);
  return {
    namespace: slice.metadata.namespace ?? 'default',
    name: slice.metadata.name ?? '',
    service,
    ports,
    endpoints,
    triggerTime: Number.isNaN(t) ? undefined : t,
  };
}

/** Undefined for pods that have no address yet or are terminating (CoreDNS skips those). */
export function toPodView(pod: Pod): PodView | undefined {
  if (pod.metadata.deletionTimestamp) return undefined;
  const ips: string[] = [];
  for (const p of pod.status?.podIPs ?? (pod.status?.podIP ? [{ ip: pod.status.podIP }] : [])) {
    const c = canonicalIP(p.ip);
    if (c) ips.push(c.ip);
  }
  if (ips.length === 0) return undefined;
  return { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '', ips };
}

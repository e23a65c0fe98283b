/**
 * The Endpoints controller's pure core: the legacy Endpoints object of a Service with a
 * selector, built as Kubernetes' endpoints controller builds it
 * (pkg/controller/endpoint/endpoints_controller.go, pkg/api/v1/endpoints RepackSubsets):
 *
 * - one address per selected pod with an IP of the service's family (terminating pods are left
 *   out unless publishNotReadyAddresses); ready pods (or all, with publishNotReadyAddresses)
 *   under `addresses`, the others under `notReadyAddresses`;
 * - each address carries ip, nodeName, targetRef (kind, namespace, name, uid) and hostname when
 *   the pod's subdomain names the service;
 * - ports are the service ports each pod serves (named targetPorts resolved per pod), and
 *   addresses offering the same port set share one subset;
 * - labels are the service's, plus `service.kubernetes.io/headless` for headless services and
 *   `endpoints.kubernetes.io/managed-by: endpoint-controller`; at most 1000 addresses, with
 *   `endpoints.kubernetes.io/over-capacity: truncated` when cut.
 */
import type {
  EndpointAddress,
  EndpointPort,
  EndpointSubset,
  Endpoints,
  Pod,
  Service,
} from '../../api/types/core.js';
import { annotationLastChangeTriggerTime, labelHeadless } from '../../api/types/discovery.js';
import { clone, jsonEqual, omitKeys } from '../common/meta.js';
import { findPort, isPodReady, podIPs, shouldPodBeInEndpoints } from '../common/pods.js';
import {
  addressTypeOf,
  isHeadless,
  shouldSetHostname,
  type AddressType,
} from '../endpointslice/endpoint.js';

/** Marks Endpoints this controller wrote (kube ≥ 1.33 writes it too). */
export const labelEndpointsManagedBy = 'endpoints.kubernetes.io/managed-by';
/** The value of labelEndpointsManagedBy. */
export const endpointsControllerName = 'endpoint-controller';
/** Set to `truncated` when more than 1000 addresses were cut. */
export const annotationOverCapacity = 'endpoints.kubernetes.io/over-capacity';
/** kube's maxCapacity of an Endpoints object. */
export const maxEndpointsCapacity = 1000;

/** The service's primary family, which Endpoints addresses are drawn from. */
function primaryFamily(service: Service): AddressType | undefined {
  const ip = service.spec?.clusterIP;
  if (ip !== undefined && ip !== '' && ip !== 'None') return addressTypeOf(ip);
  const fam = service.spec?.ipFamilies?.[0];
  return fam;
}

/** The address of a pod for this service, or undefined when it has no IP of the family. */
export function podAddress(service: Service, pod: Pod): EndpointAddress | undefined {
  const family = primaryFamily(service);
  const ips = podIPs(pod);
  const ip = family === undefined ? ips[0] : ips.find((i) => addressTypeOf(i) === family);
  if (ip === undefined) return undefined;
  const addr: EndpointAddress = { ip };
  if (shouldSetHostname(pod, service)) addr.hostname = pod.spec?.hostname ?? '';
  const nodeName = pod.spec?.nodeName ?? '';
  if (nodeName !== '') addr.nodeName = nodeName;
  addr.targetRef = {
    kind: 'Pod',
    namespace: pod.metadata.namespace ?? '',
    name: pod.metadata.name ?? '',
    uid: pod.metadata.uid ?? '',
  };
  return addr;
}

/** The subsets of a service's Endpoints, repacked and sorted. */
export function computeSubsets(service: Service, pods: readonly Pod[]): EndpointSubset[] {
  const pnra = service.spec?.publishNotReadyAddresses === true;
  const raw: EndpointSubset[] = [];
  const servicePorts = service.spec?.ports ?? [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, pnra)) continue;
    const addr = podAddress(service, pod);
    if (addr === undefined) continue;
    const ready = pnra || isPodReady(pod);
    const add = (ports: EndpointPort[]): void => {
      raw.push(ready ? { addresses: [addr], ports } : { notReadyAddresses: [addr], ports });
    };
    if (servicePorts.length === 0) {
      if (service.spec?.clusterIP === 'None') add([]);
      continue;
    }
    for (const sp of servicePorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
      if (sp.name !== undefined && sp.name !== '') ep.name = sp.name;
      if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol;
      add([ep]);
    }
  }
  return repackSubsets(raw);
}

function addressKey(a: EndpointAddress): string {
  return `${a.ip}|${a.targetRef?.uid ?? ''}`;
}

function portKey(p: EndpointPort): string {
  return JSON.stringify([p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']);
}

/**
 * Regroups subsets so that each distinct set of addresses appears once with every port it
 * offers (kube's RepackSubsets); an address ready for one subset and not ready in another is
 * ready. Output is sorted: addresses by IP then uid, ports by name then number, subsets by
 * their first address.
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const addrs = new Map<string, EndpointAddress>();
  const portToAddrs = new Map<
    string,
    { port: EndpointPort | undefined; ready: Map<string, boolean> }
  >();
  const sentinel = '<no ports>';
  const mark = (
    pk: string,
    port: EndpointPort | undefined,
    a: EndpointAddress,
    ready: boolean,
  ): void => {
    const k = addressKey(a);
    if (!addrs.has(k)) addrs.set(k, a);
    let entry = portToAddrs.get(pk);
    if (entry === undefined) {
      entry = { port, ready: new Map() };
      portToAddrs.set(pk, entry);
    }
    if (ready) entry.ready.set(k, true);
    else if (!entry.ready.has(k)) entry.ready.set(k, false);
  };
  for (const s of subsets) {
    const ports: (EndpointPort | undefined)[] =
      (s.ports ?? []).length === 0 ? [undefined] : (s.ports ?? []);
    for (const p of ports) {
      const pk = p === undefined ? sentinel : portKey(p);
      for (const a of s.addresses ?? []) mark(pk, p, a, true);
      for (const a of s.notReadyAddresses ?? []) mark(pk, p, a, false);
    }
  }
  const byAddrSet = new Map<string, { ready: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, ready } of portToAddrs.values()) {
    const k = [...ready.entries()]
      .map(([a, r]) => `${a}=${r}`)
      .sort()
      .join(',');
    let g = byAddrSet.get(k);
    if (g === undefined) {
      g = { ready, ports: [] };
      byAddrSet.set(k, g);
    }
    if (port !== undefined) g.ports.push(port);
  }
  const out: EndpointSubset[] = [];
  for (const g of byAddrSet.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [k, r] of g.ready) (r ? ready : notReady).push(addrs.get(k) as EndpointAddress);
    const subset: EndpointSubset = {};
    if (ready.length > 0) subset.addresses = ready.sort(compareAddresses);
    if (notReady.length > 0) subset.notReadyAddresses = notReady.sort(compareAddresses);
    if (g.ports.length > 0)
      subset.ports = g.ports.sort((a, b) => portKey(a).localeCompare(portKey(b)));
    out.push(subset);
  }
  return out.sort((a, b) => subsetKey(a).localeCompare(subsetKey(b)));
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return compareIPs(a.ip, b.ip) || (a.targetRef?.uid ?? '').localeCompare(b.targetRef?.uid ?? '');
}

function compareIPs(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  if (pa.length === 4 && pb.length === 4) {
    for (let i = 0; i < 4; i++) {
      const d = (pa[i] ?? 0) - (pb[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  }
  return a.localeCompare(b);
}

function subsetKey(s: EndpointSubset): string {
  const first = s.addresses?.[0] ?? s.notReadyAddresses?.[0];
  return `${first?.ip ?? ''}|${(s.ports ?? []).map(portKey).join(',')}`;
}

/** Cuts an Endpoints to 1000 addresses, ready ones first, proportionally per subset. */
export function truncateSubsets(subsets: EndpointSubset[]): boolean {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += (s.addresses ?? []).length;
    totalNotReady += (s.notReadyAddresses ?? []).length;
  }
  if (totalReady + totalNotReady <= maxEndpointsCapacity) return false;
  const truncateReady = totalReady > maxEndpointsCapacity;
  const max = truncateReady ? maxEndpointsCapacity : maxEndpointsCapacity - totalReady;
  const total = truncateReady ? totalReady : totalNotReady;
  let left = max;
  for (const s of subsets) {
    const n = truncateReady ? (s.addresses ?? []).length : (s.notReadyAddresses ?? []).length;
    const take = Math.min(Math.ceil((n / total) * max), left);
    if (truncateReady) {
      s.addresses = (s.addresses ?? []).slice(0, take);
      delete s.notReadyAddresses;
      left -= s.addresses.length;
    } else {
      s.notReadyAddresses = (s.notReadyAddresses ?? []).slice(0, take);
      left -= s.notReadyAddresses.length;
    }
  }
  return true;
}

/** The labels the controller writes on a service's Endpoints. */
export function endpointsLabels(service: Service): Record<string, string> {
  const labels = omitKeys(service.metadata.labels, labelHeadless);
  if (isHeadless(service)) labels[labelHeadless] = '';
  labels[labelEndpointsManagedBy] = endpointsControllerName;
  return labels;
}

/** What to do with a Service's Endpoints. */
export type EndpointsPlan =
  | { readonly action: 'none' }
  | { readonly action: 'create' | 'update'; readonly endpoints: Endpoints };

/**
 * Decides whether the service's Endpoints must be created or updated. Pods are those the
 * selector matches; `current` is the cached Endpoints of the service's name.
 */
export function reconcileEndpoints(input: {
  readonly service: Service;
  readonly pods: readonly Pod[];
  readonly current: Endpoints | undefined;
  readonly triggerTime?: string | undefined;
}): EndpointsPlan {
  const { service, current } = input;
  const subsets = computeSubsets(service, input.pods);
  const labels = endpointsLabels(service);
  const truncated = truncateSubsets(subsets);
  if (
    current !== undefined &&
    jsonEqual(current.subsets ?? [], subsets) &&
    jsonEqual(current.metadata.labels ?? {}, labels) &&
    (current.metadata.annotations?.[annotationOverCapacity] !== undefined) === truncated
  ) {
    return { action: 'none' };
  }
  const next: Endpoints =
    current !== undefined
      ? clone(current)
      : {
          apiVersion: 'v1',
          kind: 'Endpoints',
          metadata: {
            name: service.metadata.name ?? '',
            namespace: service.metadata.namespace ?? '',
          },
        };
  next.subsets = subsets;
  next.metadata.labels = labels;
  const annotations = omitKeys(
    next.metadata.annotations,
    annotationLastChangeTriggerTime,
    annotationOverCapacity,
  );
  if (input.triggerTime !== undefined)
    annotations[annotationLastChangeTriggerTime] = input.triggerTime;
  if (truncated) annotations[annotationOverCapacity] = 'truncated';
  next.metadata.annotations = annotations;
  return { action: current === undefined ? 'create' : 'update', endpoints: next };
}

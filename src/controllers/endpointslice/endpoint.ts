/**
 * One pod as an EndpointSlice endpoint, and the identities the slice reconciler groups on. The
 * rules are those of Kubernetes' `podToEndpoint`, `getEndpointPorts` and `ShouldSetHostname`
 * (staging/src/k8s.io/endpointslice/utils.go, pkg/controller/util/endpoint):
 *
 * - serving = pod Ready; terminating = deletionTimestamp set;
 *   ready = publishNotReadyAddresses || (serving && !terminating);
 * - hostname only when `spec.hostname` is set and `spec.subdomain` names the Service;
 * - zone from the node's `topology.kubernetes.io/zone` label; nodeName; targetRef without
 *   resourceVersion (so unrelated pod updates never rewrite a slice);
 * - one port per service port that the pod can serve (a named targetPort is resolved on each
 *   pod, so pods that give a name different numbers land in different slices), each with a
 *   `name` key, `""` when the service port is unnamed (kubectl describe crashes without it).
 */
import type { Node, Pod, Service } from '../../api/types/core.js';
import type { Endpoint, EndpointSlicePort } from '../../api/types/discovery.js';
import { findPort, isPodReady, podIPs } from '../common/pods.js';

/** The address types of slices this controller writes. */
export type AddressType = 'IPv4' | 'IPv6';

/** The node label an endpoint's zone comes from. */
export const labelTopologyZone = 'topology.kubernetes.io/zone';

/** True for a dotted-quad IPv4 address. */
export function isIPv4(ip: string): boolean {
  const parts = ip.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** True for a textual IPv6 address (a loose check: contains ':' and only hex digits, ':' and '.'). */
export function isIPv6(ip: string): boolean {
  return ip.includes(':') && /^[0-9a-fA-F:.]+$/.test(ip);
}

/** The address type of an IP, or undefined when it is neither. */
export function addressTypeOf(ip: string): AddressType | undefined {
  return isIPv4(ip) ? 'IPv4' : isIPv6(ip) ? 'IPv6' : undefined;
}

/** Headless: `clusterIP: None` (or unset). */
export function isHeadless(service: Service): boolean {
  const ip = service.spec?.clusterIP;
  return ip === undefined || ip === '' || ip === 'None';
}

/**
 * The address types the service's slices carry: one per `spec.ipFamilies`, or from the
 * clusterIP, or both for a headless service without families (kube's getAddressTypesForService).
 */
export function addressTypesForService(service: Service): AddressType[] {
  const families = service.spec?.ipFamilies ?? [];
  if (families.length > 0) return [...new Set(families)];
  const ip = service.spec?.clusterIP;
  if (ip !== undefined && ip !== '' && ip !== 'None') return [isIPv6(ip) ? 'IPv6' : 'IPv4'];
  return ['IPv4', 'IPv6'];
}

/** Hostname is published only when the pod names the service as its subdomain. */
export function shouldSetHostname(pod: Pod, service: Service): boolean {
  const hostname = pod.spec?.hostname ?? '';
  return (
    hostname !== '' &&
    pod.spec?.subdomain === service.metadata.name &&
    pod.metadata.namespace === service.metadata.namespace
  );
}

/** The slice ports this pod serves for the service, in service port order. */
export function endpointPorts(service: Service, pod: Pod): EndpointSlicePort[] {
  const out: EndpointSlicePort[] = [];
  for (const sp of service.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointSlicePort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

/** The endpoint a pod contributes to slices of one address type (no addresses = none). */
export function podToEndpoint(
  pod: Pod,
  node: Node | undefined,
  service: Service,
  addressType: AddressType,
): Endpoint {
  const serving = isPodReady(pod);
  const terminating = pod.metadata.deletionTimestamp !== undefined;
  const ready = service.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = {
    addresses: podIPs(pod).filter((ip) => addressTypeOf(ip) === addressType),
    conditions: { ready, serving, terminating },
  };
  if (shouldSetHostname(pod, service)) ep.hostname = pod.spec?.hostname ?? '';
  const nodeName = pod.spec?.nodeName ?? '';
  if (nodeName !== '') ep.nodeName = nodeName;
  const zone = node?.metadata.labels?.[labelTopologyZone] ?? '';
  if (zone !== '') ep.zone = zone;
  ep.targetRef = {
    kind: 'Pod',
    namespace: pod.metadata.namespace ?? '',
    name: pod.metadata.name ?? '',
    uid: pod.metadata.uid ?? '',
  };
  return ep;
}

/**
 * The key slices are grouped on: the port set, order-independent (kube's PortMapKey hashes the
 * sorted ports).
 */
export function portMapKey(ports: readonly EndpointSlicePort[] | null | undefined): string {
  return (ports ?? [])
    .map((p) =>
      JSON.stringify([p.name ?? '', p.protocol ?? 'TCP', p.port ?? 0, p.appProtocol ?? '']),
    )
    .sort()
    .join('|');
}

/**
 * The identity of an endpoint inside a port group (kube's hashEndpoint): its sorted addresses,
 * hostname and the namespace/name of its target. Two endpoints with one key are one endpoint.
 */
export function endpointKey(ep: Endpoint): string {
  return JSON.stringify([
    [...ep.addresses].sort(),
    ep.hostname ?? '',
    ep.targetRef?.namespace ?? '',
    ep.targetRef?.name ?? '',
  ]);
}

/** Everything a consumer reads: equal endpoints need no write. */
export function endpointsEqual(a: Endpoint, b: Endpoint): boolean {
  const ca = a.conditions ?? {};
  const cb = b.conditions ?? {};
  return (
    sameStrings(a.addresses, b.addresses) &&
    ca.ready === cb.ready &&
    ca.serving === cb.serving &&
    ca.terminating === cb.terminating &&
    (a.hostname ?? '') === (b.hostname ?? '') &&
    (a.nodeName ?? '') === (b.nodeName ?? '') &&
    (a.zone ?? '') === (b.zone ?? '') &&
    (a.targetRef?.kind ?? '') === (b.targetRef?.kind ?? '') &&
    (a.targetRef?.namespace ?? '') === (b.targetRef?.namespace ?? '') &&
    (a.targetRef?.name ?? '') === (b.targetRef?.name ?? '') &&
    (a.targetRef?.uid ?? '') === (b.targetRef?.uid ?? '') &&
    JSON.stringify(a.hints ?? null) === JSON.stringify(b.hints ?? null)
  );
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Names of everything in the `portico` tables. Fixed objects have fixed names; per-Service
 * objects (only for session affinity) embed `namespace/name/protocol/port`, which is unique and
 * readable (`/` cannot occur in Kubernetes names, so it separates the parts unambiguously).
 */
import type { EndpointInfo, Protocol, ServicePortInfo } from '../types.js';

export const chains = {
  filterPrerouting: 'filter-prerouting',
  filterInput: 'filter-input',
  filterForward: 'filter-forward',
  filterOutput: 'filter-output',
  filterOutputPostDNAT: 'filter-output-post-dnat',
  natPrerouting: 'nat-prerouting',
  natOutput: 'nat-output',
  natPostrouting: 'nat-postrouting',
  services: 'services',
  endpointsCheck: 'endpoints-check',
  firewallCheck: 'firewall-check',
  clusterIPsCheck: 'cluster-ips-check',
  reject: 'reject-chain',
  markForMasquerade: 'mark-for-masquerade',
  masquerading: 'masquerading',
  externalCluster: 'external-cluster',
  externalLocal: 'external-local',
  nodePortCluster: 'nodeport-cluster',
  nodePortLocal: 'nodeport-local',
} as const;

export const maps = {
  /** ClusterIPs, external IPs and LB IPs → verdict. */
  serviceIPs: 'service-ips',
  serviceNodePorts: 'service-nodeports',
  noEndpointServices: 'no-endpoint-services',
  noEndpointNodePorts: 'no-endpoint-nodeports',
  externalEndpoints: 'external-endpoints',
  externalLocalEndpoints: 'external-local-endpoints',
  nodePortEndpoints: 'nodeport-endpoints',
  nodePortLocalEndpoints: 'nodeport-local-endpoints',
  /** LoadBalancer IPs with loadBalancerSourceRanges → their firewall chain. */
  firewallIPs: 'firewall-ips',
} as const;

export const sets = {
  clusterIPs: 'cluster-ips',
  /** (endpoint . endpoint) pairs: a pod reaching itself through its Service. */
  hairpin: 'hairpin',
} as const;

export const protocols: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

/** Which endpoint list a selection uses. */
export type ListKind = 'cluster' | 'local';
/** Whether the selection is keyed by destination address or by node port. */
export type Space = 'ip' | 'nodeport';

/** The data map holding the endpoint lists of one protocol, list kind and space. */
export function backendsMap(list: ListKind, space: Space, protocol: Protocol): string {
  const p = protocol.toLowerCase();
  const l = list === 'local' ? 'local-' : '';
  return space === 'nodeport' ? `nodeport-${l}backends-${p}` : `${l}backends-${p}`;
}

/** The shared chain that picks one of `n` endpoints from `backendsMap(list, space, protocol)`. */
export function pickChain(list: ListKind, space: Space, protocol: Protocol, n: number): string {
  const p = protocol.toLowerCase();
  const l = list === 'local' ? 'local-' : '';
  return space === 'nodeport' ? `pick-nodeport-${l}${p}-${n}` : `pick-${l}${p}-${n}`;
}

/** Per-Service chain that drops sources outside loadBalancerSourceRanges. */
export function firewallChain(sp: ServicePortInfo): string {
  return `firewall-${sp.key}`;
}

/** Per-Service chain with ClientIP affinity over one endpoint list. */
export function affinityChain(sp: ServicePortInfo, list: ListKind): string {
  return `${list === 'local' ? 'local' : 'service'}-${sp.key}`;
}

function endpointSuffix(ep: EndpointInfo): string {
  return `${ep.ip.replaceAll(':', '.')}/${ep.port}`;
}

export function endpointChain(sp: ServicePortInfo, ep: EndpointInfo): string {
  return `endpoint-${sp.key}__${endpointSuffix(ep)}`;
}

export function affinitySet(sp: ServicePortInfo, ep: EndpointInfo): string {
  return `affinity-${sp.key}__${endpointSuffix(ep)}`;
}

/** True for names of per-Service objects (fixed names never contain `/`). */
export function isServiceObject(name: string): boolean {
  return name.includes('/');
}

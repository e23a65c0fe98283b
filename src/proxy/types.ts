/**
 * The proxy's model of the cluster: what one Service port and its endpoints mean for one node and
 * one IP family, already filtered and defaulted. Backends (nftables, userspace) see only these.
 */
import type { IPFamily, Protocol } from '../api/types/core.js';

export type { IPFamily, Protocol };

/** One port of one Service, as the proxy programs it for one IP family. */
export interface ServicePortInfo {
  /** `namespace/name` of the Service. */
  readonly service: string;
  readonly namespace: string;
  readonly name: string;
  /** The port's name; `""` for the single unnamed port. Endpoints are joined on it. */
  readonly portName: string;
  /** Unique per family: `namespace/name/tcp/80`. Used as the owner key and in chain names. */
  readonly key: string;
  readonly protocol: Protocol;
  readonly port: number;
  readonly clusterIP: string;
  /** 0 when the Service has no node port for this port. */
  readonly nodePort: number;
  readonly externalIPs: readonly string[];
  /** `status.loadBalancer.ingress[].ip` of this family (ipMode VIP or unset). */
  readonly loadBalancerIPs: readonly string[];
  /** `spec.loadBalancerSourceRanges` of this family; empty = every source. */
  readonly loadBalancerSourceRanges: readonly string[];
  /** 0 = no session affinity; otherwise ClientIP affinity with this timeout. */
  readonly affinityTimeoutSeconds: number;
  /** externalTrafficPolicy: Local on an externally reachable Service. */
  readonly externalPolicyLocal: boolean;
  /** internalTrafficPolicy: Local. */
  readonly internalPolicyLocal: boolean;
  /** 0 unless the Service is LoadBalancer with externalTrafficPolicy: Local. */
  readonly healthCheckNodePort: number;
  readonly trafficDistribution: string | undefined;
}

/** One endpoint (address and port) of one Service port. */
export interface EndpointInfo {
  readonly ip: string;
  readonly port: number;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly nodeName: string | undefined;
  readonly zone: string | undefined;
  /** `hints.forZones[].name`; undefined when the slice carries no hints. */
  readonly zoneHints: readonly string[] | undefined;
  /** `hints.forNodes[].name`. */
  readonly nodeHints: readonly string[] | undefined;
}

/** What the proxy knows about the node it runs on. */
export interface NodeInfo {
  readonly name: string;
  /** `topology.kubernetes.io/zone` of the Node, when labelled. */
  readonly zone: string | undefined;
}

/** A Service port and the endpoints joined to it, ready for a backend. */
export interface ServicePortEntry {
  readonly info: ServicePortInfo;
  readonly endpoints: readonly EndpointInfo[];
}

/** Returns true when `ip` is an IPv6 literal. */
export function isIPv6(ip: string): boolean {
  return ip.includes(':');
}

export function familyOf(ip: string): IPFamily {
  return isIPv6(ip) ? 'IPv6' : 'IPv4';
}

/** `1.2.3.4:80` or `[fd00::1]:80`. */
export function joinHostPort(ip: string, port: number): string {
  return isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
}

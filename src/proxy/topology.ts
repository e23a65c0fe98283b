/**
 * Which endpoints a node uses for a Service port: kube-proxy's CategorizeEndpoints
 * (pkg/proxy/topology.go), restated.
 *
 * - Cluster endpoints: ready ones (narrowed by topology hints when every ready endpoint carries
 *   hints and one is for this node or zone); when none is ready, the serving-and-terminating
 *   ones (KEP-1669: a rolling update must not black-hole traffic).
 * - Local endpoints (internalTrafficPolicy or externalTrafficPolicy Local): ready ones on this
 *   node, else serving-and-terminating ones on this node.
 * - `trafficDistribution: PreferClose` without hints (our controllers may not write them):
 *   same-zone ready endpoints when there is at least one, like the hints would have said.
 */
import { externallyAccessible } from './serviceport.js';
import type { EndpointInfo, NodeInfo, ServicePortInfo } from './types.js';

export interface CategorizedEndpoints {
  /** Used by Cluster policy (ClusterIP with internalTrafficPolicy Cluster, external with ETP Cluster, short-circuited pod traffic). */
  readonly cluster: readonly EndpointInfo[];
  /** Used by Local policies. */
  readonly local: readonly EndpointInfo[];
  /** Union of both: every endpoint this node may DNAT to. */
  readonly allReachable: readonly EndpointInfo[];
  /** The Service has usable endpoints somewhere in the cluster. */
  readonly hasAny: boolean;
}

/** Cluster endpoints are needed for internal Cluster policy, and for any externally reachable port (pod short-circuit). */
export function usesClusterEndpoints(sp: ServicePortInfo): boolean {
  return !sp.internalPolicyLocal || externallyAccessible(sp);
}

export function usesLocalEndpoints(sp: ServicePortInfo): boolean {
  return sp.internalPolicyLocal || sp.externalPolicyLocal;
}

export function isLocal(ep: EndpointInfo, node: NodeInfo): boolean {
  return ep.nodeName !== undefined && ep.nodeName === node.name;
}

export function categorizeEndpoints(
  endpoints: readonly EndpointInfo[],
  sp: ServicePortInfo,
  node: NodeInfo,
): CategorizedEndpoints {
  let cluster: EndpointInfo[] = [];
  let hasAny = false;
  if (usesClusterEndpoints(sp)) {
    const narrow = topologyFilter(endpoints, sp, node);
    cluster = endpoints.filter((ep) => ep.ready && narrow(ep));
    if (cluster.length === 0) cluster = endpoints.filter((ep) => ep.serving && ep.terminating);
    if (cluster.length > 0) hasAny = true;
  }
  if (!usesLocalEndpoints(sp)) return { cluster, local: [], allReachable: cluster, hasAny };

  let localReady = false;
  let localTerminating = false;
  for (const ep of endpoints) {
    if (ep.ready) {
      hasAny = true;
      if (isLocal(ep, node)) localReady = true;
    } else if (ep.serving && ep.terminating) {
      hasAny = true;
      if (isLocal(ep, node)) localTerminating = true;
    }
  }
  let local: EndpointInfo[] = [];
  if (localReady) local = endpoints.filter((ep) => isLocal(ep, node) && ep.ready);
  else if (localTerminating)
    local = endpoints.filter((ep) => isLocal(ep, node) && ep.serving && ep.terminating);
  if (!usesClusterEndpoints(sp)) return { cluster: [], local, allReachable: local, hasAny };
  const seen = new Set(cluster);
  const allReachable = [...cluster, ...local.filter((ep) => !seen.has(ep))];
  return { cluster, local, allReachable, hasAny };
}

/**
 * The topology narrowing for ready endpoints: node hints, then zone hints (kube-proxy's
 * canUseTopology: every ready endpoint must carry hints and one must name us), then our
 * PreferClose fallback on endpoint zones.
 */
function topologyFilter(
  endpoints: readonly EndpointInfo[],
  sp: ServicePortInfo,
  node: NodeInfo,
): (ep: EndpointInfo) => boolean {
  const ready = endpoints.filter((ep) => ep.ready);
  if (ready.length === 0) return () => true;
  if (ready.every((ep) => ep.nodeHints !== undefined && ep.nodeHints.length > 0)) {
    if (ready.some((ep) => ep.nodeHints?.includes(node.name)))
      return (ep) => ep.nodeHints?.includes(node.name) ?? false;
  }
  const zone = node.zone;
  if (zone === undefined || zone === '') return () => true;
  if (ready.every((ep) => ep.zoneHints !== undefined && ep.zoneHints.length > 0)) {
    if (ready.some((ep) => ep.zoneHints?.includes(zone)))
      return (ep) => ep.zoneHints?.includes(zone) ?? false;
    return () => true;
  }
  const preferClose =
    sp.trafficDistribution === 'PreferClose' || sp.trafficDistribution === 'PreferSameZone';
  if (preferClose && ready.some((ep) => ep.zone === zone)) return (ep) => ep.zone === zone;
  return () => true;
}

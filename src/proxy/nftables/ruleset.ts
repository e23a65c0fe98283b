/**
 * The pure function at the heart of the proxy: cluster state → the nftables objects of one
 * family's `portico` table. No I/O; golden-file tests pin its output (testdata/*.nft) and
 * packet traces pin its behaviour (trace.test.ts). README.md in this folder explains the shape.
 *
 * The shape keeps per-Service state as map elements, not chains: a Service port without session
 * affinity costs a few elements and no chain, so one Service changing is a handful of element
 * operations whatever the table holds (performance.md §2.4: chains, not elements, make nft slow).
 */
import { categorizeEndpoints, isLocal } from '../topology.js';
import type {
  EndpointInfo,
  IPFamily,
  NodeInfo,
  Protocol,
  ServicePortEntry,
  ServicePortInfo,
} from '../types.js';
import { joinHostPort } from '../types.js';
import type { UdpPortState } from '../conntrack.js';
import type { Fragment, NftChain, NftElement, NftSet } from './model.js';
import { nftFamily } from './model.js';
import { TableIndex, renderCanonical } from './index.js';
import {
  affinityChain,
  affinitySet,
  backendsMap,
  chains,
  endpointChain,
  maps,
  pickChain,
  protocols,
  sets,
} from './naming.js';
import type { ListKind, Space } from './naming.js';

/** Node-wide inputs of the ruleset. */
export interface NftContext {
  readonly family: IPFamily;
  readonly node: NodeInfo;
  /**
   * Sources that count as "pods on this node" (kube-proxy's local traffic detector): the node's
   * pod CIDR, or the cluster CIDR. Pod traffic to a ClusterIP keeps its source address; anything
   * else reaching a ClusterIP through this node is masqueraded. Empty = never masquerade
   * ClusterIP traffic and never short-circuit (kube-proxy without a detector).
   */
  readonly localCIDRs: readonly string[];
  /** Service CIDRs: an address inside them that no Service holds is dropped, never routed out. */
  readonly serviceCIDRs: readonly string[];
  /** The packet mark bit that asks for masquerade (kube-proxy's default 14 = 0x4000). */
  readonly masqueradeBit: number;
}

export const tableComment = 'portico proxy: Service rules (owned by portico proxy; do not edit)';

/** Priorities (numeric: nft 1.0.6 only accepts `dstnat` on prerouting). */
const prio = { filter: -110, dstnat: -100, postDNAT: -90, srcnat: 100 } as const;

function set(list: readonly string[]): string {
  return list.length === 1 ? (list[0] ?? '') : `{ ${list.join(', ')} }`;
}

/** Fixed chains, maps and sets: everything that does not depend on Services. */
export function skeleton(ctx: NftContext): Fragment {
  const a = nftFamily(ctx.family);
  const addr = ctx.family === 'IPv4' ? 'ipv4_addr' : 'ipv6_addr';
  const loopback = ctx.family === 'IPv4' ? '127.0.0.0/8' : '::1';
  const mark = `0x${(1 << ctx.masqueradeBit).toString(16)}`;
  const dst = `${a} daddr . meta l4proto . th dport`;
  const nodeLocal = `fib daddr type local ${a} daddr != ${loopback}`;
  const base = (type: string, hook: string, priority: number): string =>
    `type ${type} hook ${hook} priority ${priority} ;`;
  const local = ctx.localCIDRs;

  const chainList: NftChain[] = [
    {
      name: chains.filterInput,
      base: base('filter', 'input', prio.filter),
      rules: [`ct state new jump ${chains.endpointsCheck}`],
    },
    {
      name: chains.filterForward,
      base: base('filter', 'forward', prio.filter),
      rules: [
        'ct state invalid drop',
        `ct state new jump ${chains.endpointsCheck}`,
        `ct state new jump ${chains.clusterIPsCheck}`,
      ],
    },
    {
      name: chains.filterOutput,
      base: base('filter', 'output', prio.filter),
      rules: [`ct state new jump ${chains.endpointsCheck}`],
    },
    {
      name: chains.filterOutputPostDNAT,
      base: base('filter', 'output', prio.postDNAT),
      rules: [`ct state new jump ${chains.clusterIPsCheck}`],
    },
    {
      name: chains.natPrerouting,
      base: base('nat', 'prerouting', prio.dstnat),
      rules: [`jump ${chains.services}`],
    },
    {
      name: chains.natOutput,
      base: base('nat', 'output', prio.dstnat),
      rules: [`jump ${chains.services}`],
    },
    {
      name: chains.natPostrouting,
      base: base('nat', 'postrouting', prio.srcnat),
      rules: [`jump ${chains.masquerading}`],
    },
    {
      name: chains.endpointsCheck,
      rules: [
        `${dst} vmap @${maps.noEndpointServices}`,
        `${nodeLocal} meta l4proto . th dport vmap @${maps.noEndpointNodePorts}`,
      ],
    },
    {
      name: chains.clusterIPsCheck,
      rules: [
        `${a} daddr @${sets.clusterIPs} goto ${chains.reject}`,
        ...(ctx.serviceCIDRs.length > 0 ? [`${a} daddr ${set(ctx.serviceCIDRs)} drop`] : []),
      ],
    },
    {
      name: chains.reject,
      rules: ['meta l4proto tcp reject with tcp reset', 'reject'],
    },
    { name: chains.markForMasquerade, rules: [`meta mark set meta mark or ${mark}`] },
    {
      name: chains.masquerading,
      rules: [
        `ct status dnat ${a} saddr . ${a} daddr @${sets.hairpin} masquerade fully-random`,
        `meta mark & ${mark} == 0 return`,
        `meta mark set meta mark xor ${mark}`,
        'masquerade fully-random',
      ],
    },
    {
      name: chains.services,
      rules: [
        ...(local.length > 0
          ? [
              `${a} daddr @${sets.clusterIPs} ${a} saddr != ${set(local)} jump ${chains.markForMasquerade}`,
            ]
          : []),
        `${dst} vmap @${maps.serviceIPs}`,
        `${nodeLocal} meta l4proto . th dport vmap @${maps.serviceNodePorts}`,
      ],
    },
    {
      name: chains.externalCluster,
      rules: [`jump ${chains.markForMasquerade}`, `${dst} vmap @${maps.externalEndpoints}`],
    },
    {
      name: chains.externalLocal,
      rules: [
        ...(local.length > 0
          ? [`${a} saddr ${set(local)} ${dst} vmap @${maps.externalEndpoints}`]
          : []),
        `fib saddr type local jump ${chains.markForMasquerade}`,
        `fib saddr type local ${dst} vmap @${maps.externalEndpoints}`,
        `${dst} vmap @${maps.externalLocalEndpoints}`,
      ],
    },
    {
      name: chains.nodePortCluster,
      rules: [
        `jump ${chains.markForMasquerade}`,
        `meta l4proto . th dport vmap @${maps.nodePortEndpoints}`,
      ],
    },
    {
      name: chains.nodePortLocal,
      rules: [
        ...(local.length > 0
          ? [`${a} saddr ${set(local)} meta l4proto . th dport vmap @${maps.nodePortEndpoints}`]
          : []),
        `fib saddr type local jump ${chains.markForMasquerade}`,
        `fib saddr type local meta l4proto . th dport vmap @${maps.nodePortEndpoints}`,
        `meta l4proto . th dport vmap @${maps.nodePortLocalEndpoints}`,
      ],
    },
  ];

  const ipVerdict = `type ${addr} . inet_proto . inet_service : verdict ;`;
  const portVerdict = 'type inet_proto . inet_service : verdict ;';
  const setList: NftSet[] = [
    { name: maps.serviceIPs, kind: 'map', spec: ipVerdict },
    { name: maps.serviceNodePorts, kind: 'map', spec: portVerdict },
    { name: maps.noEndpointServices, kind: 'map', spec: ipVerdict },
    { name: maps.noEndpointNodePorts, kind: 'map', spec: portVerdict },
    { name: maps.externalEndpoints, kind: 'map', spec: ipVerdict },
    { name: maps.externalLocalEndpoints, kind: 'map', spec: ipVerdict },
    { name: maps.nodePortEndpoints, kind: 'map', spec: portVerdict },
    { name: maps.nodePortLocalEndpoints, kind: 'map', spec: portVerdict },
    { name: sets.clusterIPs, kind: 'set', spec: `type ${addr} ;` },
    { name: sets.hairpin, kind: 'set', spec: `type ${addr} . ${addr} ;` },
  ];
  // One data map per protocol: nft 1.0.6 derives the DNAT's transport protocol from the map's
  // data type (`tcp dport` implies `meta l4proto tcp`), and `th dport` in a map's typeof does
  // not survive a round trip through the kernel (the next `add rule` fails with "conflicting
  // protocols specified: ip vs. th").
  for (const protocol of protocols) {
    const p = protocol.toLowerCase();
    for (const list of ['cluster', 'local'] as const) {
      setList.push({
        name: backendsMap(list, 'ip', protocol),
        kind: 'map',
        spec: `typeof ${a} daddr . ${p} dport . numgen random mod 1 : ${a} daddr . ${p} dport ;`,
      });
      setList.push({
        name: backendsMap(list, 'nodeport', protocol),
        kind: 'map',
        spec: `typeof ${p} dport . numgen random mod 1 : ${a} daddr . ${p} dport ;`,
      });
    }
  }
  return { sets: setList, chains: chainList, elements: [] };
}

/** The shared chain that DNATs to one of `n` endpoints listed in the matching backends map. */
export function pickChainDef(
  family: IPFamily,
  list: ListKind,
  space: Space,
  protocol: Protocol,
  n: number,
): NftChain {
  const a = nftFamily(family);
  const p = protocol.toLowerCase();
  const key = space === 'ip' ? `${a} daddr . ${p} dport` : `${p} dport`;
  return {
    name: pickChain(list, space, protocol, n),
    rules: [
      `dnat ${a} to ${key} . numgen random mod ${n} map @${backendsMap(list, space, protocol)}`,
    ],
  };
}

/** Facts about a built Service port that the backend needs besides the nft objects. */
export interface ServicePortFacts {
  /** Endpoints this node may DNAT to (for conntrack cleanup of UDP). */
  readonly reachable: readonly EndpointInfo[];
  /** Addresses that lead to the Service port (ClusterIP, external IPs, LB IPs). */
  readonly frontends: readonly string[];
  readonly hasEndpoints: boolean;
  /** For UDP ports: what conntrack cleanup compares between syncs. */
  readonly udp: UdpPortState | undefined;
}

export interface BuiltServicePort {
  readonly fragment: Fragment;
  readonly facts: ServicePortFacts;
}

/** The objects one Service port contributes, given its endpoints. */
export function servicePortFragment(
  ctx: NftContext,
  sp: ServicePortInfo,
  endpoints: readonly EndpointInfo[],
): BuiltServicePort {
  const a = nftFamily(ctx.family);
  const proto = sp.protocol.toLowerCase();
  const c = categorizeEndpoints(endpoints, sp, ctx.node);
  const elements: NftElement[] = [];
  const chainMap = new Map<string, NftChain>();
  const setList: NftSet[] = [];
  const affinity = sp.affinityTimeoutSeconds > 0;
  const usedLists = new Set<ListKind>();
  const reject = `goto ${chains.reject}`;
  const noEndpointsVerdict = c.hasAny ? 'drop' : reject;

  /** The verdict that selects an endpoint of `list` for destinations keyed by `keyPrefix`. */
  const select = (list: ListKind, space: Space, keyPrefix: string): string => {
    usedLists.add(list);
    const eps = list === 'local' ? c.local : c.cluster;
    if (affinity) return `goto ${affinityChain(sp, list)}`;
    const map = backendsMap(list, space, sp.protocol);
    eps.forEach((ep, i) => {
      elements.push({ set: map, key: `${keyPrefix} . ${i}`, value: `${ep.ip} . ${ep.port}` });
    });
    const pick = pickChainDef(ctx.family, list, space, sp.protocol, eps.length);
    chainMap.set(pick.name, pick);
    return `goto ${pick.name}`;
  };

  // ClusterIP.
  const internalList: ListKind = sp.internalPolicyLocal ? 'local' : 'cluster';
  const internal = sp.internalPolicyLocal ? c.local : c.cluster;
  const ipKey = (ip: string): string => `${ip} . ${proto} . ${sp.port}`;
  elements.push({ set: sets.clusterIPs, key: sp.clusterIP });
  if (internal.length > 0) {
    elements.push({
      set: maps.serviceIPs,
      key: ipKey(sp.clusterIP),
      value: select(internalList, 'ip', `${sp.clusterIP} . ${sp.port}`),
    });
  } else {
    elements.push({
      set: maps.noEndpointServices,
      key: ipKey(sp.clusterIP),
      value: noEndpointsVerdict,
    });
  }

  // External IPs and load-balancer IPs.
  const hasExternal = c.hasAny && (!sp.externalPolicyLocal || c.local.length > 0);
  const externals = [...new Set([...sp.externalIPs, ...sp.loadBalancerIPs])];
  for (const ip of externals) {
    const key = ipKey(ip);
    if (c.hasAny) {
      elements.push({
        set: maps.serviceIPs,
        key,
        value: `goto ${sp.externalPolicyLocal ? chains.externalLocal : chains.externalCluster}`,
      });
      if (c.cluster.length > 0)
        elements.push({
          set: maps.externalEndpoints,
          key,
          value: select('cluster', 'ip', `${ip} . ${sp.port}`),
        });
      if (sp.externalPolicyLocal && c.local.length > 0)
        elements.push({
          set: maps.externalLocalEndpoints,
          key,
          value: select('local', 'ip', `${ip} . ${sp.port}`),
        });
    }
    if (!hasExternal)
      elements.push({ set: maps.noEndpointServices, key, value: noEndpointsVerdict });
  }

  // Node port, on every local address of the node.
  if (sp.nodePort > 0) {
    const key = `${proto} . ${sp.nodePort}`;
    if (c.hasAny) {
      elements.push({
        set: maps.serviceNodePorts,
        key,
        value: `goto ${sp.externalPolicyLocal ? chains.nodePortLocal : chains.nodePortCluster}`,
      });
      if (c.cluster.length > 0)
        elements.push({
          set: maps.nodePortEndpoints,
          key,
          value: select('cluster', 'nodeport', `${sp.nodePort}`),
        });
      if (sp.externalPolicyLocal && c.local.length > 0)
        elements.push({
          set: maps.nodePortLocalEndpoints,
          key,
          value: select('local', 'nodeport', `${sp.nodePort}`),
        });
    }
    if (!hasExternal)
      elements.push({ set: maps.noEndpointNodePorts, key, value: noEndpointsVerdict });
  }

  // Hairpin: a pod on this node that reaches itself through the Service is masqueraded, or its
  // reply would go straight back to itself with the wrong source.
  for (const ep of c.allReachable) {
    if (ep.nodeName === undefined || isLocal(ep, ctx.node))
      elements.push({ set: sets.hairpin, key: `${ep.ip} . ${ep.ip}` });
  }

  // ClientIP affinity: kube-proxy's shape, per Service port (only Services that ask pay for it).
  if (affinity) {
    const endpointsUsed = new Map<string, EndpointInfo>();
    for (const list of usedLists) {
      const eps = list === 'local' ? c.local : c.cluster;
      const rules = eps.map(
        (ep) => `${a} saddr @${affinitySet(sp, ep)} goto ${endpointChain(sp, ep)}`,
      );
      const arms = eps.map((ep, i) => `${i} : goto ${endpointChain(sp, ep)}`).join(', ');
      rules.push(`numgen random mod ${eps.length} vmap { ${arms} }`);
      const name = affinityChain(sp, list);
      chainMap.set(name, { name, rules });
      for (const ep of eps) endpointsUsed.set(endpointChain(sp, ep), ep);
    }
    for (const [name, ep] of endpointsUsed) {
      const setName = affinitySet(sp, ep);
      setList.push({
        name: setName,
        kind: 'set',
        spec: `type ${ctx.family === 'IPv4' ? 'ipv4_addr' : 'ipv6_addr'} ; flags dynamic,timeout ;`,
        dynamic: true,
      });
      chainMap.set(name, {
        name,
        rules: [
          `update @${setName} { ${a} saddr timeout ${sp.affinityTimeoutSeconds}s }`,
          `meta l4proto ${proto} dnat ${a} to ${joinHostPort(ep.ip, ep.port)}`,
        ],
      });
    }
  }

  return {
    fragment: { sets: setList, chains: [...chainMap.values()], elements },
    facts: {
      reachable: c.allReachable,
      frontends: [sp.clusterIP, ...externals],
      hasEndpoints: c.hasAny,
      udp:
        sp.protocol === 'UDP'
          ? {
              frontends: [
                ...[sp.clusterIP, ...externals].map((ip) => ({ ip, port: sp.port })),
                ...(sp.nodePort > 0 ? [{ port: sp.nodePort }] : []),
              ],
              endpoints: [...new Set(c.allReachable.map((ep) => ep.ip))],
            }
          : undefined,
    },
  };
}

/** A whole table as fragments: the skeleton plus one fragment per Service port. */
export interface Ruleset {
  readonly skeleton: Fragment;
  readonly ports: ReadonlyMap<string, Fragment>;
}

/** The complete desired table for one family: the pure function the golden files pin. */
export function computeRuleset(ctx: NftContext, entries: Iterable<ServicePortEntry>): Ruleset {
  const ports = new Map<string, Fragment>();
  for (const e of entries) {
    ports.set(e.info.key, servicePortFragment(ctx, e.info, e.endpoints).fragment);
  }
  return { skeleton: skeleton(ctx), ports };
}

/** Owner key of the skeleton (sorts before every `namespace/...` key). */
export const skeletonOwner = '!skeleton';

/** All fragments of a ruleset keyed by owner, as the backend commits them. */
export function rulesetFragments(r: Ruleset): Map<string, Fragment> {
  return new Map([[skeletonOwner, r.skeleton], ...r.ports]);
}

/** Canonical text of a ruleset (the golden-file format). */
export function renderRuleset(family: IPFamily, r: Ruleset): string {
  return renderCanonical(
    family,
    TableIndex.build(family, rulesetFragments(r)).objects(),
    tableComment,
  );
}

/**
 * The peers the proxy benchmark compares against, generated here:
 *
 * - kube-proxy's nftables shape (pkg/proxy/nftables): a chain per Service port and per endpoint,
 *   `numgen random mod N vmap` in the Service chain, `ip saddr <ep> jump mark-for-masquerade`
 *   and `dnat` in each endpoint chain, the `service-ips` verdict map and `cluster-ips` set;
 *   written as flat `add …` lines the way knftables writes them (performance.md §2.4);
 * - kube-proxy's iptables shape for the data plane: one rule per Service in a linear
 *   KUBE-SERVICES chain that every new connection walks until its Service matches. iptables-nft
 *   turns each iptables rule into exactly such an nft rule, so it is written as nft here (the
 *   iptables binaries are not installed on these machines).
 */

export interface BenchService {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
  readonly endpoints: readonly string[];
  readonly targetPort: number;
}

const table = 'ip kpbench';

function svcChain(s: BenchService): string {
  return `service-${s.name.length.toString(36).toUpperCase().padStart(8, 'X')}-default/${s.name}/tcp/http`;
}

function epChain(s: BenchService, ep: string): string {
  return `endpoint-${s.name.length.toString(36).toUpperCase().padStart(8, 'X')}-default/${s.name}/tcp/http__${ep}/${s.targetPort}`;
}

/** The fixed part of kube-proxy's nftables table. */
export function kubeProxySkeleton(): string[] {
  return [
    `add table ${table} { comment "rules for kube-proxy" ; }`,
    `add chain ${table} nat-prerouting { type nat hook prerouting priority -100 ; }`,
    `add chain ${table} nat-output { type nat hook output priority -100 ; }`,
    `add chain ${table} nat-postrouting { type nat hook postrouting priority 100 ; }`,
    `add chain ${table} services`,
    `add chain ${table} masquerading`,
    `add chain ${table} mark-for-masquerade`,
    `add rule ${table} mark-for-masquerade mark set mark or 0x4000`,
    `add rule ${table} masquerading mark and 0x4000 == 0 return`,
    `add rule ${table} masquerading mark set mark xor 0x4000`,
    `add rule ${table} masquerading masquerade fully-random`,
    `add rule ${table} nat-prerouting jump services`,
    `add rule ${table} nat-output jump services`,
    `add rule ${table} nat-postrouting jump masquerading`,
    `add set ${table} cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`,
    `add map ${table} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`,
    `add rule ${table} services ip daddr . meta l4proto . th dport vmap @service-ips`,
  ];
}

/** The lines kube-proxy writes for one Service port (its chain, endpoint chains and elements). */
export function kubeProxyService(s: BenchService): string[] {
  const out: string[] = [];
  const sc = svcChain(s);
  out.push(`add chain ${table} ${sc}`);
  out.push(
    `add rule ${table} ${sc} ip daddr ${s.ip} tcp dport ${s.port} ip saddr != 10.244.0.0/16 jump mark-for-masquerade`,
  );
  const arms = s.endpoints.map((ep, i) => `${i} : goto ${epChain(s, ep)}`).join(' , ');
  for (const ep of s.endpoints) {
    const ec = epChain(s, ep);
    out.push(`add chain ${table} ${ec}`);
    out.push(`add rule ${table} ${ec} ip saddr ${ep} jump mark-for-masquerade`);
    out.push(`add rule ${table} ${ec} meta l4proto tcp dnat to ${ep}:${s.targetPort}`);
  }
  out.push(`add rule ${table} ${sc} numgen random mod ${s.endpoints.length} vmap { ${arms} }`);
  out.push(`add element ${table} cluster-ips { ${s.ip} }`);
  out.push(`add element ${table} service-ips { ${s.ip} . tcp . ${s.port} : goto ${sc} }`);
  return out;
}

/** kube-proxy's transaction when one endpoint of a Service is replaced by another. */
export function kubeProxyEndpointChange(s: BenchService, removed: string, added: string): string[] {
  const next: BenchService = {
    ...s,
    endpoints: s.endpoints.map((e) => (e === removed ? added : e)),
  };
  const sc = svcChain(s);
  const arms = next.endpoints.map((ep, i) => `${i} : goto ${epChain(next, ep)}`).join(' , ');
  const ec = epChain(next, added);
  return [
    `add chain ${table} ${ec}`,
    `flush chain ${table} ${ec}`,
    `add rule ${table} ${ec} ip saddr ${added} jump mark-for-masquerade`,
    `add rule ${table} ${ec} meta l4proto tcp dnat to ${added}:${s.targetPort}`,
    `flush chain ${table} ${sc}`,
    `add rule ${table} ${sc} ip daddr ${s.ip} tcp dport ${s.port} ip saddr != 10.244.0.0/16 jump mark-for-masquerade`,
    `add rule ${table} ${sc} numgen random mod ${next.endpoints.length} vmap { ${arms} }`,
    `flush chain ${table} ${epChain(s, removed)}`,
    `delete chain ${table} ${epChain(s, removed)}`,
  ];
}

/**
 * iptables' linear KUBE-SERVICES: `services` rules in order, the target last, each other rule
 * jumping to a chain no packet of the benchmark reaches.
 */
export function linearServices(others: readonly BenchService[], target: BenchService): string[] {
  const out = [
    `add table ip kplinear`,
    `add chain ip kplinear PREROUTING { type nat hook prerouting priority -100 ; }`,
    `add chain ip kplinear KUBE-SERVICES`,
    `add chain ip kplinear KUBE-SVC-OTHER`,
    `add chain ip kplinear KUBE-SVC-TARGET`,
    `add rule ip kplinear PREROUTING jump KUBE-SERVICES`,
    `add rule ip kplinear KUBE-SVC-OTHER meta l4proto tcp dnat to 10.245.255.254:8080`,
    `add rule ip kplinear KUBE-SVC-TARGET meta l4proto tcp dnat to ${target.endpoints[0] ?? ''}:${target.targetPort}`,
  ];
  for (const s of others)
    out.push(
      `add rule ip kplinear KUBE-SERVICES ip daddr ${s.ip} tcp dport ${s.port} jump KUBE-SVC-OTHER`,
    );
  out.push(
    `add rule ip kplinear KUBE-SERVICES ip daddr ${target.ip} tcp dport ${target.port} jump KUBE-SVC-TARGET`,
  );
  return out;
}

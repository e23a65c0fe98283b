/**
 * The node's own nftables table (`ip portico-node` by default; the proxy owns `ip portico`), as
 * text for one `nft -f` transaction that replaces the whole table. Pure, for golden tests.
 *
 * Masquerade: traffic from the node's pods to anything outside the cluster's pod network leaves
 * with the node's address, as the CNI bridge plugin's `ipMasq` does; pod-to-pod traffic (same node
 * or another node's pod CIDR) keeps its source. Service traffic is the proxy's business: after its
 * DNAT the destination is a pod (no masquerade here) or an outside endpoint (masqueraded here, so
 * replies come back through this node's conntrack).
 */
export interface NodeRulesInput {
  readonly table: string;
  readonly podCIDR: string;
  /** The whole cluster's pod network (pods on other nodes are reached unmasqueraded). */
  readonly clusterCIDR?: string;
  readonly bridge: string;
}

export function nodeRuleset(input: NodeRulesInput): string {
  const keep = [input.podCIDR, ...(input.clusterCIDR ? [input.clusterCIDR] : []), '224.0.0.0/4'];
  return [
    `add table ip ${input.table}`,
    `delete table ip ${input.table}`,
    `table ip ${input.table} {`,
    `\tcomment "Portico node agent: pod network masquerade"`,
    `\tchain postrouting {`,
    `\t\ttype nat hook postrouting priority srcnat; policy accept;`,
    `\t\tip saddr ${input.podCIDR} ip daddr != { ${keep.join(', ')} } masquerade`,
    `\t}`,
    `\tchain forward {`,
    `\t\ttype filter hook forward priority filter; policy accept;`,
    `\t\tiifname "${input.bridge}" counter accept`,
    `\t\toifname "${input.bridge}" counter accept`,
    `\t}`,
    `}`,
    '',
  ].join('\n');
}

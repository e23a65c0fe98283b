/**
 * Cluster-wide network settings with kubeadm's defaults (design §4). Every component takes them
 * from flags that default to these values.
 */
export interface ClusterConfig {
  /** Pod addresses; node n gets a /24 of it. */
  readonly clusterCIDR: string;
  /** Service virtual IPs; the first address is default/kubernetes. */
  readonly serviceCIDR: string;
  readonly nodePortRange: readonly [number, number];
  readonly clusterDomain: string;
  /** The ClusterIP of kube-system/kube-dns. */
  readonly dnsServiceIP: string;
  /** Prefix length of each node's pod CIDR. */
  readonly nodeCIDRMaskSize: number;
}

export const defaultClusterConfig: ClusterConfig = {
  clusterCIDR: '10.244.0.0/16',
  serviceCIDR: '10.96.0.0/12',
  nodePortRange: [30000, 32767],
  clusterDomain: 'cluster.local',
  dnsServiceIP: '10.96.0.10',
  nodeCIDRMaskSize: 24,
};

/**
 * The pod network seam (the CNI plugin's job): a bridge on the node holding the gateway of the
 * node's pod CIDR, one veth pair per pod sandbox, IPs from a host-local allocator.
 */

/** What a sandbox got from `attach`. */
export interface PodInterface {
  /** The pod IP. */
  readonly ip: string;
  readonly prefixLength: number;
  readonly gateway: string;
  /** The host end of the veth pair. */
  readonly hostInterface: string;
  readonly mtu: number;
}

export interface AttachRequest {
  /** The owner of the IP: the sandbox id. */
  readonly sandboxId: string;
  /** The pod's network namespace, e.g. `/proc/<pid>/ns/net` of its namespace holder. */
  readonly netnsPath: string;
  /** For logs only. */
  readonly pod?: string;
}

/** Plugs pod network namespaces into the node's network. Every method is idempotent. */
export interface PodNetwork {
  /** Creates the bridge, routes and rules on the node when missing. */
  ensureNode(): Promise<void>;
  /**
   * Allocates an IP (or returns the one the sandbox already holds) and moves a configured veth
   * into the namespace as `eth0`, with the default route via the gateway.
   * @throws NetworkError when the CIDR is exhausted or a command fails (nothing stays allocated).
   */
  attach(request: AttachRequest): Promise<PodInterface>;
  /** Removes the veth (when the namespace still exists) and releases the sandbox's IP. */
  detach(sandboxId: string): Promise<void>;
  /** The IP a sandbox holds, if any. */
  ipOf(sandboxId: string): Promise<string | undefined>;
  /** Releases every IP whose owner is not in `liveSandboxIds` (after an agent restart). */
  gc(liveSandboxIds: ReadonlySet<string>): Promise<void>;
  /** Removes everything the network made on the node (bridge, veths, rules, IPAM state). */
  remove(): Promise<void>;
  /** The node's own address on the pod network (the gateway). */
  readonly gateway: string;
}

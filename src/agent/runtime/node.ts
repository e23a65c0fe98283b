/**
 * Wiring for the agent: the image store, the bridge network and the runc runtime of one node, from
 * its data directory and CIDRs (`<data dir>/images`, `<data dir>/network`, `<data dir>/runtime`).
 */
import { join } from 'node:path';
import type { Logger } from '../../lib/log/logger.js';
import { ImageStore } from '../images/store.js';
import { BridgeNetwork, defaultRouteMtu } from '../network/bridge.js';
import { RuncRuntime } from './runtime.js';

export interface NodeRuntimeOptions {
  readonly dataDir: string;
  /** The node's pod CIDR (`spec.podCIDR` of its Node). */
  readonly podCIDR: string;
  /** The cluster's pod network; default 10.244.0.0/16. */
  readonly clusterCIDR?: string;
  /** Default 10.96.0.0/12. */
  readonly serviceCIDR?: string;
  /** Default `portico0`. */
  readonly bridge?: string;
  /** Parent cgroup; give each node on one host its own (`/portico-node1`). Default `/portico`. */
  readonly cgroupParent?: string;
  /** Pod MTU; default the MTU of the default-route interface (1500 without one). */
  readonly mtu?: number;
  readonly logger?: Logger;
}

export interface NodeRuntime {
  readonly runtime: RuncRuntime;
  readonly images: ImageStore;
  readonly network: BridgeNetwork;
}

/**
 * Opens the node's runtime: prepares the bridge, rules and mounts, and picks up every sandbox and
 * container a previous agent left running (see `runtime.list()`).
 */
export async function openNodeRuntime(o: NodeRuntimeOptions): Promise<NodeRuntime> {
  const images = new ImageStore({
    dir: join(o.dataDir, 'images'),
    ...(o.logger ? { logger: o.logger } : {}),
  });
  const network = new BridgeNetwork({
    podCIDR: o.podCIDR,
    clusterCIDR: o.clusterCIDR ?? '10.244.0.0/16',
    serviceCIDR: o.serviceCIDR ?? '10.96.0.0/12',
    stateDir: join(o.dataDir, 'network'),
    mtu: o.mtu ?? defaultRouteMtu(),
    ...(o.bridge ? { bridge: o.bridge } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
  });
  const runtime = await RuncRuntime.open({
    root: join(o.dataDir, 'runtime'),
    images,
    network,
    ...(o.cgroupParent ? { cgroupParent: o.cgroupParent } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
  });
  return { runtime, images, network };
}

/**
 * What every controller is built from: the API client, the process's shared informers, a clock,
 * a logger, event recorders and the configuration. `cmd/controllers.ts` builds one context and
 * hands it to each enabled controller's constructor.
 */
import type { ClusterConfig } from '../api/cluster.js';
import type { InformerFactory } from '../client/factory.js';
import type { Client } from '../client/types.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log/logger.js';
import type { EventRecorder } from '../client/events.js';

/** Settings with kube-controller-manager's defaults. */
export interface ControllersConfig {
  /** `--max-endpoints-per-slice` (100). */
  readonly maxEndpointsPerSlice: number;
  /** Pod CIDR the node IPAM controller carves node ranges from, and their prefix length. */
  readonly clusterCIDR: string;
  readonly nodeCIDRMaskSize: number;
  /** `--node-monitor-grace-period` (40 s): a node whose lease is older is NotReady. */
  readonly nodeMonitorGracePeriodMs: number;
  /** How often node health is checked (`--node-monitor-period`, 5 s). */
  readonly nodeMonitorPeriodMs: number;
  /** LoadBalancer IP pool as CIDRs or `a-b` ranges; empty = no addresses are handed out. */
  readonly lbPool: readonly string[];
  /** The loadBalancerClass served besides services without one (undefined = only those). */
  readonly lbClass?: string | undefined;
}

export function defaultControllersConfig(cluster: ClusterConfig): ControllersConfig {
  return {
    maxEndpointsPerSlice: 100,
    clusterCIDR: cluster.clusterCIDR,
    nodeCIDRMaskSize: cluster.nodeCIDRMaskSize,
    nodeMonitorGracePeriodMs: 40_000,
    nodeMonitorPeriodMs: 5_000,
    lbPool: [],
  };
}

export interface ControllerContext {
  readonly client: Client;
  readonly informers: InformerFactory;
  readonly clock: Clock;
  readonly logger: Logger;
  /** An event recorder whose events carry `source.component` = `component`. */
  recorder(component: string): EventRecorder;
  readonly config: ControllersConfig;
}

export type { Reconciler } from './runner.js';

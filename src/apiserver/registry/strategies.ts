/**
 * The strategy of each resource, built once per API server (allocators hold state, so nothing
 * here is module-level). Resources without an entry are stored as sent, after the generic
 * metadata handling of the registry.
 */
import type { ClusterConfig } from '../../api/cluster.js';
import { resources, type ResourceType } from '../../api/scheme.js';
import type { Service } from '../../api/types/core.js';
import type { Logger } from '../../lib/log/logger.js';
import { ServiceAllocators } from '../allocators/service.js';
import {
  configMapStrategy,
  endpointSliceStrategy,
  endpointsStrategy,
  eventStrategy,
  leaseStrategy,
  namespaceStrategy,
  nodeStrategy,
  secretStrategy,
  serviceAccountStrategy,
} from './core.js';
import { ingressClassStrategy, ingressStrategy } from './networking.js';
import { podStrategy } from './pod.js';
import { serviceStrategy } from './service.js';
import type { Strategy, StrategyContext } from './strategy.js';
import {
  deploymentStrategy,
  replicaSetStrategy,
  replicationControllerStrategy,
} from './workloads.js';

export interface StrategySet {
  /** The strategy for a resource (an empty one when it has no special behaviour). */
  for(rt: ResourceType): Strategy;
  /** Rebuilds allocator state from the stored objects at start (Services' ClusterIPs and nodePorts). */
  repair(ctx: StrategyContext): Promise<void>;
}

export interface StrategyOptions {
  /** Reports what a repair found wrong in the stored Services. */
  readonly logger?: Logger;
  /** Random source of the allocators (tests pass a seeded one). */
  readonly random?: () => number;
}

const keyOf = (rt: Pick<ResourceType, 'group' | 'resource'>): string =>
  `${rt.group}/${rt.resource}`;

/** @throws Error when the service CIDR or nodePort range of `config` is unusable */
export function buildStrategies(config: ClusterConfig, options: StrategyOptions = {}): StrategySet {
  const allocators = new ServiceAllocators({
    config,
    ...(options.random ? { random: options.random } : {}),
  });
  const byResource = new Map<string, Strategy>();
  const add = <T extends Parameters<NonNullable<Strategy['validate']>>[0]>(
    rt: ResourceType,
    s: Strategy<T>,
  ): void => {
    byResource.set(keyOf(rt), s);
  };
  add(resources.services, serviceStrategy(allocators));
  add(resources.pods, podStrategy());
  add(resources.replicationcontrollers, replicationControllerStrategy());
  add(resources.replicasets, replicaSetStrategy());
  add(resources.deployments, deploymentStrategy());
  add(resources.namespaces, namespaceStrategy());
  add(resources.nodes, nodeStrategy());
  add(resources.secrets, secretStrategy());
  add(resources.configmaps, configMapStrategy());
  add(resources.endpoints, endpointsStrategy());
  add(resources.endpointslices, endpointSliceStrategy());
  add(resources.events, eventStrategy());
  add(resources.serviceaccounts, serviceAccountStrategy());
  add(resources.leases, leaseStrategy());
  add(resources.ingresses, ingressStrategy());
  add(resources.ingressclasses, ingressClassStrategy());
  return {
    for: (rt) => byResource.get(keyOf(rt)) ?? {},
    async repair(ctx) {
      // Reservations made while the list is read are kept (beginRepair records them).
      const session = allocators.beginRepair();
      const services = (await ctx.list(resources.services)) as Service[];
      const problems = session.finish(services);
      for (const p of problems) {
        options.logger?.warn('Service allocation needs attention', {
          service: p.service,
          reason: p.reason,
          value: p.value,
        });
      }
      options.logger?.v(2).info('Repaired service allocations', {
        services: services.length,
        problems: problems.length,
      });
    },
  };
}

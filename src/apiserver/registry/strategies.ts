/**
 * The strategy of each resource, built once per API server (allocators hold state, so nothing
 * here is module-level). Resources without an entry are stored as sent, after the generic
 * metadata handling of the registry.
 */
import type { ClusterConfig } from '../../api/cluster.js';
import type { ResourceType } from '../../api/scheme.js';
import type { Strategy, StrategyContext } from './strategy.js';

export interface StrategySet {
  /** The strategy for a resource (an empty one when it has no special behaviour). */
  for(rt: ResourceType): Strategy;
  /** Rebuilds allocator state from the stored objects at start (Services' ClusterIPs and nodePorts). */
  repair(ctx: StrategyContext): Promise<void>;
}

export function buildStrategies(_config: ClusterConfig): StrategySet {
  const byResource = new Map<string, Strategy>();
  return {
    for: (rt) => byResource.get(`${rt.group}/${rt.resource}`) ?? {},
    repair: () => Promise.resolve(),
  };
}

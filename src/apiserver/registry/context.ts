/**
 * What every registry operation needs: the store, the watch caches, the strategies, the cluster
 * config, a clock and a logger. Operations are plain functions of this context (create.ts,
 * update.ts, delete.ts, list.ts); registry.ts binds them into the Registry the verbs call.
 */
import { randomUUID } from 'node:crypto';
import type { ClusterConfig } from '../../api/cluster.js';
import { notFound, type GroupResource } from '../../api/meta/status.js';
import type { KubeObject } from '../../api/meta/types.js';
import { apiVersionOf, resources, storageResourceOf, type ResourceType } from '../../api/scheme.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log/logger.js';
import type { Store } from '../../storage/store.js';
import type { StrategySet } from './strategies.js';
import type { Strategy, StrategyContext } from './strategy.js';
import type { CacheSet } from '../watchcache/cacheset.js';
import { decodeObject } from './codec.js';
import { listPrefix, objectKey } from './keys.js';
import { storeCall } from './errors.js';

export interface RegistryContext {
  readonly store: Store;
  readonly caches: CacheSet;
  readonly strategies: StrategySet;
  readonly config: ClusterConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** What strategies see of other objects. */
  readonly strategyContext: StrategyContext;
  /** New UIDs (injectable for tests). */
  readonly newUID: () => string;
}

/** Options of every write. */
export interface WriteOptions {
  /** `dryRun=All`: run everything but the store write; allocations are reverted. */
  readonly dryRun?: boolean;
  /** Who is writing, for managedFields (kube defaults it from the User-Agent). */
  readonly fieldManager?: string;
  /** Warnings for the response's Warning headers (appended to). */
  readonly warnings?: string[];
}

export function groupResource(rt: ResourceType): GroupResource {
  return { group: rt.group, resource: rt.resource };
}

export function strategyOf(ctx: RegistryContext, rt: ResourceType): Strategy {
  return ctx.strategies.for(storageResourceOf(rt));
}

/** RFC 3339 with seconds, as Kubernetes writes timestamps. */
export function timestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The object at a key, fresh from the store (never shared), or undefined. */
export async function readObject(
  ctx: RegistryContext,
  rt: ResourceType,
  namespace: string | undefined,
  name: string,
): Promise<{ obj: KubeObject; revision: number } | undefined> {
  const key = objectKey(rt, namespace, name);
  const { kv } = await storeCall(groupResource(rt), name, () => ctx.store.get(key));
  return kv ? { obj: decodeObject(kv), revision: kv.modRevision } : undefined;
}

/** Like readObject, but 404 when missing. */
export async function mustRead(
  ctx: RegistryContext,
  rt: ResourceType,
  namespace: string | undefined,
  name: string,
): Promise<{ obj: KubeObject; revision: number }> {
  const r = await readObject(ctx, rt, namespace, name);
  if (!r) throw notFound(groupResource(rt), name);
  return r;
}

/** kind and apiVersion of the stored form. */
export function setTypeMeta(rt: ResourceType, obj: KubeObject): void {
  obj.apiVersion = apiVersionOf(rt);
  obj.kind = rt.kind;
}

/**
 * A StrategyContext over the store and caches: `get` reads the store (fresh), `list` the cache
 * (strategies use it for cluster-wide decisions such as the default IngressClass).
 */
export function makeStrategyContext(
  deps: Pick<RegistryContext, 'store' | 'caches' | 'config'>,
): StrategyContext {
  return {
    config: deps.config,
    get: async (rt, namespace, name) => {
      const srt = storageResourceOf(rt);
      const { kv } = await deps.store.get(objectKey(srt, namespace, name));
      return kv ? decodeObject(kv) : undefined;
    },
    list: (rt, namespace) => {
      const srt = storageResourceOf(rt);
      const page = deps.caches.for(srt).list({ prefix: listPrefix(srt, namespace) });
      return Promise.resolve(page.items.map((o) => structuredClone(o.obj)));
    },
  };
}

export const defaultNewUID = (): string => randomUUID();

/** The namespace resource (namespace existence and lifecycle checks). */
export const namespacesResource = resources.namespaces;

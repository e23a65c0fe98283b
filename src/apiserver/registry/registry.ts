/**
 * The generic registry: CRUD, list and watch for every resource of src/api/scheme.ts over one
 * Store, with the per-kind behaviour coming from the strategies (registry/strategies.ts). The
 * verbs call it for HTTP requests; the API server's own loops (built-in objects, the
 * `kubernetes` endpoints reconciler, the event TTL sweep) call it directly. Every `rt` here is a
 * stored resource (storageResourceOf for compatibility versions).
 */
import type { ClusterConfig } from '../../api/cluster.js';
import type { DeleteOptions, KubeObject } from '../../api/meta/types.js';
import type { ResourceType } from '../../api/scheme.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log/logger.js';
import type { Store } from '../../storage/store.js';
import type { CacheSet } from '../watchcache/cacheset.js';
import type { CacheWatcher } from '../watchcache/watcher.js';
import { createObject, type CreateOptions } from './create.js';
import {
  defaultNewUID,
  makeStrategyContext,
  mustRead,
  readObject,
  type RegistryContext,
  type WriteOptions,
} from './context.js';
import { deleteObject, type DeleteResult } from './delete.js';
import {
  listObjects,
  watchObjects,
  type ListPage,
  type ListParams,
  type WatchParams,
} from './list.js';
import type { StrategySet } from './strategies.js';
import type { StrategyContext } from './strategy.js';
import { updateObject, type UpdateRequest, type UpdateResult } from './update.js';

export interface RegistryOptions {
  readonly store: Store;
  readonly caches: CacheSet;
  readonly strategies: StrategySet;
  readonly config: ClusterConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly newUID?: () => string;
}

export class Registry {
  readonly ctx: RegistryContext;

  constructor(options: RegistryOptions) {
    this.ctx = {
      store: options.store,
      caches: options.caches,
      strategies: options.strategies,
      config: options.config,
      clock: options.clock,
      logger: options.logger,
      strategyContext: makeStrategyContext(options),
      newUID: options.newUID ?? defaultNewUID,
    };
  }

  get strategyContext(): StrategyContext {
    return this.ctx.strategyContext;
  }

  /** The object, fresh from the store. @throws ApiError 404 */
  async get(rt: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject> {
    return (await mustRead(this.ctx, rt, namespace, name)).obj;
  }

  /** The object, or undefined when it does not exist. */
  async tryGet(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined> {
    return (await readObject(this.ctx, rt, namespace, name))?.obj;
  }

  list(
    rt: ResourceType,
    namespace: string | undefined,
    params: ListParams = {},
  ): Promise<ListPage> {
    return listObjects(this.ctx, rt, namespace, params);
  }

  watch(
    rt: ResourceType,
    namespace: string | undefined,
    params: WatchParams,
    options: { readonly signal: AbortSignal; readonly maxQueue?: number },
  ): Promise<CacheWatcher> {
    return watchObjects(this.ctx, rt, namespace, params, options);
  }

  create(rt: ResourceType, obj: KubeObject, options?: CreateOptions): Promise<KubeObject> {
    return createObject(this.ctx, rt, obj, options);
  }

  update(rt: ResourceType, req: UpdateRequest, options?: WriteOptions): Promise<UpdateResult> {
    return updateObject(this.ctx, rt, req, options);
  }

  delete(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
    write?: WriteOptions,
  ): Promise<DeleteResult> {
    return deleteObject(this.ctx, rt, namespace, name, options, write);
  }
}

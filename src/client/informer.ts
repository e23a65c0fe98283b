/**
 * SharedInformer: a list-then-watch cache of one resource with event handlers, after client-go's
 * Reflector + sharedIndexInformer and client-node's ListWatch.
 *
 *   list   paged (limit 500 + continue; a continue token that expired mid-list falls back to one
 *          unpaged list), then the cache is replaced: new objects → onAdd, changed resourceVersion
 *          → onUpdate, objects gone from the list → onDelete (deletions missed while disconnected).
 *   watch  from the list's resourceVersion with allowWatchBookmarks and a random 5–10 min
 *          timeoutSeconds (client-go's spread, so watches do not all reconnect at once).
 *          A server that ends the watch normally → rewatch at once from the last resourceVersion.
 *          410 Expired/Gone (as an ERROR event or an HTTP answer) → relist at once.
 *          Any other failure, or a watch that ended within 1 s without a single event →
 *          rewatch after a backoff of 1, 2, 4, 8, 16, 30, 30… s (±10 %), reset by a good list or
 *          by the first event of a watch.
 *   handlers run synchronously, in event order, after the cache has been updated; an update whose
 *          resourceVersion equals the cached one is not delivered; a handler that throws is
 *          logged and does not stop the others. Handlers added late get onAdd for what is cached.
 *   resync every `resyncPeriodMs` (when set) re-delivers onUpdate(obj, obj) for every object.
 */
import type { KubeObject, Status, WatchEvent } from '../api/meta/types.js';
import { apiVersionOf, type ResourceType } from '../api/scheme.js';
import { Backoff } from '../lib/backoff.js';
import { realClock, sleepUnlessAborted, type Clock } from '../lib/clock.js';
import { discardLogger, type Logger } from '../lib/log/logger.js';
import { isExpired } from './errors.js';
import { objectKey } from './keys.js';
import { Indexer, type IndexFunc } from './lister.js';
import type { Client, EventHandlers, Informer, Lister, ListOptions } from './types.js';

export interface InformerOptions<T extends KubeObject = KubeObject> {
  readonly client: Client;
  readonly resource: ResourceType;
  /** Watch one namespace only; all namespaces when unset. */
  readonly namespace?: string | undefined;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
  /** Re-deliver onUpdate for every cached object this often; 0 or unset = never. */
  readonly resyncPeriodMs?: number | undefined;
  /** List page size; default 500 (kubectl's and client-go's). */
  readonly pageSize?: number;
  /** Reconnect backoff; default 1 s doubling to 30 s. */
  readonly backoff?: { readonly baseMs: number; readonly capMs: number };
  /** Seconds a watch asks the server to stay open; default random 300–600. */
  readonly watchTimeoutSeconds?: () => number;
  /**
   * Applied to every object before it is cached and handed to handlers (client-go's
   * SetTransform): slim objects down, e.g. drop metadata.managedFields. Must return an object
   * with the same namespace, name and resourceVersion.
   */
  readonly transform?: (obj: T) => T;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** A watch that ends this fast with no event counts as a failure (client-go's "very short watch"). */
const shortWatchMs = 1000;

type WatchOutcome = 'closed' | 'expired' | 'failed';

export class SharedInformer<T extends KubeObject> implements Informer<T> {
  readonly resource: ResourceType;
  readonly #client: Client;
  readonly #cache = new Indexer<T>();
  readonly #handlers: EventHandlers<T>[] = [];
  readonly #listOptions: ListOptions;
  readonly #resyncMs: number;
  readonly #pageSize: number;
  readonly #backoffOptions: { readonly baseMs: number; readonly capMs: number };
  readonly #watchTimeout: () => number;
  readonly #transform: ((obj: T) => T) | undefined;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #syncWaiters = new Set<() => void>();
  #synced = false;
  #running = false;
  #rv = '';

  constructor(options: InformerOptions<T>) {
    this.resource = options.resource;
    this.#client = options.client;
    this.#listOptions = {
      ...(options.namespace ? { namespace: options.namespace } : {}),
      ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
      ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
    };
    this.#resyncMs = options.resyncPeriodMs ?? 0;
    this.#pageSize = options.pageSize ?? 500;
    this.#backoffOptions = options.backoff ?? { baseMs: 1000, capMs: 30_000 };
    this.#watchTimeout =
      options.watchTimeoutSeconds ?? (() => 300 + Math.floor(Math.random() * 300));
    this.#transform = options.transform;
    this.#clock = options.clock ?? realClock;
    const group = options.resource.group === '' ? '' : `.${options.resource.group}`;
    this.#log = (options.logger ?? discardLogger).child({
      informer: `${options.resource.resource}${group}`,
    });
  }

  get lister(): Lister<T> {
    return this.#cache;
  }

  addHandlers(handlers: EventHandlers<T>): void {
    this.#handlers.push(handlers);
    if (handlers.onAdd) for (const o of this.#cache.list()) this.#call(handlers, 'onAdd', o);
  }

  addIndex(name: string, fn: IndexFunc<T>): void {
    this.#cache.addIndex(name, fn);
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  waitForSync(signal: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        this.#syncWaiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve(this.#synced);
      };
      this.#syncWaiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  lastSyncResourceVersion(): string {
    return this.#rv;
  }

  /**
   * Lists and watches until the signal aborts. Never rejects for API or network failures (they
   * are logged and retried).
   * @throws Error when called twice.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error(`informer for ${this.resource.resource} is already running`);
    this.#running = true;
    const resync = this.#resyncMs > 0 ? this.#resyncLoop(signal) : Promise.resolve();
    const backoff = new Backoff(this.#backoffOptions);
    let needList = true;
    while (!signal.aborted) {
      if (needList) {
        try {
          await this.#list(signal);
          needList = false;
          backoff.reset();
        } catch (e) {
          if (signal.aborted) break;
          const waitMs = backoff.next();
          this.#log.warn('List failed, retrying', { ...errFields(e), waitMs });
          await sleepUnlessAborted(this.#clock, waitMs, signal);
          continue;
        }
      }
      const outcome = await this.#watch(signal, backoff);
      if (signal.aborted) break;
      if (outcome === 'expired') {
        this.#log.v(2).info('Watch expired, relisting', { resourceVersion: this.#rv });
        needList = true;
      } else if (outcome === 'failed') {
        await sleepUnlessAborted(this.#clock, backoff.next(), signal);
      }
    }
    await resync;
    for (const w of [...this.#syncWaiters]) w();
  }

  // ---- list ------------------------------------------------------------------------------------

  async #list(signal: AbortSignal): Promise<void> {
    const items: T[] = [];
    let rv = '';
    let cont: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.#client.list<T>(this.resource, {
          ...this.#listOptions,
          limit: this.#pageSize,
          ...(cont ? { continue: cont } : {}),
          signal,
        });
      } catch (e) {
        if (cont === undefined || !isExpired(e)) throw e;
        // The continue token outlived the server's history: read everything in one go.
        this.#log.v(2).info('List continuation expired, listing without paging');
        page = await this.#client.list<T>(this.resource, { ...this.#listOptions, signal });
        items.length = 0;
        items.push(...page.items);
        rv = page.metadata.resourceVersion ?? '';
        break;
      }
      items.push(...page.items);
      rv = page.metadata.resourceVersion ?? rv;
      cont = page.metadata.continue || undefined;
      if (!cont) break;
    }
    this.#replace(items, rv);
  }

  /** Makes the cache equal to a fresh list, telling handlers what changed. */
  #replace(items: readonly T[], rv: string): void {
    const seen = new Set<string>();
    for (const raw of items) {
      const obj = this.#typed(raw);
      const key = objectKey(obj);
      seen.add(key);
      this.#upsert(obj, key);
    }
    for (const key of [...this.#cache.keys()]) {
      if (seen.has(key)) continue;
      const old = this.#cache.delete(key);
      if (old) this.#dispatch('onDelete', old);
    }
    this.#rv = rv;
    if (!this.#synced) {
      this.#synced = true;
      this.#log.v(2).info('Informer synced', { objects: this.#cache.size, resourceVersion: rv });
      for (const w of [...this.#syncWaiters]) w();
    }
  }

  // ---- watch -----------------------------------------------------------------------------------

  async #watch(signal: AbortSignal, backoff: Backoff): Promise<WatchOutcome> {
    const started = this.#clock.now();
    let events = 0;
    try {
      const stream = this.#client.watch<T>(
        this.resource,
        {
          ...this.#listOptions,
          resourceVersion: this.#rv,
          allowWatchBookmarks: true,
          timeoutSeconds: this.#watchTimeout(),
        },
        signal,
      );
      for await (const ev of stream) {
        if (events++ === 0) backoff.reset();
        const outcome = this.#handle(ev);
        if (outcome) return outcome;
      }
    } catch (e) {
      if (signal.aborted) return 'closed';
      if (isExpired(e)) return 'expired';
      this.#log.warn('Watch failed, reconnecting', { ...errFields(e), resourceVersion: this.#rv });
      return 'failed';
    }
    if (events === 0 && this.#clock.now() - started < shortWatchMs) {
      this.#log.v(2).info('Watch closed at once, backing off', { resourceVersion: this.#rv });
      return 'failed';
    }
    return 'closed';
  }

  /** Applies one watch event; returns an outcome when the watch must end. */
  #handle(ev: WatchEvent<T>): WatchOutcome | undefined {
    switch (ev.type) {
      case 'ERROR': {
        const status = ev.object as unknown as Partial<Status>;
        if (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone')
          return 'expired';
        this.#log.warn('Watch error event, reconnecting', {
          code: status.code,
          reason: status.reason,
          err: status.message,
        });
        return 'failed';
      }
      case 'BOOKMARK':
        break;
      case 'ADDED':
      case 'MODIFIED': {
        const obj = this.#typed(ev.object);
        this.#upsert(obj, objectKey(obj));
        break;
      }
      case 'DELETED': {
        const obj = this.#typed(ev.object);
        this.#cache.delete(objectKey(obj));
        // Handlers get the final state the server sent with the deletion.
        this.#dispatch('onDelete', obj);
        break;
      }
    }
    const rv = ev.object.metadata.resourceVersion;
    if (rv) this.#rv = rv;
    return undefined;
  }

  #upsert(obj: T, key: string): void {
    const old = this.#cache.getByKey(key);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    this.#cache.set(obj);
    if (old) this.#dispatch('onUpdate', old, obj);
    else this.#dispatch('onAdd', obj);
  }

  // ---- handlers --------------------------------------------------------------------------------

  #dispatch(kind: 'onAdd' | 'onDelete', obj: T): void;
  #dispatch(kind: 'onUpdate', old: T, obj: T): void;
  #dispatch(kind: keyof EventHandlers<T>, a: T, b?: T): void {
    for (const h of this.#handlers) this.#call(h, kind, a, b);
  }

  #call(h: EventHandlers<T>, kind: keyof EventHandlers<T>, a: T, b?: T): void {
    try {
      if (kind === 'onUpdate') h.onUpdate?.(a, b ?? a);
      else if (kind === 'onAdd') h.onAdd?.(a);
      else h.onDelete?.(a);
    } catch (e) {
      this.#log.error(e, 'Event handler failed', { event: kind, key: objectKey(b ?? a) });
    }
  }

  async #resyncLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleepUnlessAborted(this.#clock, this.#resyncMs, signal);
      if (signal.aborted || !this.#synced) continue;
      for (const o of this.#cache.list()) this.#dispatch('onUpdate', o, o);
    }
  }

  /** List items come without kind and apiVersion; handlers (and event recorders) want them. */
  #typed(obj: T): T {
    obj.kind ??= this.resource.kind;
    obj.apiVersion ??= apiVersionOf(this.resource);
    return this.#transform ? this.#transform(obj) : obj;
  }
}

function errFields(e: unknown): Record<string, unknown> {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { err: e.message, ...(typeof code === 'string' ? { errCode: code } : {}) };
  }
  return { err: String(e) };
}

/**
 * The watch caches of every stored resource, fed by ONE store watch on `/registry/`. One watch
 * for everything means the cache always knows the store's revision (every write the API server
 * makes is under `/registry/`), so a consistent list only waits until the cache has seen the
 * revision the store reports, then answers from memory.
 *
 * At start the whole prefix is listed at one revision R; the watch then starts a little before
 * R (when the store still has that history) so that clients re-watching after a restart from a
 * resourceVersion shortly before R are served instead of getting 410 and relisting.
 *
 * If the store watch breaks (the store dropped us as a slow watcher, or it was compacted under
 * us), every cache is relisted and every watcher closed: clients re-watch from their last
 * resourceVersion, or relist on 410, exactly as after a kube-apiserver watch cache re-init.
 */
import type { ResourceType } from '../../api/scheme.js';
import { isAbortError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log/logger.js';
import { CompactedError, type KeyValue, type Store, type StoreEvent } from '../../storage/store.js';
import { decodeObject } from '../registry/codec.js';
import { registryPrefix, resourcePrefix } from '../registry/keys.js';
import { ResourceCache } from './cache.js';
import { CachedObject, type CacheEvent } from './types.js';

export interface CacheSetOptions {
  readonly store: Store;
  /** Stored resources (storage versions only). */
  readonly resources: readonly ResourceType[];
  readonly logger: Logger;
  /** Events remembered per resource for watches from an older resourceVersion. */
  readonly historySize?: number;
  /** How many revisions before the start to replay into the history, if the store has them. */
  readonly prefillRevisions?: number;
}

const pageSize = 5000;

export class CacheSet {
  readonly #store: Store;
  readonly #log: Logger;
  readonly #caches = new Map<string, ResourceCache>();
  readonly #prefill: number;
  #revision = 0;
  #ready = false;
  readonly #waiters: { revision: number; resolve: () => void }[] = [];
  /** Notified after each batch of events is applied (bookmark timers, tests). */
  readonly #listeners = new Set<(revision: number) => void>();

  constructor(options: CacheSetOptions) {
    this.#store = options.store;
    this.#log = options.logger;
    this.#prefill = options.prefillRevisions ?? 1000;
    for (const rt of options.resources) {
      const prefix = resourcePrefix(rt);
      this.#caches.set(prefix, new ResourceCache(rt, prefix, options.historySize ?? 2000));
    }
  }

  /** The revision of the last event applied (or of the initial list). */
  get revision(): number {
    return this.#revision;
  }
  get ready(): boolean {
    return this.#ready;
  }

  /** The cache of a stored resource. */
  for(rt: ResourceType): ResourceCache {
    const c = this.#caches.get(resourcePrefix(rt));
    if (!c) throw new Error(`no watch cache for ${rt.group}/${rt.resource}`);
    return c;
  }

  caches(): IterableIterator<ResourceCache> {
    return this.#caches.values();
  }

  #cacheOfKey(key: string): ResourceCache | undefined {
    // /registry/<group>/<resource>/…
    const third = key.indexOf('/', registryPrefix.length);
    const fourth = third < 0 ? -1 : key.indexOf('/', third + 1);
    return fourth < 0 ? undefined : this.#caches.get(key.slice(0, fourth + 1));
  }

  /** Lists everything, then keeps the caches current until the signal aborts. Resolves once the first list is in. */
  async start(signal: AbortSignal): Promise<void> {
    const first = await this.#relist();
    this.#ready = true;
    void this.#run(first, signal);
  }

  async #relist(): Promise<number> {
    const byCache = new Map<ResourceCache, CachedObject[]>();
    for (const c of this.#caches.values()) byCache.set(c, []);
    let revision: number | undefined;
    let startAfter: string | undefined;
    for (;;) {
      const page = await this.#store.list(registryPrefix, {
        limit: pageSize,
        ...(revision !== undefined ? { revision } : {}),
        ...(startAfter !== undefined ? { startAfter } : {}),
      });
      revision ??= page.revision;
      for (const kv of page.items) {
        const c = this.#cacheOfKey(kv.key);
        if (c) byCache.get(c)?.push(new CachedObject(kv.key, decodeObject(kv)));
      }
      const last = page.items[page.items.length - 1];
      if (page.remaining === 0 || !last) break;
      startAfter = last.key;
    }
    for (const [c, objs] of byCache) c.reset(objs, revision);
    this.#setRevision(revision);
    return revision;
  }

  async #run(listedAt: number, signal: AbortSignal): Promise<void> {
    let base = listedAt;
    let from = Math.max(0, listedAt - this.#prefill);
    let prefilled = from >= base;
    while (!signal.aborted) {
      try {
        for await (const batch of this.#store.watch(registryPrefix, from, signal)) {
          for (const ev of batch) this.#applyStoreEvent(ev, base);
          const last = batch[batch.length - 1];
          if (!last) continue;
          const rev = eventRevision(last);
          if (!prefilled && rev >= base) {
            // Every event after the watch's start is in the history now.
            prefilled = true;
            for (const c of this.#caches.values()) c.lowerFloor(from);
          }
          from = rev;
          if (rev > this.#revision) this.#setRevision(rev);
        }
        if (signal.aborted) break;
        throw new Error('store watch ended');
      } catch (e) {
        if (signal.aborted || isAbortError(e)) break;
        if (e instanceof CompactedError && !prefilled && from < base) {
          // The store no longer has all the history we wanted: take what it has.
          from = Math.min(base, Math.max(from + 1, e.compactRevision));
          prefilled = from >= base;
          continue;
        }
        this.#log.warn('Store watch broke; relisting every resource', {
          err: e instanceof Error ? e.message : String(e),
        });
        try {
          base = await this.#relist();
          from = base;
          prefilled = true;
        } catch (e2) {
          if (signal.aborted) break;
          this.#log.error(e2, 'Relist failed; retrying');
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    }
    for (const c of this.#caches.values()) c.closeWatchers();
  }

  #applyStoreEvent(ev: StoreEvent, base: number): void {
    const key = ev.type === 'delete' ? ev.prev.key : ev.kv.key;
    const cache = this.#cacheOfKey(key);
    if (!cache) return;
    const revision = eventRevision(ev);
    let out: CacheEvent;
    switch (ev.type) {
      case 'create':
        out = { type: 'ADDED', revision, key, object: new CachedObject(key, decodeObject(ev.kv)) };
        break;
      case 'update':
        out = {
          type: 'MODIFIED',
          revision,
          key,
          object: new CachedObject(key, decodeObject(ev.kv)),
          prev: this.#prevOf(cache, key, ev.prev),
        };
        break;
      case 'delete': {
        const prev = this.#prevOf(cache, key, ev.prev);
        out = { type: 'DELETED', revision, key, object: prev.withResourceVersion(revision), prev };
        break;
      }
    }
    if (revision <= base) cache.addHistory(out);
    else cache.apply(out);
  }

  /** The object before an event: the cached one when it is that revision (no decoding). */
  #prevOf(cache: ResourceCache, key: string, prev: KeyValue): CachedObject {
    const cur = cache.get(key);
    if (cur && cur.obj.metadata.resourceVersion === String(prev.modRevision)) return cur;
    return new CachedObject(key, decodeObject(prev));
  }

  #setRevision(revision: number): void {
    this.#revision = revision;
    if (this.#waiters.length > 0) {
      for (let i = this.#waiters.length - 1; i >= 0; i--) {
        const w = this.#waiters[i] as { revision: number; resolve: () => void };
        if (w.revision <= revision) {
          this.#waiters.splice(i, 1);
          w.resolve();
        }
      }
    }
    for (const l of this.#listeners) l(revision);
  }

  /** Resolves true once the cache has seen `revision`, false after `timeoutMs`. */
  waitForRevision(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.#revision >= revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        revision,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Called with the new revision after every applied batch. Returns an unsubscribe function. */
  onRevision(fn: (revision: number) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
}

function eventRevision(ev: StoreEvent): number {
  return ev.type === 'delete' ? ev.revision : ev.kv.modRevision;
}

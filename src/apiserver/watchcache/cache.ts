/**
 * The cached state of one resource: every object by key, a ring of recent events, and the
 * watchers fed from it. Lists and watches of a resource are served from here, so 100 watchers
 * cost one store watch and a 10k list costs no store read (kube-apiserver's watch cache).
 */
import type { ResourceType } from '../../api/scheme.js';
import { CacheWatcher, type WatcherOptions } from './watcher.js';
import { filterMatches, type CachedObject, type CacheEvent, type ObjectFilter } from './types.js';

export interface ListFromCache {
  readonly items: CachedObject[];
  /** Objects matching the filter after the returned page. */
  readonly remaining: number;
  /** The key of the last item returned, when more remain. */
  readonly lastKey?: string;
}

export class ResourceCache {
  readonly rt: ResourceType;
  readonly prefix: string;
  readonly #objects = new Map<string, CachedObject>();
  #sorted: string[] | undefined;
  readonly #history: CacheEvent[] = [];
  readonly #historySize: number;
  /** Watches from a resourceVersion at or above the floor are served from the history. */
  #baseFloor = 0;
  /** The newest revision pushed out of the history ring. */
  #dropped = 0;
  /** Revision of the last change to this resource (continue tokens stay valid until it moves). */
  #lastChange = 0;
  readonly #watchers = new Set<CacheWatcher>();

  constructor(rt: ResourceType, prefix: string, historySize: number) {
    this.rt = rt;
    this.prefix = prefix;
    this.#historySize = historySize;
  }

  get size(): number {
    return this.#objects.size;
  }
  get floor(): number {
    return Math.max(this.#baseFloor, this.#dropped);
  }
  get lastChange(): number {
    return this.#lastChange;
  }
  get watcherCount(): number {
    return this.#watchers.size;
  }

  /** Replaces the whole state (initial list or relist). Existing watchers are closed. */
  reset(objects: readonly CachedObject[], revision: number): void {
    for (const w of [...this.#watchers]) w.close();
    this.#objects.clear();
    for (const o of objects) this.#objects.set(o.key, o);
    this.#sorted = undefined;
    this.#history.length = 0;
    this.#baseFloor = revision;
    this.#dropped = 0;
    this.#lastChange = revision;
  }

  /** Records an event that happened before the state the cache holds (history prefill). */
  addHistory(ev: CacheEvent): void {
    this.#pushHistory(ev);
  }

  /** The history now holds every event after `revision` (prefill complete). */
  lowerFloor(revision: number): void {
    this.#baseFloor = Math.min(this.#baseFloor, revision);
  }

  /** Applies a live event: state, history, watchers. */
  apply(ev: CacheEvent): void {
    if (ev.type === 'DELETED') {
      if (this.#objects.delete(ev.key)) this.#sorted = undefined;
    } else {
      if (!this.#objects.has(ev.key)) this.#sorted = undefined;
      this.#objects.set(ev.key, ev.object);
    }
    this.#lastChange = ev.revision;
    this.#pushHistory(ev);
    for (const w of this.#watchers) w.push(ev);
  }

  #pushHistory(ev: CacheEvent): void {
    this.#history.push(ev);
    if (this.#history.length > this.#historySize) {
      const dropped = this.#history.splice(0, this.#history.length - this.#historySize);
      const last = dropped[dropped.length - 1];
      if (last) this.#dropped = Math.max(this.#dropped, last.revision);
    }
  }

  get(key: string): CachedObject | undefined {
    return this.#objects.get(key);
  }

  #sortedKeys(): string[] {
    this.#sorted ??= [...this.#objects.keys()].sort();
    return this.#sorted;
  }

  /** Index of the first key >= `key` (binary search). */
  #lowerBound(keys: readonly string[], key: string): number {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((keys[mid] as string) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Objects matching `filter` in key order, after `startAfter`, at most `limit`. */
  list(filter: ObjectFilter, options: { startAfter?: string; limit?: number } = {}): ListFromCache {
    const keys = this.#sortedKeys();
    let i = this.#lowerBound(keys, filter.prefix);
    if (options.startAfter !== undefined && options.startAfter >= filter.prefix) {
      i = this.#lowerBound(keys, options.startAfter);
      if (keys[i] === options.startAfter) i++;
    }
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const items: CachedObject[] = [];
    let remaining = 0;
    let lastKey: string | undefined;
    for (; i < keys.length; i++) {
      const key = keys[i] as string;
      if (!key.startsWith(filter.prefix)) break;
      const o = this.#objects.get(key) as CachedObject;
      if (filter.matches !== undefined && !filter.matches(o.obj)) continue;
      if (items.length < limit) {
        items.push(o);
        lastKey = key;
      } else remaining++;
    }
    return remaining > 0 && lastKey !== undefined
      ? { items, remaining, lastKey }
      : { items, remaining };
  }

  /**
   * Registers a watcher. `fromRevision` undefined = initial snapshot then live; a number = every
   * event after it (the caller checked it is not below the floor).
   */
  watch(
    options: Omit<WatcherOptions, 'initial' | 'replay' | 'startRevision' | 'onClose'> & {
      readonly fromRevision: number | undefined;
      /** The cache's current revision (start of live events for a snapshot). */
      readonly currentRevision: number;
      /** Mark the end of the initial events with a BOOKMARK (sendInitialEvents). */
      readonly initialEventsEnd?: boolean;
    },
  ): CacheWatcher {
    const base = {
      filter: options.filter,
      maxQueue: options.maxQueue,
      signal: options.signal,
      onClose: (w: CacheWatcher) => this.#watchers.delete(w),
    };
    let w: CacheWatcher;
    if (options.fromRevision === undefined) {
      w = new CacheWatcher({
        ...base,
        initial: this.list(options.filter).items,
        startRevision: options.currentRevision,
        ...(options.initialEventsEnd ? { initialEventsEnd: true } : {}),
      });
    } else {
      const from = options.fromRevision;
      w = new CacheWatcher({
        ...base,
        replay: this.#history.filter((ev) => ev.revision > from),
        startRevision: from,
      });
    }
    if (!w.closed) this.#watchers.add(w);
    return w;
  }

  /** Sends a BOOKMARK at `revision` to every watcher that asked for bookmarks. */
  bookmark(revision: number, wants: (w: CacheWatcher) => boolean): void {
    for (const w of this.#watchers) if (wants(w)) w.bookmark(revision);
  }

  /** Closes every watcher (shutdown, or a relist after the store watch broke). */
  closeWatchers(): void {
    for (const w of [...this.#watchers]) w.close();
  }

  /** Whether an object under `filter` exists (cheap check without building a list). */
  some(filter: ObjectFilter): boolean {
    for (const o of this.#objects.values()) if (filterMatches(filter, o)) return true;
    return false;
  }
}

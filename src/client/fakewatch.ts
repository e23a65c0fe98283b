/**
 * The watch half of FakeClient: an event log per client (replayed for watches that start from a
 * resourceVersion), live fan-out to open watches, selector transitions (an object that stops
 * matching a watch's selector is DELETED for it, one that starts matching is ADDED), bookmarks,
 * compaction (410 Expired) and server-side closing.
 */
import { badRequest, expired } from '../api/meta/status.js';
import type { KubeObject, WatchEvent, WatchEventType } from '../api/meta/types.js';
import { apiVersionOf, type ResourceType } from '../api/scheme.js';
import type { Clock } from '../lib/clock.js';
import { compileFilter, type ObjectFilter } from './selection.js';
import type { WatchOptions } from './types.js';

interface Entry {
  readonly rv: number;
  readonly resource: string;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: KubeObject;
  readonly old: KubeObject | undefined;
}

function rtKey(rt: ResourceType): string {
  return `${rt.group}/${rt.resource}`;
}

class Watcher {
  readonly resource: string;
  readonly filter: ObjectFilter;
  readonly bookmarks: boolean;
  readonly rt: ResourceType;
  readonly #queue: WatchEvent[] = [];
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(rt: ResourceType, filter: ObjectFilter, bookmarks: boolean) {
    this.rt = rt;
    this.resource = rtKey(rt);
    this.filter = filter;
    this.bookmarks = bookmarks;
  }

  push(type: WatchEventType, object: KubeObject): void {
    if (this.#closed) return;
    this.#queue.push({ type, object: structuredClone(object) });
    this.#wake?.();
  }

  /** Translates a change into what this watch sees, given its selectors. */
  deliver(e: Entry): void {
    const now = e.type !== 'DELETED' && this.filter.matches(e.object);
    const before = e.old !== undefined && this.filter.matches(e.old);
    if (e.type === 'DELETED') {
      if (before || this.filter.matches(e.object)) this.push('DELETED', e.object);
    } else if (now && before) this.push('MODIFIED', e.object);
    else if (now) this.push('ADDED', e.object);
    else if (before) this.push('DELETED', e.object);
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  /** The next event, or undefined once closed (and drained) or aborted. */
  async next(signal: AbortSignal): Promise<WatchEvent | undefined> {
    for (;;) {
      const ev = this.#queue.shift();
      if (ev) return ev;
      if (this.#closed || signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          this.#wake = undefined;
          resolve();
        };
        this.#wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }
}

export class FakeWatchHub {
  readonly #clock: Clock;
  readonly #current: (rt: ResourceType) => readonly KubeObject[];
  readonly #log: Entry[] = [];
  readonly #watchers = new Set<Watcher>();
  #compacted = 0;

  constructor(options: { clock: Clock; current: (rt: ResourceType) => readonly KubeObject[] }) {
    this.#clock = options.clock;
    this.#current = options.current;
  }

  emit(
    rt: ResourceType,
    type: Entry['type'],
    object: KubeObject,
    old: KubeObject | undefined,
    rv: number,
  ): void {
    const e: Entry = {
      rv,
      resource: rtKey(rt),
      type,
      object: structuredClone(object),
      old: old ? structuredClone(old) : undefined,
    };
    this.#log.push(e);
    for (const w of this.#watchers) if (w.resource === e.resource) w.deliver(e);
  }

  compact(rv: number): void {
    this.#compacted = Math.max(this.#compacted, rv);
    let drop = 0;
    while (drop < this.#log.length && (this.#log[drop]?.rv ?? Infinity) <= this.#compacted) drop++;
    this.#log.splice(0, drop);
  }

  bookmark(rv: string): void {
    for (const w of this.#watchers) {
      if (!w.bookmarks) continue;
      w.push('BOOKMARK', {
        apiVersion: apiVersionOf(w.rt),
        kind: w.rt.kind,
        metadata: { resourceVersion: rv, annotations: { 'k8s.io/initial-events-end': 'true' } },
      });
    }
  }

  closeAll(): void {
    for (const w of this.#watchers) w.close();
  }

  open(): number {
    return this.#watchers.size;
  }

  watch<T extends KubeObject>(
    rt: ResourceType,
    options: WatchOptions,
    signal: AbortSignal,
  ): AsyncIterable<WatchEvent<T>> {
    return this.#stream(rt, options, signal) as AsyncIterable<WatchEvent<T>>;
  }

  async *#stream(
    rt: ResourceType,
    options: WatchOptions,
    signal: AbortSignal,
  ): AsyncGenerator<WatchEvent> {
    if (signal.aborted) return;
    const w = new Watcher(rt, compileFilter(options), options.allowWatchBookmarks === true);
    const from = options.resourceVersion;
    if (from === undefined || from === '' || from === '0') {
      // "Get state and start at most recent": synthetic ADDED for what exists now.
      for (const o of this.#current(rt)) if (w.filter.matches(o)) w.push('ADDED', o);
    } else {
      const n = Number(from);
      if (!Number.isSafeInteger(n) || n < 0)
        throw badRequest(`resourceVersion: Invalid value: "${from}": must be an integer`);
      if (n < this.#compacted) {
        yield {
          type: 'ERROR',
          object: expired(`too old resource version: ${n} (${this.#compacted})`).status,
        };
        return;
      }
      for (const e of this.#log) if (e.resource === w.resource && e.rv > n) w.deliver(e);
    }
    this.#watchers.add(w);
    const timer = new AbortController();
    if (options.timeoutSeconds !== undefined && options.timeoutSeconds > 0) {
      this.#clock.sleep(options.timeoutSeconds * 1000, timer.signal).then(
        () => w.close(),
        () => undefined,
      );
    }
    try {
      for (;;) {
        const ev = await w.next(signal);
        if (!ev) return;
        yield ev;
      }
    } finally {
      this.#watchers.delete(w);
      timer.abort();
    }
  }
}

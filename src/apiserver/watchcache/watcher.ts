/**
 * One watch served from the cache: an optional initial snapshot (synthetic ADDED events), then
 * the live events that pass its filter, with kube's enter/leave rule: an object that starts
 * matching arrives as ADDED, one that stops matching as DELETED (its previous state, carrying
 * the new resourceVersion). A watcher that falls too far behind is closed rather than waited for
 * (kube's cacheWatcher does the same); its client re-watches from the last resourceVersion it saw.
 */
import {
  filterMatches,
  type CachedObject,
  type CacheEvent,
  type ObjectFilter,
  type WatchOutput,
} from './types.js';

export interface WatcherOptions {
  readonly filter: ObjectFilter;
  /** Synthetic ADDED events sent first (watch without resourceVersion, or "0"). */
  readonly initial?: readonly CachedObject[];
  /** After the initial events, a BOOKMARK marking their end (watch-list, sendInitialEvents). */
  readonly initialEventsEnd?: boolean;
  /** Replayed history (events after the requested resourceVersion). */
  readonly replay?: readonly CacheEvent[];
  /** Events at or below this revision are skipped (already covered by initial/replay). */
  readonly startRevision: number;
  /** Most events queued before the watcher is closed as too slow. */
  readonly maxQueue: number;
  readonly signal: AbortSignal;
  /** Called once when the watcher ends for any reason (to unregister it). */
  readonly onClose: (w: CacheWatcher) => void;
}

export class CacheWatcher implements AsyncIterable<WatchOutput> {
  readonly filter: ObjectFilter;
  readonly #queue: WatchOutput[] = [];
  #head = 0;
  readonly #initial: readonly CachedObject[];
  readonly #initialEnd: boolean;
  #startRevision: number;
  readonly #maxQueue: number;
  #closed = false;
  #wake: (() => void) | undefined;
  readonly #onClose: (w: CacheWatcher) => void;
  readonly #signal: AbortSignal;
  readonly #onAbort = (): void => this.close();

  constructor(options: WatcherOptions) {
    this.filter = options.filter;
    this.#initial = options.initial ?? [];
    this.#initialEnd = options.initialEventsEnd ?? false;
    this.#startRevision = options.startRevision;
    this.#maxQueue = options.maxQueue;
    this.#onClose = options.onClose;
    this.#signal = options.signal;
    for (const ev of options.replay ?? []) this.push(ev);
    if (options.signal.aborted) this.close();
    else options.signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Offers one event; called synchronously by the cache in revision order. */
  push(ev: CacheEvent): void {
    if (this.#closed || ev.revision <= this.#startRevision) return;
    const out = this.#translate(ev);
    if (out) this.#enqueue(out);
  }

  /** Queues a BOOKMARK at `revision` (every event up to it has been queued). */
  bookmark(revision: number): void {
    if (!this.#closed) this.#enqueue({ type: 'BOOKMARK', revision });
  }

  /** Queues an ERROR event and closes (e.g. 410 Expired). */
  fail(output: Extract<WatchOutput, { type: 'ERROR' }>): void {
    if (this.#closed) return;
    this.#queue.push(output);
    this.close();
  }

  /** Ends the stream after what is queued. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#signal.removeEventListener('abort', this.#onAbort);
    this.#onClose(this);
    this.#wake?.();
  }

  #translate(ev: CacheEvent): WatchOutput | undefined {
    const f = this.filter;
    const cur = ev.type !== 'DELETED' && filterMatches(f, ev.object);
    const old = ev.prev !== undefined && filterMatches(f, ev.prev);
    switch (ev.type) {
      case 'ADDED':
        return cur ? { type: 'ADDED', object: ev.object } : undefined;
      case 'DELETED':
        return old ? { type: 'DELETED', object: ev.object } : undefined;
      case 'MODIFIED':
        if (cur && old) return { type: 'MODIFIED', object: ev.object };
        if (cur) return { type: 'ADDED', object: ev.object };
        if (old && ev.prev)
          return { type: 'DELETED', object: ev.prev.withResourceVersion(ev.revision) };
        return undefined;
    }
  }

  #enqueue(out: WatchOutput): void {
    if (this.#queue.length - this.#head >= this.#maxQueue) {
      // Too slow: stop here. The client re-watches from the last resourceVersion it received.
      this.close();
      return;
    }
    this.#queue.push(out);
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchOutput> {
    try {
      for (const o of this.#initial) {
        if (this.#signal.aborted) return;
        yield { type: 'ADDED', object: o };
      }
      if (this.#initialEnd)
        yield { type: 'BOOKMARK', revision: this.#startRevision, initialEventsEnd: true };
      for (;;) {
        while (this.#head < this.#queue.length) {
          const out = this.#queue[this.#head] as WatchOutput;
          this.#head++;
          if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
            this.#queue.splice(0, this.#head);
            this.#head = 0;
          }
          yield out;
        }
        if (this.#closed || this.#signal.aborted) return;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
      }
    } finally {
      this.close();
    }
  }
}

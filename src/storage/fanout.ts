/**
 * Watcher fan-out for the backends that produce their own event stream (memory, sqlite).
 *
 * The writer publishes each committed batch once; every watcher whose prefix matches gets the
 * events in its own bounded buffer. Publishing never waits for a watcher: a watcher whose buffer
 * would exceed `bufferSize` events is closed with WatchClosedError and its buffer freed, while
 * the others carry on. This is kube-apiserver's cacher rule (a watcher that cannot keep up is
 * terminated, never allowed to block the dispatch loop, see `cacheWatcher.add` in
 * staging/src/k8s.io/apiserver/pkg/storage/cacher) without its bounded wait: the consumer re-lists
 * or resumes from the last revision it saw, exactly as after an HTTP 410.
 */
import { eventKey, eventRevision } from './keys.js';
import { CompactedError, WatchClosedError } from './store.js';
import type { StoreEvent, StoreWatch } from './store.js';

/** Default most events a watcher may have waiting before it is closed. */
export const defaultWatchBufferSize = 10_000;

export interface FanoutOptions {
  /** Most events a watcher may have waiting before it is closed; default 10,000. */
  readonly bufferSize?: number;
}

/** One registered watcher: a bounded queue of event batches. */
export class Subscription {
  readonly prefix: string;
  /** Events with a revision at or below this one are never delivered by this subscription. */
  readonly startRevision: number;
  readonly #fanout: Fanout;
  readonly #capacity: number;
  #queue: (readonly StoreEvent[])[] = [];
  #pending = 0;
  #failure: Error | undefined;
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(fanout: Fanout, prefix: string, startRevision: number, capacity: number) {
    this.#fanout = fanout;
    this.prefix = prefix;
    this.startRevision = startRevision;
    this.#capacity = capacity;
  }

  /** Events waiting to be taken. */
  get pending(): number {
    return this.#pending;
  }

  /** Called by the fan-out only. */
  offer(batch: readonly StoreEvent[]): void {
    if (this.#ended || this.#failure) return;
    const mine = batch.filter(
      (e) => eventRevision(e) > this.startRevision && eventKey(e).startsWith(this.prefix),
    );
    if (mine.length === 0) return;
    if (this.#pending + mine.length > this.#capacity) {
      this.fail(
        new WatchClosedError(
          `watcher on ${JSON.stringify(this.prefix)} fell behind (more than ${this.#capacity} events waiting)`,
        ),
      );
      return;
    }
    this.#queue.push(mine);
    this.#pending += mine.length;
    this.#signal();
  }

  /** Ends the subscription with an error that the next `take` throws; frees the buffer. */
  fail(err: Error): void {
    if (this.#ended || this.#failure) return;
    this.#failure = err;
    this.#queue = [];
    this.#pending = 0;
    this.#fanout.remove(this);
    this.#signal();
  }

  /** Ends the subscription quietly: `take` returns undefined from now on. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#queue = [];
    this.#pending = 0;
    this.#fanout.remove(this);
    this.#signal();
  }

  /**
   * Waits for events and returns everything waiting as one batch, or undefined once the
   * subscription ended or the signal fired.
   * @throws WatchClosedError (or the error given to `fail`)
   */
  async take(signal: AbortSignal): Promise<readonly StoreEvent[] | undefined> {
    for (;;) {
      if (this.#failure) throw this.#failure;
      if (this.#ended || signal.aborted) return undefined;
      if (this.#queue.length > 0) {
        const batches = this.#queue;
        this.#queue = [];
        this.#pending = 0;
        return batches.length === 1 ? (batches[0] ?? []) : batches.flat();
      }
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        this.#wake = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** Distributes committed events to watchers; see the module comment for the rules. */
export class Fanout {
  readonly #subs = new Set<Subscription>();
  readonly #capacity: number;
  #revision: number;

  /** `revision` is the latest revision already committed when the fan-out starts. */
  constructor(revision: number, options: FanoutOptions = {}) {
    this.#revision = revision;
    this.#capacity = options.bufferSize ?? defaultWatchBufferSize;
  }

  /** The revision of the last event published (or the starting revision). */
  get revision(): number {
    return this.#revision;
  }

  /** Number of live watchers. */
  get size(): number {
    return this.#subs.size;
  }

  /**
   * Registers a watcher for events published from now on, i.e. with a revision above the
   * current `revision` (and above `afterRevision`).
   */
  subscribe(prefix: string, afterRevision: number): Subscription {
    const sub = new Subscription(
      this,
      prefix,
      Math.max(afterRevision, this.#revision),
      this.#capacity,
    );
    this.#subs.add(sub);
    return sub;
  }

  /**
   * Hands one committed batch (in revision order, every revision above the last published one)
   * to every watcher. Never blocks: slow watchers are closed.
   */
  publish(events: readonly StoreEvent[]): void {
    const last = events[events.length - 1];
    if (last === undefined) return;
    this.#revision = Math.max(this.#revision, eventRevision(last));
    for (const sub of this.#subs) sub.offer(events);
  }

  /** Moves the revision forward without events (writes that no watcher may see). */
  advance(revision: number): void {
    this.#revision = Math.max(this.#revision, revision);
  }

  /** Called by a subscription when it ends. */
  remove(sub: Subscription): void {
    this.#subs.delete(sub);
  }

  /** Fails every watcher with `err` (used when the store closes). */
  closeAll(err: Error): void {
    for (const sub of [...this.#subs]) sub.fail(err);
  }
}

export interface WatchStreamOptions {
  readonly fanout: Fanout;
  readonly prefix: string;
  readonly afterRevision: number;
  readonly signal: AbortSignal;
  /** The store's compact revision now; the watch fails when afterRevision is below it. */
  readonly compactRevision: () => number;
  /**
   * Stored events under the prefix with afterRevision < revision <= upTo, in order. Called
   * synchronously right after the live subscription is registered, so that nothing falls
   * between the two; it may yield lazily (page by page) and throw CompactedError.
   */
  readonly replay: (
    afterRevision: number,
    upTo: number,
  ) => Iterable<readonly StoreEvent[]> | AsyncIterable<readonly StoreEvent[]>;
}

/**
 * Builds a StoreWatch from stored history plus the live fan-out. Nothing happens until the
 * first iteration, which throws CompactedError when afterRevision is compacted.
 * @throws CompactedError, WatchClosedError
 */
export async function* watchStream(options: WatchStreamOptions): StoreWatch {
  const { fanout, prefix, afterRevision, signal } = options;
  if (signal.aborted) return;
  const compacted = options.compactRevision();
  if (afterRevision < compacted) throw new CompactedError(afterRevision, compacted);
  const sub = fanout.subscribe(prefix, afterRevision);
  try {
    if (afterRevision < sub.startRevision) {
      for await (const batch of options.replay(afterRevision, sub.startRevision)) {
        if (signal.aborted) return;
        if (batch.length > 0) yield batch;
      }
    }
    for (;;) {
      const batch = await sub.take(signal);
      if (batch === undefined) return;
      yield batch;
    }
  } finally {
    sub.end();
  }
}

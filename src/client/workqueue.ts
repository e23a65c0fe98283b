/**
 * The controller work queue, with client-go's workqueue semantics:
 *  - a key is queued at most once however often it is added ("dirty" set);
 *  - a key being processed is never handed to a second worker: re-added meanwhile, it is queued
 *    again only when the first worker calls `done`;
 *  - `addAfter` delays an add (the earliest pending time per key wins);
 *  - `addRateLimited` delays by the per-key exponential backoff of client-go's default controller
 *    rate limiter, 5 ms · 2^failures capped at 1000 s, combined (max) with an overall token
 *    bucket of 10 retries/s, burst 100; `forget` resets a key's failures;
 *  - after `shutDown`, adds are ignored, queued keys are still handed out, and `get` then
 *    resolves undefined.
 * Time comes from the injected Clock, so tests drive delays with a FakeClock.
 */
import { realClock, type Clock } from '../lib/clock.js';
import type { Counter, Gauge, Registry } from '../lib/metrics.js';
import { TokenBucket } from './ratelimit.js';
import type { WorkQueue } from './types.js';

export interface WorkQueueOptions {
  /** Names the queue in metrics (`portico_workqueue_depth{name="endpointslice"}`). */
  readonly name: string;
  readonly clock?: Clock;
  /** First per-key retry delay; default 5 ms. */
  readonly baseDelayMs?: number;
  /** Longest per-key retry delay; default 1000 s. */
  readonly maxDelayMs?: number;
  /** Overall retry rate across keys; default 10/s with burst 100; 0 disables. */
  readonly retryQps?: number;
  readonly retryBurst?: number;
  readonly metrics?: Registry;
}

/** A FIFO of strings with O(1) push and shift. */
class Fifo {
  #items: string[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(s: string): void {
    this.#items.push(s);
  }
  shift(): string | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const s = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return s;
  }
}

export class RateLimitedQueue implements WorkQueue {
  readonly name: string;
  readonly #clock: Clock;
  readonly #queue = new Fifo();
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #waiters: (() => void)[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  readonly #failures = new Map<string, number>();
  readonly #delayed = new Map<string, number>();
  readonly #timers = new AbortController();
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #overall: TokenBucket;
  readonly #depth: Gauge | undefined;
  readonly #adds: Counter | undefined;
  readonly #retries: Counter | undefined;
  #shuttingDown = false;

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.#clock = options.clock ?? realClock;
    this.#baseMs = options.baseDelayMs ?? 5;
    this.#maxMs = options.maxDelayMs ?? 1_000_000;
    this.#overall = new TokenBucket({
      qps: options.retryQps ?? 10,
      burst: options.retryBurst ?? 100,
      clock: this.#clock,
    });
    const m = options.metrics;
    this.#depth = m?.gauge('portico_workqueue_depth', 'Keys waiting in a work queue.');
    this.#adds = m?.counter('portico_workqueue_adds_total', 'Keys added to a work queue.');
    this.#retries = m?.counter('portico_workqueue_retries_total', 'Rate-limited re-adds.');
    this.#depth?.set(0, { name: this.name });
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#adds?.inc({ name: this.name });
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.#clock.now() + delayMs;
    const pending = this.#delayed.get(key);
    if (pending !== undefined && pending <= at) return;
    this.#delayed.set(key, at);
    this.#clock.sleep(delayMs, this.#timers.signal).then(
      () => {
        if (this.#delayed.get(key) !== at) return; // superseded by an earlier addAfter
        this.#delayed.delete(key);
        this.add(key);
      },
      () => undefined, // shut down
    );
  }

  addRateLimited(key: string): void {
    this.#retries?.inc({ name: this.name });
    this.addAfter(key, this.when(key));
  }

  /** The delay the next addRateLimited(key) waits, counting it as a failure. */
  when(key: string): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    const perKey = Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(n, 60));
    return Math.max(perKey, this.#overall.reserve());
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  async get(): Promise<string | undefined> {
    for (;;) {
      const key = this.#queue.shift();
      if (key !== undefined) {
        this.#dirty.delete(key);
        this.#processing.add(key);
        this.#depth?.set(this.#queue.length, { name: this.name });
        return key;
      }
      if (this.#shuttingDown) return undefined;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) this.#push(key);
    if (this.#processing.size === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }

  shutDown(): void {
    this.#shuttingDown = true;
    this.#timers.abort();
    this.#delayed.clear();
    for (const w of this.#waiters.splice(0)) w();
  }

  shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  len(): number {
    return this.#queue.length;
  }

  /** Keys handed out and not yet done. */
  processing(): number {
    return this.#processing.size;
  }

  /** Resolves once no key is being processed. */
  idle(): Promise<void> {
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #push(key: string): void {
    this.#queue.push(key);
    this.#depth?.set(this.#queue.length, { name: this.name });
    this.#waiters.shift()?.();
  }
}

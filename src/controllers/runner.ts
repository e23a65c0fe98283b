/**
 * The one worker loop every controller runs (style guide §4.2): a controller author writes a
 * Reconciler (informers, handlers that enqueue keys, a level-triggered `sync(key)`); the runner
 * owns the queue, the workers, retries, metrics and logs.
 *
 *   start    the reconciler registers its handlers on a fresh RateLimitedQueue named after it;
 *            no key is synced before every informer it names has listed once (never act on
 *            partial knowledge).
 *   workers  N loops; a key is never synced by two workers at once (the queue guarantees it).
 *   success  the key's failure count is forgotten.
 *   failure  the key is re-added with per-key backoff (5 ms, 10 ms, 20 ms … capped), logged with
 *            the controller, key and attempt; after `maxRetries` failures it is dropped with an
 *            error line (a later event or resync brings it back), as client-go controllers do.
 *   stop     on abort the queue shuts down, each worker finishes the sync in hand (its signal has
 *            fired) and `run` resolves; keys still queued are abandoned (informers replay them
 *            on the next start).
 */
import type { Informer, WorkQueue } from '../client/types.js';
import { isConflict } from '../client/errors.js';
import { RateLimitedQueue } from '../client/workqueue.js';
import { realClock, type Clock } from '../lib/clock.js';
import { asError, isAbortError } from '../lib/errors.js';
import { discardLogger, type Logger } from '../lib/log/logger.js';
import { exponentialBuckets, type Registry } from '../lib/metrics.js';

/** What a controller author writes. The shared runner owns queue, workers, retries, metrics, logs. */
export interface Reconciler {
  readonly name: string;
  /** Informers whose initial list must be complete before the first sync. */
  readonly informers: readonly Informer<unknown>[];
  /** Connects informer events to keys. Handlers only enqueue; they never write. */
  register(queue: WorkQueue): void;
  /**
   * Level-triggered: read current state from listers, converge, return.
   * Object gone = return normally. Throwing requeues the key with backoff.
   */
  sync(key: string, signal: AbortSignal): Promise<void>;
}

export interface Controller {
  readonly name: string;
  /** Waits for informers to sync, runs `workers` loops until the signal aborts, then drains. */
  run(signal: AbortSignal, workers: number): Promise<void>;
}

export interface ControllerOptions {
  readonly reconciler: Reconciler;
  readonly logger?: Logger;
  readonly metrics?: Registry;
  readonly clock?: Clock;
  /** Failures of one key before it is dropped; default 15 (the EndpointSlice controller's). */
  readonly maxRetries?: number;
  /** Per-key backoff; defaults 5 ms doubling to 1000 s (client-go's controller rate limiter). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * Wraps a Reconciler in the shared runner.
 * @example
 * const c = createController({ reconciler: new EndpointSliceReconciler(...), logger, metrics });
 * await c.run(signal, 5);
 */
export function createController(options: ControllerOptions): Controller {
  return new RunnerController(options);
}

class RunnerController implements Controller {
  readonly name: string;
  readonly #r: Reconciler;
  readonly #options: ControllerOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #maxRetries: number;
  #running = false;

  constructor(options: ControllerOptions) {
    this.#r = options.reconciler;
    this.name = options.reconciler.name;
    this.#options = options;
    this.#log = (options.logger ?? discardLogger).child({ controller: this.name });
    this.#clock = options.clock ?? realClock;
    this.#maxRetries = options.maxRetries ?? 15;
  }

  async run(signal: AbortSignal, workers: number): Promise<void> {
    if (this.#running) throw new Error(`controller ${this.name} is already running`);
    this.#running = true;
    try {
      await this.#run(signal, Math.max(1, Math.floor(workers)));
    } finally {
      this.#running = false;
    }
  }

  async #run(signal: AbortSignal, workers: number): Promise<void> {
    const queue = new RateLimitedQueue({
      name: this.name,
      clock: this.#clock,
      ...(this.#options.metrics ? { metrics: this.#options.metrics } : {}),
      ...(this.#options.baseDelayMs !== undefined
        ? { baseDelayMs: this.#options.baseDelayMs }
        : {}),
      ...(this.#options.maxDelayMs !== undefined ? { maxDelayMs: this.#options.maxDelayMs } : {}),
    });
    const stop = (): void => queue.shutDown();
    signal.addEventListener('abort', stop, { once: true });
    try {
      this.#log.info('Starting controller', { workers });
      this.#r.register(queue);
      const synced = await Promise.all(this.#r.informers.map((i) => i.waitForSync(signal)));
      if (signal.aborted || !synced.every(Boolean)) return;
      this.#log.v(2).info('Caches synced');
      await Promise.all(Array.from({ length: workers }, () => this.#worker(queue, signal)));
    } finally {
      signal.removeEventListener('abort', stop);
      queue.shutDown();
      this.#log.info('Stopped controller');
    }
  }

  async #worker(queue: RateLimitedQueue, signal: AbortSignal): Promise<void> {
    const m = this.#options.metrics;
    const duration = m?.histogram(
      'portico_controller_sync_duration_seconds',
      'Time of one sync(key), by controller and result.',
      exponentialBuckets(0.001, 2, 16),
    );
    const retries = m?.counter(
      'portico_controller_retries_total',
      'Keys requeued after a failed sync.',
    );
    const dropped = m?.counter(
      'portico_controller_dropped_total',
      'Keys given up after too many failed syncs.',
    );
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      if (signal.aborted) {
        queue.done(key);
        return;
      }
      const started = this.#clock.now();
      let result = 'success';
      try {
        await this.#r.sync(key, signal);
        queue.forget(key);
        this.#log.v(4).info('Synced', { key, elapsedMs: this.#clock.now() - started });
      } catch (e) {
        if (signal.aborted && isAbortError(e)) {
          result = 'aborted';
        } else {
          result = 'error';
          const attempts = queue.numRequeues(key) + 1;
          if (attempts <= this.#maxRetries) {
            const fields = { key, attempt: attempts, err: asError(e).message };
            if (isConflict(e)) this.#log.v(2).info('Sync conflicted, retrying', fields);
            else this.#log.warn('Sync failed, retrying', fields);
            retries?.inc({ controller: this.name });
            queue.addRateLimited(key);
          } else {
            this.#log.error(e, 'Sync failed too many times, dropping key', { key, attempts });
            dropped?.inc({ controller: this.name });
            queue.forget(key);
          }
        }
      } finally {
        queue.done(key);
        duration?.observe((this.#clock.now() - started) / 1000, { controller: this.name, result });
      }
    }
  }
}

/**
 * kube-proxy's BoundedFrequencyRunner (pkg/util/async), restated: runs `fn` when asked, but
 * never more often than a token bucket allows (`burst` runs at once, then one per `minInterval`),
 * and at least once per `maxInterval` even when nobody asks (the periodic resync). A failed run
 * asks for a retry with `retryAfter`. Time comes from the injected Clock, so tests drive it.
 *
 * Example with minInterval 1 s, burst 2: changes at t=0, 0.1, 0.2, 0.3 s give runs at 0, 0.1
 * and 1.1 s (the last one covers the changes at 0.2 and 0.3 s).
 */
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log/logger.js';
import { discardLogger } from '../lib/log/logger.js';

export interface RunnerOptions {
  readonly name: string;
  readonly fn: () => Promise<void>;
  readonly minIntervalMs: number;
  readonly maxIntervalMs: number;
  readonly burst: number;
  readonly clock: Clock;
  readonly logger?: Logger;
}

export class BoundedFrequencyRunner {
  readonly #o: RunnerOptions;
  readonly #log: Logger;
  #tokens: number;
  #lastRefill: number;
  #lastRun: number;
  #pending = false;
  #retryAt: number | undefined;
  #kick: AbortController = new AbortController();
  #running = false;
  /** Number of completed runs (tests and metrics). */
  runs = 0;

  constructor(options: RunnerOptions) {
    this.#o = options;
    this.#log = options.logger ?? discardLogger;
    this.#tokens = options.burst;
    this.#lastRefill = options.clock.now();
    this.#lastRun = options.clock.now();
  }

  /** Asks for a run as soon as the rate limit allows. */
  run(): void {
    this.#pending = true;
    this.#kick.abort();
  }

  /** Asks for a run after `ms` (used after a failed run). */
  retryAfter(ms: number): void {
    const at = this.#o.clock.now() + ms;
    if (this.#retryAt === undefined || at < this.#retryAt) this.#retryAt = at;
    this.#kick.abort();
  }

  /** True while `fn` runs. */
  get running(): boolean {
    return this.#running;
  }

  #refill(now: number): void {
    const min = this.#o.minIntervalMs;
    if (min <= 0) {
      this.#tokens = this.#o.burst;
      this.#lastRefill = now;
      return;
    }
    const earned = Math.floor((now - this.#lastRefill) / min);
    if (earned > 0) {
      this.#tokens = Math.min(this.#o.burst, this.#tokens + earned);
      this.#lastRefill = this.#tokens >= this.#o.burst ? now : this.#lastRefill + earned * min;
    }
  }

  /** When the next run is due, or undefined when nothing is. */
  #due(now: number): number {
    let due = this.#lastRun + this.#o.maxIntervalMs;
    if (this.#retryAt !== undefined) due = Math.min(due, this.#retryAt);
    if (this.#pending) due = Math.min(due, now);
    if (this.#tokens < 1) due = Math.max(due, this.#lastRefill + this.#o.minIntervalMs);
    return due;
  }

  /** Runs until the signal aborts. */
  async loop(signal: AbortSignal): Promise<void> {
    const clock = this.#o.clock;
    while (!signal.aborted) {
      const now = clock.now();
      this.#refill(now);
      const due = this.#due(now);
      if (due <= now) {
        if (this.#o.minIntervalMs > 0) this.#tokens--;
        this.#pending = false;
        this.#retryAt = undefined;
        this.#lastRun = now;
        this.#running = true;
        try {
          await this.#o.fn();
        } catch (err) {
          this.#log.error(err, 'Run failed', { runner: this.#o.name });
        } finally {
          this.#running = false;
          this.runs++;
        }
        continue;
      }
      this.#kick = new AbortController();
      try {
        await clock.sleep(due - now, AbortSignal.any([signal, this.#kick.signal]));
      } catch {
        // woken by run(), retryAfter() or the caller's signal
      }
    }
  }
}

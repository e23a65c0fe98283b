/**
 * A Clock for tests: time stands still until the test advances it. Sleeps resolve in deadline
 * order as `advance` passes them, with the microtask and immediate queues drained between timers
 * so that code woken by one timer can schedule the next before time moves on.
 */
import { setImmediate as immediate } from 'node:timers/promises';
import type { Clock } from './clock.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly resolve: () => void;
}

function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  (e as Error & { code: string }).code = 'ABORT_ERR';
  return e;
}

export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Set<Timer>();

  constructor(options: { readonly now?: number } = {}) {
    this.#now = options.now ?? Date.UTC(2024, 0, 1);
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError());
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#timers.delete(timer);
        reject(abortError());
      };
      const timer: Timer = {
        at: this.#now + Math.max(0, ms),
        seq: this.#seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.#timers.add(timer);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Sleeps not yet resolved. */
  pending(): number {
    return this.#timers.size;
  }

  /** The deadline of the earliest pending sleep. */
  nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const t of this.#timers) if (min === undefined || t.at < min) min = t.at;
    return min;
  }

  /** Moves time forward by `ms`, waking every sleep whose deadline is passed, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      let first: Timer | undefined;
      for (const t of this.#timers)
        if (
          t.at <= target &&
          (!first || t.at < first.at || (t.at === first.at && t.seq < first.seq))
        )
          first = t;
      if (!first) break;
      this.#timers.delete(first);
      this.#now = Math.max(this.#now, first.at);
      first.resolve();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /** Advances to the next pending deadline (if any) and fires it. */
  async advanceToNext(): Promise<void> {
    const next = this.nextDeadline();
    if (next !== undefined) await this.advance(next - this.#now);
  }
}

/** Lets promise chains and immediates run (a few rounds: awaits nest). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await immediate();
}

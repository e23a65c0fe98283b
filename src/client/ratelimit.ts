/**
 * Client-side rate limiting: a token bucket like client-go's `flowcontrol.NewTokenBucketRateLimiter`
 * (golang.org/x/time/rate underneath). `qps` tokens are added per second up to `burst`; each
 * request takes one. Waiters reserve their token up front (the balance may go negative), so they
 * are served in arrival order and the long-run rate never exceeds `qps`.
 */
import type { Clock } from '../lib/clock.js';

export interface RateLimiterOptions {
  /** Sustained requests per second; 0 or less disables limiting. */
  readonly qps: number;
  /** Requests allowed at once after an idle period (at least 1). */
  readonly burst: number;
  readonly clock: Clock;
}

export class TokenBucket {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;

  constructor(options: RateLimiterOptions) {
    this.#qps = options.qps;
    this.#burst = Math.max(1, Math.floor(options.burst));
    this.#clock = options.clock;
    this.#tokens = this.#burst;
    this.#last = options.clock.now();
  }

  /** Takes a token now if one is available, without waiting. */
  tryAccept(): boolean {
    if (this.#qps <= 0) return true;
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /**
   * Reserves a token and returns how long the caller must wait before using it (0 = now), for
   * callers that schedule instead of sleeping (the work queue's overall retry limit).
   */
  reserve(): number {
    if (this.#qps <= 0) return 0;
    this.#refill();
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.#qps) * 1000);
  }

  /**
   * Resolves when the caller may send. Rejects with the clock's AbortError when the signal fires
   * first; the reserved token is returned then.
   */
  async wait(signal?: AbortSignal): Promise<void> {
    if (this.#qps <= 0) return;
    this.#refill();
    this.#tokens -= 1;
    if (this.#tokens >= 0) return;
    const waitMs = Math.ceil((-this.#tokens / this.#qps) * 1000);
    try {
      await this.#clock.sleep(waitMs, signal);
    } catch (e) {
      this.#tokens += 1;
      throw e;
    }
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#qps) / 1000);
  }
}

/**
 * Capped exponential backoff with jitter. With base 1 s and cap 30 s the delays are
 * 1, 2, 4, 8, 16, 30, 30 … seconds (client-go's informer reconnect sequence), each ±10 %.
 */
export class Backoff {
  readonly #baseMs: number;
  readonly #capMs: number;
  readonly #jitter: number;
  #attempt = 0;

  constructor(options: { baseMs: number; capMs: number; jitter?: number }) {
    this.#baseMs = options.baseMs;
    this.#capMs = options.capMs;
    this.#jitter = options.jitter ?? 0.1;
  }

  /** The delay before the next attempt; grows until reset. */
  next(): number {
    const raw = Math.min(this.#capMs, this.#baseMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 40);
    const spread = raw * this.#jitter;
    return Math.max(0, Math.round(raw - spread + Math.random() * 2 * spread));
  }

  reset(): void {
    this.#attempt = 0;
  }
}

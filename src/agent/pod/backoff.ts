/**
 * client-go's flowcontrol.Backoff as kubelet uses it for CrashLoopBackOff (10 s doubling to
 * 5 min) and ImagePullBackOff: per key, the delay doubles with each failure; an entry whose last
 * failure is older than twice the maximum starts over (a container that ran for 10 minutes is
 * restarted at once, then after 10 s again).
 */
import type { Clock } from '../../lib/clock.js';

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class KeyedBackoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();

  constructor(options: { initialMs: number; maxMs: number; clock: Clock }) {
    this.#initialMs = options.initialMs;
    this.#maxMs = options.maxMs;
    this.#clock = options.clock;
  }

  #expired(eventTime: number, lastUpdate: number): boolean {
    return eventTime - lastUpdate > 2 * this.#maxMs;
  }

  /** The current delay of a key (0 when it has none). */
  get(key: string): number {
    return this.#entries.get(key)?.backoffMs ?? 0;
  }

  /** Records a failure at `eventTime`: the delay starts at the initial value or doubles. */
  next(key: string, eventTime: number): void {
    const e = this.#entries.get(key);
    if (!e || this.#expired(eventTime, e.lastUpdate)) {
      this.#entries.set(key, { backoffMs: this.#initialMs, lastUpdate: eventTime });
      return;
    }
    e.backoffMs = Math.min(e.backoffMs * 2, this.#maxMs);
    e.lastUpdate = eventTime;
  }

  /** Whether the key is still backing off from a failure at `eventTime` (IsInBackOffSince). */
  inBackoffSince(key: string, eventTime: number): boolean {
    const e = this.#entries.get(key);
    if (!e || this.#expired(eventTime, e.lastUpdate)) return false;
    return this.#clock.now() - eventTime < e.backoffMs;
  }

  /** Whether the key is backing off from its last update (IsInBackOffSinceUpdate). */
  inBackoffSinceUpdate(key: string): boolean {
    const e = this.#entries.get(key);
    if (!e || this.#expired(this.#clock.now(), e.lastUpdate)) return false;
    return this.#clock.now() - e.lastUpdate < e.backoffMs;
  }

  /** Milliseconds until a failure at `eventTime` stops holding the key back. */
  remaining(key: string, eventTime: number): number {
    const e = this.#entries.get(key);
    if (!e) return 0;
    return Math.max(0, eventTime + e.backoffMs - this.#clock.now());
  }

  /** Forgets keys by prefix (a pod's keys when it goes). */
  forgetPrefix(prefix: string): void {
    for (const k of this.#entries.keys()) if (k.startsWith(prefix)) this.#entries.delete(k);
  }

  /** Drops entries idle for longer than twice the maximum. */
  gc(): void {
    const now = this.#clock.now();
    for (const [k, e] of this.#entries)
      if (this.#expired(now, e.lastUpdate)) this.#entries.delete(k);
  }
}

/** `10s`, `1m20s`, `5m0s`: Go's time.Duration formatting for whole seconds. */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const rest = s % 60;
  if (m < 60) return `${m}m${rest}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${rest}s`;
}

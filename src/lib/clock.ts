import { setTimeout as delay } from 'node:timers/promises';

/** Injected wherever time matters (runner intervals, backoff, probes, leases). */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects with an AbortError when the signal fires first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The wall clock. */
export const realClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    await delay(ms, undefined, signal ? { signal } : undefined);
  },
};

/** Sleeps, resolving (not rejecting) when the signal aborts; for loops that check the signal. */
export async function sleepUnlessAborted(
  clock: Clock,
  ms: number,
  signal: AbortSignal,
): Promise<void> {
  try {
    await clock.sleep(ms, signal);
  } catch {
    // aborted: the caller checks signal.aborted
  }
}

/**
 * Polling with a deadline and a description, never a bare sleep (Kubernetes' integration test
 * habit). The description names what was awaited when the deadline passes.
 */
import { setTimeout as delay } from 'node:timers/promises';

export class WaitTimeoutError extends Error {
  readonly code = 'E_WAIT_TIMEOUT';
}

export interface WaitOptions {
  /** What is awaited, for the error message ("EndpointSlice for web"). */
  readonly what: string;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

/**
 * Calls `fn` until it returns something other than undefined, null or false, and resolves with
 * that. Errors thrown by `fn` count as "not yet"; the last one is reported on timeout.
 * @throws WaitTimeoutError
 */
export async function waitFor<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      const why = last instanceof Error ? `: last error: ${last.message}` : '';
      throw new WaitTimeoutError(
        `timed out after ${options.timeoutMs ?? 10_000} ms waiting for ${options.what}${why}`,
      );
    }
    await delay(options.intervalMs ?? 50);
  }
}

/**
 * The API server's own periodic work: the `kubernetes` Service reconciler and the Event TTL sweep
 * (Events live one hour after their last occurrence, as kube-apiserver's --event-ttl=1h).
 */
import { isApiError } from '../api/meta/status.js';
import { resources } from '../api/scheme.js';
import type { Event } from '../api/types/core.js';
import { sleepUnlessAborted, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log/logger.js';
import type { Registry } from './registry/registry.js';

/** Runs `fn` now and then every `intervalMs` until the signal aborts; errors are logged. */
export async function every(
  o: { readonly clock: Clock; readonly logger: Logger; readonly what: string },
  intervalMs: number,
  signal: AbortSignal,
  fn: () => Promise<void>,
): Promise<void> {
  while (!signal.aborted) {
    try {
      await fn();
    } catch (e) {
      if (!signal.aborted) o.logger.error(e, `${o.what} failed`);
    }
    await sleepUnlessAborted(o.clock, intervalMs, signal);
  }
}

function ms(t: string | null | undefined): number {
  if (!t) return 0;
  const v = Date.parse(t);
  return Number.isNaN(v) ? 0 : v;
}

/** When an Event last happened (the newest of its timestamps). */
export function eventLastSeen(e: Event): number {
  return Math.max(
    ms(e.metadata.creationTimestamp),
    ms(e.firstTimestamp),
    ms(e.lastTimestamp),
    ms(e.eventTime),
    ms(e.series?.lastObservedTime),
  );
}

/** Deletes Events last seen more than `ttlMs` ago. Returns how many went. */
export async function sweepEvents(registry: Registry, now: number, ttlMs: number): Promise<number> {
  const page = await registry.list(resources.events, undefined, { resourceVersion: '0' });
  let n = 0;
  for (const o of page.items) {
    const e = o.obj as Event;
    if (now - eventLastSeen(e) <= ttlMs) continue;
    try {
      await registry.delete(resources.events, e.metadata.namespace, e.metadata.name ?? '');
      n++;
    } catch (err) {
      if (!isApiError(err, 'NotFound')) throw err;
    }
  }
  return n;
}

/**
 * Periodic compaction for backends that keep history (sqlite, memory, etcd when asked).
 *
 * The policy combines kube-apiserver's and kine's: kube-apiserver compacts etcd every
 * `--etcd-compaction-interval` (5 minutes) to the revision it saw at the previous tick, so at
 * least one interval of history survives; kine keeps at least 1,000 revisions. We compact to the
 * older of the two bounds, so a watcher that reconnects within an interval, or within 1,000
 * writes, resumes without a 410.
 */
import type { Clock } from '../lib/clock.js';
import { sleepUnlessAborted } from '../lib/clock.js';
import type { Logger } from '../lib/log/logger.js';
import type { Store } from './store.js';

export interface CompactionPolicy {
  /** Time between compactions; default 5 minutes. */
  readonly intervalMs?: number;
  /** Revisions always kept behind the current one; default 1,000. */
  readonly minRetainRevisions?: number;
}

export const defaultCompactionIntervalMs = 5 * 60_000;
export const defaultMinRetainRevisions = 1000;

export interface CompactorOptions {
  readonly store: Pick<Store, 'currentRevision' | 'compact'>;
  readonly policy?: CompactionPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

/**
 * The revision to compact to at a tick, or undefined when there is nothing to do.
 * `previousTick` is the revision observed one interval ago.
 */
export function compactionTarget(
  current: number,
  previousTick: number | undefined,
  minRetain: number,
  compacted: number,
): number | undefined {
  if (previousTick === undefined) return undefined;
  const target = Math.min(previousTick, current - minRetain);
  return target > compacted ? target : undefined;
}

/**
 * Runs until the signal aborts, compacting the store once per interval. Failures are logged and
 * retried at the next tick; they never end the loop.
 */
export async function runCompactor(options: CompactorOptions): Promise<void> {
  const { store, clock, logger, signal } = options;
  const intervalMs = options.policy?.intervalMs ?? defaultCompactionIntervalMs;
  const minRetain = options.policy?.minRetainRevisions ?? defaultMinRetainRevisions;
  let previousTick: number | undefined;
  let compacted = 0;
  while (!signal.aborted) {
    await sleepUnlessAborted(clock, intervalMs, signal);
    if (signal.aborted) return;
    try {
      const current = await store.currentRevision();
      const target = compactionTarget(current, previousTick, minRetain, compacted);
      previousTick = current;
      if (target === undefined) continue;
      const started = clock.now();
      await store.compact(target);
      compacted = target;
      logger.v(2).info('Compacted store', {
        revision: target,
        currentRevision: current,
        elapsedMs: clock.now() - started,
      });
    } catch (err) {
      if (signal.aborted) return;
      logger.error(err, 'Compaction failed; retrying at the next interval');
    }
  }
}

/**
 * A Store watch over one etcd gRPC watch stream.
 *
 * Mapping: `watch(prefix, after)` creates an etcd watcher on the prefix's byte range with
 * `start_revision = after` (not after + 1) and drops the events at `after` itself. etcd refuses
 * a start revision below its compact revision, so this gives exactly the Store rule "after <
 * compact revision → CompactedError" (etcd would accept after + 1 == compact revision).
 * `start_revision = 0` would mean "from now" to etcd, so after = 0 starts at revision 1.
 *
 * The stream is re-established when it breaks (etcd restart, leader change), resuming after the
 * last revision delivered, with exponential backoff (100 ms doubling to 5 s); after 30 s without
 * a working stream the watch ends with WatchClosedError so the consumer re-lists elsewhere.
 * Large revisions arrive in fragments (`fragment: true`, etcd ≥ 3.4) and are reassembled.
 * Events go through a one-watcher Fanout, which gives the bounded buffer: a consumer that falls
 * behind is closed with WatchClosedError and the stream cancelled.
 */
import type { Etcd3, IWatchCreateRequest, IWatchResponse } from 'etcd3';
import type { Clock } from '../../lib/clock.js';
import { sleepUnlessAborted } from '../../lib/clock.js';
import { asError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log/logger.js';
import { Fanout } from '../fanout.js';
import { CompactedError, WatchClosedError } from '../store.js';
import type { StoreEvent, StoreWatch } from '../store.js';
import { eventFromEtcd, keyBytes, rangeEnd, rev } from './convert.js';

export interface EtcdWatchOptions {
  readonly client: Etcd3;
  readonly prefix: string;
  readonly afterRevision: number;
  readonly signal: AbortSignal;
  readonly bufferSize?: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Fires when the store closes. */
  readonly closed: AbortSignal;
}

const backoffStartMs = 100;
const backoffMaxMs = 5000;
const giveUpAfterMs = 30_000;

/** What one stream ended with: a final error for the consumer, or a reason to reconnect. */
type StreamEnd = { readonly final: Error } | { readonly retry: Error };

/**
 * Opens a Store watch on etcd. Nothing is sent to etcd until the first iteration.
 * @throws CompactedError, WatchClosedError (from the iteration)
 */
export async function* etcdWatch(options: EtcdWatchOptions): StoreWatch {
  const { signal, afterRevision } = options;
  if (signal.aborted) return;
  if (options.closed.aborted) throw new WatchClosedError('the store was closed');
  const fanout = new Fanout(
    afterRevision,
    options.bufferSize === undefined ? {} : { bufferSize: options.bufferSize },
  );
  const sub = fanout.subscribe(options.prefix, afterRevision);
  const stop = new AbortController();
  const onStop = (): void => stop.abort();
  signal.addEventListener('abort', onStop, { once: true });
  options.closed.addEventListener('abort', onStop, { once: true });
  const pump = (async (): Promise<void> => {
    try {
      const err = await runStreams(options, fanout, stop.signal);
      if (options.closed.aborted) sub.fail(new WatchClosedError('the store was closed'));
      else if (err !== undefined) sub.fail(err);
    } catch (err) {
      sub.fail(asError(err));
    }
  })();
  try {
    for (;;) {
      const batch = await sub.take(signal);
      if (batch === undefined) return;
      yield batch;
    }
  } finally {
    sub.end();
    stop.abort();
    signal.removeEventListener('abort', onStop);
    options.closed.removeEventListener('abort', onStop);
    await pump;
  }
}

/** Runs streams until one ends for good; returns the error for the consumer, if any. */
async function runStreams(
  options: EtcdWatchOptions,
  fanout: Fanout,
  stop: AbortSignal,
): Promise<Error | undefined> {
  let backoff = backoffStartMs;
  let failingSince: number | undefined;
  while (!stop.aborted) {
    const end = await runStream(options, fanout, stop, () => {
      backoff = backoffStartMs;
      failingSince = undefined;
    });
    if (stop.aborted) return undefined;
    if ('final' in end) return end.final;
    const now = options.clock.now();
    failingSince ??= now;
    if (now - failingSince > giveUpAfterMs) {
      return new WatchClosedError(`etcd watch stream unavailable for 30s: ${end.retry.message}`);
    }
    options.logger.v(2).info('Reconnecting etcd watch', {
      prefix: options.prefix,
      afterRevision: fanout.revision,
      err: end.retry.message,
    });
    await sleepUnlessAborted(options.clock, backoff, stop);
    backoff = Math.min(backoff * 2, backoffMaxMs);
  }
  return undefined;
}

/** One gRPC watch stream, resuming after the last revision the fan-out published. */
async function runStream(
  options: EtcdWatchOptions,
  fanout: Fanout,
  stop: AbortSignal,
  onCreated: () => void,
): Promise<StreamEnd> {
  let stream: Awaited<ReturnType<Etcd3['watchClient']['watch']>>;
  try {
    stream = await options.client.watchClient.watch();
  } catch (err) {
    return { retry: asError(err) };
  }
  const resumeAfter = fanout.revision;
  const key = keyBytes(options.prefix);
  const request: IWatchCreateRequest & { fragment: boolean } = {
    key: key.length === 0 ? Buffer.from([0]) : key,
    range_end: rangeEnd(key),
    start_revision: Math.max(resumeAfter, 1),
    prev_kv: true,
    progress_notify: false,
    fragment: true,
  };
  return new Promise<StreamEnd>((resolve) => {
    let settled = false;
    let pending: StoreEvent[] = [];
    const finish = (end: StreamEnd): void => {
      if (settled) return;
      settled = true;
      stop.removeEventListener('abort', onAbort);
      stream.cancel();
      resolve(end);
    };
    const onAbort = (): void => finish({ final: new WatchClosedError('stopped') });
    stop.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (res: IWatchResponse) => {
      if (settled) return;
      if (res.created && !res.canceled) {
        onCreated();
        return;
      }
      if (res.canceled) {
        const compacted = rev(res.compact_revision);
        finish({
          final:
            compacted > 0
              ? new CompactedError(fanout.revision, compacted)
              : new WatchClosedError(
                  `etcd cancelled the watch: ${res.cancel_reason || 'no reason given'}`,
                ),
        });
        return;
      }
      try {
        for (const e of res.events) {
          // Events at or below the resume point were delivered already (or are the start
          // revision itself, whose prev_kv compaction may have removed).
          if (rev(e.kv.mod_revision) > resumeAfter) pending.push(eventFromEtcd(e));
        }
      } catch (err) {
        finish({ final: asError(err) });
        return;
      }
      if (res.fragment) return; // more of this revision follows
      const batch = pending;
      pending = [];
      fanout.publish(batch);
      if (fanout.size === 0) finish({ final: new WatchClosedError('the watcher went away') });
    });
    stream.on('error', (err: Error) => finish({ retry: err }));
    stream.on('end', () => finish({ retry: new Error('etcd ended the watch stream') }));
    if (stop.aborted) {
      onAbort();
      return;
    }
    stream.write({ create_request: request });
  });
}

/**
 * EventRecorder: core/v1 Events about the objects a component acts on (what `kubectl describe`
 * shows under Events), written the way client-go's record package writes them:
 *   - an event is named `<object name>.<hex nanoseconds>` in the object's namespace (`default`
 *     for cluster-scoped objects), with involvedObject, source.component/host, reason, message,
 *     type, firstTimestamp = lastTimestamp, count 1;
 *   - a repeat of the same event (same object, type, reason, message, source) within the cache
 *     is a patch of count and lastTimestamp on the existing Event, not a new one; if that Event
 *     is gone (events expire), it is created again;
 *   - more than 10 distinct messages for the same object, type and reason within 10 minutes are
 *     folded into one event whose message starts "(combined from similar events): ";
 *   - a spam filter allows each object a burst of 25 events, refilled one per 5 minutes;
 *   - `event()` returns at once and never throws: writes happen in the background, in order, a
 *     failed write is retried twice (1 s, 2 s) when the error is transient, then dropped with a
 *     log line. Queued events beyond `maxQueued` are dropped.
 */
import type { KubeObject } from '../api/meta/types.js';
import type { Event, ObjectReference } from '../api/types/core.js';
import { resources } from '../api/scheme.js';
import { realClock, sleepUnlessAborted, type Clock } from '../lib/clock.js';
import { discardLogger, type Logger } from '../lib/log/logger.js';
import { isNotFound, isRetryable } from './errors.js';
import { TokenBucket } from './ratelimit.js';
import type { Client } from './types.js';

export type EventType = 'Normal' | 'Warning';

/** What controllers and agents record events through. */
export interface EventRecorder {
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

export interface EventRecorderOptions {
  readonly client: Client;
  /** source.component (and reportingComponent): `endpointslice-controller`, `portico-agent`. */
  readonly component: string;
  /** source.host: the node name, for node components. */
  readonly host?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Stops background writes (pending events are dropped). */
  readonly signal?: AbortSignal;
  /** Events waiting to be written beyond which new ones are dropped; default 1000. */
  readonly maxQueued?: number;
}

const cacheSize = 4096;
const similarWindowMs = 10 * 60_000;
const maxSimilar = 10;
const spamBurst = 25;
const spamQps = 1 / 300;
const retryDelaysMs = [1000, 2000];

interface Written {
  readonly name: string;
  readonly namespace: string;
  count: number;
  readonly firstTimestamp: string;
}

/** A size-capped Map that forgets the least recently used entry. */
class Lru<V> {
  readonly #max: number;
  readonly #map = new Map<string, V>();
  constructor(max: number) {
    this.#max = max;
  }
  get(k: string): V | undefined {
    const v = this.#map.get(k);
    if (v !== undefined) {
      this.#map.delete(k);
      this.#map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.#map.delete(k);
    this.#map.set(k, v);
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
  }
  delete(k: string): void {
    this.#map.delete(k);
  }
}

export class ApiEventRecorder implements EventRecorder {
  readonly #client: Client;
  readonly #component: string;
  readonly #host: string | undefined;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #signal: AbortSignal;
  readonly #maxQueued: number;
  readonly #queue: { readonly ev: Event; readonly key: string }[] = [];
  readonly #written = new Lru<Written>(cacheSize);
  readonly #similar = new Lru<{ messages: Set<string>; since: number }>(cacheSize);
  readonly #spam = new Lru<TokenBucket>(cacheSize);
  #draining: Promise<void> | undefined;
  #seq = 0;

  constructor(options: EventRecorderOptions) {
    this.#client = options.client;
    this.#component = options.component;
    this.#host = options.host;
    this.#clock = options.clock ?? realClock;
    this.#log = (options.logger ?? discardLogger).child({ eventSource: options.component });
    this.#signal = options.signal ?? new AbortController().signal;
    this.#maxQueued = options.maxQueued ?? 1000;
  }

  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    try {
      this.#record(obj, type, reason, message);
    } catch (e) {
      this.#log.error(e, 'Could not record event', { reason });
    }
  }

  /** Resolves once every queued event has been written or dropped. */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  #record(obj: KubeObject, type: EventType, reason: string, message: string): void {
    if (this.#signal.aborted) return;
    const name = obj.metadata.name;
    if (!name) throw new Error('the object has no name');
    const ref = this.#reference(obj);
    const objectKey = [ref.kind, ref.namespace, ref.name, ref.uid].join('/');
    const bucketKey = `${this.#component}/${this.#host ?? ''}/${objectKey}`;
    let bucket = this.#spam.get(bucketKey);
    if (!bucket) {
      bucket = new TokenBucket({ qps: spamQps, burst: spamBurst, clock: this.#clock });
      this.#spam.set(bucketKey, bucket);
    }
    if (!bucket.tryAccept()) {
      this.#log.v(4).info('Event dropped by the spam filter', { object: objectKey, reason });
      return;
    }
    const now = this.#clock.now();
    const similarKey = `${bucketKey}/${type}/${reason}`;
    let similar = this.#similar.get(similarKey);
    if (!similar || now - similar.since > similarWindowMs) {
      similar = { messages: new Set(), since: now };
      this.#similar.set(similarKey, similar);
    }
    let text = message;
    let dedupeKey = `${similarKey}/${message}`;
    if (!similar.messages.has(message) && similar.messages.size >= maxSimilar) {
      text = `(combined from similar events): ${message}`;
      dedupeKey = similarKey;
    } else similar.messages.add(message);
    const timestamp = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${name}.${this.#hexNanos(now)}`,
        namespace: obj.metadata.namespace || 'default',
      },
      involvedObject: ref,
      reason,
      message: text,
      type,
      source: { component: this.#component, ...(this.#host ? { host: this.#host } : {}) },
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      count: 1,
      reportingComponent: this.#component,
      reportingInstance: this.#host ?? '',
    };
    if (this.#queue.length >= this.#maxQueued) {
      this.#log.warn('Event queue full, dropping event', { reason, object: objectKey });
      return;
    }
    this.#queue.push({ ev, key: dedupeKey });
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
    });
  }

  #reference(obj: KubeObject): ObjectReference {
    const ref: ObjectReference = {};
    if (obj.kind) ref.kind = obj.kind;
    if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
    if (obj.metadata.name) ref.name = obj.metadata.name;
    if (obj.metadata.uid) ref.uid = obj.metadata.uid;
    if (obj.apiVersion) ref.apiVersion = obj.apiVersion;
    if (obj.metadata.resourceVersion) ref.resourceVersion = obj.metadata.resourceVersion;
    return ref;
  }

  /** client-go names events `<name>.<UnixNano in hex>`; we count within the millisecond. */
  #hexNanos(ms: number): string {
    const nanos = BigInt(Math.floor(ms)) * 1_000_000n + BigInt(this.#seq++ % 1_000_000);
    return nanos.toString(16);
  }

  async #drain(): Promise<void> {
    for (;;) {
      const next = this.#queue.shift();
      if (!next) return;
      if (this.#signal.aborted) {
        this.#queue.length = 0;
        return;
      }
      await this.#write(next.ev, next.key);
    }
  }

  async #write(ev: Event, key: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const prev = this.#written.get(key);
        if (prev) {
          try {
            await this.#client.patch(resources.events, prev.namespace, prev.name, 'strategic', {
              count: prev.count + 1,
              lastTimestamp: ev.lastTimestamp,
              message: ev.message,
            });
            prev.count++;
            return;
          } catch (e) {
            if (!isNotFound(e)) throw e;
            // The event expired on the server: write it anew, keeping the count.
            this.#written.delete(key);
            ev.metadata.name = prev.name;
            ev.firstTimestamp = prev.firstTimestamp;
            ev.count = prev.count + 1;
          }
        }
        const created = await this.#client.create(resources.events, ev);
        this.#written.set(key, {
          name: created.metadata.name ?? ev.metadata.name ?? '',
          namespace: created.metadata.namespace ?? ev.metadata.namespace ?? 'default',
          count: ev.count ?? 1,
          firstTimestamp: ev.firstTimestamp ?? '',
        });
        return;
      } catch (e) {
        const delay = retryDelaysMs[attempt];
        if (delay === undefined || !isRetryable(e) || this.#signal.aborted) {
          this.#log.warn('Could not write event, dropping it', {
            reason: ev.reason,
            object: `${ev.involvedObject.namespace ?? ''}/${ev.involvedObject.name ?? ''}`,
            err: e instanceof Error ? e.message : String(e),
          });
          return;
        }
        await sleepUnlessAborted(this.#clock, delay, this.#signal);
      }
    }
  }
}

/**
 * The memory backend: the reference implementation of the Store contract. Ordered,
 * multi-version keys (history.ts) plus the event log that watches replay, both trimmed by
 * compaction. Everything is synchronous inside one process, so every write is atomic and
 * revisions are assigned in commit order. Nothing survives the process: unit tests and
 * `portico up --datastore memory://` only.
 */
import { eventKey, eventRevision, checkKey, keyValue } from '../keys.js';
import { Fanout, watchStream } from '../fanout.js';
import {
  CompactedError,
  ConflictError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  StoreClosedError,
  WatchClosedError,
} from '../store.js';
import type { KeyValue, ListOptions, ListResult, Store, StoreEvent, StoreWatch } from '../store.js';
import { History } from './history.js';
import { asError } from '../../lib/errors.js';

export interface MemoryStoreOptions {
  /** Most events a watcher may have waiting before it is closed (default 10,000). */
  readonly watchBufferSize?: number;
}

/** Events replayed to a new watcher are handed out in batches of at most this many. */
const replayBatch = 1000;

/** Index of the first event with a revision above `revision` (events are in revision order). */
function firstAfter(events: readonly StoreEvent[], revision: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = events[mid];
    if (e !== undefined && eventRevision(e) <= revision) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A Store held in memory.
 * @example
 * const store = new MemoryStore();
 * const kv = await store.create('/registry/pods/default/a', bytes);
 */
export class MemoryStore implements Store {
  readonly #history = new History();
  readonly #fanout: Fanout;
  #events: StoreEvent[] = [];
  #revision = 0;
  #compacted = 0;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.#fanout = new Fanout(
      0,
      options.watchBufferSize === undefined ? {} : { bufferSize: options.watchBufferSize },
    );
  }

  get(key: string): Promise<{ revision: number; kv: KeyValue | undefined }> {
    return this.#run(() => ({ revision: this.#revision, kv: this.#history.latest(key) }));
  }

  list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    return this.#run(() => {
      const revision = options.revision ?? this.#revision;
      this.#checkReadable(revision);
      const limit = options.limit !== undefined && options.limit > 0 ? options.limit : Infinity;
      const items: KeyValue[] = [];
      let remaining = 0;
      for (const kv of this.#history.range(prefix, revision, options.startAfter)) {
        if (items.length < limit) items.push(kv);
        else remaining++;
      }
      return { revision: options.revision ?? this.#revision, items, remaining };
    });
  }

  create(key: string, value: Uint8Array): Promise<KeyValue> {
    return this.#run(() => {
      checkKey(key);
      if (this.#history.latest(key) !== undefined) throw new KeyExistsError(key);
      const revision = this.#revision + 1;
      const kv = keyValue(key, value, revision, revision);
      this.#commit(key, kv, { type: 'create', kv });
      return kv;
    });
  }

  update(key: string, value: Uint8Array, expectedRevision: number): Promise<KeyValue> {
    return this.#run(() => {
      const prev = this.#history.latest(key);
      if (prev === undefined) throw new KeyNotFoundError(key);
      if (prev.modRevision !== expectedRevision) throw new ConflictError(key, prev);
      const kv = keyValue(key, value, prev.createRevision, this.#revision + 1);
      this.#commit(key, kv, { type: 'update', kv, prev });
      return kv;
    });
  }

  delete(key: string, expectedRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    return this.#run(() => {
      const prev = this.#history.latest(key);
      if (prev === undefined) throw new KeyNotFoundError(key);
      if (expectedRevision !== undefined && prev.modRevision !== expectedRevision) {
        throw new ConflictError(key, prev);
      }
      const revision = this.#revision + 1;
      this.#commit(key, undefined, { type: 'delete', prev, revision });
      return { revision, prev };
    });
  }

  watch(prefix: string, afterRevision: number, signal: AbortSignal): StoreWatch {
    if (this.#closed) return failingWatch(new StoreClosedError());
    return watchStream({
      fanout: this.#fanout,
      prefix,
      afterRevision,
      signal,
      compactRevision: () => this.#compacted,
      replay: (after, upTo) => {
        const events = this.#events;
        const start = firstAfter(events, after);
        const end = firstAfter(events, upTo);
        const mine = events.slice(start, end).filter((e) => eventKey(e).startsWith(prefix));
        const batches: StoreEvent[][] = [];
        for (let i = 0; i < mine.length; i += replayBatch) {
          batches.push(mine.slice(i, i + replayBatch));
        }
        return batches;
      },
    });
  }

  currentRevision(): Promise<number> {
    return this.#run(() => this.#revision);
  }

  compact(revision: number): Promise<void> {
    return this.#run(() => {
      if (revision > this.#revision) throw new FutureRevisionError(revision, this.#revision);
      if (revision <= this.#compacted) return;
      this.#history.compact(revision);
      this.#events = this.#events.slice(firstAfter(this.#events, revision));
      this.#compacted = revision;
    });
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#fanout.closeAll(new WatchClosedError('the store was closed'));
    }
    return Promise.resolve();
  }

  /** Runs a synchronous operation as a promise, turning throws into rejections. */
  #run<T>(op: () => T): Promise<T> {
    try {
      if (this.#closed) throw new StoreClosedError();
      return Promise.resolve(op());
    } catch (err) {
      return Promise.reject(asError(err));
    }
  }

  #checkReadable(revision: number): void {
    if (revision < this.#compacted) throw new CompactedError(revision, this.#compacted);
    if (revision > this.#revision) throw new FutureRevisionError(revision, this.#revision);
  }

  #commit(key: string, kv: KeyValue | undefined, event: StoreEvent): void {
    this.#revision = eventRevision(event);
    this.#history.append(key, this.#revision, kv);
    this.#events.push(event);
    this.#fanout.publish([event]);
  }
}

/** A watch whose first iteration throws `err`. */
async function* failingWatch(err: Error): StoreWatch {
  await Promise.resolve();
  yield* [];
  throw err;
}

/**
 * The sqlite backend: the embedded default store, one file in the data directory.
 *
 * Layout and compaction follow k3s' kine (schema.ts). What differs, and why:
 * - The API server process is the only writer, so watches are fed in-process right after each
 *   commit (no polling latency); a slow poll still catches rows written by anyone else.
 * - Writes are group-committed: every write requested in one turn of the event loop goes into
 *   one IMMEDIATE transaction, so concurrent API requests share one fsync. A write's promise
 *   settles only after its transaction committed (`synchronous=FULL`: durable).
 * - better-sqlite3 is synchronous: a read sees a consistent snapshot because nothing can
 *   interleave with it.
 */
import Database from 'better-sqlite3';
import { asError } from '../../lib/errors.js';
import type { Clock } from '../../lib/clock.js';
import { realClock, sleepUnlessAborted } from '../../lib/clock.js';
import type { Logger } from '../../lib/log/logger.js';
import { discardLogger } from '../../lib/log/logger.js';
import { runCompactor } from '../compactor.js';
import type { CompactionPolicy } from '../compactor.js';
import { Fanout, watchStream } from '../fanout.js';
import { checkKey, eventRevision, prefixEnd } from '../keys.js';
import {
  CompactedError,
  FutureRevisionError,
  StoreClosedError,
  WatchClosedError,
} from '../store.js';
import type { KeyValue, ListOptions, ListResult, Store, StoreEvent, StoreWatch } from '../store.js';
import { initSchema } from './schema.js';
import { Statements, rawKeyValue, rowEvent, rowKeyValue } from './rows.js';
import { applyWrite } from './write.js';
import type { WriteError, WriteOp } from './write.js';

export interface SqliteStoreOptions {
  /** Path of the database file; created with its WAL beside it when missing. */
  readonly path: string;
  /** Most events a watcher may have waiting before it is closed (default 10,000). */
  readonly watchBufferSize?: number;
  /** How often to look for rows written by another process; default 1 s. 0 disables. */
  readonly pollIntervalMs?: number;
  /** Periodic compaction; `false` disables it (tests, or when something else compacts). */
  readonly compaction?: CompactionPolicy | false;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** Rows read per query when replaying history to a watcher. */
const replayPage = 1000;
/** Revisions deleted per compaction transaction, so one compaction never stalls writers long. */
const compactChunk = 10_000;
/** The upper bound of the empty prefix: above every UTF-8 string a key can be. */
const maxKey = String.fromCodePoint(0x10ffff).repeat(4);

interface Pending {
  readonly op: WriteOp;
  readonly resolve: (event: StoreEvent) => void;
  readonly reject: (err: Error) => void;
}

/**
 * A Store in a SQLite file.
 * @example
 * const store = new SqliteStore({ path: '/var/lib/portico/state.db' });
 */
export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #stmt: Statements;
  readonly #fanout: Fanout;
  readonly #logger: Logger;
  readonly #stop = new AbortController();
  readonly #background: Promise<void>[] = [];
  readonly #flushTxn: (batch: readonly Pending[]) => (StoreEvent | WriteError)[];
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #revision: number;
  #compacted: number;
  #closed = false;

  constructor(options: SqliteStoreOptions) {
    this.#logger = options.logger ?? discardLogger;
    this.#db = new Database(options.path);
    try {
      initSchema(this.#db);
      this.#stmt = new Statements(this.#db);
    } catch (err) {
      this.#db.close();
      throw err;
    }
    this.#revision = this.#stmt.sequence.get()?.seq ?? 0;
    this.#compacted = this.#stmt.getMeta.get('compact_revision')?.value ?? 0;
    this.#fanout = new Fanout(
      this.#revision,
      options.watchBufferSize === undefined ? {} : { bufferSize: options.watchBufferSize },
    );
    const txn = this.#db.transaction((batch: readonly Pending[]) => {
      let next = (this.#stmt.sequence.get()?.seq ?? 0) + 1;
      return batch.map((p) => {
        const r = applyWrite(this.#stmt, p.op, next);
        if (!(r instanceof Error)) next++;
        return r;
      });
    });
    this.#flushTxn = (batch) => txn.immediate(batch);
    const clock = options.clock ?? realClock;
    const signal = this.#stop.signal;
    const poll = options.pollIntervalMs ?? 1000;
    if (poll > 0) this.#background.push(this.#pollLoop(clock, poll, signal));
    if (options.compaction !== false) {
      this.#background.push(
        runCompactor({
          store: this,
          clock,
          logger: this.#logger,
          signal,
          ...(options.compaction === undefined ? {} : { policy: options.compaction }),
        }),
      );
    }
  }

  get(key: string): Promise<{ revision: number; kv: KeyValue | undefined }> {
    return this.#read(() => {
      const row = this.#stmt.latest.get(key);
      const kv = row === undefined || row.deleted !== 0 ? undefined : rowKeyValue(row);
      return { revision: Math.max(this.#revision, kv?.modRevision ?? 0), kv };
    });
  }

  list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    return this.#read(() => {
      const revision = options.revision ?? this.#revision;
      this.#checkReadable(revision);
      const hi = prefixEnd(prefix) ?? maxKey;
      const limit = options.limit !== undefined && options.limit > 0 ? options.limit : -1;
      const after = options.startAfter !== undefined && options.startAfter >= prefix;
      const rows = after
        ? this.#stmt.listAfter.all(options.startAfter ?? prefix, hi, revision, limit)
        : this.#stmt.list.all(prefix, hi, revision, limit);
      const last = rows[rows.length - 1];
      const remaining =
        limit > 0 && rows.length === limit && last !== undefined
          ? (this.#stmt.countAfter.get(last[1], hi, revision)?.n ?? 0)
          : 0;
      return { revision, items: rows.map(rawKeyValue), remaining };
    });
  }

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    checkKey(key);
    const e = await this.#write({ type: 'create', key, value });
    if (e.type === 'delete') throw new TypeError('a create produced a delete event');
    return e.kv;
  }

  async update(key: string, value: Uint8Array, expectedRevision: number): Promise<KeyValue> {
    const e = await this.#write({ type: 'update', key, value, expectedRevision });
    if (e.type === 'delete') throw new TypeError('an update produced a delete event');
    return e.kv;
  }

  async delete(
    key: string,
    expectedRevision?: number,
  ): Promise<{ revision: number; prev: KeyValue }> {
    const e = await this.#write(
      expectedRevision === undefined
        ? { type: 'delete', key }
        : { type: 'delete', key, expectedRevision },
    );
    if (e.type !== 'delete') throw new TypeError('a delete produced a write event');
    return { revision: e.revision, prev: e.prev };
  }

  watch(prefix: string, afterRevision: number, signal: AbortSignal): StoreWatch {
    const hi = prefixEnd(prefix) ?? maxKey;
    return watchStream({
      fanout: this.#fanout,
      prefix,
      afterRevision,
      signal,
      compactRevision: () => {
        if (this.#closed) throw new StoreClosedError();
        return this.#compacted;
      },
      replay: (after, upTo) => this.#replay(prefix, hi, after, upTo),
    });
  }

  currentRevision(): Promise<number> {
    return this.#read(() => this.#revision);
  }

  async compact(revision: number): Promise<void> {
    await this.#read(() => {
      if (revision > this.#revision) throw new FutureRevisionError(revision, this.#revision);
    });
    while (this.#compacted < revision) {
      if (this.#closed) throw new StoreClosedError();
      const from = this.#compacted;
      const to = Math.min(revision, from + compactChunk);
      this.#db
        .transaction(() => {
          this.#stmt.deleteSuperseded.run(from, to);
          this.#stmt.deleteTombstones.run(from, to);
          this.#stmt.setMeta.run('compact_revision', to);
        })
        .immediate();
      this.#compacted = to;
      if (to < revision) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true; // new reads and writes are refused; queued writes still commit
    while (this.#flushing !== undefined) await this.#flushing;
    this.#stop.abort();
    this.#fanout.closeAll(new WatchClosedError('the store was closed'));
    await Promise.allSettled(this.#background);
    for (const p of this.#queue) p.reject(new StoreClosedError());
    this.#queue = [];
    this.#db.close();
  }

  /** Stored events under the prefix in (after, upTo], page by page. */
  *#replay(prefix: string, hi: string, after: number, upTo: number): Generator<StoreEvent[]> {
    let cursor = after;
    while (cursor < upTo) {
      if (this.#closed) throw new WatchClosedError('the store was closed');
      const rows = this.#stmt.events.all(cursor, upTo, prefix, hi, replayPage);
      // Compaction may have run while this generator was suspended: rows above the compact
      // revision are never removed, so the page is complete only if the cursor is still above it.
      if (cursor < this.#compacted) throw new CompactedError(cursor, this.#compacted);
      if (rows.length === 0) return;
      cursor = rows[rows.length - 1]?.id ?? upTo;
      yield rows.map(rowEvent);
      if (rows.length < replayPage) return;
    }
  }

  /** Queues a write for the next group commit. */
  #write(op: WriteOp): Promise<StoreEvent> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    return new Promise((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      if (this.#queue.length === 1 && this.#flushing === undefined) {
        this.#flushing = new Promise((done) => setImmediate(() => this.#flush(done)));
      }
    });
  }

  #flush(done: () => void): void {
    const batch = this.#queue;
    this.#queue = [];
    let results: (StoreEvent | WriteError)[];
    try {
      this.#catchUp();
      results = this.#flushTxn(batch);
    } catch (err) {
      // The transaction rolled back: nothing in the batch was written.
      this.#logger.error(err, 'Store write transaction failed', { writes: batch.length });
      for (const p of batch) p.reject(asError(err));
      this.#afterFlush(done);
      return;
    }
    const events: StoreEvent[] = [];
    for (const r of results) if (!(r instanceof Error)) events.push(r);
    const last = events[events.length - 1];
    if (last !== undefined) this.#revision = eventRevision(last);
    this.#fanout.publish(events);
    results.forEach((r, i) => {
      const p = batch[i];
      if (p === undefined) return;
      if (r instanceof Error) p.reject(r);
      else p.resolve(r);
    });
    this.#afterFlush(done);
  }

  #afterFlush(done: () => void): void {
    this.#flushing = undefined;
    done();
    if (this.#queue.length > 0) {
      this.#flushing = new Promise((next) => setImmediate(() => this.#flush(next)));
    }
  }

  /** Publishes rows that another process committed since our last publication. */
  #catchUp(): void {
    const seq = this.#stmt.sequence.get()?.seq ?? 0;
    if (seq <= this.#fanout.revision) return;
    let cursor = this.#fanout.revision;
    while (cursor < seq) {
      const rows = this.#stmt.events.all(cursor, seq, '', maxKey, replayPage);
      if (rows.length === 0) break;
      this.#fanout.publish(rows.map(rowEvent));
      cursor = rows[rows.length - 1]?.id ?? seq;
    }
    this.#fanout.advance(seq);
    this.#revision = Math.max(this.#revision, seq);
    this.#compacted = Math.max(
      this.#compacted,
      this.#stmt.getMeta.get('compact_revision')?.value ?? 0,
    );
  }

  async #pollLoop(clock: Clock, intervalMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleepUnlessAborted(clock, intervalMs, signal);
      if (signal.aborted || this.#closed) return;
      try {
        this.#catchUp();
      } catch (err) {
        this.#logger.error(err, 'Polling the store for outside writes failed');
      }
    }
  }

  #read<T>(op: () => T): Promise<T> {
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
}

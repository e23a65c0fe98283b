/**
 * The etcd v3 backend. Store revisions are etcd revisions, unchanged:
 * - create: txn `if create_revision(key) == 0 then put else get` (KeyExistsError on else);
 * - update: txn `if mod_revision(key) == expected then put(prev_kv) else get`
 *   (else: KeyNotFoundError when the get is empty, ConflictError with the current value);
 * - delete: the same with delete_range(prev_kv); unconditional deletes are one delete_range
 *   whose empty prev_kvs means KeyNotFoundError;
 * - list: one range over the prefix's byte range at the requested revision; `remaining` is
 *   etcd's count minus the page, as kube-apiserver computes RemainingItemCount;
 * - watch: see watch.ts; compaction: etcd Compact with physical=true.
 * etcd errors "required revision has been compacted" / "is a future revision" become
 * CompactedError / FutureRevisionError.
 */
import { Etcd3 } from 'etcd3';
import type { IOptions, IRangeResponse, ITxnResponse } from 'etcd3';
import type { Clock } from '../../lib/clock.js';
import { realClock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log/logger.js';
import { discardLogger } from '../../lib/log/logger.js';
import { runCompactor } from '../compactor.js';
import type { CompactionPolicy } from '../compactor.js';
import { checkKey } from '../keys.js';
import {
  CompactedError,
  ConflictError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  StoreClosedError,
} from '../store.js';
import type { KeyValue, ListOptions, ListResult, Store, StoreWatch } from '../store.js';
import {
  fromEtcd,
  isCompactedError,
  isFutureRevisionError,
  keyBytes,
  rangeEnd,
  rev,
  valueBytes,
} from './convert.js';
import { etcdWatch } from './watch.js';

/** TLS material for an etcd cluster that requires it (PEM contents, not paths). */
export interface EtcdTlsOptions {
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface EtcdStoreOptions {
  /** `host:port` of each member (or full `http(s)://` URLs). */
  readonly endpoints: readonly string[];
  readonly tls?: EtcdTlsOptions;
  /** Most events a watcher may have waiting before it is closed (default 10,000). */
  readonly watchBufferSize?: number;
  /** Periodic compaction (default on, as kube-apiserver compacts etcd); `false` disables it. */
  readonly compaction?: CompactionPolicy | false;
  /** Milliseconds to wait for a connection before a call fails; default 5 s. */
  readonly dialTimeoutMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** Keys per range request in list(). */
const listChunk = 1000;

/** The byte key of a Store key, with the empty key mapped to etcd's "\0" (the lowest key). */
function rangeStart(key: Buffer): Buffer {
  return key.length === 0 ? Buffer.from([0]) : key;
}

/**
 * A Store on an etcd v3 cluster.
 * @example
 * const store = new EtcdStore({ endpoints: ['127.0.0.1:2379'] });
 */
export class EtcdStore implements Store {
  readonly #client: Etcd3;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #watchBufferSize: number | undefined;
  readonly #stop = new AbortController();
  readonly #compactor: Promise<void> | undefined;

  constructor(options: EtcdStoreOptions) {
    const scheme = options.tls === undefined ? 'http' : 'https';
    const hosts = options.endpoints.map((e) => (e.includes('://') ? e : `${scheme}://${e}`));
    const etcdOptions: IOptions = {
      hosts,
      dialTimeout: options.dialTimeoutMs ?? 5000,
      // A 10k-object list is one range response; grpc-js refuses messages over 4 MiB by default.
      grpcOptions: { 'grpc.max_receive_message_length': -1 },
      ...(options.tls === undefined
        ? {}
        : {
            credentials: {
              rootCertificate: options.tls.ca,
              ...(options.tls.key === undefined ? {} : { privateKey: options.tls.key }),
              ...(options.tls.cert === undefined ? {} : { certChain: options.tls.cert }),
            },
          }),
    };
    this.#client = new Etcd3(etcdOptions);
    this.#clock = options.clock ?? realClock;
    this.#logger = options.logger ?? discardLogger;
    this.#watchBufferSize = options.watchBufferSize;
    if (options.compaction !== false) {
      this.#compactor = runCompactor({
        store: this,
        clock: this.#clock,
        logger: this.#logger,
        signal: this.#stop.signal,
        ...(options.compaction === undefined ? {} : { policy: options.compaction }),
      });
    }
  }

  async get(key: string): Promise<{ revision: number; kv: KeyValue | undefined }> {
    this.#checkOpen();
    const res = await this.#client.kv.range({ key: keyBytes(key) });
    const kv = res.kvs[0];
    return { revision: rev(res.header.revision), kv: kv === undefined ? undefined : fromEtcd(kv) };
  }

  /**
   * Reads in ranges of at most 1,000 keys at one revision: decoding one 20 MB response costs
   * grpc-js / protobufjs about twice as long as twenty 1 MB ones (bench/storage), and no single
   * message has to fit in memory twice.
   */
  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.#checkOpen();
    const p = keyBytes(prefix);
    const end = rangeEnd(p);
    let start =
      options.startAfter !== undefined && options.startAfter >= prefix
        ? Buffer.concat([keyBytes(options.startAfter), Buffer.from([0])])
        : rangeStart(p);
    const limit = options.limit !== undefined && options.limit > 0 ? options.limit : Infinity;
    let revision = options.revision;
    const items: KeyValue[] = [];
    for (;;) {
      const want = Math.min(listChunk, limit - items.length);
      let res: IRangeResponse;
      try {
        res = await this.#client.kv.range({
          key: start,
          range_end: end,
          limit: want,
          ...(revision === undefined ? {} : { revision }),
        });
      } catch (err) {
        throw await this.#translate(err, revision ?? 0);
      }
      revision ??= rev(res.header.revision);
      for (const kv of res.kvs) items.push(fromEtcd(kv));
      const remaining = Math.max(0, rev(res.count) - res.kvs.length);
      const last = res.kvs[res.kvs.length - 1];
      if (remaining === 0 || items.length >= limit || last === undefined) {
        return { revision, items, remaining };
      }
      start = Buffer.concat([last.key, Buffer.from([0])]);
    }
  }

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    this.#checkOpen();
    checkKey(key);
    const k = keyBytes(key);
    const res = await this.#client.kv.txn({
      compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key: k, value: valueBytes(value) } }],
      failure: [],
    });
    if (!res.succeeded) throw new KeyExistsError(key);
    const r = rev(res.header.revision);
    return { key, value: Uint8Array.from(value), createRevision: r, modRevision: r };
  }

  async update(key: string, value: Uint8Array, expectedRevision: number): Promise<KeyValue> {
    this.#checkOpen();
    const k = keyBytes(key);
    const res = await this.#client.kv.txn({
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedRevision }],
      success: [{ request_put: { key: k, value: valueBytes(value), prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw this.#casFailure(key, res);
    const prev = res.responses[0]?.response_put?.prev_kv;
    const r = rev(res.header.revision);
    return {
      key,
      value: Uint8Array.from(value),
      createRevision: prev ? rev(prev.create_revision) : r,
      modRevision: r,
    };
  }

  async delete(
    key: string,
    expectedRevision?: number,
  ): Promise<{ revision: number; prev: KeyValue }> {
    this.#checkOpen();
    const k = keyBytes(key);
    if (expectedRevision === undefined) {
      const res = await this.#client.kv.deleteRange({ key: k, prev_kv: true });
      const prev = res.prev_kvs[0];
      if (prev === undefined) throw new KeyNotFoundError(key);
      return { revision: rev(res.header.revision), prev: fromEtcd(prev) };
    }
    const res = await this.#client.kv.txn({
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedRevision }],
      success: [{ request_delete_range: { key: k, prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw this.#casFailure(key, res);
    const prev = res.responses[0]?.response_delete_range?.prev_kvs[0];
    if (prev === undefined) throw new KeyNotFoundError(key);
    return { revision: rev(res.header.revision), prev: fromEtcd(prev) };
  }

  watch(prefix: string, afterRevision: number, signal: AbortSignal): StoreWatch {
    return etcdWatch({
      client: this.#client,
      prefix,
      afterRevision,
      signal,
      clock: this.#clock,
      logger: this.#logger,
      closed: this.#stop.signal,
      ...(this.#watchBufferSize === undefined ? {} : { bufferSize: this.#watchBufferSize }),
    });
  }

  async currentRevision(): Promise<number> {
    this.#checkOpen();
    const res = await this.#client.kv.range({ key: Buffer.from([0]), count_only: true });
    return rev(res.header.revision);
  }

  async compact(revision: number): Promise<void> {
    this.#checkOpen();
    try {
      await this.#client.kv.compact({ revision, physical: true });
    } catch (err) {
      if (isCompactedError(err)) return; // already compacted at or beyond it
      throw await this.#translate(err, revision);
    }
  }

  async close(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    await this.#compactor;
    this.#client.close();
  }

  #checkOpen(): void {
    if (this.#stop.signal.aborted) throw new StoreClosedError();
  }

  /** The error of a failed compare: the key is gone, or it moved on. */
  #casFailure(key: string, res: ITxnResponse): Error {
    const current = res.responses[0]?.response_range?.kvs[0];
    return current === undefined
      ? new KeyNotFoundError(key)
      : new ConflictError(key, fromEtcd(current));
  }

  /** Maps etcd's revision errors onto the Store's. */
  async #translate(err: unknown, revision: number): Promise<unknown> {
    if (isFutureRevisionError(err)) {
      return new FutureRevisionError(revision, await this.currentRevision());
    }
    if (isCompactedError(err)) return new CompactedError(revision, await this.#compactRevision());
    return err;
  }

  /**
   * The cluster's compact revision. etcd reports it only on a watch that starts too early, so
   * ask with a watch from revision 1 on an unused key (the answer comes at once when compacted).
   */
  async #compactRevision(): Promise<number> {
    const stream = await this.#client.watchClient.watch();
    try {
      return await new Promise<number>((resolve, reject) => {
        stream.on('data', (res) => {
          if (res.canceled) resolve(rev(res.compact_revision));
        });
        stream.on('error', reject);
        stream.on('end', () => resolve(0));
        setTimeout(() => resolve(0), 5000).unref(); // not compacted after all
        stream.write({ create_request: { key: Buffer.from([0]), start_revision: 1 } });
      });
    } finally {
      stream.cancel();
    }
  }
}

/**
 * Conversions between etcd's wire types (etcd3 / grpc-js) and the Store types, and recognition
 * of etcd's errors. etcd sends int64 fields as decimal strings; revisions stay far below 2^53.
 */
import type { IEvent, IKeyValue } from 'etcd3';
import { WatchClosedError } from '../store.js';
import type { KeyValue, StoreEvent } from '../store.js';

/** A string key as etcd bytes. */
export function keyBytes(key: string): Buffer {
  return Buffer.from(key, 'utf8');
}

/** A Uint8Array as a Buffer without copying. */
export function valueBytes(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * The exclusive end of the byte range holding every key that starts with `prefix`
 * (clientv3.GetPrefixRangeEnd): the prefix with its last byte below 0xff incremented, or
 * `\0` (meaning "to the end of the key space") when there is none.
 */
export function rangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] ?? 0xff) < 0xff) {
      end[i] = (end[i] ?? 0) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** A revision as etcd sends it (decimal string) as a number. */
export function rev(value: string | number | null | undefined): number {
  return Number(value ?? 0);
}

/** An etcd KeyValue as a Store KeyValue. */
export function fromEtcd(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: new Uint8Array(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength),
    createRevision: rev(kv.create_revision),
    modRevision: rev(kv.mod_revision),
  };
}

/**
 * An etcd watch event as a Store event. etcd omits prev_kv when the previous version was
 * already compacted; such an event cannot be delivered faithfully, so the watch closes (the
 * consumer re-lists), as kube-apiserver's etcd3 watcher does on `PrevKv == nil`.
 * @throws WatchClosedError
 */
export function eventFromEtcd(e: IEvent): StoreEvent {
  const kv = e.kv;
  const prev = e.prev_kv;
  const isCreate = kv.create_revision === kv.mod_revision;
  if (e.type === 'Put' && isCreate) return { type: 'create', kv: fromEtcd(kv) };
  if (prev === undefined || prev === null) {
    throw new WatchClosedError(
      `etcd sent no previous value for ${kv.key.toString('utf8')} at revision ${kv.mod_revision} (compacted)`,
    );
  }
  if (e.type === 'Put') return { type: 'update', kv: fromEtcd(kv), prev: fromEtcd(prev) };
  return { type: 'delete', prev: fromEtcd(prev), revision: rev(kv.mod_revision) };
}

/** etcd's error texts (rpctypes), the only way the gRPC status tells these cases apart. */
const compactedText = 'required revision has been compacted';
const futureText = 'required revision is a future revision';

/** True when etcd refused a read or compaction because the revision was compacted. */
export function isCompactedError(err: unknown): boolean {
  return err instanceof Error && err.message.includes(compactedText);
}

/** True when etcd refused a read or compaction at a revision it has not reached. */
export function isFutureRevisionError(err: unknown): boolean {
  return err instanceof Error && err.message.includes(futureText);
}

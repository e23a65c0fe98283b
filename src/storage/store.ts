/**
 * Revisioned key-value storage with etcd semantics, the API server's only persistence.
 * Implementations: memory (unit tests), sqlite (embedded default, kine-style log table), etcd.
 * Every implementation passes the behavioural suite in conformance.ts.
 */
import { PorticoError } from '../lib/errors.js';

/** One key at one revision. Values are opaque bytes (encoded API objects). */
export interface KeyValue {
  readonly key: string;
  readonly value: Uint8Array;
  /** Revision of the write that created the key. */
  readonly createRevision: number;
  /** Revision of the latest write; surfaces as metadata.resourceVersion. */
  readonly modRevision: number;
}

export type StoreEvent =
  | { readonly type: 'create'; readonly kv: KeyValue }
  | { readonly type: 'update'; readonly kv: KeyValue; readonly prev: KeyValue }
  | { readonly type: 'delete'; readonly prev: KeyValue; readonly revision: number };

export interface ListOptions {
  /** Read as of this revision; omitted = latest. Throws CompactedError when too old. */
  readonly revision?: number;
  readonly limit?: number;
  /** Exclusive start key, decoded from the API's `continue` token. */
  readonly startAfter?: string;
}

export interface ListResult {
  /** Store revision the read observed; becomes the list's resourceVersion. */
  readonly revision: number;
  readonly items: readonly KeyValue[];
  /** Items left after this page; 0 on the last page. */
  readonly remaining: number;
}

/**
 * Batches of events. Iteration ends when the signal aborts. It throws CompactedError when
 * afterRevision is no longer available, and WatchClosedError when the consumer fell behind
 * (the caller re-lists, exactly as a client does on HTTP 410).
 */
export type StoreWatch = AsyncIterable<readonly StoreEvent[]>;

export interface Store {
  get(key: string): Promise<{ readonly revision: number; readonly kv: KeyValue | undefined }>;
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** @throws KeyExistsError */
  create(key: string, value: Uint8Array): Promise<KeyValue>;
  /** Compare-and-swap on modRevision. @throws KeyNotFoundError, ConflictError (carries the current value) */
  update(key: string, value: Uint8Array, expectedRevision: number): Promise<KeyValue>;
  /** Unconditional when expectedRevision is omitted. @throws KeyNotFoundError, ConflictError */
  delete(
    key: string,
    expectedRevision?: number,
  ): Promise<{ readonly revision: number; readonly prev: KeyValue }>;
  /** Events for keys under `prefix` with revision > `afterRevision`, in revision order. */
  watch(prefix: string, afterRevision: number, signal: AbortSignal): StoreWatch;
  currentRevision(): Promise<number>;
  /** Forgets history at and below `revision`; later watches and reads from there throw CompactedError. */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

export class KeyExistsError extends PorticoError {
  readonly key: string;
  constructor(key: string) {
    super('E_STORE_KEY_EXISTS', `key ${key} already exists`);
    this.key = key;
  }
}

export class KeyNotFoundError extends PorticoError {
  readonly key: string;
  constructor(key: string) {
    super('E_STORE_KEY_NOT_FOUND', `key ${key} not found`);
    this.key = key;
  }
}

export class ConflictError extends PorticoError {
  readonly key: string;
  readonly current: KeyValue;
  constructor(key: string, current: KeyValue) {
    super('E_STORE_CONFLICT', `key ${key} was modified (now at revision ${current.modRevision})`);
    this.key = key;
    this.current = current;
  }
}

export class CompactedError extends PorticoError {
  readonly compactRevision: number;
  constructor(requested: number, compactRevision: number) {
    super(
      'E_STORE_COMPACTED',
      `revision ${requested} has been compacted (compacted through ${compactRevision})`,
    );
    this.compactRevision = compactRevision;
  }
}

export class WatchClosedError extends PorticoError {
  constructor(reason: string) {
    super('E_STORE_WATCH_CLOSED', `watch closed: ${reason}`);
  }
}

/**
 * A read asked for a revision the store has not reached yet (etcd's ErrFutureRev). The API
 * server answers it as kube-apiserver does: 504 Timeout with cause ResourceVersionTooLarge.
 */
export class FutureRevisionError extends PorticoError {
  readonly requested: number;
  readonly currentRevision: number;
  constructor(requested: number, currentRevision: number) {
    super(
      'E_STORE_FUTURE_REVISION',
      `revision ${requested} is newer than the store's current revision ${currentRevision}`,
    );
    this.requested = requested;
    this.currentRevision = currentRevision;
  }
}

/** An operation was attempted on a store that has been closed. */
export class StoreClosedError extends PorticoError {
  constructor() {
    super('E_STORE_CLOSED', 'the store is closed');
  }
}

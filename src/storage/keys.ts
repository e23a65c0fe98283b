/**
 * Key helpers shared by the backends. Keys are compared as strings of UTF-16 code units in the
 * memory backend and as UTF-8 bytes in sqlite (BINARY collation) and etcd; the two orders agree
 * for every key made of Kubernetes names (ASCII), which is all the API server writes.
 */
import type { KeyValue, StoreEvent } from './store.js';

/**
 * The smallest string greater than every string that starts with `prefix` (etcd's "range end"
 * for a prefix read), or undefined when no such bound exists (empty prefix, or a prefix made
 * only of U+FFFF).
 */
export function prefixEnd(prefix: string): string | undefined {
  let end = prefix;
  while (end.length > 0) {
    const last = end.charCodeAt(end.length - 1);
    if (last < 0xffff) return end.slice(0, -1) + String.fromCharCode(last + 1);
    end = end.slice(0, -1);
  }
  return undefined;
}

/** The revision at which an event happened. */
export function eventRevision(event: StoreEvent): number {
  return event.type === 'delete' ? event.revision : event.kv.modRevision;
}

/** The key an event is about. */
export function eventKey(event: StoreEvent): string {
  return event.type === 'delete' ? event.prev.key : event.kv.key;
}

/** A KeyValue with its value copied, so that a caller mutating its buffer cannot touch storage. */
export function keyValue(
  key: string,
  value: Uint8Array,
  createRevision: number,
  modRevision: number,
): KeyValue {
  return { key, value: Uint8Array.from(value), createRevision, modRevision };
}

/** Rejects values that are not byte arrays and keys that cannot be stored. */
export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new TypeError('store keys must be non-empty strings');
  }
}

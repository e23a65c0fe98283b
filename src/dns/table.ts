/**
 * A hash table keyed by DNS names in lower-case wire form, looked up straight from a query's
 * bytes (case-insensitively) with the hash the parser computed: no string is made per query.
 * Chained buckets, doubling at load 1.
 */
import { hashName } from './query.js';

interface Slot<V> {
  readonly hash: number;
  readonly name: Uint8Array;
  value: V;
  next: Slot<V> | undefined;
}

function sameName(msg: Uint8Array, start: number, name: Uint8Array): boolean {
  for (let i = 0; i < name.length; i++) {
    let c = msg[start + i] ?? 0;
    if (c >= 65 && c <= 90) c |= 32;
    if (c !== name[i]) return false;
  }
  return true;
}

export class NameTable<V> {
  #buckets: (Slot<V> | undefined)[] = new Array<Slot<V> | undefined>(1024);
  #mask = 1023;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** The value for the name at msg[start, end), whose hash is `hash`. */
  lookup(msg: Uint8Array, start: number, end: number, hash: number): V | undefined {
    const len = end - start;
    for (let s = this.#buckets[hash & this.#mask]; s !== undefined; s = s.next) {
      if (s.hash === hash && s.name.length === len && sameName(msg, start, s.name)) return s.value;
    }
    return undefined;
  }

  /** `name` is lower-case wire form. */
  get(name: Uint8Array): V | undefined {
    return this.lookup(name, 0, name.length, hashName(name, 0, name.length));
  }

  set(name: Uint8Array, value: V): void {
    const hash = hashName(name, 0, name.length);
    const i = hash & this.#mask;
    for (let s = this.#buckets[i]; s !== undefined; s = s.next) {
      if (s.hash === hash && s.name.length === name.length && sameName(name, 0, s.name)) {
        s.value = value;
        return;
      }
    }
    this.#buckets[i] = { hash, name, value, next: this.#buckets[i] };
    if (++this.#size > this.#buckets.length) this.#grow();
  }

  delete(name: Uint8Array): boolean {
    const hash = hashName(name, 0, name.length);
    const i = hash & this.#mask;
    let prev: Slot<V> | undefined;
    for (let s = this.#buckets[i]; s !== undefined; prev = s, s = s.next) {
      if (s.hash === hash && s.name.length === name.length && sameName(name, 0, s.name)) {
        if (prev) prev.next = s.next;
        else this.#buckets[i] = s.next;
        this.#size--;
        return true;
      }
    }
    return false;
  }

  clear(): void {
    this.#buckets = new Array<Slot<V> | undefined>(1024);
    this.#mask = 1023;
    this.#size = 0;
  }

  *entries(): IterableIterator<[Uint8Array, V]> {
    for (const head of this.#buckets)
      for (let s = head; s !== undefined; s = s.next) yield [s.name, s.value];
  }

  #grow(): void {
    const old = this.#buckets;
    this.#buckets = new Array<Slot<V> | undefined>(old.length * 2);
    this.#mask = this.#buckets.length - 1;
    for (const head of old) {
      for (let s = head; s !== undefined;) {
        const next = s.next;
        const i = s.hash & this.#mask;
        s.next = this.#buckets[i];
        this.#buckets[i] = s;
        s = next;
      }
    }
  }
}

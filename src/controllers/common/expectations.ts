/**
 * Creation and deletion expectations (client-go's ControllerExpectations with UID tracking):
 * after a controller asks for N pods it must not count again from a cache that has not yet
 * seen them, or it would create them twice. Each create or delete it issues is expected; each
 * informer event that shows one lowers the count; a key is synced again only once its
 * expectations are met, or after a 5-minute timeout in case an event was lost.
 */
import type { Clock } from '../../lib/clock.js';

/** client-go's ExpectationsTimeout. */
export const expectationsTimeoutMs = 5 * 60 * 1000;

interface Record {
  adds: number;
  /** Keys (ns/name) of objects we are deleting. */
  dels: Set<string>;
  timestamp: number;
}

/** Per-owner counts of outstanding creates and the keys of outstanding deletes. */
export class Expectations {
  readonly #clock: Clock;
  readonly #records = new Map<string, Record>();

  constructor(options: { clock: Clock }) {
    this.#clock = options.clock;
  }

  /** Expects `n` creations for the owner (replaces earlier expectations). */
  expectCreations(owner: string, n: number): void {
    this.#records.set(owner, { adds: n, dels: new Set(), timestamp: this.#clock.now() });
  }

  /** Expects the deletion of these objects (replaces earlier expectations). */
  expectDeletions(owner: string, keys: readonly string[]): void {
    this.#records.set(owner, { adds: 0, dels: new Set(keys), timestamp: this.#clock.now() });
  }

  /** An informer showed a created object (or a create failed and will not show up). */
  creationObserved(owner: string): void {
    const r = this.#records.get(owner);
    if (r !== undefined && r.adds > 0) r.adds--;
  }

  /** An informer showed an object gone or being deleted (or our delete failed). */
  deletionObserved(owner: string, key: string): void {
    this.#records.get(owner)?.dels.delete(key);
  }

  /** True when the owner may be synced from the cache. */
  satisfied(owner: string): boolean {
    const r = this.#records.get(owner);
    if (r === undefined) return true;
    if (r.adds <= 0 && r.dels.size === 0) return true;
    return this.#clock.now() - r.timestamp > expectationsTimeoutMs;
  }

  delete(owner: string): void {
    this.#records.delete(owner);
  }
}

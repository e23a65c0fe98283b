/**
 * The multi-version key space of the memory backend: for every key, its versions in revision
 * order (a deleted key's last version is a tombstone), plus the keys in sorted order so that
 * prefix ranges and `startAfter` are binary searches. Reads at any revision not yet compacted
 * see exactly what the store held then.
 */
import type { KeyValue } from '../store.js';

/** One version of a key: the value written at `revision`, or a tombstone. */
export interface Version {
  readonly revision: number;
  /** Undefined for a tombstone (the key was deleted at `revision`). */
  readonly kv: KeyValue | undefined;
}

function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? '') < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The version of `versions` visible at `revision` (the newest at or below it). */
function visibleAt(versions: readonly Version[], revision: number): Version | undefined {
  for (let i = versions.length - 1; i >= 0; i--) {
    const v = versions[i];
    if (v !== undefined && v.revision <= revision) return v;
  }
  return undefined;
}

/** Ordered, multi-version keys. */
export class History {
  readonly #versions = new Map<string, Version[]>();
  #sorted: string[] = [];

  /** The newest value of `key`, or undefined when it does not exist now. */
  latest(key: string): KeyValue | undefined {
    const versions = this.#versions.get(key);
    return versions?.[versions.length - 1]?.kv;
  }

  /** Appends a version (a value, or a tombstone when `kv` is undefined). */
  append(key: string, revision: number, kv: KeyValue | undefined): void {
    let versions = this.#versions.get(key);
    if (versions === undefined) {
      versions = [];
      this.#versions.set(key, versions);
      this.#sorted.splice(lowerBound(this.#sorted, key), 0, key);
    }
    versions.push({ revision, kv });
  }

  /**
   * Live keys under `prefix` at `revision`, in key order, strictly after `startAfter`.
   * Yields lazily so that a limited read stops early.
   */
  *range(prefix: string, revision: number, startAfter: string | undefined): Generator<KeyValue> {
    const from = startAfter !== undefined && startAfter >= prefix ? startAfter : prefix;
    let i = lowerBound(this.#sorted, from);
    for (; i < this.#sorted.length; i++) {
      const key = this.#sorted[i] ?? '';
      if (!key.startsWith(prefix)) return;
      if (startAfter !== undefined && key <= startAfter) continue;
      const kv = visibleAt(this.#versions.get(key) ?? [], revision)?.kv;
      if (kv !== undefined) yield kv;
    }
  }

  /**
   * Forgets every version that no read at `revision` or later can see: for each key, the
   * versions older than the one visible at `revision`, and that one too when it is a tombstone.
   */
  compact(revision: number): void {
    const emptied: string[] = [];
    for (const [key, versions] of this.#versions) {
      let keep = 0;
      for (let i = versions.length - 1; i >= 0; i--) {
        const v = versions[i];
        if (v !== undefined && v.revision <= revision) {
          keep = v.kv === undefined ? i + 1 : i;
          break;
        }
      }
      if (keep > 0) versions.splice(0, keep);
      if (versions.length === 0) emptied.push(key);
    }
    if (emptied.length === 0) return;
    for (const key of emptied) this.#versions.delete(key);
    this.#sorted = this.#sorted.filter((key) => this.#versions.has(key));
  }
}

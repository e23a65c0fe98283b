/**
 * Stale-cache protection for controllers that write objects they also watch (the idea of
 * Kubernetes' EndpointSliceTracker): remember the resourceVersion of every object we wrote, per
 * owner, and
 * - ignore informer events for versions we wrote ourselves or older ones (no echo syncs);
 * - refuse to sync an owner while the cache holds an older version of one of its objects than
 *   the one we wrote, or lacks one we created, or still holds one we deleted: acting on such a
 *   cache would undo our own writes or create duplicates. The sync throws StaleCacheError and
 *   the runner retries with backoff once the watch has caught up.
 */
import type { KubeObject } from '../../api/meta/types.js';
import { PorticoError } from '../../lib/errors.js';
import { compareResourceVersions } from '../common/meta.js';

/** The informer cache is older than our own last write; retried with backoff. */
export class StaleCacheError extends PorticoError {
  constructor(what: string) {
    super('E_STALE_CACHE', `informer cache is older than our last write for ${what}`);
  }
}

const deletionExpected = '';

/** The resourceVersions we wrote, per owner key (see the file comment). */
export class ResourceVersionTracker {
  /** owner key → object uid → resourceVersion we wrote ('' = we deleted it). */
  readonly #byOwner = new Map<string, Map<string, string>>();

  /** Records an object as returned by our create or update. */
  update(owner: string, obj: KubeObject): void {
    const uid = obj.metadata.uid;
    const rv = obj.metadata.resourceVersion;
    if (uid === undefined || rv === undefined) return;
    this.#owner(owner).set(uid, rv);
  }

  /** Records that we are deleting an object. */
  expectDeletion(owner: string, obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (uid !== undefined) this.#owner(owner).set(uid, deletionExpected);
  }

  has(owner: string, obj: KubeObject): boolean {
    return this.#byOwner.get(owner)?.has(obj.metadata.uid ?? '') ?? false;
  }

  /**
   * Whether an add or update event for this object should trigger a sync: not when it is our
   * own write or older than it, nor when we are deleting it.
   */
  shouldSync(owner: string, obj: KubeObject): boolean {
    const tracked = this.#byOwner.get(owner)?.get(obj.metadata.uid ?? '');
    if (tracked === undefined) return true;
    if (tracked === deletionExpected) return false;
    const cmp = compareResourceVersions(obj.metadata.resourceVersion ?? '', tracked);
    return cmp === undefined || cmp > 0;
  }

  /**
   * Forgets a deleted object. Returns true when the deletion was not ours (someone else deleted
   * it: sync to put it back).
   */
  handleDeletion(owner: string, obj: KubeObject): boolean {
    const m = this.#byOwner.get(owner);
    const uid = obj.metadata.uid ?? '';
    const tracked = m?.get(uid);
    m?.delete(uid);
    if (m?.size === 0) this.#byOwner.delete(owner);
    return tracked !== deletionExpected;
  }

  /**
   * True when `cached` (the owner's objects in the informer cache) is older than what we wrote:
   * an object at an older version, one we deleted still present, or one we wrote missing.
   */
  stale(owner: string, cached: readonly KubeObject[]): boolean {
    const m = this.#byOwner.get(owner);
    if (m === undefined) return false;
    const seen = new Set<string>();
    for (const obj of cached) {
      const uid = obj.metadata.uid ?? '';
      seen.add(uid);
      const tracked = m.get(uid);
      if (tracked === undefined) continue;
      if (tracked === deletionExpected) {
        if (obj.metadata.deletionTimestamp === undefined) return true;
        continue;
      }
      const cmp = compareResourceVersions(obj.metadata.resourceVersion ?? '', tracked);
      if (cmp !== undefined && cmp < 0) return true;
    }
    for (const [uid, rv] of m) if (rv !== deletionExpected && !seen.has(uid)) return true;
    return false;
  }

  /** Forgets everything about an owner (it was deleted). */
  deleteOwner(owner: string): void {
    this.#byOwner.delete(owner);
  }

  #owner(owner: string): Map<string, string> {
    let m = this.#byOwner.get(owner);
    if (m === undefined) {
      m = new Map();
      this.#byOwner.set(owner, m);
    }
    return m;
  }
}

/**
 * How long to wait before looking again at an owner whose cache is stale. A stale cache is the
 * normal state for the few milliseconds between our write and its watch event, so it is not an
 * error: the key is re-queued after 10, 20, 40 … ms (capped at 5 s) and only after 20 tries in
 * a row (about a minute) does the sync fail with StaleCacheError, which the runner logs.
 */
export class StaleRetry {
  readonly #tries = new Map<string, number>();

  /** The delay before the next look, or undefined when it is time to give up and fail. */
  next(key: string): number | undefined {
    const n = this.#tries.get(key) ?? 0;
    if (n >= 20) {
      this.#tries.delete(key);
      return undefined;
    }
    this.#tries.set(key, n + 1);
    return Math.min(5000, 10 * 2 ** n);
  }

  reset(key: string): void {
    this.#tries.delete(key);
  }
}

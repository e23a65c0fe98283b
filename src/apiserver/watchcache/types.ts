/**
 * Shapes shared by the watch cache, its watchers and the list/watch verbs.
 */
import type { KubeObject, Status } from '../../api/meta/types.js';

/**
 * One object as the cache holds it. The object is shared by every reader and must never be
 * mutated; its JSON is computed once, on first use, and reused by every list and watch.
 */
export class CachedObject {
  readonly key: string;
  readonly obj: KubeObject;
  #json: string | undefined;
  constructor(key: string, obj: KubeObject) {
    this.key = key;
    this.obj = obj;
  }
  get json(): string {
    this.#json ??= JSON.stringify(this.obj);
    return this.#json;
  }
  /** A copy whose resourceVersion is `revision` (the object of a DELETED event). */
  withResourceVersion(revision: number): CachedObject {
    return new CachedObject(this.key, {
      ...this.obj,
      metadata: { ...this.obj.metadata, resourceVersion: String(revision) },
    });
  }
}

/** A change to one key, as the store reported it. */
export interface CacheEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly revision: number;
  readonly key: string;
  /** The object after the change; for DELETED, its last state with the delete's resourceVersion. */
  readonly object: CachedObject;
  /** The object before the change (MODIFIED and DELETED). */
  readonly prev?: CachedObject;
}

/** What a watcher emits. */
export type WatchOutput =
  | { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: CachedObject }
  | { readonly type: 'BOOKMARK'; readonly revision: number; readonly initialEventsEnd?: boolean }
  | { readonly type: 'ERROR'; readonly status: Status };

/** Which objects a list or watch wants. */
export interface ObjectFilter {
  /** Key prefix: the resource, or one namespace of it. */
  readonly prefix: string;
  /** Label and field selectors; undefined matches everything under the prefix. */
  readonly matches?: (obj: KubeObject) => boolean;
}

export function filterMatches(f: ObjectFilter, o: CachedObject): boolean {
  return o.key.startsWith(f.prefix) && (f.matches === undefined || f.matches(o.obj));
}

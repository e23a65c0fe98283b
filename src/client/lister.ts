/**
 * The cache behind an informer, and the read-only Lister view of it: objects by `namespace/name`
 * key, a built-in namespace index, and named indexes (client-go's `cache.Indexer`). Controller
 * tests build one from fixture objects with `Indexer.from(objects)` to get a Lister without an
 * informer.
 *
 * Objects handed out are the cached objects themselves, shared by every reader: never mutate one
 * (copy with structuredClone first), as client-go's listers require.
 */
import { everything, type Selector } from '../api/meta/labels.js';
import type { KubeObject } from '../api/meta/types.js';
import { namespacedKey, objectKey } from './keys.js';
import type { Lister } from './types.js';

/** The name of the built-in index: object namespace (empty string for cluster-scoped objects). */
export const namespaceIndex = 'namespace';

export type IndexFunc<T> = (obj: T) => readonly string[];

interface Index<T> {
  readonly fn: IndexFunc<T>;
  readonly values: Map<string, Set<string>>;
  /**
   * What fn returned for each key when it was stored, so a removal never depends on fn again (a
   * single value is kept as a plain string: most index functions return one).
   */
  readonly byKey: Map<string, string | readonly string[]>;
}

export class Indexer<T extends KubeObject> implements Lister<T> {
  readonly #items = new Map<string, T>();
  readonly #indexes = new Map<string, Index<T>>();

  constructor() {
    this.addIndex(namespaceIndex, (o) => [o.metadata.namespace ?? '']);
  }

  /** An indexer holding `objects` (for tests and fixtures). */
  static from<T extends KubeObject>(objects: readonly T[]): Indexer<T> {
    const ix = new Indexer<T>();
    for (const o of objects) ix.set(o);
    return ix;
  }

  /** Adds (or replaces) an index and fills it from what is cached. */
  addIndex(name: string, fn: IndexFunc<T>): void {
    const index: Index<T> = { fn, values: new Map(), byKey: new Map() };
    this.#indexes.set(name, index);
    for (const [key, obj] of this.#items) this.#indexAdd(index, key, obj);
  }

  get size(): number {
    return this.#items.size;
  }

  keys(): IterableIterator<string> {
    return this.#items.keys();
  }

  values(): IterableIterator<T> {
    return this.#items.values();
  }

  getByKey(key: string): T | undefined {
    return this.#items.get(key);
  }

  /** Stores an object; returns the one it replaced. */
  set(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.#items.get(key);
    if (old) for (const index of this.#indexes.values()) this.#indexRemove(index, key);
    this.#items.set(key, obj);
    for (const index of this.#indexes.values()) this.#indexAdd(index, key, obj);
    return old;
  }

  /** Removes by key; returns what was there. */
  delete(key: string): T | undefined {
    const old = this.#items.get(key);
    if (!old) return undefined;
    this.#items.delete(key);
    for (const index of this.#indexes.values()) this.#indexRemove(index, key);
    return old;
  }

  // ---- Lister ----------------------------------------------------------------------------------

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#items.get(namespacedKey(namespace, name));
  }

  /** Objects in `namespace` (all namespaces when undefined) matching `selector`, sorted by key. */
  list(namespace?: string, selector: Selector = everything): readonly T[] {
    const keys =
      namespace === undefined
        ? [...this.#items.keys()]
        : [...(this.#indexes.get(namespaceIndex)?.values.get(namespace) ?? [])];
    const out: T[] = [];
    for (const k of keys.sort()) {
      const o = this.#items.get(k);
      if (o && (selector.empty() || selector.matches(o.metadata.labels))) out.push(o);
    }
    return out;
  }

  /**
   * Objects whose index function returned `value`, sorted by key.
   * @throws Error when no index of that name exists (a programming error).
   */
  byIndex(index: string, value: string): readonly T[] {
    const ix = this.#indexes.get(index);
    if (!ix) throw new Error(`no index named ${JSON.stringify(index)}`);
    return [...(ix.values.get(value) ?? [])]
      .sort()
      .map((k) => this.#items.get(k))
      .filter((o): o is T => o !== undefined);
  }

  #indexAdd(index: Index<T>, key: string, obj: T): void {
    const values = [...new Set(index.fn(obj))];
    index.byKey.set(key, values.length === 1 ? (values[0] ?? '') : values);
    for (const v of values) {
      let set = index.values.get(v);
      if (!set) {
        set = new Set();
        index.values.set(v, set);
      }
      set.add(key);
    }
  }

  #indexRemove(index: Index<T>, key: string): void {
    const stored = index.byKey.get(key) ?? [];
    const values = typeof stored === 'string' ? [stored] : stored;
    index.byKey.delete(key);
    for (const v of values) {
      const set = index.values.get(v);
      if (!set) continue;
      set.delete(key);
      if (set.size === 0) index.values.delete(v);
    }
  }
}

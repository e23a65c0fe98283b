/**
 * In-memory Lister for unit tests of reconcilers: fixture objects in, the Lister interface out,
 * with the same namespace, selector and index semantics as an informer's cache.
 */
import type { Selector } from '../../api/meta/labels.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { Lister } from '../../client/types.js';

export class FakeLister<T extends KubeObject> implements Lister<T> {
  readonly #objects = new Map<string, T>();
  readonly #indexes = new Map<string, (obj: T) => readonly string[]>();

  constructor(
    objects: readonly T[] = [],
    indexes: Record<string, (obj: T) => readonly string[]> = {},
  ) {
    for (const [name, fn] of Object.entries(indexes)) this.#indexes.set(name, fn);
    for (const o of objects) this.set(o);
  }

  /** Adds or replaces an object. */
  set(obj: T): void {
    this.#objects.set(`${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`, obj);
  }

  remove(namespace: string | undefined, name: string): void {
    this.#objects.delete(`${namespace ?? ''}/${name}`);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#objects.get(`${namespace ?? ''}/${name}`);
  }

  list(namespace?: string, selector?: Selector): readonly T[] {
    const out: T[] = [];
    for (const o of this.#objects.values()) {
      if (namespace !== undefined && (o.metadata.namespace ?? '') !== namespace) continue;
      if (selector && !selector.matches(o.metadata.labels)) continue;
      out.push(o);
    }
    return out;
  }

  byIndex(index: string, value: string): readonly T[] {
    const fn = this.#indexes.get(index);
    if (!fn) throw new Error(`FakeLister: no index ${index}`);
    return [...this.#objects.values()].filter((o) => fn(o).includes(value));
  }
}

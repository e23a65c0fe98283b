/**
 * The committed state of one table, kept in memory so that a sync never reads the table back
 * (kube-proxy #139513: listing a large table dominated every sync). It records which owner
 * contributed which object; a sync for a few owners touches only their objects, so its cost
 * follows the size of the change, not of the table.
 */
import type { IPFamily } from '../types.js';
import { Script, chainContent, setSpecKey, tableName } from './model.js';
import type { Fragment, NftChain, NftElement, NftSet } from './model.js';
import { PorticoError } from '../../lib/errors.js';

/** The committed state cannot be moved to the desired one incrementally: do a full resync. */
export class PlanError extends PorticoError {
  constructor(message: string) {
    super('E_NFT_PLAN', message);
  }
}

/** One owner's copy of an object; a chain of them ordered by owner, the first one wins. */
interface Claim<T> {
  readonly owner: string;
  readonly value: T;
  readonly sig: string;
  next: Claim<T> | undefined;
}

/** A copy of the claim list without the given owners (claims are never mutated once committed). */
function copyWithout<T>(
  c: Claim<T> | undefined,
  owners: ReadonlySet<string>,
): Claim<T> | undefined {
  let head: Claim<T> | undefined;
  let tail: Claim<T> | undefined;
  for (let x = c; x; x = x.next) {
    if (owners.has(x.owner)) continue;
    const copy: Claim<T> = { owner: x.owner, value: x.value, sig: x.sig, next: undefined };
    if (tail) tail.next = copy;
    else head = copy;
    tail = copy;
  }
  return head;
}

function hasOwner<T>(c: Claim<T> | undefined, owners: ReadonlySet<string>): boolean {
  for (let x = c; x; x = x.next) if (owners.has(x.owner)) return true;
  return false;
}

/** Inserts a fresh claim in owner order; mutates only claims created by the current plan. */
function insert<T>(c: Claim<T> | undefined, add: Claim<T>): Claim<T> {
  if (!c || add.owner < c.owner) {
    add.next = c;
    return add;
  }
  let x = c;
  while (x.next && x.next.owner < add.owner) x = x.next;
  add.next = x.next;
  x.next = add;
  return c;
}

const elementId = (e: NftElement): string => `${e.set}\u0000${e.key}`;
const elementSig = (e: NftElement): string => e.value ?? '';

/** Statistics of one planned transaction. */
export interface PlanStats {
  elementsAdded: number;
  elementsDeleted: number;
  chainsWritten: number;
  chainsDeleted: number;
  setsAdded: number;
  setsDeleted: number;
}

export interface Plan {
  readonly script: Script;
  readonly stats: PlanStats;
  /** Records the plan as committed; call only after the kernel accepted the script. */
  commit(): void;
}

/** What the kernel holds besides what we committed (read at a full sync). */
export interface TableListing {
  readonly chains: readonly string[];
  /** Sets and maps, with their kind. */
  readonly sets: readonly { readonly name: string; readonly kind: 'set' | 'map' }[];
}

export class TableIndex {
  readonly family: IPFamily;
  #owners = new Map<string, Fragment>();
  #elements = new Map<string, Claim<NftElement>>();
  #chains = new Map<string, Claim<NftChain>>();
  #sets = new Map<string, Claim<NftSet>>();

  constructor(family: IPFamily) {
    this.family = family;
  }

  get ownerCount(): number {
    return this.#owners.size;
  }

  get elementCount(): number {
    return this.#elements.size;
  }

  /** The committed fragment of an owner. */
  fragment(owner: string): Fragment | undefined {
    return this.#owners.get(owner);
  }

  /** Every effective object, for rendering and tests. */
  objects(): { sets: NftSet[]; chains: NftChain[]; elements: NftElement[] } {
    return {
      sets: [...this.#sets.values()].map((c) => c.value),
      chains: [...this.#chains.values()].map((c) => c.value),
      elements: [...this.#elements.values()].map((c) => c.value),
    };
  }

  /**
   * Plans the transaction that replaces the fragments of the owners in `changes` (undefined =
   * the owner is gone). The committed state is untouched until `commit()`.
   */
  plan(changes: ReadonlyMap<string, Fragment | undefined>): Plan {
    const changed = new Set(changes.keys());
    const newElements = new Map<string, Claim<NftElement>>();
    const newChains = new Map<string, Claim<NftChain>>();
    const newSets = new Map<string, Claim<NftSet>>();
    const touchedElements = new Set<string>();
    const touchedChains = new Set<string>();
    const touchedSets = new Set<string>();
    for (const [owner, frag] of changes) {
      const old = this.#owners.get(owner);
      if (old) {
        for (const e of old.elements) touchedElements.add(elementId(e));
        for (const c of old.chains) touchedChains.add(c.name);
        for (const s of old.sets) touchedSets.add(s.name);
      }
      if (!frag) continue;
      for (const e of frag.elements) {
        const id = elementId(e);
        touchedElements.add(id);
        newElements.set(
          id,
          insert(newElements.get(id), { owner, value: e, sig: elementSig(e), next: undefined }),
        );
      }
      for (const c of frag.chains) {
        touchedChains.add(c.name);
        newChains.set(
          c.name,
          insert(newChains.get(c.name), { owner, value: c, sig: chainContent(c), next: undefined }),
        );
      }
      for (const s of frag.sets) {
        touchedSets.add(s.name);
        newSets.set(
          s.name,
          insert(newSets.get(s.name), { owner, value: s, sig: setSpecKey(s), next: undefined }),
        );
      }
    }

    const merge = <T>(
      current: Claim<T> | undefined,
      added: Claim<T> | undefined,
    ): Claim<T> | undefined => {
      if (!added && !hasOwner(current, changed)) return current;
      let out = copyWithout(current, changed);
      for (let x = added; x;) {
        const next = x.next;
        x.next = undefined;
        out = insert(out, x);
        x = next;
      }
      return out;
    };

    const elementAfter = new Map<string, Claim<NftElement> | undefined>();
    for (const id of touchedElements)
      elementAfter.set(id, merge(this.#elements.get(id), newElements.get(id)));
    const chainAfter = new Map<string, Claim<NftChain> | undefined>();
    for (const name of touchedChains)
      chainAfter.set(name, merge(this.#chains.get(name), newChains.get(name)));
    const setAfter = new Map<string, Claim<NftSet> | undefined>();
    for (const name of touchedSets)
      setAfter.set(name, merge(this.#sets.get(name), newSets.get(name)));

    const script = new Script(this.family);
    const stats: PlanStats = {
      elementsAdded: 0,
      elementsDeleted: 0,
      chainsWritten: 0,
      chainsDeleted: 0,
      setsAdded: 0,
      setsDeleted: 0,
    };
    const setsRemoved: NftSet[] = [];
    for (const [name, after] of setAfter) {
      const before = this.#sets.get(name);
      if (before && after && before.sig !== after.sig) {
        // Specs are fixed per name (the skeleton's per family, affinity sets' always): a change
        // means a newer version of the proxy, which a full resync handles.
        throw new PlanError(`set ${name} changed its definition`);
      }
      if (before && !after) setsRemoved.push(before.value);
    }
    // Phase 1: new sets and chains exist before anything refers to them.
    for (const [name, after] of setAfter) {
      const before = this.#sets.get(name);
      if (after && !before) {
        script.addSet(after.value);
        stats.setsAdded++;
      }
    }
    const chainsRemoved: string[] = [];
    const chainsWritten: NftChain[] = [];
    for (const [name, after] of chainAfter) {
      const before = this.#chains.get(name);
      if (!after) {
        if (before) chainsRemoved.push(name);
        continue;
      }
      if (!before) {
        script.addChain(after.value);
        chainsWritten.push(after.value);
      } else if (before.sig !== after.sig) {
        chainsWritten.push(after.value);
      }
    }
    // Phase 2: rules of new and changed chains.
    for (const c of chainsWritten) {
      if (this.#chains.has(c.name)) script.flushChain(c.name);
      for (const r of c.rules) script.addRule(c.name, r);
      stats.chainsWritten++;
    }
    // Phase 3-4: elements, deletes before adds (a changed value is delete + add). Elements of a
    // set that goes away go with it.
    const removedSets = new Set(setsRemoved.map((x) => x.name));
    const adds: NftElement[] = [];
    for (const [id, after] of elementAfter) {
      const before = this.#elements.get(id);
      if (before && (!after || before.sig !== after.sig) && !removedSets.has(before.value.set)) {
        script.deleteElement(before.value.set, before.value.key);
        stats.elementsDeleted++;
      }
      if (after && (!before || before.sig !== after.sig)) adds.push(after.value);
    }
    adds.sort((x, y) => (x.set < y.set ? -1 : x.set > y.set ? 1 : 0));
    for (const e of adds) script.addElement(e);
    stats.elementsAdded += adds.length;
    // Phase 5-6: chains, then sets, that nothing refers to any more.
    for (const name of chainsRemoved) script.flushChain(name);
    for (const name of chainsRemoved) script.deleteChain(name);
    stats.chainsDeleted = chainsRemoved.length;
    for (const s of setsRemoved) script.deleteSet(s);
    stats.setsDeleted += setsRemoved.length;

    return {
      script,
      stats,
      commit: () => {
        for (const [owner, frag] of changes) {
          if (frag) this.#owners.set(owner, frag);
          else this.#owners.delete(owner);
        }
        const store = <T>(
          m: Map<string, Claim<T>>,
          after: Map<string, Claim<T> | undefined>,
        ): void => {
          for (const [id, c] of after) {
            if (c) m.set(id, c);
            else m.delete(id);
          }
        };
        store(this.#elements, elementAfter);
        store(this.#chains, chainAfter);
        store(this.#sets, setAfter);
      },
    };
  }

  /**
   * Plans a full resync: rewrites every chain and every map we fill, whatever the kernel holds,
   * and removes what the listing shows that we do not want. Dynamic sets (affinity) that still
   * exist are kept with their contents, so clients keep their endpoint across a restart.
   */
  planFull(
    all: ReadonlyMap<string, Fragment>,
    listing: TableListing | undefined,
    comment: string,
  ): Plan {
    const fresh = new TableIndex(this.family);
    const p = fresh.plan(all);
    p.commit();
    const objects = fresh.objects();
    const script = new Script(this.family);
    script.addTable(comment);
    const existingSets = new Set(listing?.sets.map((s) => s.name) ?? []);
    const existingChains = new Set(listing?.chains ?? []);
    for (const s of objects.sets.sort(byName)) {
      script.addSet(s);
      if (s.dynamic !== true && existingSets.has(s.name)) script.flushSet(s);
    }
    for (const c of objects.chains.sort(byName)) {
      script.addChain(c);
      if (existingChains.has(c.name)) script.flushChain(c.name);
    }
    for (const c of objects.chains) for (const r of c.rules) script.addRule(c.name, r);
    const elements = objects.elements.sort((x, y) => (x.set < y.set ? -1 : x.set > y.set ? 1 : 0));
    for (const e of elements) script.addElement(e);
    const wantedChains = new Set(objects.chains.map((c) => c.name));
    const wantedSets = new Set(objects.sets.map((s) => s.name));
    const staleChains = (listing?.chains ?? []).filter((c) => !wantedChains.has(c));
    for (const c of staleChains) script.flushChain(c);
    for (const c of staleChains) script.deleteChain(c);
    for (const s of listing?.sets ?? []) if (!wantedSets.has(s.name)) script.deleteSet(s);
    const stats: PlanStats = {
      elementsAdded: elements.length,
      elementsDeleted: 0,
      chainsWritten: objects.chains.length,
      chainsDeleted: staleChains.length,
      setsAdded: objects.sets.length,
      setsDeleted: (listing?.sets ?? []).filter((s) => !wantedSets.has(s.name)).length,
    };
    return {
      script,
      stats,
      commit: () => {
        this.#owners = fresh.#owners;
        this.#elements = fresh.#elements;
        this.#chains = fresh.#chains;
        this.#sets = fresh.#sets;
      },
    };
  }

  /** Forgets everything (after a failed sync: the next one is full). */
  reset(): void {
    this.#owners.clear();
    this.#elements.clear();
    this.#chains.clear();
    this.#sets.clear();
  }
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Canonical text of a table's objects: sorted, one element per line, loadable with `nft -f`
 * into an empty namespace. The golden-file format, and what FakeNft dumps.
 */
export function renderCanonical(
  family: IPFamily,
  objects: {
    sets: readonly NftSet[];
    chains: readonly NftChain[];
    elements: readonly NftElement[];
  },
  comment?: string,
): string {
  const script = new Script(family, { elementsPerLine: 1 });
  script.addTable(comment);
  for (const s of [...objects.sets].sort(byName)) script.addSet(s);
  const chainsSorted = [...objects.chains].sort(byName);
  for (const c of chainsSorted) script.addChain(c);
  for (const c of chainsSorted) for (const r of c.rules) script.addRule(c.name, r);
  const elements = [...objects.elements].sort((x, y) =>
    x.set !== y.set ? (x.set < y.set ? -1 : 1) : x.key < y.key ? -1 : x.key > y.key ? 1 : 0,
  );
  for (const e of elements) {
    script.addElement(e);
  }
  return script.toString();
}

export { tableName };

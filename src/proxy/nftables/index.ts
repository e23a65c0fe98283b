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

/** One owner's copy of an object. */
interface Claim<T> {
  readonly owner: string;
  readonly value: T;
  readonly sig: string;
}

/**
 * Every claim on one object. `winner` (the smallest owner) is what the kernel holds; `all` is
 * kept only once a second owner appears (most objects have one owner, some thousands: the
 * shared `pick-tcp-10` chain), so both cases cost O(1) per change.
 */
interface Slot<T> {
  winner: Claim<T>;
  all: Map<string, Claim<T>> | undefined;
}

/** Pending change of one slot: the owners that leave it and the claims that arrive. */
interface SlotChange<T> {
  leaving: string[];
  arriving: Claim<T>[];
  after: Claim<T> | undefined;
}

/** The winner after `change`, without touching `slot`. */
function winnerAfter<T>(slot: Slot<T> | undefined, change: SlotChange<T>): Claim<T> | undefined {
  let best: Claim<T> | undefined;
  const leaving = new Set(change.leaving);
  for (const a of change.arriving) leaving.add(a.owner);
  if (slot) {
    if (!leaving.has(slot.winner.owner)) best = slot.winner;
    else if (slot.all) {
      // The winner leaves: the next smallest remaining owner takes over (a scan, but only then).
      for (const c of slot.all.values())
        if (!leaving.has(c.owner) && (!best || c.owner < best.owner)) best = c;
    }
  }
  for (const c of change.arriving) if (!best || c.owner < best.owner) best = c;
  return best;
}

/** Applies `change` to the slot (at commit). */
function applySlot<T>(slot: Slot<T> | undefined, change: SlotChange<T>): Slot<T> | undefined {
  const winner = change.after;
  if (!winner) return undefined;
  let all = slot?.all;
  if (!all && slot) all = new Map([[slot.winner.owner, slot.winner]]);
  all ??= new Map();
  for (const o of change.leaving) all.delete(o);
  for (const c of change.arriving) all.set(c.owner, c);
  return { winner, all: all.size > 1 ? all : undefined };
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
  #elements = new Map<string, Slot<NftElement>>();
  #chains = new Map<string, Slot<NftChain>>();
  #sets = new Map<string, Slot<NftSet>>();

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
      sets: [...this.#sets.values()].map((c) => c.winner.value),
      chains: [...this.#chains.values()].map((c) => c.winner.value),
      elements: [...this.#elements.values()].map((c) => c.winner.value),
    };
  }

  /**
   * Plans the transaction that replaces the fragments of the owners in `changes` (undefined =
   * the owner is gone). The committed state is untouched until `commit()`.
   */
  plan(changes: ReadonlyMap<string, Fragment | undefined>): Plan {
    const elementChanges = new Map<string, SlotChange<NftElement>>();
    const chainChanges = new Map<string, SlotChange<NftChain>>();
    const setChanges = new Map<string, SlotChange<NftSet>>();
    const get = <T>(m: Map<string, SlotChange<T>>, id: string): SlotChange<T> => {
      let c = m.get(id);
      if (!c) {
        c = { leaving: [], arriving: [], after: undefined };
        m.set(id, c);
      }
      return c;
    };
    for (const [owner, frag] of changes) {
      const old = this.#owners.get(owner);
      if (old) {
        for (const e of old.elements) get(elementChanges, elementId(e)).leaving.push(owner);
        for (const c of old.chains) get(chainChanges, c.name).leaving.push(owner);
        for (const x of old.sets) get(setChanges, x.name).leaving.push(owner);
      }
      if (!frag) continue;
      for (const e of frag.elements)
        get(elementChanges, elementId(e)).arriving.push({ owner, value: e, sig: elementSig(e) });
      for (const c of frag.chains)
        get(chainChanges, c.name).arriving.push({ owner, value: c, sig: chainContent(c) });
      for (const x of frag.sets)
        get(setChanges, x.name).arriving.push({ owner, value: x, sig: setSpecKey(x) });
    }
    for (const [id, c] of elementChanges) c.after = winnerAfter(this.#elements.get(id), c);
    for (const [id, c] of chainChanges) c.after = winnerAfter(this.#chains.get(id), c);
    for (const [id, c] of setChanges) c.after = winnerAfter(this.#sets.get(id), c);

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
    for (const [name, c] of setChanges) {
      const before = this.#sets.get(name)?.winner;
      if (before && c.after && before.sig !== c.after.sig) {
        // Specs are fixed per name (the skeleton's per family, affinity sets' always): a change
        // means a newer version of the proxy, which a full resync handles.
        throw new PlanError(`set ${name} changed its definition`);
      }
      if (before && !c.after) setsRemoved.push(before.value);
    }
    // Phase 1: new sets and chains exist before anything refers to them.
    for (const [name, c] of setChanges) {
      if (c.after && !this.#sets.has(name)) {
        script.addSet(c.after.value);
        stats.setsAdded++;
      }
    }
    const chainsRemoved: string[] = [];
    const chainsWritten: NftChain[] = [];
    for (const [name, c] of chainChanges) {
      const before = this.#chains.get(name)?.winner;
      if (!c.after) {
        if (before) chainsRemoved.push(name);
        continue;
      }
      if (!before) {
        script.addChain(c.after.value);
        chainsWritten.push(c.after.value);
      } else if (before.sig !== c.after.sig) {
        chainsWritten.push(c.after.value);
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
    for (const [id, c] of elementChanges) {
      const before = this.#elements.get(id)?.winner;
      const after = c.after;
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
    for (const x of setsRemoved) script.deleteSet(x);
    stats.setsDeleted += setsRemoved.length;

    return {
      script,
      stats,
      commit: () => {
        for (const [owner, frag] of changes) {
          if (frag) this.#owners.set(owner, frag);
          else this.#owners.delete(owner);
        }
        const store = <T>(m: Map<string, Slot<T>>, cs: Map<string, SlotChange<T>>): void => {
          for (const [id, c] of cs) {
            const next = applySlot(m.get(id), c);
            if (next) m.set(id, next);
            else m.delete(id);
          }
        };
        store(this.#elements, elementChanges);
        store(this.#chains, chainChanges);
        store(this.#sets, setChanges);
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
    const fresh = TableIndex.build(this.family, all);
    const objects = fresh.objects();
    const script = new Script(this.family);
    script.addTable(comment);
    const existingChains = new Set(listing?.chains ?? []);
    for (const s of objects.sets.sort(byName)) {
      script.addSet(s);
      // Adding an existing set is a no-op, so flushing after it works whether or not it existed.
      if (s.dynamic !== true && listing) script.flushSet(s);
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

  /** An index holding exactly `all` (a full sync's desired state), built in one pass. */
  static build(family: IPFamily, all: ReadonlyMap<string, Fragment>): TableIndex {
    const index = new TableIndex(family);
    const claim = <T>(m: Map<string, Slot<T>>, id: string, c: Claim<T>): void => {
      const slot = m.get(id);
      if (!slot) {
        m.set(id, { winner: c, all: undefined });
        return;
      }
      slot.all ??= new Map([[slot.winner.owner, slot.winner]]);
      slot.all.set(c.owner, c);
      if (c.owner < slot.winner.owner) slot.winner = c;
    };
    for (const [owner, frag] of all) {
      index.#owners.set(owner, frag);
      for (const e of frag.elements)
        claim(index.#elements, elementId(e), { owner, value: e, sig: elementSig(e) });
      for (const c of frag.chains)
        claim(index.#chains, c.name, { owner, value: c, sig: chainContent(c) });
      for (const x of frag.sets)
        claim(index.#sets, x.name, { owner, value: x, sig: setSpecKey(x) });
    }
    return index;
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

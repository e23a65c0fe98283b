/**
 * FakeNft: an in-memory nftables that understands the commands the proxy writes and refuses
 * what the kernel would refuse (unknown chains or sets, deleting what is missing or still
 * referenced, re-adding an element with another value). Transactions are atomic, as in the
 * kernel, so unit tests catch ordering mistakes that `nft -f` would reject.
 */
import type { IPFamily } from '../types.js';
import type { TableListing } from './index.js';
import { renderCanonical } from './index.js';
import type { NftChain, NftElement, NftSet } from './model.js';
import { nftFamily, tableName } from './model.js';
import type { Nft } from './nft.js';
import { NftError } from './nft.js';

export interface FakeSet {
  readonly kind: 'set' | 'map';
  readonly spec: string;
  readonly elements: Map<string, string | undefined>;
}

export interface FakeChain {
  readonly base: string | undefined;
  readonly rules: string[];
}

export interface FakeTable {
  comment: string | undefined;
  readonly sets: Map<string, FakeSet>;
  readonly chains: Map<string, FakeChain>;
}

function cloneTable(t: FakeTable): FakeTable {
  return {
    comment: t.comment,
    sets: new Map(
      [...t.sets].map(([k, s]) => [
        k,
        { kind: s.kind, spec: s.spec, elements: new Map(s.elements) },
      ]),
    ),
    chains: new Map([...t.chains].map(([k, c]) => [k, { base: c.base, rules: [...c.rules] }])),
  };
}

/** Chain names a rule or verdict jumps to. */
export function chainRefs(text: string): string[] {
  const out: string[] = [];
  const re = /\b(?:jump|goto) ([A-Za-z0-9_./-]+)/g;
  for (const m of text.matchAll(re)) if (m[1] !== undefined) out.push(m[1]);
  return out;
}

/** Set names a rule refers to (`@name`). */
export function setRefs(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/@([A-Za-z0-9_./-]+)/g)) if (m[1] !== undefined) out.push(m[1]);
  return out;
}

/** Splits `a, b, c` at top level (elements never nest braces in what we write). */
function splitItems(body: string): string[] {
  return body
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export class FakeNft implements Nft {
  /** Keyed by `ip portico`. */
  tables = new Map<string, FakeTable>();
  /** Every script run, successful or not (for tests that count transactions). */
  readonly scripts: string[] = [];
  /** When set, the next run fails with this message (and is cleared). */
  failNext: string | undefined;

  run(script: string): Promise<void> {
    this.scripts.push(script);
    if (this.failNext !== undefined) {
      const msg = this.failNext;
      this.failNext = undefined;
      return Promise.reject(new NftError(msg, msg));
    }
    const work = new Map([...this.tables].map(([k, t]) => [k, cloneTable(t)]));
    const lines = script.split('\n').filter((l) => l.trim() !== '');
    for (const [i, line] of lines.entries()) {
      try {
        this.#apply(work, line);
      } catch (err) {
        const msg = `line ${i + 1}: ${err instanceof Error ? err.message : String(err)}: ${line.slice(0, 200)}`;
        return Promise.reject(new NftError(msg, msg));
      }
    }
    this.tables = work;
    return Promise.resolve();
  }

  list(family: IPFamily): Promise<TableListing | undefined> {
    const t = this.tables.get(`${nftFamily(family)} ${tableName}`);
    if (!t) return Promise.resolve(undefined);
    // What ExecNft learns from `nft list chains`: chain names, and the affinity sets they imply.
    const chains = [...t.chains.keys()];
    return Promise.resolve({
      chains,
      sets: chains
        .filter((c) => c.startsWith('endpoint-'))
        .map((c) => ({ name: `affinity-${c.slice('endpoint-'.length)}`, kind: 'set' as const })),
    });
  }

  /** The table in canonical text (the golden-file format); '' when absent. */
  dump(family: IPFamily, table = tableName): string {
    const t = this.tables.get(`${nftFamily(family)} ${table}`);
    if (!t) return '';
    const sets: NftSet[] = [];
    const elements: NftElement[] = [];
    for (const [name, s] of t.sets) {
      sets.push({ name, kind: s.kind, spec: s.spec });
      for (const [key, value] of s.elements)
        elements.push(value === undefined ? { set: name, key } : { set: name, key, value });
    }
    const chains: NftChain[] = [...t.chains].map(([name, c]) =>
      c.base === undefined ? { name, rules: c.rules } : { name, base: c.base, rules: c.rules },
    );
    return renderCanonical(family, { sets, chains, elements }, t.comment);
  }

  table(family: IPFamily, table = tableName): FakeTable | undefined {
    return this.tables.get(`${nftFamily(family)} ${table}`);
  }

  #apply(tables: Map<string, FakeTable>, line: string): void {
    let m: RegExpExecArray | null;
    const get = (fam: string, name: string): FakeTable => {
      const t = tables.get(`${fam} ${name}`);
      if (!t) throw new Error('No such file or directory (table)');
      return t;
    };
    if ((m = /^add table (ip6?) (\S+)(?: \{ comment "((?:[^"\\]|\\.)*)" ; \})?$/.exec(line))) {
      const key = `${m[1]} ${m[2]}`;
      if (!tables.has(key)) tables.set(key, { comment: m[3], sets: new Map(), chains: new Map() });
      return;
    }
    if ((m = /^delete table (ip6?) (\S+)$/.exec(line))) {
      get(m[1] ?? '', m[2] ?? '');
      tables.delete(`${m[1]} ${m[2]}`);
      return;
    }
    if ((m = /^add chain (ip6?) (\S+) (\S+)(?: \{ (.*) \})?$/.exec(line))) {
      const t = get(m[1] ?? '', m[2] ?? '');
      const name = m[3] ?? '';
      const existing = t.chains.get(name);
      if (existing) {
        if (existing.base !== m[4]) throw new Error('Device or resource busy (chain type differs)');
        return;
      }
      t.chains.set(name, { base: m[4], rules: [] });
      return;
    }
    if ((m = /^(flush|delete) chain (ip6?) (\S+) (\S+)$/.exec(line))) {
      const t = get(m[2] ?? '', m[3] ?? '');
      const name = m[4] ?? '';
      const c = t.chains.get(name);
      if (!c) throw new Error(`No such file or directory (chain ${name})`);
      if (m[1] === 'flush') {
        c.rules.length = 0;
        return;
      }
      if (c.rules.length > 0) throw new Error(`Device or resource busy (chain ${name} not empty)`);
      if (chainInUse(t, name)) throw new Error(`Device or resource busy (chain ${name} in use)`);
      t.chains.delete(name);
      return;
    }
    if ((m = /^add rule (ip6?) (\S+) (\S+) (.+)$/.exec(line))) {
      const t = get(m[1] ?? '', m[2] ?? '');
      const c = t.chains.get(m[3] ?? '');
      if (!c) throw new Error(`No such file or directory (chain ${m[3]})`);
      const rule = m[4] ?? '';
      for (const ref of chainRefs(rule))
        if (!t.chains.has(ref)) throw new Error(`No such file or directory (chain ${ref})`);
      for (const ref of setRefs(rule))
        if (!t.sets.has(ref)) throw new Error(`No such file or directory (set ${ref})`);
      c.rules.push(rule);
      return;
    }
    if ((m = /^add (set|map) (ip6?) (\S+) (\S+) \{ (.*) \}$/.exec(line))) {
      const t = get(m[2] ?? '', m[3] ?? '');
      const name = m[4] ?? '';
      const existing = t.sets.get(name);
      const kind = m[1] === 'map' ? 'map' : 'set';
      if (existing) {
        if (existing.spec !== m[5] || existing.kind !== kind)
          throw new Error(`File exists (set ${name} differs)`);
        return;
      }
      t.sets.set(name, { kind, spec: m[5] ?? '', elements: new Map() });
      return;
    }
    if ((m = /^(flush|delete) (set|map) (ip6?) (\S+) (\S+)$/.exec(line))) {
      const t = get(m[3] ?? '', m[4] ?? '');
      const name = m[5] ?? '';
      const s = t.sets.get(name);
      if (!s || s.kind !== m[2]) throw new Error(`No such file or directory (${m[2]} ${name})`);
      if (m[1] === 'flush') {
        s.elements.clear();
        return;
      }
      for (const [cname, c] of t.chains)
        if (c.rules.some((r) => setRefs(r).includes(name)))
          throw new Error(`Device or resource busy (set ${name} used by chain ${cname})`);
      t.sets.delete(name);
      return;
    }
    if ((m = /^(add|delete) element (ip6?) (\S+) (\S+) \{ (.*) \}$/.exec(line))) {
      const t = get(m[2] ?? '', m[3] ?? '');
      const name = m[4] ?? '';
      const s = t.sets.get(name);
      if (!s) throw new Error(`No such file or directory (set ${name})`);
      for (const item of splitItems(m[5] ?? '')) {
        const sep = item.indexOf(' : ');
        const key = sep < 0 ? item : item.slice(0, sep);
        const value = sep < 0 ? undefined : item.slice(sep + 3);
        if (m[1] === 'delete') {
          if (!s.elements.has(key))
            throw new Error(`No such file or directory (element ${key} in ${name})`);
          s.elements.delete(key);
          continue;
        }
        if (s.kind === 'map' && value === undefined)
          throw new Error(`map ${name} needs a value for ${key}`);
        if (s.kind === 'set' && value !== undefined) throw new Error(`set ${name} takes no value`);
        if (s.elements.has(key) && s.elements.get(key) !== value)
          throw new Error(`File exists (element ${key} in ${name} has another value)`);
        if (value !== undefined)
          for (const ref of chainRefs(value))
            if (!t.chains.has(ref)) throw new Error(`No such file or directory (chain ${ref})`);
        s.elements.set(key, value);
      }
      return;
    }
    throw new Error('syntax error (FakeNft does not know this command)');
  }
}

function chainInUse(t: FakeTable, name: string): boolean {
  for (const c of t.chains.values())
    if (c.rules.some((r) => chainRefs(r).includes(name))) return true;
  for (const s of t.sets.values()) {
    if (s.kind !== 'map') continue;
    for (const v of s.elements.values())
      if (v !== undefined && chainRefs(v).includes(name)) return true;
  }
  return false;
}

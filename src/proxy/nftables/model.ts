/**
 * The nftables objects the proxy owns, as plain data, and the text of `nft -f` scripts.
 *
 * A ruleset is a set of Fragments, each contributed by one owner (the skeleton, or one Service
 * port). Owners may contribute the same object (two ports of one Service both put the ClusterIP
 * in `@cluster-ips`; many Services share `pick-tcp-3`): the kernel holds one copy, and the copy
 * of the smallest owner key wins when two owners disagree (two Services claiming one external
 * IP and port), so the result never depends on event order.
 */
import type { IPFamily } from '../types.js';

export const tableName = 'portico';

export interface NftSet {
  readonly name: string;
  readonly kind: 'set' | 'map';
  /** The body of `add set … { <spec> }`, e.g. `type ipv4_addr ;`. */
  readonly spec: string;
  /** Contents are written by the kernel (`update @set`): never flushed or filled by us. */
  readonly dynamic?: boolean;
}

export interface NftChain {
  readonly name: string;
  /** Base chains: `type nat hook prerouting priority -100 ;`. */
  readonly base?: string;
  readonly rules: readonly string[];
}

export interface NftElement {
  readonly set: string;
  /** Element key in nft syntax: `10.96.0.10 . tcp . 53`. */
  readonly key: string;
  /** Map value: `goto pick-udp-2`, `10.244.1.5 . 53`; absent for sets. */
  readonly value?: string;
}

export interface Fragment {
  readonly sets: readonly NftSet[];
  readonly chains: readonly NftChain[];
  readonly elements: readonly NftElement[];
}

export const emptyFragment: Fragment = { sets: [], chains: [], elements: [] };

/** `ip` or `ip6`: the nft family, and the payload keyword for addresses. */
export function nftFamily(family: IPFamily): 'ip' | 'ip6' {
  return family === 'IPv4' ? 'ip' : 'ip6';
}

export function setSpecKey(s: NftSet): string {
  return `${s.kind} ${s.dynamic === true ? 'dynamic ' : ''}${s.spec}`;
}

export function chainContent(c: NftChain): string {
  return `${c.base ?? ''}\n${c.rules.join('\n')}`;
}

/**
 * Builds one `nft -f` script. Commands are emitted in the order they are added; element
 * commands are batched per set (1,000 per line, so a cold start is a few hundred lines, not
 * hundreds of thousands: nft's parser cost is per command).
 */
export class Script {
  readonly #prefix: string;
  readonly #lines: string[] = [];
  #pending: { op: 'add' | 'delete'; set: string; items: string[] } | undefined;
  #commands = 0;
  readonly #perLine: number;

  /** `elementsPerLine` 1 gives one element per line (golden files, easy diffs). */
  constructor(family: IPFamily, options: { elementsPerLine?: number } = {}) {
    this.#prefix = `${nftFamily(family)} ${tableName}`;
    this.#perLine = options.elementsPerLine ?? 1000;
  }

  get empty(): boolean {
    return this.#commands === 0;
  }

  #push(line: string): void {
    this.#flushPending();
    this.#lines.push(line);
    this.#commands++;
  }

  #flushPending(): void {
    const p = this.#pending;
    if (!p) return;
    this.#pending = undefined;
    for (let i = 0; i < p.items.length; i += this.#perLine) {
      const items = p.items.slice(i, i + this.#perLine).join(', ');
      this.#lines.push(`${p.op} element ${this.#prefix} ${p.set} { ${items} }`);
    }
  }

  addTable(comment?: string): this {
    this.#push(
      `add table ${this.#prefix}${comment ? ` { comment ${JSON.stringify(comment)} ; }` : ''}`,
    );
    return this;
  }
  deleteTable(): this {
    this.#push(`delete table ${this.#prefix}`);
    return this;
  }
  addChain(c: Pick<NftChain, 'name' | 'base'>): this {
    this.#push(`add chain ${this.#prefix} ${c.name}${c.base ? ` { ${c.base} }` : ''}`);
    return this;
  }
  flushChain(name: string): this {
    this.#push(`flush chain ${this.#prefix} ${name}`);
    return this;
  }
  deleteChain(name: string): this {
    this.#push(`delete chain ${this.#prefix} ${name}`);
    return this;
  }
  addRule(chain: string, rule: string): this {
    this.#push(`add rule ${this.#prefix} ${chain} ${rule}`);
    return this;
  }
  addSet(s: NftSet): this {
    this.#push(`add ${s.kind} ${this.#prefix} ${s.name} { ${s.spec} }`);
    return this;
  }
  flushSet(s: Pick<NftSet, 'name' | 'kind'>): this {
    this.#push(`flush ${s.kind} ${this.#prefix} ${s.name}`);
    return this;
  }
  deleteSet(s: Pick<NftSet, 'name' | 'kind'>): this {
    this.#push(`delete ${s.kind} ${this.#prefix} ${s.name}`);
    return this;
  }
  addElement(e: NftElement): this {
    this.#element('add', e.set, e.value === undefined ? e.key : `${e.key} : ${e.value}`);
    return this;
  }
  deleteElement(set: string, key: string): this {
    this.#element('delete', set, key);
    return this;
  }
  #element(op: 'add' | 'delete', set: string, item: string): void {
    const p = this.#pending;
    if (p && p.op === op && p.set === set) {
      p.items.push(item);
    } else {
      this.#flushPending();
      this.#pending = { op, set, items: [item] };
    }
    this.#commands++;
  }

  /** Number of object operations in the script (an element counts as one). */
  get size(): number {
    return this.#commands;
  }

  toString(): string {
    this.#flushPending();
    return this.#lines.length === 0 ? '' : this.#lines.join('\n') + '\n';
  }
}

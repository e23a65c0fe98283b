/**
 * The LoadBalancer address pool: `--lb-pool` entries are single addresses, `a-b` ranges or
 * CIDRs (all host addresses, without network and broadcast for prefixes up to /30). Addresses
 * are handed out lowest first; a requested one (spec.loadBalancerIP) when it is in the pool and
 * free.
 */
import { CIDRError, formatIPv4, parseCIDR, parseIPv4 } from '../nodeipam/cidrset.js';

export class Pool {
  readonly #ranges: { from: number; to: number }[] = [];
  /** Address → holder (service key). */
  readonly #held = new Map<string, string>();

  /** @throws CIDRError for an entry that is not an IPv4 address, range or CIDR */
  constructor(entries: readonly string[]) {
    for (const raw of entries.map((e) => e.trim()).filter((e) => e !== '')) {
      if (raw.includes('/')) {
        const { base, bits } = parseCIDR(raw);
        const size = 2 ** (32 - bits);
        this.#ranges.push(
          bits <= 30
            ? { from: base + 1, to: base + size - 2 }
            : { from: base, to: base + size - 1 },
        );
      } else if (raw.includes('-')) {
        const [a, b] = raw.split('-').map((x) => parseIPv4(x.trim()));
        if (a === undefined || b === undefined || b < a)
          throw new CIDRError(`invalid address range ${JSON.stringify(raw)}`);
        this.#ranges.push({ from: a, to: b });
      } else {
        const a = parseIPv4(raw);
        if (a === undefined) throw new CIDRError(`invalid address ${JSON.stringify(raw)}`);
        this.#ranges.push({ from: a, to: a });
      }
    }
  }

  get empty(): boolean {
    return this.#ranges.length === 0;
  }

  contains(ip: string): boolean {
    const n = parseIPv4(ip);
    return n !== undefined && this.#ranges.some((r) => n >= r.from && n <= r.to);
  }

  holder(ip: string): string | undefined {
    return this.#held.get(ip);
  }

  /** Addresses held by a service. */
  heldBy(key: string): string[] {
    return [...this.#held].filter(([, k]) => k === key).map(([ip]) => ip);
  }

  /** Records that `key` holds `ip` (rebuilding from Services' status); false if someone else does. */
  claim(ip: string, key: string): boolean {
    if (!this.contains(ip)) return false;
    const h = this.#held.get(ip);
    if (h !== undefined && h !== key) return false;
    this.#held.set(ip, key);
    return true;
  }

  /** The lowest free address, taken for `key`; undefined when the pool is used up. */
  allocate(key: string): string | undefined {
    for (const r of this.#ranges) {
      for (let n = r.from; n <= r.to; n++) {
        const ip = formatIPv4(n);
        if (!this.#held.has(ip)) {
          this.#held.set(ip, key);
          return ip;
        }
      }
    }
    return undefined;
  }

  releaseAll(key: string): void {
    for (const ip of this.heldBy(key)) this.#held.delete(ip);
  }
}

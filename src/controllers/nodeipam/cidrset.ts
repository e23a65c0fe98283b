/**
 * IPv4 CIDR arithmetic and the set of node ranges carved from the cluster CIDR (kube's
 * cidrset: node n gets the n-th /mask subnet, the lowest free one first).
 */
import { PorticoError } from '../../lib/errors.js';

export class CIDRError extends PorticoError {
  constructor(message: string) {
    super('E_CIDR', message);
  }
}

export function parseIPv4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** Parses `a.b.c.d/len` into its first address and prefix length. @throws CIDRError */
export function parseCIDR(cidr: string): { base: number; bits: number } {
  const [ip, len] = cidr.split('/');
  const base = parseIPv4(ip ?? '');
  const bits = Number(len);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32)
    throw new CIDRError(`invalid IPv4 CIDR ${JSON.stringify(cidr)}`);
  const size = 2 ** (32 - bits);
  return { base: base - (base % size), bits };
}

export class CIDRSet {
  readonly #base: number;
  readonly #subnetBits: number;
  readonly #count: number;
  readonly #used = new Set<number>();

  /** @throws CIDRError when the mask is shorter than the cluster CIDR's or longer than /30 */
  constructor(clusterCIDR: string, subnetBits: number) {
    const { base, bits } = parseCIDR(clusterCIDR);
    if (subnetBits < bits || subnetBits > 30)
      throw new CIDRError(`node mask /${subnetBits} does not fit in ${clusterCIDR}`);
    this.#base = base;
    this.#subnetBits = subnetBits;
    this.#count = 2 ** (subnetBits - bits);
  }

  get size(): number {
    return this.#count;
  }

  #index(cidr: string): number | undefined {
    let parsed;
    try {
      parsed = parseCIDR(cidr);
    } catch {
      return undefined;
    }
    if (parsed.bits !== this.#subnetBits) return undefined;
    const step = 2 ** (32 - this.#subnetBits);
    const i = (parsed.base - this.#base) / step;
    return Number.isInteger(i) && i >= 0 && i < this.#count ? i : undefined;
  }

  #cidr(i: number): string {
    return `${formatIPv4(this.#base + i * 2 ** (32 - this.#subnetBits))}/${this.#subnetBits}`;
  }

  /** Marks a range used; false when it is not one of this set's ranges. */
  occupy(cidr: string): boolean {
    const i = this.#index(cidr);
    if (i === undefined) return false;
    this.#used.add(i);
    return true;
  }

  release(cidr: string): void {
    const i = this.#index(cidr);
    if (i !== undefined) this.#used.delete(i);
  }

  /** The lowest free range, or undefined when all are used. */
  allocateNext(): string | undefined {
    for (let i = 0; i < this.#count; i++) {
      if (!this.#used.has(i)) {
        this.#used.add(i);
        return this.#cidr(i);
      }
    }
    return undefined;
  }
}

/**
 * ClusterIP allocation over one service CIDR (kube's ipallocator.Range over a bitmap). The
 * network address is never handed out, nor the IPv4 broadcast address; the first usable address
 * is the `kubernetes` Service's, which the API server asks for by number. Huge IPv6 ranges are
 * capped at 2^20 addresses (the bitmap stays 128 KiB).
 */
import {
  addToIP,
  cidrContains,
  cidrSize,
  formatCIDR,
  formatIP,
  parseCIDR,
  parseIP,
  type CIDR,
  type Family,
} from '../../api/validation/ip.js';
import { AllocationBitmap, staticBandSize } from './bitmap.js';
import { AllocationError, rangeFull } from './errors.js';

const maxRangeSize = 1 << 20;

export interface IPAllocatorOptions {
  /** e.g. 10.96.0.0/12 */
  readonly cidr: string;
  readonly random?: () => number;
}

export class IPAllocator {
  readonly family: Family;
  readonly cidr: CIDR;
  readonly #bitmap: AllocationBitmap;
  /** Offset 0 is network+1. */
  readonly #base: bigint;

  /** @throws Error when the CIDR does not parse */
  constructor(options: IPAllocatorOptions) {
    const cidr = parseCIDR(options.cidr);
    if (!cidr) throw new Error(`invalid service CIDR ${JSON.stringify(options.cidr)}`);
    this.cidr = cidr;
    this.family = cidr.network.family;
    const total = cidrSize(cidr);
    // Not the network address; not the IPv4 broadcast address.
    let usable = total - 1n - (this.family === 'IPv4' ? 1n : 0n);
    if (usable < 0n) usable = 0n;
    const size = Number(usable > BigInt(maxRangeSize) ? BigInt(maxRangeSize) : usable);
    this.#base = cidr.network.value + 1n;
    const band = staticBandSize(
      Number(total > BigInt(maxRangeSize) ? BigInt(maxRangeSize) : total),
      16,
      256,
      16,
    );
    this.#bitmap = new AllocationBitmap({
      size,
      staticBandSize: band,
      ...(options.random ? { random: options.random } : {}),
    });
  }

  /** `10.96.0.0/12` */
  get cidrText(): string {
    return formatCIDR(this.cidr);
  }

  #offset(ip: string): number | undefined {
    const parsed = parseIP(ip);
    if (!parsed || !cidrContains(this.cidr, parsed)) return undefined;
    const off = parsed.value - this.#base;
    if (off < 0n || off >= BigInt(this.#bitmap.size)) return undefined;
    return Number(off);
  }

  #ip(offset: number): string {
    return formatIP(addToIP({ family: this.family, value: this.#base }, BigInt(offset)));
  }

  /** True when `ip` can be allocated here at all. */
  contains(ip: string): boolean {
    return this.#offset(ip) !== undefined;
  }

  has(ip: string): boolean {
    const off = this.#offset(ip);
    return off !== undefined && this.#bitmap.has(off);
  }

  /** Reserves `ip`. @throws AllocationError (not in range, already allocated) */
  allocate(ip: string): void {
    const off = this.#offset(ip);
    if (off === undefined) {
      throw new AllocationError(
        'E_ALLOC_NOT_IN_RANGE',
        `provided IP ${ip} is not in the valid range`,
      );
    }
    if (!this.#bitmap.allocate(off)) {
      throw new AllocationError('E_ALLOC_ALLOCATED', 'provided IP is already allocated');
    }
  }

  /** Reserves a free IP, from the upper band first. @throws AllocationError (range is full) */
  allocateNext(): string {
    const off = this.#bitmap.allocateNext();
    if (off === undefined) throw rangeFull();
    return this.#ip(off);
  }

  /** Releasing an IP that is not allocated, or not in the range, does nothing. */
  release(ip: string): void {
    const off = this.#offset(ip);
    if (off !== undefined) this.#bitmap.release(off);
  }

  get used(): number {
    return this.#bitmap.used;
  }

  get free(): number {
    return this.#bitmap.free;
  }

  forEach(fn: (ip: string) => void): void {
    this.#bitmap.forEach((off) => fn(this.#ip(off)));
  }

  /** Replaces the allocation state with exactly `ips` (those in range). */
  reset(ips: Iterable<string>): void {
    const offsets: number[] = [];
    for (const ip of ips) {
      const off = this.#offset(ip);
      if (off !== undefined) offsets.push(off);
    }
    this.#bitmap.reset(offsets);
  }
}

/** The first usable address of a CIDR: `10.96.0.1` for `10.96.0.0/12` (the `kubernetes` Service). */
export function firstServiceIP(cidr: string): string {
  const c = parseCIDR(cidr);
  if (!c) throw new Error(`invalid service CIDR ${JSON.stringify(cidr)}`);
  return formatIP(addToIP(c.network, 1n));
}

/**
 * A set of small integers (offsets into a range) as a bitmap, with kube's two-band policy
 * (KEP-3070 and KEP-3668): dynamic allocations take a random free offset from the upper band
 * first and fall back to the lower band, so that the lower band stays free for values users ask
 * for by number (10.96.0.10 for DNS, well-known nodePorts).
 */
export interface BitmapOptions {
  /** Number of offsets: 0 .. size-1. */
  readonly size: number;
  /** Offsets below this are preferred for static requests; dynamic allocation uses them last. */
  readonly staticBandSize?: number;
  /** Random source in [0, 1); Math.random by default. */
  readonly random?: () => number;
}

export class AllocationBitmap {
  readonly size: number;
  readonly #staticBand: number;
  readonly #random: () => number;
  #bits: Uint8Array;
  #count = 0;

  constructor(options: BitmapOptions) {
    this.size = Math.max(0, options.size);
    this.#staticBand = Math.min(Math.max(0, options.staticBandSize ?? 0), this.size);
    this.#random = options.random ?? Math.random;
    this.#bits = new Uint8Array(Math.ceil(this.size / 8));
  }

  has(offset: number): boolean {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.size) return false;
    return ((this.#bits[offset >> 3] ?? 0) & (1 << (offset & 7))) !== 0;
  }

  /** Marks `offset`; false when it was taken already. The caller checks the range. */
  allocate(offset: number): boolean {
    if (this.has(offset)) return false;
    const i = offset >> 3;
    this.#bits[i] = (this.#bits[i] ?? 0) | (1 << (offset & 7));
    this.#count++;
    return true;
  }

  /** A free offset, marked, or undefined when the range is full. */
  allocateNext(): number | undefined {
    if (this.#count >= this.size) return undefined;
    const found = this.#scan(this.#staticBand, this.size) ?? this.#scan(0, this.#staticBand);
    if (found !== undefined) this.allocate(found);
    return found;
  }

  /** A free offset in [lo, hi), scanning from a random start and wrapping around. */
  #scan(lo: number, hi: number): number | undefined {
    const n = hi - lo;
    if (n <= 0) return undefined;
    const start = Math.floor(this.#random() * n);
    for (let k = 0; k < n; k++) {
      const off = lo + ((start + k) % n);
      // Skip a whole byte of taken offsets at once.
      if ((off & 7) === 0 && off + 8 <= hi && this.#bits[off >> 3] === 0xff) {
        k += 7;
        continue;
      }
      if (!this.has(off)) return off;
    }
    return undefined;
  }

  release(offset: number): void {
    if (!this.has(offset)) return;
    const i = offset >> 3;
    this.#bits[i] = (this.#bits[i] ?? 0) & ~(1 << (offset & 7));
    this.#count--;
  }

  get used(): number {
    return this.#count;
  }

  get free(): number {
    return this.size - this.#count;
  }

  forEach(fn: (offset: number) => void): void {
    for (let i = 0; i < this.#bits.length; i++) {
      const b = this.#bits[i] ?? 0;
      if (b === 0) continue;
      for (let j = 0; j < 8; j++) if (b & (1 << j)) fn(i * 8 + j);
    }
  }

  /** Replaces the whole state (repair). */
  reset(offsets: Iterable<number>): void {
    this.#bits = new Uint8Array(Math.ceil(this.size / 8));
    this.#count = 0;
    for (const o of offsets) if (o >= 0 && o < this.size) this.allocate(o);
  }
}

/**
 * kube's calculateRangeOffset: `min(max(min, size/step), max)`, 0 for ranges of `min` or fewer.
 * Service CIDRs use (16, 256, 16); nodePort ranges (16, 128, 32).
 */
export function staticBandSize(rangeSize: number, min: number, max: number, step: number): number {
  if (rangeSize <= min) return 0;
  return Math.min(Math.max(min, Math.floor(rangeSize / step)), max);
}

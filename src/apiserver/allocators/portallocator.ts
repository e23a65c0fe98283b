/** NodePort allocation over a port range (kube's portallocator over a bitmap). */
import { AllocationBitmap, staticBandSize } from './bitmap.js';
import { AllocationError, rangeFull } from './errors.js';

export interface PortAllocatorOptions {
  /** Inclusive bounds, e.g. [30000, 32767]. */
  readonly range: readonly [number, number];
  readonly random?: () => number;
}

export class PortAllocator {
  readonly base: number;
  readonly max: number;
  readonly #bitmap: AllocationBitmap;

  constructor(options: PortAllocatorOptions) {
    const [lo, hi] = options.range;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 65535 || hi < lo) {
      throw new Error(`invalid port range ${lo}-${hi}`);
    }
    this.base = lo;
    this.max = hi;
    const size = hi - lo + 1;
    this.#bitmap = new AllocationBitmap({
      size,
      staticBandSize: staticBandSize(size, 16, 128, 32),
      ...(options.random ? { random: options.random } : {}),
    });
  }

  /** `30000-32767` */
  get rangeText(): string {
    return `${this.base}-${this.max}`;
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.base && port <= this.max;
  }

  has(port: number): boolean {
    return this.contains(port) && this.#bitmap.has(port - this.base);
  }

  /** Reserves `port`. @throws AllocationError (not in range, already allocated) */
  allocate(port: number): void {
    if (!this.contains(port)) {
      throw new AllocationError(
        'E_ALLOC_NOT_IN_RANGE',
        `provided port is not in the valid range. The range of valid ports is ${this.rangeText}`,
      );
    }
    if (!this.#bitmap.allocate(port - this.base)) {
      throw new AllocationError('E_ALLOC_ALLOCATED', 'provided port is already allocated');
    }
  }

  /** Reserves a free port, from the upper band first. @throws AllocationError (range is full) */
  allocateNext(): number {
    const off = this.#bitmap.allocateNext();
    if (off === undefined) throw rangeFull();
    return this.base + off;
  }

  /** Releasing a port that is not allocated, or out of range, does nothing. */
  release(port: number): void {
    if (this.contains(port)) this.#bitmap.release(port - this.base);
  }

  get used(): number {
    return this.#bitmap.used;
  }

  get free(): number {
    return this.#bitmap.free;
  }

  forEach(fn: (port: number) => void): void {
    this.#bitmap.forEach((off) => fn(this.base + off));
  }

  reset(ports: Iterable<number>): void {
    const offsets: number[] = [];
    for (const p of ports) if (this.contains(p)) offsets.push(p - this.base);
    this.#bitmap.reset(offsets);
  }
}

/**
 * One write's allocations (kube's portallocator/operation.go, generalised): values are reserved
 * at once, releases are deferred until the write is committed, and a failed write gives back
 * what it reserved. A value is never released before the object that held it is gone from the
 * store, so a crash between the two can leak a value (repair reclaims it) but never hand it out
 * twice.
 */
export interface Reservable<T> {
  allocate(value: T): void;
  allocateNext(): T;
  release(value: T): void;
}

export class AllocationOperation<T> {
  readonly #pool: Reservable<T>;
  readonly #allocated: T[] = [];
  readonly #releaseLater: T[] = [];
  #done = false;

  constructor(pool: Reservable<T>) {
    this.#pool = pool;
  }

  /** @throws what the pool throws */
  allocate(value: T): void {
    this.#pool.allocate(value);
    this.#allocated.push(value);
  }

  /** @throws what the pool throws */
  allocateNext(): T {
    const v = this.#pool.allocateNext();
    this.#allocated.push(v);
    return v;
  }

  /** Releases `value` when the operation commits. */
  releaseDeferred(value: T): void {
    this.#releaseLater.push(value);
  }

  /** Values reserved by this operation so far. */
  get allocated(): readonly T[] {
    return this.#allocated;
  }

  get finished(): boolean {
    return this.#done;
  }

  /** The write is stored: release what it let go of. Idempotent. */
  commit(): void {
    if (this.#done) return;
    this.#done = true;
    for (const v of this.#releaseLater) this.#pool.release(v);
  }

  /** The write failed: give back what it reserved. A no-op after commit. */
  revert(): void {
    if (this.#done) return;
    this.#done = true;
    for (const v of this.#allocated) this.#pool.release(v);
  }
}

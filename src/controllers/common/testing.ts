/**
 * A driver for controller tests over the FakeClient: a plain in-memory WorkQueue and `settle()`,
 * which syncs queued keys until nothing is left and no informer event is pending. Failed syncs
 * are retried a few times and the last error of each key is kept for assertions.
 */
import { setMaxListeners } from 'node:events';
import type { KubeObject } from '../../api/meta/types.js';
import { InformerFactory } from '../../client/factory.js';
import { FakeClient } from '../../client/fake.js';
import type { WorkQueue } from '../../client/types.js';
import { realClock, type Clock } from '../../lib/clock.js';
import { discardLogger } from '../../lib/log/logger.js';
import { FakeRecorder } from './events.js';
import {
  defaultControllersConfig,
  type ControllerContext,
  type ControllersConfig,
  type Reconciler,
} from '../context.js';
import { defaultClusterConfig } from '../../api/cluster.js';

export class TestQueue implements WorkQueue {
  readonly #keys = new Set<string>();
  readonly #requeues = new Map<string, number>();
  readonly delayed: { key: string; delayMs: number }[] = [];
  #shutDown = false;

  add(key: string): void {
    if (!this.#shutDown) this.#keys.add(key);
  }
  addAfter(key: string, delayMs: number): void {
    this.delayed.push({ key, delayMs });
  }
  addRateLimited(key: string): void {
    this.#requeues.set(key, (this.#requeues.get(key) ?? 0) + 1);
    this.add(key);
  }
  forget(key: string): void {
    this.#requeues.delete(key);
  }
  numRequeues(key: string): number {
    return this.#requeues.get(key) ?? 0;
  }
  get(): Promise<string | undefined> {
    return Promise.resolve(this.pop());
  }
  done(): void {}
  shutDown(): void {
    this.#shutDown = true;
  }
  len(): number {
    return this.#keys.size;
  }
  pop(): string | undefined {
    const first = this.#keys.values().next();
    if (first.done === true) return undefined;
    this.#keys.delete(first.value);
    return first.value;
  }
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 2));

export interface Harness {
  readonly client: FakeClient;
  readonly ctx: ControllerContext;
  readonly recorder: FakeRecorder;
  readonly queue: TestQueue;
  /** Last error of keys whose sync kept failing during settle(). */
  readonly errors: Map<string, unknown>;
  start(reconciler: Reconciler): Promise<void>;
  /** Syncs until the queue stays empty; fails after 200 rounds. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export function harness(
  options: {
    objects?: readonly KubeObject[];
    config?: Partial<ControllersConfig>;
    clock?: Clock;
  } = {},
): Harness {
  const client = new FakeClient({
    objects: options.objects ?? [],
    clock: options.clock ?? realClock,
  });
  const informers = new InformerFactory({ client });
  const recorder = new FakeRecorder();
  const ctx: ControllerContext = {
    client,
    informers,
    clock: options.clock ?? realClock,
    logger: discardLogger,
    recorder: () => recorder,
    config: { ...defaultControllersConfig(defaultClusterConfig), ...options.config },
  };
  const queue = new TestQueue();
  const errors = new Map<string, unknown>();
  const abort = new AbortController();
  // One informer per resource listens on this signal (the garbage collector watches them all).
  setMaxListeners(100, abort.signal);
  let reconcilers: Reconciler[] = [];
  return {
    client,
    ctx,
    recorder,
    queue,
    errors,
    async start(r) {
      reconcilers = [...reconcilers, r];
      r.register(queue);
      informers.start(abort.signal);
      await informers.waitForSync(abort.signal);
    },
    async settle() {
      const r = reconcilers[0];
      if (r === undefined) throw new Error('start() a reconciler first');
      let quiet = 0;
      for (let round = 0; round < 200; round++) {
        await tick();
        const key = queue.pop();
        if (key === undefined) {
          if (++quiet >= 3) return;
          continue;
        }
        quiet = 0;
        try {
          await r.sync(key, abort.signal);
          errors.delete(key);
          queue.forget(key);
        } catch (e) {
          errors.set(key, e);
          if (queue.numRequeues(key) < 5) queue.addRateLimited(key);
        }
      }
      throw new Error('controller did not settle in 200 rounds');
    },
    async stop() {
      abort.abort();
      await informers.stopped();
    },
  };
}

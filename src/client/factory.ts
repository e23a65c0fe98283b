/**
 * InformerFactory: one informer per (resource, namespace, selectors) in a process, shared by every
 * controller that asks for it (client-go's SharedInformerFactory), so N controllers watching Pods
 * cost one list and one watch.
 */
import type { KubeObject } from '../api/meta/types.js';
import type { ResourceType } from '../api/scheme.js';
import type { Clock } from '../lib/clock.js';
import { asError } from '../lib/errors.js';
import { discardLogger, type Logger } from '../lib/log/logger.js';
import { SharedInformer } from './informer.js';
import type { Client, Informer } from './types.js';

export interface InformerFactoryOptions {
  readonly client: Client;
  /** Default resync period of informers made here; 0 = none. */
  readonly resyncPeriodMs?: number;
  /** Restrict every informer to one namespace (cluster-scoped resources ignore it). */
  readonly namespace?: string;
  /** Applied to every object of every informer made here (e.g. drop managedFields). */
  readonly transform?: (obj: KubeObject) => KubeObject;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface InformerFilter {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export class InformerFactory {
  readonly #options: InformerFactoryOptions;
  readonly #informers = new Map<string, SharedInformer<KubeObject>>();
  readonly #runs: Promise<void>[] = [];
  #signal: AbortSignal | undefined;

  constructor(options: InformerFactoryOptions) {
    this.#options = options;
  }

  /**
   * The shared informer for a resource (created on first use; started at once when the factory
   * is already started).
   */
  informerFor<T extends KubeObject>(rt: ResourceType, filter: InformerFilter = {}): Informer<T> {
    const namespace = rt.namespaced ? (filter.namespace ?? this.#options.namespace) : undefined;
    const key = [
      rt.group,
      rt.version,
      rt.resource,
      namespace ?? '',
      filter.labelSelector ?? '',
      filter.fieldSelector ?? '',
    ].join('|');
    let inf = this.#informers.get(key);
    if (!inf) {
      inf = new SharedInformer<KubeObject>({
        client: this.#options.client,
        resource: rt,
        namespace,
        labelSelector: filter.labelSelector,
        fieldSelector: filter.fieldSelector,
        resyncPeriodMs: this.#options.resyncPeriodMs,
        ...(this.#options.transform ? { transform: this.#options.transform } : {}),
        ...(this.#options.clock ? { clock: this.#options.clock } : {}),
        ...(this.#options.logger ? { logger: this.#options.logger } : {}),
      });
      this.#informers.set(key, inf);
      if (this.#signal) this.#start(inf, this.#signal);
    }
    return inf as unknown as Informer<T>;
  }

  /** Starts every informer made so far, and every one made later, until the signal aborts. */
  start(signal: AbortSignal): void {
    if (this.#signal) return;
    this.#signal = signal;
    for (const inf of this.#informers.values()) this.#start(inf, signal);
  }

  /** True once every informer has listed. */
  hasSynced(): boolean {
    return [...this.#informers.values()].every((i) => i.hasSynced());
  }

  /** Resolves true when every informer made so far has synced, false if the signal aborts first. */
  async waitForSync(signal: AbortSignal): Promise<boolean> {
    const results = await Promise.all(
      [...this.#informers.values()].map((i) => i.waitForSync(signal)),
    );
    return results.every(Boolean);
  }

  /** Resolves when every started informer has stopped (abort the start signal first). */
  async stopped(): Promise<void> {
    await Promise.all(this.#runs);
  }

  #start(inf: SharedInformer<KubeObject>, signal: AbortSignal): void {
    const log = this.#options.logger ?? discardLogger;
    this.#runs.push(
      inf.run(signal).catch((e: unknown) => {
        log.error(asError(e), 'Informer stopped unexpectedly', { resource: inf.resource.resource });
      }),
    );
  }
}

/**
 * The backend-neutral proxier: informer events → change trackers → bounded-frequency runner →
 * one sync of every backend (one per IP family for nftables). Nothing is programmed before both
 * Services and EndpointSlices have been listed once (a partial view would delete rules that are
 * still needed). A failed sync is counted, logged and retried, and makes the next sync full.
 */
import type { Node, Service } from '../api/types/core.js';
import type { EndpointSlice } from '../api/types/discovery.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log/logger.js';
import { discardLogger } from '../lib/log/logger.js';
import type { ProxyBackend } from './backend.js';
import { ClusterState } from './changetracker.js';
import type { ServiceHealth, ServiceHealthServer } from './health.js';
import { HealthState } from './health.js';
import type { ProxyMetrics } from './metrics.js';
import { newProxyMetrics } from './metrics.js';
import { BoundedFrequencyRunner } from './runner.js';
import { skipReason } from './serviceport.js';

export interface ProxierOptions {
  readonly nodeName: string;
  readonly backends: readonly ProxyBackend[];
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly metrics?: ProxyMetrics;
  /** Minimum time between syncs after the first `burst` (kube-proxy --min-sync-period, 1 s). */
  readonly minSyncPeriodMs?: number;
  /** Maximum time between syncs (kube-proxy --sync-period, 30 s). */
  readonly syncPeriodMs?: number;
  /** Time between full resyncs (default 1 h). */
  readonly fullSyncPeriodMs?: number;
  /** Delay before retrying a failed sync (default 5 s). */
  readonly retryPeriodMs?: number;
  readonly serviceHealth?: ServiceHealthServer;
}

export class Proxier {
  readonly state: ClusterState;
  readonly metrics: ProxyMetrics;
  readonly health: HealthState;
  readonly #o: ProxierOptions;
  readonly #log: Logger;
  readonly #runner: BoundedFrequencyRunner;
  #servicesSynced = false;
  #slicesSynced = false;
  #needFull = true;
  #lastFull = 0;
  #healthChecks = new Map<string, { port: number; health: ServiceHealth }>();
  #tail: Promise<void> = Promise.resolve();
  /** Completed syncs (successful or not), for tests. */
  syncs = 0;
  #resolveFirstSync: () => void = () => undefined;
  /** Resolves after the first successful sync (the component is ready then). */
  readonly firstSync: Promise<void> = new Promise((resolve) => {
    this.#resolveFirstSync = resolve;
  });

  constructor(options: ProxierOptions) {
    this.#o = options;
    this.#log = options.logger ?? discardLogger;
    this.state = new ClusterState(options.nodeName);
    this.metrics = options.metrics ?? newProxyMetrics();
    const syncPeriod = options.syncPeriodMs ?? 30_000;
    this.health = new HealthState(options.clock, 2 * syncPeriod);
    this.#runner = new BoundedFrequencyRunner({
      name: 'proxy-sync',
      fn: () => this.sync(),
      minIntervalMs: options.minSyncPeriodMs ?? 1_000,
      maxIntervalMs: syncPeriod,
      burst: 2,
      clock: options.clock,
      logger: this.#log,
    });
  }

  get initialized(): boolean {
    return this.#servicesSynced && this.#slicesSynced;
  }

  #changed(): void {
    const p = this.state.pendingChanges;
    this.metrics.serviceChangesPending.set(p.services);
    this.metrics.endpointChangesPending.set(p.endpoints);
    if (!this.initialized) return;
    this.health.queued();
    this.metrics.lastQueuedTimestamp.set(this.#o.clock.now() / 1000);
    this.#runner.run();
  }

  onServiceAdd(svc: Service): void {
    this.onServiceUpdate(undefined, svc);
  }
  onServiceUpdate(prev: Service | undefined, next: Service): void {
    if (this.state.updateService(prev, next)) {
      this.metrics.serviceChangesTotal.inc();
      this.#changed();
    }
  }
  onServiceDelete(svc: Service): void {
    if (this.state.updateService(svc, undefined)) {
      this.metrics.serviceChangesTotal.inc();
      this.#changed();
    }
  }
  onSliceAdd(slice: EndpointSlice): void {
    this.onSliceUpdate(undefined, slice);
  }
  onSliceUpdate(prev: EndpointSlice | undefined, next: EndpointSlice): void {
    if (this.state.updateSlice(prev, next, this.#o.clock.now())) {
      this.metrics.endpointChangesTotal.inc();
      this.#changed();
    }
  }
  onSliceDelete(slice: EndpointSlice): void {
    if (this.state.updateSlice(slice, undefined, this.#o.clock.now())) {
      this.metrics.endpointChangesTotal.inc();
      this.#changed();
    }
  }
  /** The proxy's own Node: its zone label and pod CIDRs change the rules of every Service. */
  onNode(node: Node | undefined): void {
    if (this.state.updateNode(node)) {
      this.#log.info('Node changed', {
        zone: this.state.node().zone ?? '',
        podCIDRs: this.state.node().podCIDRs,
      });
      this.state.markAllDirty();
      this.#changed();
    }
  }
  onServicesSynced(): void {
    this.#servicesSynced = true;
    this.#changed();
  }
  onSlicesSynced(): void {
    this.#slicesSynced = true;
    this.#changed();
  }

  /** Runs the sync loop until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await this.#runner.loop(signal);
    await this.#tail;
  }

  /** Releases the backends' resources (sessions, listeners); nftables rules stay in place. */
  async close(): Promise<void> {
    await this.#tail;
    for (const b of this.#o.backends) await b.close();
  }

  /** One sync of every backend; safe to call at any time (calls never overlap). */
  sync(): Promise<void> {
    const run = this.#tail.then(() => this.#sync());
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #sync(): Promise<void> {
    if (!this.initialized) {
      this.#log.v(2).info('Not syncing until Services and EndpointSlices have been listed', {});
      return;
    }
    const clock = this.#o.clock;
    const start = clock.now();
    const fullPeriod = this.#o.fullSyncPeriodMs ?? 3_600_000;
    const full = this.#needFull || start - this.#lastFull >= fullPeriod;
    const generation = this.health.generation;
    const changes = this.state.takeChanges();
    this.metrics.serviceChangesPending.set(0);
    this.metrics.endpointChangesPending.set(0);
    let failed = false;
    let operations = 0;
    for (const b of this.#o.backends) {
      try {
        const r = await b.sync(this.state, { full, changed: changes.services });
        operations += r.operations;
      } catch (err) {
        failed = true;
        this.metrics.syncFailures.inc({ backend: b.name });
        if (b.name.startsWith('nftables')) this.metrics.nftablesSyncFailures.inc();
        this.#log.error(err, 'Sync failed', {
          backend: b.name,
          retryInMs: this.#o.retryPeriodMs ?? 5_000,
        });
      }
    }
    this.syncs++;
    const end = clock.now();
    const seconds = (end - start) / 1000;
    this.metrics.syncDuration.observe(seconds);
    (full ? this.metrics.fullSyncDuration : this.metrics.partialSyncDuration).observe(seconds);
    this.metrics.syncOperations.observe(operations);
    if (failed) {
      // Backends that failed redo everything next time; keep the trigger times for the latency metric.
      this.state.restoreChanges({ services: new Set(), triggerTimes: changes.triggerTimes });
      this.#runner.retryAfter(this.#o.retryPeriodMs ?? 5_000);
      return;
    }
    if (full) {
      this.#needFull = false;
      this.#lastFull = start;
    }
    this.health.updated(generation);
    this.#resolveFirstSync();
    this.metrics.lastSyncTimestamp.set(end / 1000);
    for (const times of changes.triggerTimes.values())
      for (const t of times) this.metrics.networkProgramming.observe(Math.max(0, end - t) / 1000);
    this.#log.v(2).info('Synced', {
      full,
      services: changes.services.size,
      operations,
      elapsedMs: end - start,
    });
    await this.#syncHealthChecks(full ? new Set(this.state.serviceKeys()) : changes.services);
  }

  async #syncHealthChecks(changed: ReadonlySet<string>): Promise<void> {
    const server = this.#o.serviceHealth;
    if (!server) return;
    let dirty = false;
    for (const key of changed) {
      const svc = this.state.service(key);
      const had = this.#healthChecks.has(key);
      const port = svc ? healthCheckPort(svc) : 0;
      if (!svc || port === 0) {
        if (had) {
          this.#healthChecks.delete(key);
          dirty = true;
        }
        continue;
      }
      const node = this.state.node().name;
      const local = new Set<string>();
      for (const slice of this.state.slices(key))
        for (const ep of slice.endpoints ?? [])
          if (
            ep.nodeName === node &&
            (ep.conditions?.ready ?? true) &&
            ep.addresses[0] !== undefined
          )
            local.add(ep.addresses[0]);
      this.#healthChecks.set(key, {
        port,
        health: {
          namespace: svc.metadata.namespace ?? '',
          name: svc.metadata.name ?? '',
          localEndpoints: local.size,
        },
      });
      dirty = true;
    }
    if (!dirty) return;
    const byPort = new Map<number, ServiceHealth>();
    for (const [, h] of [...this.#healthChecks].sort(([a], [b]) => (a < b ? -1 : 1)))
      if (!byPort.has(h.port)) byPort.set(h.port, h.health);
    await server.sync(byPort);
  }
}

/** The healthCheckNodePort a Service asks this proxy to serve, or 0. */
export function healthCheckPort(svc: Service): number {
  if (skipReason(svc) !== undefined) return 0;
  const spec = svc.spec;
  if (spec?.type !== 'LoadBalancer' || spec.externalTrafficPolicy !== 'Local') return 0;
  return spec.healthCheckNodePort ?? 0;
}

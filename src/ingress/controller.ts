/**
 * The ingress controller: informers on Ingresses, IngressClasses, Services, EndpointSlices,
 * Secrets → one sync loop → routes (routes.ts) → the data plane, then
 * the Ingress statuses. Handlers only mark the state dirty; the loop coalesces bursts (a short
 * debounce), runs one sync at a time, and retries failures with capped backoff (1 s → 30 s), so
 * a thousand endpoint events become a few runtime API batches.
 */
import { resources } from '../api/scheme.js';
import type { Secret, Service } from '../api/types/core.js';
import { labelServiceName, type EndpointSlice } from '../api/types/discovery.js';
import type { Ingress, IngressClass } from '../api/types/networking.js';
import type { EventRecorder } from '../client/events.js';
import type { InformerFactory } from '../client/factory.js';
import type { Informer } from '../client/types.js';
import { Backoff } from '../lib/backoff.js';
import { realClock, sleepUnlessAborted, type Clock } from '../lib/clock.js';
import { asError } from '../lib/errors.js';
import type { Logger } from '../lib/log/logger.js';
import { isOurIngress, type ClassFilterOptions } from './class.js';
import { buildRoutes } from './routes.js';
import type { StatusPublisher } from './status.js';
import type { RouteTable } from './types.js';

/** What the controller needs of a data plane (HaproxyDataplane; a fake in unit tests). */
export interface Dataplane {
  apply(table: RouteTable): Promise<'unchanged' | 'runtime' | 'reload' | 'start'>;
}

export interface ControllerOptions {
  readonly factory: InformerFactory;
  readonly dataplane: Dataplane;
  readonly logger: Logger;
  readonly classes: ClassFilterOptions;
  readonly status?: StatusPublisher;
  readonly recorder?: EventRecorder;
  readonly clock?: Clock;
  /** Time to gather a burst of events before a sync (default 50 ms). */
  readonly debounceMs?: number;
  /** Called after every sync (metrics). */
  onSync?(result: SyncResult): void;
}

export interface SyncResult {
  readonly ok: boolean;
  readonly applied?: 'unchanged' | 'runtime' | 'reload' | 'start';
  readonly durationMs: number;
  readonly table?: RouteTable;
  readonly error?: Error;
}

/** Drops what routes never read from cached objects: managedFields, and data of non-TLS Secrets. */
export function slimObject<T extends { metadata: { managedFields?: unknown } }>(obj: T): T {
  let out: T = obj;
  if (obj.metadata.managedFields !== undefined) {
    const { managedFields: _drop, ...metadata } = obj.metadata;
    out = { ...obj, metadata };
  }
  const secret = out as unknown as Secret;
  if (secret.kind === 'Secret' && secret.data && secret.data['tls.crt'] === undefined) {
    const { data: _data, ...rest } = secret;
    out = rest as unknown as T;
  }
  return out;
}

export class IngressController {
  readonly #o: ControllerOptions;
  readonly #clock: Clock;
  readonly #ingresses: Informer<Ingress>;
  readonly #classes: Informer<IngressClass>;
  readonly #services: Informer<Service>;
  readonly #slices: Informer<EndpointSlice>;
  readonly #secrets: Informer<Secret>;
  #dirty = true;
  #wake: (() => void) | undefined;
  #served = new Set<string>();
  #servedGenerations = new Map<string, number>();
  #reported = new Set<string>();
  #lastTable: RouteTable | undefined;
  #synced = false;
  #firstSync: Promise<void>;
  #resolveFirstSync: () => void = () => undefined;

  constructor(options: ControllerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    const f = options.factory;
    this.#ingresses = f.informerFor<Ingress>(resources.ingresses);
    this.#classes = f.informerFor<IngressClass>(resources.ingressclasses);
    this.#services = f.informerFor<Service>(resources.services);
    this.#slices = f.informerFor<EndpointSlice>(resources.endpointslices);
    this.#secrets = f.informerFor<Secret>(resources.secrets);
    this.#slices.addIndex('service', (s) => {
      const svc = s.metadata.labels?.[labelServiceName];
      return svc ? [`${s.metadata.namespace ?? ''}/${svc}`] : [];
    });
    const mark = () => this.#mark();
    const handlers = { onAdd: mark, onUpdate: mark, onDelete: mark };
    for (const i of [
      this.#ingresses,
      this.#classes,
      this.#services,
      this.#slices,
    ] as Informer<unknown>[])
      i.addHandlers(handlers);
    // Secrets change often in a busy cluster; only TLS Secrets (the others keep no data) matter.
    this.#secrets.addHandlers({
      onAdd: (s) => this.#markIfTls(s),
      onUpdate: (a, b) => (this.#markIfTls(a) ? undefined : this.#markIfTls(b)),
      onDelete: (s) => this.#markIfTls(s),
    });
    this.#firstSync = new Promise((r) => (this.#resolveFirstSync = r));
  }

  /** The last route table applied. */
  get table(): RouteTable | undefined {
    return this.#lastTable;
  }

  /** True once the informers listed and one sync succeeded. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Resolves after the first successful sync. */
  get firstSync(): Promise<void> {
    return this.#firstSync;
  }

  #markIfTls(s: Secret): boolean {
    if (s.data?.['tls.crt'] === undefined) return false;
    this.#mark();
    return true;
  }

  #mark(): void {
    this.#dirty = true;
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** Asks for a sync (HAProxy died, addresses changed). */
  resync(): void {
    this.#mark();
  }

  /** The Ingresses we serve, by our class rules. */
  ours(): Ingress[] {
    return this.#ingresses.lister
      .list()
      .filter((i) =>
        isOurIngress(i, (n) => this.#classes.lister.get(undefined, n), this.#o.classes),
      );
  }

  /** Computes the routes from the caches. */
  routes(): RouteTable {
    return buildRoutes({
      ingresses: this.ours(),
      service: (ns, name) => this.#services.lister.get(ns, name),
      slices: (ns, svc) => this.#slices.lister.byIndex('service', `${ns}/${svc}`),
      secret: (ns, name) => this.#secrets.lister.get(ns, name),
    });
  }

  /** Runs until the signal aborts. The factory must be started by the caller. */
  async run(signal: AbortSignal): Promise<void> {
    const log = this.#o.logger;
    if (!(await this.#o.factory.waitForSync(signal))) return;
    log.info('Caches synced', { ingresses: this.#ingresses.lister.list().length });
    const backoff = new Backoff({ baseMs: 1000, capMs: 30_000 });
    while (!signal.aborted) {
      if (!this.#dirty) {
        await new Promise<void>((resolve) => {
          const done = () => {
            signal.removeEventListener('abort', done);
            resolve();
          };
          this.#wake = done;
          signal.addEventListener('abort', done, { once: true });
        });
        continue;
      }
      await sleepUnlessAborted(this.#clock, this.#o.debounceMs ?? 50, signal);
      if (signal.aborted) break;
      this.#dirty = false;
      const ok = await this.syncOnce();
      if (ok) backoff.reset();
      else {
        this.#dirty = true;
        await sleepUnlessAborted(this.#clock, backoff.next(), signal);
      }
    }
  }

  /** One sync: routes → data plane → statuses. Resolves false when it failed. */
  async syncOnce(): Promise<boolean> {
    const log = this.#o.logger;
    const start = this.#clock.now();
    let table: RouteTable | undefined;
    try {
      table = this.routes();
      const applied = await this.#o.dataplane.apply(table);
      this.#lastTable = table;
      this.#served = new Set(table.ingresses);
      this.#report(table);
      if (!this.#synced) {
        this.#synced = true;
        this.#resolveFirstSync();
        log.info('Serving', {
          ingresses: table.ingresses.length,
          hosts: table.hosts.size,
          backends: table.backends.size,
          certificates: table.certificates.length,
        });
      }
      log.v(2).info('Synced', {
        applied,
        ingresses: table.ingresses.length,
        elapsedMs: this.#clock.now() - start,
      });
      let statusError: Error | undefined;
      if (this.#o.status) {
        try {
          await this.#o.status.sync(this.#ingresses.lister.list(), this.#served);
        } catch (e) {
          statusError = asError(e);
          log.error(statusError, 'Updating Ingress statuses failed; retrying');
        }
      }
      this.#o.onSync?.({
        ok: statusError === undefined,
        applied,
        durationMs: this.#clock.now() - start,
        table,
      });
      return statusError === undefined;
    } catch (e) {
      const error = asError(e);
      log.error(error, 'Sync failed; retrying');
      this.#o.onSync?.({
        ok: false,
        durationMs: this.#clock.now() - start,
        error,
        ...(table ? { table } : {}),
      });
      return false;
    }
  }

  /** Logs and records (as Events) problems that are new, and a Sync event per new generation. */
  #report(table: RouteTable): void {
    const byKey = new Map<string, Ingress>();
    for (const i of this.#ingresses.lister.list())
      byKey.set(`${i.metadata.namespace ?? 'default'}/${i.metadata.name ?? ''}`, i);
    const now = new Set<string>();
    for (const p of table.problems) {
      const k = `${p.ingress}|${p.reason}|${p.message}`;
      now.add(k);
      if (this.#reported.has(k)) continue;
      this.#o.logger.warn('Ingress problem', {
        ingress: p.ingress,
        reason: p.reason,
        message: p.message,
      });
      const ing = byKey.get(p.ingress);
      if (ing) this.#o.recorder?.event(ing, 'Warning', p.reason, p.message);
    }
    for (const b of table.backends.values()) {
      if (b.problem === undefined) continue;
      const k = `backend|${b.name}|${b.problem}`;
      now.add(k);
      if (this.#reported.has(k)) continue;
      this.#o.logger.warn('Backend has no endpoints', { backend: b.name, reason: b.problem });
    }
    this.#reported = now;
    const generations = new Map<string, number>();
    for (const key of table.ingresses) {
      const ing = byKey.get(key);
      const gen = ing?.metadata.generation ?? 0;
      generations.set(key, gen);
      if (ing && this.#servedGenerations.get(key) !== gen)
        this.#o.recorder?.event(ing, 'Normal', 'Sync', 'Scheduled for sync');
    }
    this.#servedGenerations = generations;
  }

  /** On a clean stop: what the status publisher must know to clear statuses. */
  statusSnapshot(): { all: Ingress[]; served: ReadonlySet<string> } {
    return { all: [...this.#ingresses.lister.list()], served: this.#served };
  }
}

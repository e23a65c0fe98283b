/**
 * ServiceLB, the bare-metal LoadBalancer allocator (the design's `lb`, after k3s ServiceLB and
 * MetalLB): Services of type LoadBalancer without a loadBalancerClass (or with the configured
 * one) get `status.loadBalancer.ingress[0].ip` from `--lb-pool`, `spec.loadBalancerIP` when it
 * is in the pool and free. The finalizer `service.kubernetes.io/load-balancer-cleanup` is added
 * before an address is handed out and removed after it is released (type changed away from
 * LoadBalancer, or Service deleted), as kube's service controller does (LB-05). Services of a
 * foreign class are never touched. Which Service holds which address is rebuilt from the
 * Services' status at start. With an empty pool the controller is not started.
 */
import { resources } from '../../api/scheme.js';
import type { Service } from '../../api/types/core.js';
import { objectKey, splitKey } from '../../client/keys.js';
import type { Client, Informer, WorkQueue } from '../../client/types.js';
import type { Logger } from '../../lib/log/logger.js';
import { isNotFound } from '../common/apierrors.js';
import type { EventRecorder } from '../common/events.js';
import { jsonEqual } from '../common/meta.js';
import type { ControllerContext, Reconciler } from '../context.js';
import { Pool } from './pool.js';

export const finalizerLBCleanup = 'service.kubernetes.io/load-balancer-cleanup';

export class ServiceLBController implements Reconciler {
  readonly name = 'servicelb';
  readonly informers: readonly Informer<unknown>[];
  readonly #client: Client;
  readonly #log: Logger;
  readonly #recorder: EventRecorder;
  readonly #services: Informer<Service>;
  readonly #pool: Pool;
  readonly #class: string | undefined;
  #initialized = false;
  #queue: WorkQueue | undefined;

  /** @throws CIDRError for a malformed pool */
  constructor(ctx: ControllerContext) {
    this.#client = ctx.client;
    this.#log = ctx.logger.child({ controller: this.name });
    this.#recorder = ctx.recorder('service-controller');
    this.#pool = new Pool(ctx.config.lbPool);
    this.#class = ctx.config.lbClass;
    this.#services = ctx.informers.informerFor<Service>(resources.services);
    this.informers = [this.#services] as Informer<unknown>[];
  }

  register(queue: WorkQueue): void {
    this.#queue = queue;
    const add = (s: Service): void => queue.add(objectKey(s));
    this.#services.addHandlers({ onAdd: add, onUpdate: (_o, s) => add(s), onDelete: add });
  }

  /** Ours: type LoadBalancer and no class, or our class. */
  #wants(svc: Service): boolean {
    if (svc.spec?.type !== 'LoadBalancer') return false;
    const cls = svc.spec.loadBalancerClass;
    return cls === undefined || cls === '' || cls === this.#class;
  }

  #init(): void {
    if (this.#initialized) return;
    this.#initialized = true;
    for (const svc of this.#services.lister.list()) {
      if (!this.#wants(svc) && !(svc.metadata.finalizers ?? []).includes(finalizerLBCleanup))
        continue;
      for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
        if (ing.ip !== undefined) this.#pool.claim(ing.ip, objectKey(svc));
      }
    }
  }

  async sync(key: string, _signal: AbortSignal): Promise<void> {
    this.#init();
    const { namespace, name } = splitKey(key);
    const svc = this.#services.lister.get(namespace, name);
    if (svc === undefined) {
      this.#releaseAll(key);
      return;
    }
    const hasFinalizer = (svc.metadata.finalizers ?? []).includes(finalizerLBCleanup);
    if (svc.metadata.deletionTimestamp !== undefined || !this.#wants(svc)) {
      if (!hasFinalizer) return;
      // Release: clear the status we wrote (unless the service is going away), then the finalizer.
      const ours = (svc.status?.loadBalancer?.ingress ?? []).filter(
        (i) => i.ip !== undefined && this.#pool.holder(i.ip) === key,
      );
      this.#recorder.event(svc, 'Normal', 'DeletingLoadBalancer', 'Deleting load balancer');
      if (ours.length > 0 && svc.metadata.deletionTimestamp === undefined)
        await this.#setIngress(svc, []);
      this.#releaseAll(key);
      await this.#setFinalizer(svc, false);
      this.#recorder.event(svc, 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer');
      return;
    }
    if (!hasFinalizer) {
      await this.#setFinalizer(svc, true);
      return; // the update event brings us back with the finalizer in place
    }
    const ip = this.#choose(key, svc);
    if (ip === undefined) return;
    const want = [{ ip, ipMode: 'VIP' as const }];
    if (jsonEqual(svc.status?.loadBalancer?.ingress ?? [], want)) return;
    this.#recorder.event(svc, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
    await this.#setIngress(svc, want);
    this.#recorder.event(svc, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer');
    this.#log.v(2).info('Assigned LoadBalancer IP', { service: key, ip });
  }

  /** The address the service should have, claiming it; undefined (with an event) when none. */
  #choose(key: string, svc: Service): string | undefined {
    const requested = svc.spec?.loadBalancerIP ?? '';
    const held = this.#pool.heldBy(key);
    if (requested !== '') {
      if (held.includes(requested)) return requested;
      if (this.#pool.claim(requested, key)) {
        for (const ip of held) if (ip !== requested) this.#release(ip, key);
        return requested;
      }
      const why = this.#pool.contains(requested)
        ? `is in use by ${this.#pool.holder(requested) ?? 'another service'}`
        : 'is not in the pool';
      this.#recorder.event(
        svc,
        'Warning',
        'AllocationFailed',
        `Failed to allocate IP for "${key}": requested loadBalancerIP ${requested} ${why}`,
      );
      return undefined;
    }
    const current = (svc.status?.loadBalancer?.ingress ?? [])
      .map((i) => i.ip)
      .find((ip) => ip !== undefined && held.includes(ip));
    if (current !== undefined) return current;
    if (held[0] !== undefined) return held[0];
    const ip = this.#pool.allocate(key);
    if (ip === undefined) {
      this.#recorder.event(
        svc,
        'Warning',
        'AllocationFailed',
        `Failed to allocate IP for "${key}": no available IPs in the pool`,
      );
    }
    return ip;
  }

  /** Frees a service's addresses and wakes the services waiting for one. */
  #releaseAll(key: string): void {
    if (this.#pool.heldBy(key).length === 0) return;
    this.#pool.releaseAll(key);
    for (const other of this.#services.lister.list()) {
      if (this.#wants(other) && (other.status?.loadBalancer?.ingress ?? []).length === 0)
        this.#queue?.add(objectKey(other));
    }
  }

  #release(ip: string, key: string): void {
    if (this.#pool.holder(ip) === key) {
      const others = this.#pool.heldBy(key).filter((x) => x !== ip);
      this.#pool.releaseAll(key);
      for (const o of others) this.#pool.claim(o, key);
    }
  }

  async #setIngress(svc: Service, ingress: { ip: string; ipMode: 'VIP' }[]): Promise<void> {
    try {
      await this.#client.patch(
        resources.services,
        svc.metadata.namespace,
        svc.metadata.name ?? '',
        'merge',
        { status: { loadBalancer: { ingress } } },
        { subresource: 'status' },
      );
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async #setFinalizer(svc: Service, present: boolean): Promise<void> {
    const others = (svc.metadata.finalizers ?? []).filter((f) => f !== finalizerLBCleanup);
    try {
      await this.#client.patch(
        resources.services,
        svc.metadata.namespace,
        svc.metadata.name ?? '',
        'merge',
        {
          metadata: {
            finalizers: present ? [...others, finalizerLBCleanup] : others,
            resourceVersion: svc.metadata.resourceVersion,
          },
        },
      );
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

/**
 * The Endpoints controller: the legacy Endpoints object of every Service with a selector.
 * Endpoints of services without a selector belong to the user and are never touched; an
 * Endpoints this controller wrote (label `endpoints.kubernetes.io/managed-by:
 * endpoint-controller`) is deleted when its service goes away, including at start-up for
 * services deleted while the controller was down.
 */
import { resources } from '../../api/scheme.js';
import type { Endpoints, Pod, Service } from '../../api/types/core.js';
import { objectKey, splitKey } from '../../client/keys.js';
import type { Client, Informer, WorkQueue } from '../../client/types.js';
import type { Logger } from '../../lib/log/logger.js';
import { isNamespaceTerminating, isNotFound } from '../common/apierrors.js';
import { podEndpointFingerprint, ServiceSelectorCache } from '../common/services.js';
import type { ControllerContext, Reconciler } from '../context.js';
import { ResourceVersionTracker, StaleCacheError } from '../endpointslice/tracker.js';
import { TriggerTimeTracker } from '../endpointslice/triggertime.js';
import {
  endpointsControllerName,
  labelEndpointsManagedBy,
  reconcileEndpoints,
} from './reconciler.js';

export class EndpointsController implements Reconciler {
  readonly name = 'endpoints';
  readonly informers: readonly Informer<unknown>[];
  readonly #client: Client;
  readonly #log: Logger;
  readonly #services: Informer<Service>;
  readonly #pods: Informer<Pod>;
  readonly #endpoints: Informer<Endpoints>;
  readonly #selectors: ServiceSelectorCache;
  readonly #tracker = new ResourceVersionTracker();
  readonly #triggers = new TriggerTimeTracker();

  constructor(ctx: ControllerContext) {
    this.#client = ctx.client;
    this.#log = ctx.logger.child({ controller: this.name });
    this.#services = ctx.informers.informerFor<Service>(resources.services);
    this.#pods = ctx.informers.informerFor<Pod>(resources.pods);
    this.#endpoints = ctx.informers.informerFor<Endpoints>(resources.endpoints);
    this.#selectors = new ServiceSelectorCache(this.#services, this.#pods);
    this.informers = [this.#services, this.#pods, this.#endpoints] as Informer<unknown>[];
  }

  register(queue: WorkQueue): void {
    this.#services.addHandlers({
      onAdd: (s) => queue.add(objectKey(s)),
      onUpdate: (_o, s) => queue.add(objectKey(s)),
      onDelete: (s) => {
        this.#selectors.forget(objectKey(s));
        queue.add(objectKey(s));
      },
    });
    const queuePod = (pod: Pod): void => {
      for (const k of this.#selectors.servicesFor(
        pod.metadata.namespace ?? '',
        pod.metadata.labels,
      ))
        queue.add(k);
    };
    this.#pods.addHandlers({
      onAdd: queuePod,
      onUpdate: (old, pod) => {
        if (
          JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {})
        ) {
          queuePod(old);
          queuePod(pod);
        } else if (podEndpointFingerprint(old) !== podEndpointFingerprint(pod)) queuePod(pod);
      },
      onDelete: queuePod,
    });
    // Leftovers (our Endpoints whose service is gone) are found by the initial list's adds; a
    // deleted or edited Endpoints of a service with a selector is put back.
    this.#endpoints.addHandlers({
      onAdd: (ep) => {
        if (this.#tracker.shouldSync(objectKey(ep), ep)) queue.add(objectKey(ep));
      },
      onUpdate: (_o, ep) => {
        if (this.#tracker.shouldSync(objectKey(ep), ep)) queue.add(objectKey(ep));
      },
      onDelete: (ep) => {
        if (this.#tracker.handleDeletion(objectKey(ep), ep)) queue.add(objectKey(ep));
      },
    });
  }

  async sync(key: string, _signal: AbortSignal): Promise<void> {
    const { namespace, name } = splitKey(key);
    const service = this.#services.lister.get(namespace, name);
    const current = this.#endpoints.lister.get(namespace, name);
    if (service === undefined) {
      this.#triggers.delete(key);
      if (current?.metadata.labels?.[labelEndpointsManagedBy] === endpointsControllerName) {
        await this.#delete(key, current);
      }
      this.#tracker.deleteOwner(key);
      return;
    }
    const selector = this.#selectors.selector(service);
    if (selector === undefined || service.spec?.type === 'ExternalName') return;
    if (this.#tracker.stale(key, current === undefined ? [] : [current])) {
      throw new StaleCacheError(`Endpoints ${key}`);
    }
    const pods = this.#selectors.podsFor(service);
    const triggerTime = this.#triggers.compute(key, service, pods);
    const plan = reconcileEndpoints({ service, pods, current, triggerTime });
    switch (plan.action) {
      case 'none':
        return;
      case 'create':
        try {
          this.#tracker.update(key, await this.#client.create(resources.endpoints, plan.endpoints));
        } catch (e) {
          if (isNamespaceTerminating(e)) return;
          throw e;
        }
        break;
      case 'update':
        this.#tracker.update(key, await this.#client.update(resources.endpoints, plan.endpoints));
        break;
    }
    this.#log.v(2).info('Synced Endpoints', { service: key, action: plan.action });
  }

  async #delete(key: string, ep: Endpoints): Promise<void> {
    try {
      await this.#client.delete(
        resources.endpoints,
        ep.metadata.namespace,
        ep.metadata.name ?? '',
        {
          preconditions: { uid: ep.metadata.uid ?? '' },
        },
      );
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.#tracker.expectDeletion(key, ep);
  }
}

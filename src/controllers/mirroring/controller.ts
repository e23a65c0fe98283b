/**
 * The EndpointSlice mirroring controller: Endpoints that users write for Services without a
 * selector become EndpointSlices (so every slice-reading consumer, our proxy and DNS included,
 * sees them), following updates and deletion.
 */
import { resources } from '../../api/scheme.js';
import type { Endpoints, Service } from '../../api/types/core.js';
import {
  labelManagedBy,
  managedByMirroring,
  type EndpointSlice,
} from '../../api/types/discovery.js';
import { objectKey, splitKey } from '../../client/keys.js';
import type { Client, Informer, WorkQueue } from '../../client/types.js';
import type { Logger } from '../../lib/log/logger.js';
import { isNamespaceTerminating, isNotFound } from '../common/apierrors.js';
import type { EventRecorder } from '../common/events.js';
import type { ControllerContext, Reconciler } from '../context.js';
import { sliceServiceKey } from '../endpointslice/controller.js';
import { ResourceVersionTracker, StaleCacheError } from '../endpointslice/tracker.js';
import { reconcileMirroring } from './reconciler.js';

const serviceIndex = 'mirroring/service';

export class MirroringController implements Reconciler {
  readonly name = 'endpointslicemirroring';
  readonly informers: readonly Informer<unknown>[];
  readonly #client: Client;
  readonly #log: Logger;
  readonly #recorder: EventRecorder;
  readonly #endpoints: Informer<Endpoints>;
  readonly #services: Informer<Service>;
  readonly #slices: Informer<EndpointSlice>;
  readonly #tracker = new ResourceVersionTracker();
  readonly #maxPerSlice: number;

  constructor(ctx: ControllerContext) {
    this.#client = ctx.client;
    this.#log = ctx.logger.child({ controller: this.name });
    this.#recorder = ctx.recorder('endpointslice-mirroring-controller');
    this.#maxPerSlice = ctx.config.maxEndpointsPerSlice;
    this.#endpoints = ctx.informers.informerFor<Endpoints>(resources.endpoints);
    this.#services = ctx.informers.informerFor<Service>(resources.services);
    this.#slices = ctx.informers.informerFor<EndpointSlice>(resources.endpointslices, {
      labelSelector: `${labelManagedBy}=${managedByMirroring}`,
    });
    this.#slices.addIndex(serviceIndex, (s) => {
      const k = sliceServiceKey(s);
      return k === undefined ? [] : [k];
    });
    this.informers = [this.#endpoints, this.#services, this.#slices] as Informer<unknown>[];
  }

  register(queue: WorkQueue): void {
    const byKey = (o: Endpoints | Service): void => queue.add(objectKey(o));
    // Endpoints of services with a selector (the endpoints controller's) are never mirrored:
    // skip their churn unless mirrored slices are left to clean up.
    const endpointsEvent = (ep: Endpoints): void => {
      const key = objectKey(ep);
      const svc = this.#services.lister.get(ep.metadata.namespace, ep.metadata.name ?? '');
      const selected = Object.keys(svc?.spec?.selector ?? {}).length > 0;
      if (selected && this.#slices.lister.byIndex(serviceIndex, key).length === 0) return;
      queue.add(key);
    };
    this.#endpoints.addHandlers({
      onAdd: endpointsEvent,
      onUpdate: (_o, n) => endpointsEvent(n),
      onDelete: byKey,
    });
    this.#services.addHandlers({
      onAdd: byKey,
      onUpdate: (o, n) => {
        const had = Object.keys(o.spec?.selector ?? {}).length > 0;
        const has = Object.keys(n.spec?.selector ?? {}).length > 0;
        if (had !== has || o.spec?.type !== n.spec?.type) byKey(n);
      },
      onDelete: byKey,
    });
    this.#slices.addHandlers({
      onAdd: (s) => {
        const k = sliceServiceKey(s);
        if (k !== undefined && this.#tracker.shouldSync(k, s)) queue.add(k);
      },
      onUpdate: (_o, s) => {
        const k = sliceServiceKey(s);
        if (k !== undefined && this.#tracker.shouldSync(k, s)) queue.add(k);
      },
      onDelete: (s) => {
        const k = sliceServiceKey(s);
        if (k !== undefined && this.#tracker.handleDeletion(k, s)) queue.add(k);
      },
    });
  }

  async sync(key: string, _signal: AbortSignal): Promise<void> {
    const { namespace, name } = splitKey(key);
    const endpoints = this.#endpoints.lister.get(namespace, name);
    const cached = this.#slices.lister.byIndex(serviceIndex, key);
    if (this.#tracker.stale(key, cached)) throw new StaleCacheError(`mirrored slices of ${key}`);
    if (endpoints === undefined) {
      for (const s of cached) await this.#delete(key, s);
      if (cached.length === 0) this.#tracker.deleteOwner(key);
      return;
    }
    const plan = reconcileMirroring({
      endpoints,
      service: this.#services.lister.get(namespace, name),
      existing: cached.filter((s) => s.metadata.deletionTimestamp === undefined),
      maxEndpointsPerSlice: this.#maxPerSlice,
    });
    if (plan.skipped > 0) {
      this.#recorder.event(
        endpoints,
        'Warning',
        'AddressesSkipped',
        `Skipped ${plan.skipped} invalid IP addresses or addresses over the limit of 1000 per subset while mirroring to EndpointSlices`,
      );
    }
    for (const s of plan.create) {
      try {
        this.#tracker.update(key, await this.#client.create(resources.endpointslices, s));
      } catch (e) {
        if (isNamespaceTerminating(e)) return;
        throw e;
      }
    }
    for (const s of plan.update) {
      this.#tracker.update(key, await this.#client.update(resources.endpointslices, s));
    }
    for (const s of plan.delete) await this.#delete(key, s);
    if (plan.create.length + plan.update.length + plan.delete.length > 0) {
      this.#log.v(2).info('Mirrored Endpoints', {
        endpoints: key,
        created: plan.create.length,
        updated: plan.update.length,
        deleted: plan.delete.length,
      });
    }
  }

  async #delete(key: string, slice: EndpointSlice): Promise<void> {
    try {
      await this.#client.delete(
        resources.endpointslices,
        slice.metadata.namespace,
        slice.metadata.name ?? '',
        {
          preconditions: { uid: slice.metadata.uid ?? '' },
        },
      );
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.#tracker.expectDeletion(key, slice);
  }
}

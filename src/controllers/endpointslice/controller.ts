/**
 * The EndpointSlice controller: informers on Services, Pods, Nodes and the slices it manages;
 * handlers that turn events into service keys; `sync(key)` that plans with the pure reconciler
 * and applies the plan. See README.md for the contract.
 */
import { resources } from '../../api/scheme.js';
import type { Node, Pod, Service } from '../../api/types/core.js';
import {
  labelManagedBy,
  labelServiceName,
  managedByController,
  type EndpointSlice,
} from '../../api/types/discovery.js';
import { namespacedKey, objectKey, splitKey } from '../../client/keys.js';
import type { Client, Informer, WorkQueue } from '../../client/types.js';
import { PorticoError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log/logger.js';
import { isNamespaceTerminating, isNotFound } from '../common/apierrors.js';
import { podEndpointFingerprint, ServiceSelectorCache } from '../common/services.js';
import type { ControllerContext, Reconciler } from '../context.js';
import { reconcileEndpointSlices } from './reconciler.js';
import { ResourceVersionTracker, StaleCacheError } from './tracker.js';
import { TriggerTimeTracker } from './triggertime.js';

/** Pods were left out because their node is not in the cache yet; retried. */
export class NodeNotFoundError extends PorticoError {
  constructor(service: string, pods: readonly string[]) {
    super(
      'E_NODE_NOT_FOUND',
      `skipped pods of ${service} whose node is unknown: ${pods.join(', ')}`,
    );
  }
}

const serviceIndex = 'endpointslice/service';
const nodeIndex = 'endpointslice/node';

/** `namespace/service` of a slice, from its service-name label. */
export function sliceServiceKey(slice: EndpointSlice): string | undefined {
  const svc = slice.metadata.labels?.[labelServiceName];
  return svc === undefined || svc === '' ? undefined : namespacedKey(slice.metadata.namespace, svc);
}

export class EndpointSliceController implements Reconciler {
  readonly name = 'endpointslice';
  readonly informers: readonly Informer<unknown>[];
  readonly #client: Client;
  readonly #log: Logger;
  readonly #services: Informer<Service>;
  readonly #pods: Informer<Pod>;
  readonly #nodes: Informer<Node>;
  readonly #slices: Informer<EndpointSlice>;
  readonly #selectors: ServiceSelectorCache;
  readonly #tracker = new ResourceVersionTracker();
  readonly #triggers = new TriggerTimeTracker();
  readonly #maxPerSlice: number;

  constructor(ctx: ControllerContext) {
    this.#client = ctx.client;
    this.#log = ctx.logger.child({ controller: this.name });
    this.#maxPerSlice = ctx.config.maxEndpointsPerSlice;
    this.#services = ctx.informers.informerFor<Service>(resources.services);
    this.#pods = ctx.informers.informerFor<Pod>(resources.pods);
    this.#nodes = ctx.informers.informerFor<Node>(resources.nodes);
    this.#slices = ctx.informers.informerFor<EndpointSlice>(resources.endpointslices, {
      labelSelector: `${labelManagedBy}=${managedByController}`,
    });
    this.#slices.addIndex(serviceIndex, (s) => {
      const k = sliceServiceKey(s);
      return k === undefined ? [] : [k];
    });
    this.#pods.addIndex(nodeIndex, (p) => [p.spec?.nodeName ?? '']);
    this.#selectors = new ServiceSelectorCache(this.#services, this.#pods);
    this.informers = [this.#services, this.#pods, this.#nodes, this.#slices] as Informer<unknown>[];
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
        const labelsChanged =
          JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {});
        if (labelsChanged) {
          const keys = new Set([
            ...this.#selectors.servicesFor(old.metadata.namespace ?? '', old.metadata.labels),
            ...this.#selectors.servicesFor(pod.metadata.namespace ?? '', pod.metadata.labels),
          ]);
          for (const k of keys) queue.add(k);
        } else if (podEndpointFingerprint(old) !== podEndpointFingerprint(pod)) {
          queuePod(pod);
        }
      },
      onDelete: queuePod,
    });
    const queueSlice = (slice: EndpointSlice): void => {
      const k = sliceServiceKey(slice);
      if (k !== undefined) queue.add(k);
    };
    this.#slices.addHandlers({
      onAdd: (s) => {
        const k = sliceServiceKey(s);
        if (k !== undefined && this.#tracker.shouldSync(k, s)) queue.add(k);
      },
      onUpdate: (old, s) => {
        const k = sliceServiceKey(s);
        if (k !== sliceServiceKey(old)) queueSlice(old);
        if (k !== undefined && this.#tracker.shouldSync(k, s)) queue.add(k);
      },
      onDelete: (s) => {
        const k = sliceServiceKey(s);
        if (k !== undefined && this.#tracker.handleDeletion(k, s)) queue.add(k);
      },
    });
    // Pods are left out while their node is unknown: sync their services once it appears.
    const queueNode = (node: Node): void => {
      for (const pod of this.#pods.lister.byIndex(nodeIndex, node.metadata.name ?? ''))
        queuePod(pod);
    };
    this.#nodes.addHandlers({
      onAdd: queueNode,
      onUpdate: (old, node) => {
        const zone = 'topology.kubernetes.io/zone';
        if (old.metadata.labels?.[zone] !== node.metadata.labels?.[zone]) queueNode(node);
      },
      onDelete: queueNode,
    });
  }

  async sync(key: string, _signal: AbortSignal): Promise<void> {
    const { namespace, name } = splitKey(key);
    const service = this.#services.lister.get(namespace, name);
    const cached = this.#slices.lister.byIndex(serviceIndex, key);
    if (service === undefined) {
      // Slices are owned by the service: the garbage collector removes them.
      this.#tracker.deleteOwner(key);
      this.#triggers.delete(key);
      return;
    }
    if (this.#tracker.stale(key, cached)) throw new StaleCacheError(`EndpointSlices of ${key}`);
    const selector = this.#selectors.selector(service);
    if (selector === undefined || service.spec?.type === 'ExternalName') {
      // No selector: endpoints come from the user (and the mirroring controller). Slices we
      // made while the service had one are removed.
      for (const s of cached) await this.#delete(key, s);
      return;
    }
    const pods = this.#selectors.podsFor(service);
    const triggerTime = this.#triggers.compute(key, service, pods);
    const plan = reconcileEndpointSlices({
      service,
      pods,
      node: (n) => this.#nodes.lister.get(undefined, n),
      existing: cached.filter((s) => s.metadata.deletionTimestamp === undefined),
      maxEndpointsPerSlice: this.#maxPerSlice,
      triggerTime,
    });
    for (const s of plan.create) {
      try {
        const created = await this.#client.create(resources.endpointslices, s);
        this.#tracker.update(key, created);
      } catch (e) {
        if (isNamespaceTerminating(e)) return;
        throw e;
      }
    }
    for (const s of plan.update) {
      const updated = await this.#client.update(resources.endpointslices, s);
      this.#tracker.update(key, updated);
    }
    for (const s of plan.delete) await this.#delete(key, s);
    const changes = plan.create.length + plan.update.length + plan.delete.length;
    if (changes > 0)
      this.#log.v(2).info('Synced EndpointSlices', {
        service: key,
        created: plan.create.length,
        updated: plan.update.length,
        deleted: plan.delete.length,
      });
    if (plan.skippedPods.length > 0) throw new NodeNotFoundError(key, plan.skippedPods);
  }

  async #delete(key: string, slice: EndpointSlice): Promise<void> {
    try {
      await this.#client.delete(
        resources.endpointslices,
        slice.metadata.namespace,
        slice.metadata.name ?? '',
        { preconditions: { uid: slice.metadata.uid ?? '' } },
      );
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.#tracker.expectDeletion(key, slice);
  }
}

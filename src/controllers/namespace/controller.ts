/**
 * The namespace controller: a namespace with a deletionTimestamp is emptied of every namespaced
 * resource (found by discovery), its status conditions tell what is left, and once nothing is
 * left its `kubernetes` finalizer is removed through `namespaces/{name}/finalize`, after which
 * the API server deletes it.
 */
import type { KubeObject } from '../../api/meta/types.js';
import { resources, resourcePath } from '../../api/scheme.js';
import type { Namespace } from '../../api/types/core.js';
import type { Client, Informer, WorkQueue } from '../../client/types.js';
import type { Clock } from '../../lib/clock.js';
import { asError, PorticoError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log/logger.js';
import { isNotFound } from '../common/apierrors.js';
import { jsonEqual, rfc3339 } from '../common/meta.js';
import { sendJSON } from '../common/raw.js';
import type { ControllerContext, Reconciler } from '../context.js';
import { namespaceConditions, type DeletionOutcome } from './conditions.js';
import { discoverNamespacedResources, type DeletableResource } from './discovery.js';

export const finalizerKubernetes = 'kubernetes';

/** Content is still being deleted; the namespace is looked at again later. */
export class ContentRemainingError extends PorticoError {
  constructor(namespace: string, what: string) {
    super('E_NAMESPACE_CONTENT_REMAINING', `namespace ${namespace} still has content: ${what}`);
  }
}

export class NamespaceController implements Reconciler {
  readonly name = 'namespace';
  readonly informers: readonly Informer<unknown>[];
  readonly #client: Client;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #namespaces: Informer<Namespace>;
  #queue: WorkQueue | undefined;

  constructor(ctx: ControllerContext) {
    this.#client = ctx.client;
    this.#clock = ctx.clock;
    this.#log = ctx.logger.child({ controller: this.name });
    this.#namespaces = ctx.informers.informerFor<Namespace>(resources.namespaces);
    this.informers = [this.#namespaces] as Informer<unknown>[];
  }

  register(queue: WorkQueue): void {
    this.#queue = queue;
    const maybe = (ns: Namespace): void => {
      if (ns.metadata.deletionTimestamp !== undefined) queue.add(ns.metadata.name ?? '');
    };
    this.#namespaces.addHandlers({ onAdd: maybe, onUpdate: (_o, ns) => maybe(ns) });
  }

  async sync(name: string, _signal: AbortSignal): Promise<void> {
    const ns = this.#namespaces.lister.get(undefined, name);
    if (ns === undefined || ns.metadata.deletionTimestamp === undefined) return;
    if (!(ns.spec?.finalizers ?? []).includes(finalizerKubernetes)) return;
    const outcome: {
      discoveryError?: string;
      deleteErrors: string[];
      remaining: Map<string, number>;
      finalizers: Map<string, number>;
    } = {
      deleteErrors: [],
      remaining: new Map(),
      finalizers: new Map(),
    };
    let deletable: DeletableResource[] = [];
    try {
      deletable = await discoverNamespacedResources(this.#client);
    } catch (e) {
      outcome.discoveryError = asError(e).message;
    }
    let waitSeconds = 0;
    for (const { rt, deleteCollection } of deletable) {
      try {
        const left = await this.#empty(rt, name, deleteCollection);
        if (left.length === 0) continue;
        outcome.remaining.set(
          rt.group === '' ? rt.resource : `${rt.resource}.${rt.group}`,
          left.length,
        );
        for (const o of left) {
          for (const f of o.metadata.finalizers ?? [])
            outcome.finalizers.set(f, (outcome.finalizers.get(f) ?? 0) + 1);
          waitSeconds = Math.max(waitSeconds, o.metadata.deletionGracePeriodSeconds ?? 0);
        }
      } catch (e) {
        outcome.deleteErrors.push(`${rt.resource}: ${asError(e).message}`);
      }
    }
    const done =
      outcome.discoveryError === undefined &&
      outcome.deleteErrors.length === 0 &&
      outcome.remaining.size === 0;
    await this.#writeConditions(ns, outcome);
    if (!done) {
      const what =
        [...outcome.remaining.keys(), ...outcome.deleteErrors].join(', ') || 'discovery failed';
      // Pods terminate within their grace period: look again then (kube's estimate), else back off.
      if (waitSeconds > 0) {
        this.#queue?.addAfter(name, (waitSeconds / 2) * 1000 + 1000);
        this.#log.v(2).info('Waiting for namespace content', { namespace: name, remaining: what });
        return;
      }
      throw new ContentRemainingError(name, what);
    }
    await this.#finalize(name);
    this.#log.info('Namespace emptied and finalized', { namespace: name });
  }

  /** Deletes everything of one resource in the namespace; returns what is still there. */
  async #empty(
    rt: DeletableResource['rt'],
    namespace: string,
    deleteCollection: boolean,
  ): Promise<KubeObject[]> {
    let items = (await this.#client.list<KubeObject>(rt, { namespace })).items;
    if (items.length === 0) return [];
    if (deleteCollection) {
      const res = await this.#client.request({
        method: 'DELETE',
        path: resourcePath(rt, { namespace }),
        accept: 'application/json',
      });
      if (res.status >= 300 && res.status !== 404 && res.status !== 405) {
        throw new Error(`deletecollection ${rt.resource}: HTTP ${res.status}`);
      }
      if (res.status === 405) deleteCollection = false;
    }
    if (!deleteCollection) {
      for (const o of items) {
        if (o.metadata.deletionTimestamp !== undefined) continue;
        try {
          await this.#client.delete(rt, namespace, o.metadata.name ?? '');
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
    }
    items = (await this.#client.list<KubeObject>(rt, { namespace })).items;
    return items;
  }

  async #writeConditions(ns: Namespace, outcome: DeletionOutcome): Promise<void> {
    const previous = ns.status?.conditions ?? [];
    const conditions = namespaceConditions(outcome, previous, rfc3339(this.#clock.now()));
    if (jsonEqual(conditions, previous) && ns.status?.phase === 'Terminating') return;
    try {
      await this.#client.updateStatus(resources.namespaces, {
        ...structuredClone(ns),
        status: { ...ns.status, phase: 'Terminating', conditions },
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Removes the `kubernetes` finalizer with a PUT to namespaces/{name}/finalize (fresh read first). */
  async #finalize(name: string): Promise<void> {
    let ns: Namespace;
    try {
      ns = await this.#client.get<Namespace>(resources.namespaces, undefined, name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== finalizerKubernetes);
    try {
      await sendJSON(
        this.#client,
        'PUT',
        resourcePath(resources.namespaces, { name, subresource: 'finalize' }),
        {
          ...ns,
          spec: { ...ns.spec, finalizers },
        },
      );
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

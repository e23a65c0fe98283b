/**
 * The garbage collector: deletes dependents whose owners are gone (Background), empties owners
 * deleted in the foreground before letting them go (Foreground), and strips owner references
 * from the dependents of owners deleted with `--cascade=orphan` (Orphan). It watches every
 * resource Portico serves except Events; an owner's absence seen in the cache is confirmed with
 * a live read before anything is deleted.
 */
import type { KubeObject, OwnerReference } from '../../api/meta/types.js';
import { resourceForKind, resources, type ResourceType } from '../../api/scheme.js';
import { namespacedKey, splitKey } from '../../client/keys.js';
import type { Client, Informer, WorkQueue } from '../../client/types.js';
import type { Logger } from '../../lib/log/logger.js';
import { isConflict, isNotFound } from '../common/apierrors.js';
import type { ControllerContext, Reconciler } from '../context.js';
import {
  decideDependent,
  decideOwner,
  finalizerForeground,
  finalizerOrphan,
  type OwnerState,
} from './decide.js';

const ownerIndex = 'gc/owner';

/** Resources whose objects may own or depend on others (Events are left out: churn, no owners). */
export function collectedResources(): ResourceType[] {
  return Object.values(resources).filter((rt) => rt.resource !== 'events');
}

function rtId(rt: ResourceType): string {
  return `${rt.group}/${rt.resource}`;
}

export class GarbageCollector implements Reconciler {
  readonly name = 'garbagecollector';
  readonly informers: readonly Informer<unknown>[];
  readonly #client: Client;
  readonly #log: Logger;
  readonly #byId = new Map<string, { rt: ResourceType; informer: Informer<KubeObject> }>();
  /** Owners a live read showed gone (kube's absentOwnerCache), by uid. */
  readonly #absent = new Set<string>();

  constructor(ctx: ControllerContext) {
    this.#client = ctx.client;
    this.#log = ctx.logger.child({ controller: this.name });
    for (const rt of collectedResources()) {
      const informer = ctx.informers.informerFor<KubeObject>(rt);
      informer.addIndex(ownerIndex, (o) => (o.metadata.ownerReferences ?? []).map((r) => r.uid));
      this.#byId.set(rtId(rt), { rt, informer });
    }
    this.informers = [...this.#byId.values()].map((e) => e.informer);
  }

  register(queue: WorkQueue): void {
    for (const { rt, informer } of this.#byId.values()) {
      const key = (o: KubeObject): string =>
        `${rtId(rt)}|${namespacedKey(o.metadata.namespace, o.metadata.name ?? '')}`;
      const interesting = (o: KubeObject): boolean =>
        (o.metadata.ownerReferences ?? []).length > 0 ||
        (o.metadata.deletionTimestamp !== undefined &&
          (o.metadata.finalizers ?? []).some(
            (f) => f === finalizerOrphan || f === finalizerForeground,
          ));
      informer.addHandlers({
        onAdd: (o) => {
          if (interesting(o)) queue.add(key(o));
        },
        onUpdate: (old, o) => {
          const changed =
            JSON.stringify(old.metadata.ownerReferences ?? []) !==
              JSON.stringify(o.metadata.ownerReferences ?? []) ||
            old.metadata.deletionTimestamp !== o.metadata.deletionTimestamp ||
            JSON.stringify(old.metadata.finalizers ?? []) !==
              JSON.stringify(o.metadata.finalizers ?? []);
          if (changed && interesting(o)) queue.add(key(o));
        },
        onDelete: (o) => {
          // Its dependents may now be dangling; owners waiting for it may now be free.
          for (const d of this.#dependents(o.metadata.uid ?? '')) queue.add(d.key);
          for (const r of o.metadata.ownerReferences ?? []) {
            const owner = this.#ownerInCache(o, r);
            if (owner !== undefined) queue.add(owner.key);
          }
        },
      });
    }
  }

  #dependents(uid: string): { key: string; obj: KubeObject }[] {
    const out: { key: string; obj: KubeObject }[] = [];
    if (uid === '') return out;
    for (const { rt, informer } of this.#byId.values()) {
      for (const obj of informer.lister.byIndex(ownerIndex, uid)) {
        out.push({
          key: `${rtId(rt)}|${namespacedKey(obj.metadata.namespace, obj.metadata.name ?? '')}`,
          obj,
        });
      }
    }
    return out;
  }

  #resolve(
    dependent: KubeObject,
    ref: OwnerReference,
  ): { rt: ResourceType; namespace: string | undefined } | undefined {
    const rt = resourceForKind(ref.apiVersion, ref.kind);
    if (rt === undefined || rt.storageResource !== undefined) return undefined;
    return { rt, namespace: rt.namespaced ? dependent.metadata.namespace : undefined };
  }

  #ownerInCache(
    dependent: KubeObject,
    ref: OwnerReference,
  ): { key: string; obj: KubeObject } | undefined {
    const where = this.#resolve(dependent, ref);
    if (where === undefined) return undefined;
    const entry = this.#byId.get(rtId(where.rt));
    const obj = entry?.informer.lister.get(where.namespace, ref.name);
    if (obj === undefined || obj.metadata.uid !== ref.uid) return undefined;
    return { key: `${rtId(where.rt)}|${namespacedKey(where.namespace, ref.name)}`, obj };
  }

  /** The state of one owner: from the cache, and when the cache says gone, from a live read. */
  async #ownerState(dependent: KubeObject, ref: OwnerReference): Promise<OwnerState> {
    const where = this.#resolve(dependent, ref);
    if (where === undefined) return 'unknown';
    if (this.#absent.has(ref.uid)) return 'absent';
    let owner = this.#ownerInCache(dependent, ref)?.obj;
    if (owner === undefined) {
      try {
        owner = await this.#client.get<KubeObject>(where.rt, where.namespace, ref.name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      if (owner === undefined || owner.metadata.uid !== ref.uid) {
        this.#absent.add(ref.uid);
        if (this.#absent.size > 10_000) this.#absent.clear();
        return 'absent';
      }
    }
    const waiting =
      owner.metadata.deletionTimestamp !== undefined &&
      (owner.metadata.finalizers ?? []).includes(finalizerForeground);
    return waiting ? 'waiting' : 'solid';
  }

  async sync(key: string, _signal: AbortSignal): Promise<void> {
    const bar = key.indexOf('|');
    const entry = this.#byId.get(key.slice(0, bar));
    if (entry === undefined) return;
    const { namespace, name } = splitKey(key.slice(bar + 1));
    const obj = entry.informer.lister.get(namespace, name);
    if (obj === undefined) return;
    await this.#syncAsOwner(entry.rt, obj);
    await this.#syncAsDependent(entry.rt, obj);
  }

  async #syncAsOwner(rt: ResourceType, owner: KubeObject): Promise<void> {
    const uid = owner.metadata.uid ?? '';
    const dependents = this.#dependents(uid);
    const decision = decideOwner(
      owner,
      dependents.map((d) => d.obj),
    );
    switch (decision.action) {
      case 'none':
        return;
      case 'orphan':
        for (const d of dependents) {
          const refs = (d.obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
          await this.#patchOwners(this.#rtOf(d.key), d.obj, refs);
        }
        // Every reference is gone now: let the owner go (kube's orphanDependents + removeFinalizer).
        await this.#removeFinalizer(rt, owner, finalizerOrphan);
        this.#log.v(2).info('Orphaned dependents', {
          owner: `${rt.resource}/${owner.metadata.name ?? ''}`,
          count: dependents.length,
        });
        return;
      case 'deleteDependents':
        for (const d of decision.dependents) {
          const hasOwn = this.#dependents(d.metadata.uid ?? '').length > 0;
          await this.#delete(this.#rtOfObj(dependents, d), d, hasOwn ? 'Foreground' : 'Background');
        }
        return;
      case 'removeFinalizer':
        await this.#removeFinalizer(rt, owner, decision.finalizer);
        return;
    }
  }

  async #syncAsDependent(rt: ResourceType, obj: KubeObject): Promise<void> {
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const states = new Map<string, OwnerState>();
    for (const r of refs) states.set(r.uid, await this.#ownerState(obj, r));
    const hasDependents = this.#dependents(obj.metadata.uid ?? '').length > 0;
    const decision = decideDependent(obj, states, hasDependents);
    switch (decision.action) {
      case 'keep':
        return;
      case 'patchOwners':
        await this.#patchOwners(rt, obj, decision.ownerReferences);
        return;
      case 'delete':
        await this.#delete(rt, obj, decision.propagationPolicy);
        this.#log.v(2).info('Deleted dependent', {
          object: `${rt.resource}/${namespacedKey(obj.metadata.namespace, obj.metadata.name ?? '')}`,
          propagationPolicy: decision.propagationPolicy,
        });
        return;
    }
  }

  #rtOf(key: string): ResourceType {
    const e = this.#byId.get(key.slice(0, key.indexOf('|')));
    if (e === undefined) throw new Error(`garbage collector: unknown resource in key ${key}`);
    return e.rt;
  }

  #rtOfObj(list: readonly { key: string; obj: KubeObject }[], obj: KubeObject): ResourceType {
    const found = list.find((d) => d.obj === obj);
    if (found === undefined) throw new Error('garbage collector: dependent not in list');
    return this.#rtOf(found.key);
  }

  async #delete(
    rt: ResourceType,
    obj: KubeObject,
    propagationPolicy: 'Background' | 'Foreground' | 'Orphan',
  ): Promise<void> {
    try {
      await this.#client.delete(rt, obj.metadata.namespace, obj.metadata.name ?? '', {
        propagationPolicy,
        preconditions: { uid: obj.metadata.uid ?? '' },
      });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }

  async #patchOwners(
    rt: ResourceType,
    obj: KubeObject,
    ownerReferences: OwnerReference[],
  ): Promise<void> {
    try {
      await this.#client.patch(rt, obj.metadata.namespace, obj.metadata.name ?? '', 'merge', {
        metadata: {
          ownerReferences,
          uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
        },
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async #removeFinalizer(rt: ResourceType, obj: KubeObject, finalizer: string): Promise<void> {
    try {
      await this.#client.patch(rt, obj.metadata.namespace, obj.metadata.name ?? '', 'merge', {
        metadata: {
          finalizers: (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer),
          uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
        },
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

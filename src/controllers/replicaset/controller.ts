/**
 * The ReplicaSet and ReplicationController controller (one implementation, two WorkloadKinds):
 * keeps `spec.replicas` pods that match the selector, adopting orphans and releasing pods whose
 * labels stopped matching, and reports status. Expectations keep it from creating twice from a
 * cache that has not yet seen its own creates.
 */
import type { Pod } from '../../api/types/core.js';
import { resources } from '../../api/scheme.js';
import { objectKey, namespacedKey, splitKey } from '../../client/keys.js';
import type { Client, Informer, WorkQueue } from '../../client/types.js';
import type { Clock } from '../../lib/clock.js';
import { asError, PorticoError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log/logger.js';
import { isConflict, isNamespaceTerminating, isNotFound } from '../common/apierrors.js';
import type { EventRecorder } from '../common/events.js';
import { Expectations } from '../common/expectations.js';
import { controllerOf } from '../common/meta.js';
import { isPodActive, isPodReady } from '../common/pods.js';
import type { ControllerContext, Reconciler } from '../context.js';
import {
  desiredReplicas,
  minReadySecondsOf,
  type ReplicaOwner,
  type WorkloadKind,
} from './kinds.js';
import {
  adoptedOwnerRefs,
  claimPods,
  computeStatus,
  diffReplicas,
  podFromTemplate,
  releasedOwnerRefs,
  statusEqual,
} from './reconciler.js';

/** Creating or deleting pods failed; the sync is retried. */
export class ManageReplicasError extends PorticoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_MANAGE_REPLICAS', message, options);
  }
}

/** Reconciles one ReplicaSet or ReplicationController per key. */
export class ReplicaSetController implements Reconciler {
  readonly name: string;
  readonly informers: readonly Informer<unknown>[];
  readonly #kind: WorkloadKind;
  readonly #client: Client;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #recorder: EventRecorder;
  readonly #owners: Informer<ReplicaOwner>;
  readonly #pods: Informer<Pod>;
  readonly #expectations: Expectations;
  #queue: WorkQueue | undefined;

  constructor(ctx: ControllerContext, kind: WorkloadKind) {
    this.#kind = kind;
    this.name = kind.kind === 'ReplicaSet' ? 'replicaset' : 'replicationcontroller';
    this.#client = ctx.client;
    this.#clock = ctx.clock;
    this.#log = ctx.logger.child({ controller: this.name });
    this.#recorder = ctx.recorder(kind.component);
    this.#owners = ctx.informers.informerFor<ReplicaOwner>(kind.resource);
    this.#pods = ctx.informers.informerFor<Pod>(resources.pods);
    this.#expectations = new Expectations({ clock: ctx.clock });
    this.informers = [this.#owners, this.#pods] as Informer<unknown>[];
  }

  register(queue: WorkQueue): void {
    this.#queue = queue;
    this.#owners.addHandlers({
      onAdd: (o) => queue.add(objectKey(o)),
      onUpdate: (_old, o) => queue.add(objectKey(o)),
      onDelete: (o) => {
        this.#expectations.delete(objectKey(o));
        queue.add(objectKey(o));
      },
    });
    this.#pods.addHandlers({
      onAdd: (pod) => {
        if (pod.metadata.deletionTimestamp !== undefined) {
          this.#podGone(pod);
          return;
        }
        const owner = this.#ownerKeyOf(pod);
        if (owner !== undefined) {
          this.#expectations.creationObserved(owner);
          queue.add(owner);
        } else this.#queueMatchingOwners(pod);
      },
      onUpdate: (old, pod) => {
        if (
          pod.metadata.deletionTimestamp !== undefined &&
          old.metadata.deletionTimestamp === undefined
        ) {
          this.#podGone(pod);
          return;
        }
        const oldOwner = this.#ownerKeyOf(old);
        const owner = this.#ownerKeyOf(pod);
        if (oldOwner !== undefined && oldOwner !== owner) queue.add(oldOwner);
        if (owner !== undefined) {
          queue.add(owner);
          // An owner with minReadySeconds must look again once the pod has been ready long enough.
          const rs = this.#owners.lister.get(pod.metadata.namespace, splitKey(owner).name);
          const minReady = rs === undefined ? 0 : minReadySecondsOf(rs);
          if (minReady > 0 && !isPodReady(old) && isPodReady(pod))
            queue.addAfter(owner, minReady * 1000 + 1);
        } else if (
          JSON.stringify(old.metadata.labels) !== JSON.stringify(pod.metadata.labels) ||
          oldOwner !== undefined
        ) {
          this.#queueMatchingOwners(pod);
        }
      },
      onDelete: (pod) => this.#podGone(pod),
    });
  }

  /** A pod is deleted or being deleted: a deletion its owner may be waiting for. */
  #podGone(pod: Pod): void {
    const owner = this.#ownerKeyOf(pod);
    if (owner === undefined) return;
    this.#expectations.deletionObserved(owner, objectKey(pod));
    this.#queue?.add(owner);
  }

  /** The key of the pod's controller when it is one of our owners (same uid). */
  #ownerKeyOf(pod: Pod): string | undefined {
    const ref = controllerOf(pod);
    if (ref === undefined || ref.kind !== this.#kind.kind) return undefined;
    const owner = this.#owners.lister.get(pod.metadata.namespace, ref.name);
    if (owner === undefined || owner.metadata.uid !== ref.uid) return undefined;
    return objectKey(owner);
  }

  #queueMatchingOwners(pod: Pod): void {
    for (const owner of this.#owners.lister.list(pod.metadata.namespace ?? '')) {
      if (this.#kind.selector(owner).matches(pod.metadata.labels))
        this.#queue?.add(objectKey(owner));
    }
  }

  async sync(key: string, _signal: AbortSignal): Promise<void> {
    const { namespace, name } = splitKey(key);
    const owner = this.#owners.lister.get(namespace, name);
    if (owner === undefined) {
      this.#expectations.delete(key);
      return;
    }
    const satisfied = this.#expectations.satisfied(key);
    const claim = claimPods(
      owner,
      this.#kind.selector(owner),
      this.#pods.lister.list(namespace ?? ''),
    );
    const owned = [...claim.owned];
    if (claim.adopt.length > 0 && (await this.#canAdopt(owner))) {
      for (const pod of claim.adopt) if (await this.#adopt(owner, pod)) owned.push(pod);
    }
    for (const pod of claim.release) await this.#release(owner, pod);
    const active = owned.filter(isPodActive);

    let failure: { reason: 'FailedCreate' | 'FailedDelete'; message: string } | undefined;
    if (satisfied && owner.metadata.deletionTimestamp === undefined) {
      failure = await this.#manage(key, owner, active);
    }
    const now = this.#clock.now();
    const status = computeStatus({ owner, active, failure, now });
    let current = owner;
    if (!statusEqual(owner, status)) {
      current = await this.#client.updateStatus(this.#kind.resource, {
        ...structuredClone(owner),
        status,
      });
    }
    const replicas = desiredReplicas(current);
    const minReady = minReadySecondsOf(current);
    if (
      failure === undefined &&
      minReady > 0 &&
      status.readyReplicas === replicas &&
      status.availableReplicas !== replicas
    ) {
      this.#queue?.addAfter(key, minReady * 1000);
    }
    if (failure !== undefined) throw new ManageReplicasError(failure.message);
  }

  /** Adoption needs a live read: the owner must still exist with the same uid and not be going away. */
  async #canAdopt(owner: ReplicaOwner): Promise<boolean> {
    try {
      const fresh = await this.#client.get<ReplicaOwner>(
        this.#kind.resource,
        owner.metadata.namespace,
        owner.metadata.name ?? '',
      );
      return (
        fresh.metadata.uid === owner.metadata.uid && fresh.metadata.deletionTimestamp === undefined
      );
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  async #adopt(owner: ReplicaOwner, pod: Pod): Promise<boolean> {
    return this.#patchOwners(pod, adoptedOwnerRefs(pod, owner, this.#kind));
  }

  async #release(owner: ReplicaOwner, pod: Pod): Promise<void> {
    await this.#patchOwners(pod, releasedOwnerRefs(pod, owner));
  }

  /** Merge-patches ownerReferences with uid and resourceVersion as preconditions. */
  async #patchOwners(
    pod: Pod,
    ownerReferences: NonNullable<Pod['metadata']['ownerReferences']>,
  ): Promise<boolean> {
    try {
      await this.#client.patch(
        resources.pods,
        pod.metadata.namespace,
        pod.metadata.name ?? '',
        'merge',
        {
          metadata: {
            ownerReferences,
            uid: pod.metadata.uid,
            resourceVersion: pod.metadata.resourceVersion,
          },
        },
      );
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      if (isConflict(e))
        throw new ManageReplicasError(`pod ${objectKey(pod)} changed while claiming it`, {
          cause: e,
        });
      throw e;
    }
  }

  /** Creates or deletes pods toward spec.replicas; returns the failure, if any. */
  async #manage(
    key: string,
    owner: ReplicaOwner,
    active: readonly Pod[],
  ): Promise<{ reason: 'FailedCreate' | 'FailedDelete'; message: string } | undefined> {
    const diff = diffReplicas(owner, active);
    if (diff.action === 'create') return this.#createPods(key, owner, diff.count);
    if (diff.action === 'delete') return this.#deletePods(key, owner, diff.pods);
    return undefined;
  }

  /** Creates in batches of 1, 2, 4 … and stops at the first failing batch (kube's slowStartBatch). */
  async #createPods(
    key: string,
    owner: ReplicaOwner,
    count: number,
  ): Promise<{ reason: 'FailedCreate'; message: string } | undefined> {
    this.#expectations.expectCreations(key, count);
    let remaining = count;
    let batch = 1;
    let error: Error | undefined;
    while (remaining > 0 && error === undefined) {
      const size = Math.min(remaining, batch);
      const results = await Promise.allSettled(
        Array.from({ length: size }, () =>
          this.#client.create<Pod>(resources.pods, podFromTemplate(owner, this.#kind)),
        ),
      );
      for (const r of results) {
        if (r.status === 'fulfilled') {
          this.#recorder.event(
            owner,
            'Normal',
            'SuccessfulCreate',
            `Created pod: ${r.value.metadata.name ?? ''}`,
          );
          continue;
        }
        this.#expectations.creationObserved(key);
        if (isNamespaceTerminating(r.reason)) continue;
        error ??= asError(r.reason);
        this.#recorder.event(
          owner,
          'Warning',
          'FailedCreate',
          `Error creating: ${asError(r.reason).message}`,
        );
      }
      remaining -= size;
      batch *= 2;
    }
    // Creates never attempted will not show up either.
    for (let i = 0; i < remaining; i++) this.#expectations.creationObserved(key);
    if (count > 0)
      this.#log
        .v(2)
        .info('Created pods', { owner: key, requested: count, failed: error !== undefined });
    return error === undefined ? undefined : { reason: 'FailedCreate', message: error.message };
  }

  async #deletePods(
    key: string,
    owner: ReplicaOwner,
    pods: readonly Pod[],
  ): Promise<{ reason: 'FailedDelete'; message: string } | undefined> {
    this.#expectations.expectDeletions(
      key,
      pods.map((p) => objectKey(p)),
    );
    let error: Error | undefined;
    await Promise.all(
      pods.map(async (pod) => {
        try {
          await this.#client.delete(
            resources.pods,
            pod.metadata.namespace,
            pod.metadata.name ?? '',
            {
              preconditions: { uid: pod.metadata.uid ?? '' },
            },
          );
          this.#recorder.event(
            owner,
            'Normal',
            'SuccessfulDelete',
            `Deleted pod: ${pod.metadata.name ?? ''}`,
          );
        } catch (e) {
          this.#expectations.deletionObserved(
            key,
            namespacedKey(pod.metadata.namespace, pod.metadata.name ?? ''),
          );
          if (isNotFound(e)) return;
          error ??= asError(e);
          this.#recorder.event(
            owner,
            'Warning',
            'FailedDelete',
            `Error deleting: ${asError(e).message}`,
          );
        }
      }),
    );
    return error === undefined ? undefined : { reason: 'FailedDelete', message: error.message };
  }
}

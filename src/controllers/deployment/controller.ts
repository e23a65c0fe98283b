/**
 * The Deployment controller: owns ReplicaSets named `<deployment>-<pod-template-hash>` and
 * moves pods from old ReplicaSets to the new one with the Deployment's strategy. The rollout
 * logic is the pure planDeployment(); this file claims ReplicaSets, applies the plan, records
 * `ScalingReplicaSet` events and writes status.
 */
import { selectorFromLabelSelector } from '../../api/meta/labels.js';
import { resources } from '../../api/scheme.js';
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import type { Pod } from '../../api/types/core.js';
import { objectKey, splitKey } from '../../client/keys.js';
import type { Client, Informer, WorkQueue } from '../../client/types.js';
import type { Clock } from '../../lib/clock.js';
import { PorticoError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log/logger.js';
import { isAlreadyExists, isNotFound } from '../common/apierrors.js';
import type { EventRecorder } from '../common/events.js';
import { controllerOf, jsonEqual, newControllerRef } from '../common/meta.js';
import { isPodTerminal } from '../common/pods.js';
import type { ControllerContext, Reconciler } from '../context.js';
import { planDeployment } from './plan.js';
import { annotationRevision, templatesEqualIgnoringHash } from './util.js';

/** A ReplicaSet of the new hash exists with another template: the hash is bumped and retried. */
export class HashCollisionError extends PorticoError {
  constructor(name: string) {
    super(
      'E_HASH_COLLISION',
      `ReplicaSet ${name} exists with a different template; retrying with a new collisionCount`,
    );
  }
}

/** Reconciles Deployments (one key per Deployment). */
export class DeploymentController implements Reconciler {
  readonly name = 'deployment';
  readonly informers: readonly Informer<unknown>[];
  readonly #client: Client;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #recorder: EventRecorder;
  readonly #deployments: Informer<Deployment>;
  readonly #replicaSets: Informer<ReplicaSet>;
  readonly #pods: Informer<Pod>;
  #queue: WorkQueue | undefined;

  constructor(ctx: ControllerContext) {
    this.#client = ctx.client;
    this.#clock = ctx.clock;
    this.#log = ctx.logger.child({ controller: this.name });
    this.#recorder = ctx.recorder('deployment-controller');
    this.#deployments = ctx.informers.informerFor<Deployment>(resources.deployments);
    this.#replicaSets = ctx.informers.informerFor<ReplicaSet>(resources.replicasets);
    this.#pods = ctx.informers.informerFor<Pod>(resources.pods);
    this.informers = [this.#deployments, this.#replicaSets, this.#pods] as Informer<unknown>[];
  }

  register(queue: WorkQueue): void {
    this.#queue = queue;
    this.#deployments.addHandlers({
      onAdd: (d) => queue.add(objectKey(d)),
      onUpdate: (_o, d) => queue.add(objectKey(d)),
      onDelete: (d) => queue.add(objectKey(d)),
    });
    const queueRS = (rs: ReplicaSet): void => {
      const owner = this.#deploymentOf(rs);
      if (owner !== undefined) {
        queue.add(owner);
        return;
      }
      if (controllerOf(rs) !== undefined) return;
      for (const d of this.#deployments.lister.list(rs.metadata.namespace ?? '')) {
        if (selectorFromLabelSelector(d.spec?.selector).matches(rs.metadata.labels))
          queue.add(objectKey(d));
      }
    };
    this.#replicaSets.addHandlers({
      onAdd: queueRS,
      onUpdate: (old, rs) => {
        const before = this.#deploymentOf(old);
        if (before !== undefined && before !== this.#deploymentOf(rs)) queue.add(before);
        queueRS(rs);
      },
      onDelete: queueRS,
    });
    // Recreate waits until the old pods are gone.
    const queuePod = (pod: Pod): void => {
      const ref = controllerOf(pod);
      if (ref?.kind !== 'ReplicaSet') return;
      const rs = this.#replicaSets.lister.get(pod.metadata.namespace, ref.name);
      if (rs === undefined) return;
      const d = this.#deploymentOf(rs);
      if (d === undefined) return;
      const { namespace, name } = splitKey(d);
      if (this.#deployments.lister.get(namespace, name)?.spec?.strategy?.type === 'Recreate')
        queue.add(d);
    };
    this.#pods.addHandlers({
      onUpdate: (old, pod) => {
        if (isPodTerminal(pod) && !isPodTerminal(old)) queuePod(pod);
      },
      onDelete: queuePod,
    });
  }

  #deploymentOf(rs: ReplicaSet): string | undefined {
    const ref = controllerOf(rs);
    if (ref?.kind !== 'Deployment') return undefined;
    const d = this.#deployments.lister.get(rs.metadata.namespace, ref.name);
    return d !== undefined && d.metadata.uid === ref.uid ? objectKey(d) : undefined;
  }

  async sync(key: string, _signal: AbortSignal): Promise<void> {
    const { namespace, name } = splitKey(key);
    const d = this.#deployments.lister.get(namespace, name);
    if (d === undefined || d.metadata.deletionTimestamp !== undefined) return;
    const selector = selectorFromLabelSelector(d.spec?.selector);
    if (selector.empty()) {
      this.#recorder.event(
        d,
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
      return;
    }
    const owned: ReplicaSet[] = [];
    let fresh: boolean | undefined;
    for (const rs of this.#replicaSets.lister.list(namespace)) {
      const ref = controllerOf(rs);
      const matches = selector.matches(rs.metadata.labels);
      if (ref !== undefined && ref.uid === d.metadata.uid) {
        if (matches) owned.push(rs);
        else
          await this.#setOwners(
            rs,
            (rs.metadata.ownerReferences ?? []).filter((r) => r.uid !== d.metadata.uid),
          );
      } else if (ref === undefined && matches && rs.metadata.deletionTimestamp === undefined) {
        fresh ??= await this.#stillExists(d);
        if (
          fresh &&
          (await this.#setOwners(rs, [
            ...(rs.metadata.ownerReferences ?? []),
            newControllerRef(d, 'apps/v1', 'Deployment'),
          ]))
        )
          owned.push(rs);
      }
    }
    const live = owned.filter((rs) => rs.metadata.deletionTimestamp === undefined);
    const plan = planDeployment({
      deployment: d,
      replicaSets: live,
      oldPodsRunning: this.#oldPodsRunning(d, live),
      now: this.#clock.now(),
    });
    for (const a of plan.actions) {
      switch (a.kind) {
        case 'create':
          await this.#createRS(d, a.rs);
          break;
        case 'update':
          await this.#client.update(resources.replicasets, a.rs);
          break;
        case 'delete':
          try {
            await this.#client.delete(
              resources.replicasets,
              a.rs.metadata.namespace,
              a.rs.metadata.name ?? '',
              {
                preconditions: { uid: a.rs.metadata.uid ?? '' },
              },
            );
          } catch (e) {
            if (!isNotFound(e)) throw e;
          }
          break;
      }
    }
    for (const e of plan.events) this.#recorder.event(d, 'Normal', e.reason, e.message);
    if (
      plan.revision !== undefined &&
      d.metadata.annotations?.[annotationRevision] !== plan.revision
    ) {
      await this.#client.patch(resources.deployments, namespace, name, 'merge', {
        metadata: { annotations: { [annotationRevision]: plan.revision } },
      });
    }
    if (!jsonEqual(normalizedStatus(d.status), normalizedStatus(plan.status))) {
      const latest = await this.#client.get<Deployment>(resources.deployments, namespace, name);
      if (latest.metadata.uid === d.metadata.uid) {
        await this.#client.updateStatus(resources.deployments, { ...latest, status: plan.status });
      }
    }
    if (plan.actions.length > 0)
      this.#log.v(2).info('Synced deployment', { deployment: key, actions: plan.actions.length });
    if (plan.recheckAfterMs !== undefined) this.#queue?.addAfter(key, plan.recheckAfterMs);
  }

  async #createRS(d: Deployment, rs: ReplicaSet): Promise<void> {
    try {
      await this.#client.create(resources.replicasets, rs);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const existing = await this.#client.get<ReplicaSet>(
        resources.replicasets,
        rs.metadata.namespace,
        rs.metadata.name ?? '',
      );
      const ours = controllerOf(existing)?.uid === d.metadata.uid;
      if (ours && templatesEqualIgnoringHash(existing.spec?.template, d.spec?.template)) return;
      // kube's hash collision handling: bump collisionCount so the next hash differs.
      const latest = await this.#client.get<Deployment>(
        resources.deployments,
        d.metadata.namespace,
        d.metadata.name ?? '',
      );
      await this.#client.updateStatus(resources.deployments, {
        ...latest,
        status: { ...latest.status, collisionCount: (latest.status?.collisionCount ?? 0) + 1 },
      });
      throw new HashCollisionError(rs.metadata.name ?? '');
    }
  }

  #oldPodsRunning(d: Deployment, rss: readonly ReplicaSet[]): boolean {
    const old = new Set(
      rss
        .filter((rs) => !templatesEqualIgnoringHash(rs.spec?.template, d.spec?.template))
        .map((rs) => rs.metadata.uid),
    );
    if (old.size === 0) return false;
    return this.#pods.lister
      .list(d.metadata.namespace)
      .some((p) => old.has(controllerOf(p)?.uid) && !isPodTerminal(p));
  }

  async #stillExists(d: Deployment): Promise<boolean> {
    try {
      const fresh = await this.#client.get<Deployment>(
        resources.deployments,
        d.metadata.namespace,
        d.metadata.name ?? '',
      );
      return (
        fresh.metadata.uid === d.metadata.uid && fresh.metadata.deletionTimestamp === undefined
      );
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  async #setOwners(
    rs: ReplicaSet,
    ownerReferences: NonNullable<ReplicaSet['metadata']['ownerReferences']>,
  ): Promise<boolean> {
    try {
      await this.#client.patch(
        resources.replicasets,
        rs.metadata.namespace,
        rs.metadata.name ?? '',
        'merge',
        {
          metadata: {
            ownerReferences,
            uid: rs.metadata.uid,
            resourceVersion: rs.metadata.resourceVersion,
          },
        },
      );
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }
}

/** Status with absent counters as 0: kube-apiserver omits zero values (omitempty). */
function normalizedStatus(s: Deployment['status']): Deployment['status'] {
  return {
    ...s,
    observedGeneration: s?.observedGeneration ?? 0,
    replicas: s?.replicas ?? 0,
    updatedReplicas: s?.updatedReplicas ?? 0,
    readyReplicas: s?.readyReplicas ?? 0,
    availableReplicas: s?.availableReplicas ?? 0,
    unavailableReplicas: s?.unavailableReplicas ?? 0,
    conditions: s?.conditions ?? [],
  };
}

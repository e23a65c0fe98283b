/**
 * One worker per pod UID (kubelet's podWorkers): updates for a pod are never handled by two syncs
 * at once; an update that arrives during a sync is folded into one more sync after it; a sync may
 * ask to be run again later (a back-off ends). The worker's stage follows the pod:
 *
 *   syncing      the pod exists and is not being deleted: PodSyncer.sync, then its status;
 *   terminating  deletionTimestamp is set: kill (preStop, SIGTERM, grace, SIGKILL), a terminal
 *                status, then the status manager deletes the pod with grace 0;
 *   removed      the pod is gone from the API (or was never there, after an agent restart):
 *                its containers are killed (2 s grace) and everything it left is removed.
 */
import type { Pod, PodStatus } from '../../api/types/core.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log/logger.js';
import type { ProbeManager } from './prober.js';
import type { RuntimeCache } from './cache.js';
import { kubeletConditions, terminatedPodStatus } from './status.js';
import type { StatusManager } from './statusmanager.js';
import type { PodSyncer } from './sync.js';

export interface PodWorkersOptions {
  readonly syncer: PodSyncer;
  readonly status: StatusManager;
  readonly prober: ProbeManager;
  readonly cache: RuntimeCache;
  readonly clock: Clock;
  readonly logger: Logger;
}

interface Worker {
  readonly uid: string;
  /** The pod as last seen; undefined once it is gone from the API. */
  pod: Pod | undefined;
  /** The last pod object this worker had (for preStop hooks after a force delete). */
  last: Pod | undefined;
  gone: boolean;
  killed: boolean;
  busy: boolean;
  pending: boolean;
  timer: NodeJS.Timeout | undefined;
  failures: number;
}

/** Whether two versions of a pod ask for the same thing (metadata and spec; status aside). */
export function sameDesire(a: Pod, b: Pod): boolean {
  const strip = (p: Pod): unknown => {
    const { resourceVersion: _rv, managedFields: _mf, ...meta } = p.metadata;
    return { meta, spec: p.spec };
  };
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

/**
 * Whether the pod's Ready condition in the API disagrees with its readiness gates (kubelet's
 * NeedToReconcilePodReadiness): someone else set a gate condition, so the agent must sync and
 * write Ready again even though only the status changed.
 */
export function needsReadinessReconcile(pod: Pod): boolean {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return false;
  const conditions = pod.status?.conditions ?? [];
  const isTrue = (type: string): boolean =>
    conditions.some((c) => c.type === type && c.status === 'True');
  const want = isTrue('ContainersReady') && gates.every((g) => isTrue(g.conditionType));
  return want !== isTrue('Ready');
}

/**
 * The pod with the status this agent set last (fresher than the informer's), except for the
 * conditions others own (readiness gates, DisruptionTarget): those come from the API object, the
 * only place they change.
 */
export function withOwnStatus(pod: Pod, mine: PodStatus | undefined): Pod {
  if (!mine) return pod;
  const conditions = [
    ...(mine.conditions ?? []).filter((c) => kubeletConditions.has(c.type)),
    ...(pod.status?.conditions ?? []).filter((c) => !kubeletConditions.has(c.type)),
  ];
  return { ...pod, status: { ...pod.status, ...mine, conditions } };
}

function key(pod: Pod | undefined): string {
  return pod ? `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}` : '';
}

export class PodWorkers {
  readonly #o: PodWorkersOptions;
  readonly #workers = new Map<string, Worker>();
  #stopped = false;
  readonly #idle: (() => void)[] = [];

  constructor(options: PodWorkersOptions) {
    this.#o = options;
  }

  /** The pod (or its absence) changed: sync it. */
  update(uid: string, pod: Pod | undefined): void {
    if (this.#stopped) return;
    let w = this.#workers.get(uid);
    const prior = w?.pod;
    if (!w) {
      if (
        !pod &&
        this.#o.cache.get(uid).sandboxes.length === 0 &&
        this.#o.cache.get(uid).containers.length === 0
      )
        return;
      w = {
        uid,
        pod,
        last: pod,
        gone: pod === undefined,
        killed: false,
        busy: false,
        pending: false,
        timer: undefined,
        failures: 0,
      };
      this.#workers.set(uid, w);
    }
    const statusOnly =
      pod !== undefined && prior !== undefined && !w.gone && sameDesire(prior, pod);
    w.pod = pod;
    if (pod) w.last = pod;
    else w.gone = true;
    // A change of the status alone (our own writes, mostly) needs no sync, unless a readiness
    // gate changed and Ready must follow (kubelet's HandlePodReconcile).
    if (!statusOnly || needsReadinessReconcile(pod)) this.#schedule(w);
  }

  /** Something about the pod changed on the node (a container exited, a probe result): sync it. */
  kick(uid: string): void {
    const w = this.#workers.get(uid);
    if (w) this.#schedule(w);
  }

  /** Syncs every pod (a periodic resync). */
  kickAll(): void {
    for (const w of this.#workers.values()) this.#schedule(w);
  }

  /** UIDs with a worker. */
  uids(): string[] {
    return [...this.#workers.keys()];
  }

  pods(): Pod[] {
    return [...this.#workers.values()].map((w) => w.pod).filter((p): p is Pod => p !== undefined);
  }

  #schedule(w: Worker, delayMs = 0): void {
    if (this.#stopped) return;
    if (delayMs > 0) {
      if (w.timer) clearTimeout(w.timer);
      w.timer = setTimeout(() => {
        w.timer = undefined;
        this.#schedule(w);
      }, delayMs);
      w.timer.unref();
      return;
    }
    w.pending = true;
    if (!w.busy) void this.#loop(w);
  }

  async #loop(w: Worker): Promise<void> {
    w.busy = true;
    try {
      while (w.pending && !this.#stopped) {
        w.pending = false;
        const requeue = await this.#once(w);
        if (requeue !== undefined) this.#schedule(w, Math.max(1, requeue));
        if (!this.#workers.has(w.uid)) break;
      }
    } finally {
      w.busy = false;
      if (![...this.#workers.values()].some((x) => x.busy))
        for (const r of this.#idle.splice(0)) r();
    }
  }

  async #once(w: Worker): Promise<number | undefined> {
    const { syncer, status, prober, cache } = this.#o;
    const pod = w.pod;
    try {
      if (!pod) {
        const last = w.last;
        if (last && !w.killed) {
          await syncer.kill(last, 0);
          w.killed = true;
        }
        await syncer.remove(w.uid);
        status.forget(w.uid);
        if (w.timer) clearTimeout(w.timer);
        this.#workers.delete(w.uid);
        this.#o.logger.v(2).info('Pod removed from the node', { pod: key(last), uid: w.uid });
        return undefined;
      }
      if (pod.metadata.deletionTimestamp !== undefined) {
        if (!w.killed) {
          const grace =
            pod.metadata.deletionGracePeriodSeconds ??
            pod.spec?.terminationGracePeriodSeconds ??
            30;
          this.#o.logger.v(2).info('Killing pod', { pod: key(pod), gracePeriodSeconds: grace });
          await syncer.kill(pod, grace);
          w.killed = true;
        }
        status.set(
          pod,
          terminatedPodStatus(syncer.status(this.#withOldStatus(pod), true), this.#o.clock.now()),
        );
        status.finalize(pod);
        return undefined;
      }
      const outcome = await syncer.sync(this.#withOldStatus(pod));
      prober.sync(pod, cache.get(w.uid).containers);
      status.set(pod, syncer.status(this.#withOldStatus(pod), false));
      w.failures = 0;
      return outcome.requeueAfterMs;
    } catch (e) {
      w.failures++;
      this.#o.logger.error(e, 'Pod sync failed; will retry', {
        pod: key(pod ?? w.last),
        uid: w.uid,
      });
      return Math.min(30_000, 500 * 2 ** Math.min(w.failures, 6));
    }
  }

  /** The pod with the status this agent set last (fresher than the informer's). */
  #withOldStatus(pod: Pod): Pod {
    return withOwnStatus(pod, this.#o.status.get(pod.metadata.uid ?? ''));
  }

  /** Resolves when no worker is busy. */
  async idle(): Promise<void> {
    while ([...this.#workers.values()].some((w) => w.busy || w.pending)) {
      await new Promise<void>((r) => this.#idle.push(r));
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const w of this.#workers.values()) if (w.timer) clearTimeout(w.timer);
  }
}

/**
 * Pod status writes, as kubelet's status manager makes them: the latest status of each pod is
 * kept here and written through the status subresource by one background loop; writes for
 * several pods go out together (a few at a time), a status replaced before it was written is
 * simply not written, a failed write is retried, and every ten seconds each pod's status in the
 * API is compared with ours and re-sent when someone changed it. Nothing is lost: the last
 * status of a pod is written as long as the pod exists.
 *
 * A pod that was deleted and has stopped is then deleted for good (`gracePeriodSeconds: 0`, UID
 * precondition) once its final status is written, so the API server removes it.
 */
import { resources } from '../../api/scheme.js';
import type { Pod, PodStatus } from '../../api/types/core.js';
import { isConflict, isInvalid, isNotFound } from '../../client/errors.js';
import type { Client } from '../../client/types.js';
import type { Clock } from '../../lib/clock.js';
import { sleepUnlessAborted } from '../../lib/clock.js';
import type { Logger } from '../../lib/log/logger.js';
import { kubeletConditions } from './status.js';

export interface StatusManagerOptions {
  readonly client: Client;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The pod as the informer last saw it. */
  readonly getPod: (namespace: string, name: string) => Pod | undefined;
  /** Writes in flight at once (default 8). */
  readonly concurrency?: number;
  /** How often every status is compared with the API (default 10 s). */
  readonly resyncMs?: number;
}

interface Entry {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  status: PodStatus;
  version: number;
  written: number;
  /** Delete the pod once this status is written. */
  finalize: boolean;
  deleted: boolean;
  failures: number;
  notBefore: number;
}

/** Fields of PodStatus this agent sets; absent ones are sent as null so stale values go. */
const owned = [
  'phase',
  'conditions',
  'hostIP',
  'hostIPs',
  'podIP',
  'podIPs',
  'startTime',
  'initContainerStatuses',
  'containerStatuses',
  'qosClass',
  'message',
  'reason',
] as const;

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (val && typeof val === 'object' && !Array.isArray(val)) {
      const o = val as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .sort()
          .filter((k) => o[k] !== undefined)
          .map((k) => [k, o[k]]),
      );
    }
    return val;
  });
}

/** Whether the API's status already says what `ours` says (for the fields we own). */
export function sameStatus(api: PodStatus | undefined, ours: PodStatus): boolean {
  for (const f of owned) {
    let a: unknown = api?.[f];
    let b: unknown = ours[f];
    if (f === 'conditions') {
      a = (api?.conditions ?? []).filter((c) => kubeletConditions.has(c.type));
      b = (ours.conditions ?? []).filter((c) => kubeletConditions.has(c.type));
    }
    if (canonical(a ?? null) !== canonical(b ?? null)) return false;
  }
  return true;
}

export class StatusManager {
  readonly #o: StatusManagerOptions;
  readonly #entries = new Map<string, Entry>();
  #wake: (() => void) | undefined;
  #dirty = false;
  /** Resolvers waiting for the next flush to finish (tests, shutdown). */
  #idle: (() => void)[] = [];

  constructor(options: StatusManagerOptions) {
    this.#o = options;
  }

  /** The status last set for a pod (kubelet's "old status" for the next one). */
  get(uid: string): PodStatus | undefined {
    return this.#entries.get(uid)?.status;
  }

  /** Sets a pod's status; it is written soon if it differs from the last one. */
  set(pod: Pod, status: PodStatus): void {
    const uid = pod.metadata.uid ?? '';
    const e = this.#entries.get(uid);
    if (e) {
      if (canonical(e.status) === canonical(status)) return;
      e.status = status;
      e.version++;
    } else {
      this.#entries.set(uid, {
        uid,
        namespace: pod.metadata.namespace ?? 'default',
        name: pod.metadata.name ?? '',
        status,
        version: 1,
        written: 0,
        finalize: false,
        deleted: false,
        failures: 0,
        notBefore: 0,
      });
    }
    this.#kick();
  }

  /** After the current status is written, deletes the pod with grace 0. */
  finalize(pod: Pod): void {
    const e = this.#entries.get(pod.metadata.uid ?? '');
    if (!e || e.finalize) return;
    e.finalize = true;
    this.#kick();
  }

  forget(uid: string): void {
    this.#entries.delete(uid);
  }

  #kick(): void {
    this.#dirty = true;
    this.#wake?.();
  }

  /** Resolves when nothing is waiting to be written. */
  async flushed(): Promise<void> {
    while ([...this.#entries.values()].some((e) => this.#pending(e))) {
      await new Promise<void>((r) => this.#idle.push(r));
    }
  }

  #pending(e: Entry): boolean {
    return !e.deleted && (e.written < e.version || e.finalize);
  }

  /** Writes statuses until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const resyncMs = this.#o.resyncMs ?? 10_000;
    let lastResync = this.#o.clock.now();
    while (!signal.aborted) {
      if (!this.#dirty) {
        const wait = new Promise<void>((r) => (this.#wake = r));
        const timer = sleepUnlessAborted(
          this.#o.clock,
          this.#nextDelay(resyncMs, lastResync),
          signal,
        );
        await Promise.race([wait, timer]);
        this.#wake = undefined;
      }
      if (signal.aborted) break;
      this.#dirty = false;
      if (this.#o.clock.now() - lastResync >= resyncMs) {
        lastResync = this.#o.clock.now();
        this.#resync();
      }
      await this.#flush();
      for (const r of this.#idle.splice(0)) r();
    }
    for (const r of this.#idle.splice(0)) r();
  }

  #nextDelay(resyncMs: number, lastResync: number): number {
    const now = this.#o.clock.now();
    let next = lastResync + resyncMs;
    for (const e of this.#entries.values())
      if (this.#pending(e)) next = Math.min(next, e.notBefore);
    return Math.max(1, next - now);
  }

  /** Marks entries whose API status drifted from ours as unwritten. */
  #resync(): void {
    for (const e of this.#entries.values()) {
      if (e.deleted || e.written < e.version) continue;
      const pod = this.#o.getPod(e.namespace, e.name);
      if (pod && pod.metadata.uid === e.uid && !sameStatus(pod.status, e.status)) {
        e.written = 0;
        this.#dirty = true;
      }
    }
  }

  async #flush(): Promise<void> {
    const now = this.#o.clock.now();
    const due = [...this.#entries.values()].filter((e) => this.#pending(e) && e.notBefore <= now);
    const limit = this.#o.concurrency ?? 8;
    let i = 0;
    const worker = async (): Promise<void> => {
      while (i < due.length) {
        const e = due[i++];
        if (e) await this.#write(e);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, due.length) }, worker));
    if (
      [...this.#entries.values()].some(
        (e) => this.#pending(e) && e.notBefore <= this.#o.clock.now(),
      )
    )
      this.#dirty = true;
  }

  async #write(e: Entry): Promise<void> {
    const version = e.version;
    const status = e.status;
    try {
      if (e.written < version) {
        const current = this.#o.getPod(e.namespace, e.name);
        const upToDate = current?.metadata.uid === e.uid && sameStatus(current.status, status);
        if (!upToDate) {
          const body: Record<string, unknown> = {};
          for (const f of owned) body[f] = status[f] ?? null;
          // Conditions others own (readiness gates, DisruptionTarget) are kept.
          const others = (current?.status?.conditions ?? []).filter(
            (c) => !kubeletConditions.has(c.type),
          );
          const mine = (status.conditions ?? []).filter((c) => kubeletConditions.has(c.type));
          body['conditions'] = [
            ...mine,
            ...others.filter((o) => !mine.some((m) => m.type === o.type)),
          ];
          await this.#o.client.patch(
            resources.pods,
            e.namespace,
            e.name,
            'merge',
            { metadata: { uid: e.uid }, status: body },
            { subresource: 'status' },
          );
        }
        e.written = Math.max(e.written, version);
      }
      if (e.finalize && e.written >= e.version) {
        await this.#o.client.delete(resources.pods, e.namespace, e.name, {
          gracePeriodSeconds: 0,
          preconditions: { uid: e.uid },
        });
        e.deleted = true;
        this.#o.logger
          .v(2)
          .info('Pod deleted after termination', { pod: `${e.namespace}/${e.name}` });
      }
      e.failures = 0;
    } catch (err) {
      if (isNotFound(err) || (isConflict(err) && e.finalize)) {
        e.deleted = true;
        return;
      }
      if (isInvalid(err)) {
        // the pod of that name is another one now (UID changed): ours is gone
        e.deleted = true;
        return;
      }
      e.failures++;
      e.notBefore = this.#o.clock.now() + Math.min(30_000, 500 * 2 ** Math.min(e.failures, 6));
      this.#o.logger.warn('Writing pod status failed; will retry', {
        pod: `${e.namespace}/${e.name}`,
        err: err instanceof Error ? err.message : String(err),
      });
    }
  }
}

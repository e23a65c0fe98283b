/**
 * The scheduler: binds each pod without `spec.nodeName` (and with the default scheduler name)
 * to a node through the `pods/binding` subresource, as kube-scheduler does; a pod that fits
 * nowhere gets `PodScheduled=False` (reason Unschedulable) and a `FailedScheduling` event, and
 * is retried whenever a node changes (and every 30 s).
 *
 * Node load is counted from the informer plus the pods it bound and has not yet seen bound
 * (kube's "assumed" pods), so a burst of pods spreads over the nodes. Run it with one worker.
 */
import { resources, resourcePath } from '../../api/scheme.js';
import type { Node, Pod } from '../../api/types/core.js';
import { objectKey, splitKey } from '../../client/keys.js';
import type { Client, Informer, WorkQueue } from '../../client/types.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log/logger.js';
import { isConflict, isNotFound } from '../common/apierrors.js';
import type { EventRecorder } from '../common/events.js';
import { rfc3339 } from '../common/meta.js';
import { isPodTerminal } from '../common/pods.js';
import { sendJSON } from '../common/raw.js';
import type { ControllerContext, Reconciler } from '../context.js';
import { schedulePod } from './predicates.js';

export const defaultSchedulerName = 'default-scheduler';
const retryUnschedulableMs = 30_000;

/** A pod this scheduler must place. */
export function needsScheduling(pod: Pod): boolean {
  return (
    (pod.spec?.nodeName ?? '') === '' &&
    (pod.spec?.schedulerName ?? defaultSchedulerName) === defaultSchedulerName &&
    pod.metadata.deletionTimestamp === undefined &&
    !isPodTerminal(pod)
  );
}

export class SchedulerController implements Reconciler {
  readonly name = 'scheduler';
  readonly informers: readonly Informer<unknown>[];
  readonly #client: Client;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #recorder: EventRecorder;
  readonly #pods: Informer<Pod>;
  readonly #nodes: Informer<Node>;
  /** Pod key → node, for running pods the informer shows bound. */
  readonly #bound = new Map<string, string>();
  /** Pod key → node, for pods we bound that the informer does not yet show bound. */
  readonly #assumed = new Map<string, string>();
  readonly #counts = new Map<string, number>();
  #queue: WorkQueue | undefined;

  constructor(ctx: ControllerContext) {
    this.#client = ctx.client;
    this.#clock = ctx.clock;
    this.#log = ctx.logger.child({ controller: this.name });
    this.#recorder = ctx.recorder(defaultSchedulerName);
    this.#pods = ctx.informers.informerFor<Pod>(resources.pods);
    this.#nodes = ctx.informers.informerFor<Node>(resources.nodes);
    this.informers = [this.#pods, this.#nodes] as Informer<unknown>[];
  }

  register(queue: WorkQueue): void {
    this.#queue = queue;
    this.#pods.addHandlers({
      onAdd: (pod) => this.#observe(pod, queue, true),
      // Our own PodScheduled=False write comes back as an update: not a reason to try again
      // (node changes and the 30 s retry are).
      onUpdate: (old, pod) => this.#observe(pod, queue, !needsScheduling(old)),
      onDelete: (pod) => {
        this.#setBound(objectKey(pod), undefined);
        this.#assumed.delete(objectKey(pod));
      },
    });
    const retryPending = (): void => {
      for (const pod of this.#pods.lister.list())
        if (needsScheduling(pod)) queue.add(objectKey(pod));
    };
    this.#nodes.addHandlers({ onAdd: retryPending, onUpdate: retryPending });
  }

  #observe(pod: Pod, queue: WorkQueue, enqueue: boolean): void {
    const key = objectKey(pod);
    const node = pod.spec?.nodeName ?? '';
    const counts = node !== '' && !isPodTerminal(pod);
    this.#setBound(key, counts ? node : undefined);
    if (node !== '') this.#assumed.delete(key);
    if (enqueue && needsScheduling(pod)) queue.add(key);
  }

  #setBound(key: string, node: string | undefined): void {
    const prev = this.#bound.get(key);
    if (prev === node) return;
    if (prev !== undefined) this.#counts.set(prev, (this.#counts.get(prev) ?? 1) - 1);
    if (node === undefined) this.#bound.delete(key);
    else {
      this.#bound.set(key, node);
      this.#counts.set(node, (this.#counts.get(node) ?? 0) + 1);
    }
  }

  #podsOn(node: string): number {
    let n = this.#counts.get(node) ?? 0;
    for (const [key, assumed] of this.#assumed) if (assumed === node && !this.#bound.has(key)) n++;
    return n;
  }

  async sync(key: string, _signal: AbortSignal): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pod = this.#pods.lister.get(namespace, name);
    if (pod === undefined || !needsScheduling(pod) || this.#assumed.has(key)) return;
    const result = schedulePod(pod, this.#nodes.lister.list(), (n) => this.#podsOn(n));
    if (result.kind === 'bind') {
      try {
        await sendJSON(
          this.#client,
          'POST',
          resourcePath(resources.pods, { namespace, name, subresource: 'binding' }),
          {
            apiVersion: 'v1',
            kind: 'Binding',
            metadata: { name, namespace, uid: pod.metadata.uid },
            target: { apiVersion: 'v1', kind: 'Node', name: result.node },
          },
        );
      } catch (e) {
        // Already bound (by us before a restart, or by someone else) or gone: nothing to do.
        if (isConflict(e) || isNotFound(e)) return;
        throw e;
      }
      this.#assumed.set(key, result.node);
      this.#recorder.event(
        pod,
        'Normal',
        'Scheduled',
        `Successfully assigned ${key} to ${result.node}`,
      );
      this.#log.v(2).info('Bound pod', { pod: key, node: result.node });
      return;
    }
    this.#recorder.event(pod, 'Warning', 'FailedScheduling', result.message);
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (
      current?.status !== 'False' ||
      current.reason !== 'Unschedulable' ||
      current.message !== result.message
    ) {
      try {
        await this.#client.patch(
          resources.pods,
          namespace,
          name,
          'strategic',
          {
            status: {
              conditions: [
                {
                  type: 'PodScheduled',
                  status: 'False',
                  reason: 'Unschedulable',
                  message: result.message,
                  lastProbeTime: null,
                  lastTransitionTime: rfc3339(this.#clock.now()),
                },
              ],
            },
          },
          { subresource: 'status' },
        );
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    this.#queue?.addAfter(key, retryUnschedulableMs);
  }
}

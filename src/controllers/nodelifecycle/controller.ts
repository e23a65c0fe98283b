/**
 * The node lifecycle controller: watches Nodes and their Leases; a node whose lease has not
 * been renewed for `--node-monitor-grace-period` (40 s) gets Ready=Unknown, the
 * `node.kubernetes.io/unreachable` taints, and every pod on it Ready=False (so they leave every
 * endpoint set). The taints go once the node reports Ready again; the node's agent restores its
 * pods' readiness as kubelet does. Each node is looked at every `--node-monitor-period` (5 s).
 */
import { resources } from '../../api/scheme.js';
import type { Lease } from '../../api/types/coordination.js';
import type { Node, Pod } from '../../api/types/core.js';
import type { Client, Informer, WorkQueue } from '../../client/types.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log/logger.js';
import { isNotFound } from '../common/apierrors.js';
import type { EventRecorder } from '../common/events.js';
import { jsonEqual, rfc3339 } from '../common/meta.js';
import { isPodReady } from '../common/pods.js';
import type { ControllerContext, Reconciler } from '../context.js';
import { desiredTaints, observe, staleConditions, type NodeHealth } from './health.js';

export const leaseNamespace = 'kube-node-lease';
const nodeIndex = 'nodelifecycle/node';

export class NodeLifecycleController implements Reconciler {
  readonly name = 'nodelifecycle';
  readonly informers: readonly Informer<unknown>[];
  readonly #client: Client;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #recorder: EventRecorder;
  readonly #nodes: Informer<Node>;
  readonly #leases: Informer<Lease>;
  readonly #pods: Informer<Pod>;
  readonly #health = new Map<string, NodeHealth>();
  /** When each node's next periodic check is due (at most one pending timer per node). */
  readonly #due = new Map<string, number>();
  readonly #graceMs: number;
  readonly #periodMs: number;
  #queue: WorkQueue | undefined;

  constructor(ctx: ControllerContext) {
    this.#client = ctx.client;
    this.#clock = ctx.clock;
    this.#log = ctx.logger.child({ controller: this.name });
    this.#recorder = ctx.recorder('node-controller');
    this.#graceMs = ctx.config.nodeMonitorGracePeriodMs;
    this.#periodMs = ctx.config.nodeMonitorPeriodMs;
    this.#nodes = ctx.informers.informerFor<Node>(resources.nodes);
    this.#leases = ctx.informers.informerFor<Lease>(resources.leases, {
      namespace: leaseNamespace,
    });
    this.#pods = ctx.informers.informerFor<Pod>(resources.pods);
    this.#pods.addIndex(nodeIndex, (p) => [p.spec?.nodeName ?? '']);
    this.informers = [this.#nodes, this.#leases, this.#pods] as Informer<unknown>[];
  }

  register(queue: WorkQueue): void {
    this.#queue = queue;
    this.#nodes.addHandlers({
      onAdd: (n) => queue.add(n.metadata.name ?? ''),
      onUpdate: (_o, n) => queue.add(n.metadata.name ?? ''),
      onDelete: (n) => queue.add(n.metadata.name ?? ''),
    });
    this.#leases.addHandlers({
      onAdd: (l) => queue.add(l.metadata.name ?? ''),
      onUpdate: (_o, l) => queue.add(l.metadata.name ?? ''),
    });
  }

  async sync(name: string, _signal: AbortSignal): Promise<void> {
    const node = this.#nodes.lister.get(undefined, name);
    const now = this.#clock.now();
    if ((this.#due.get(name) ?? 0) <= now) this.#due.delete(name);
    if (node === undefined) {
      this.#health.delete(name);
      return;
    }
    const nowText = rfc3339(now);
    const health = observe(
      this.#health.get(name),
      node,
      this.#leases.lister.get(leaseNamespace, name),
      now,
    );
    this.#health.set(name, health);
    let current = node;
    const conditions = staleConditions(node, health, now, this.#graceMs, nowText);
    if (conditions !== undefined) {
      current = await this.#client.updateStatus(resources.nodes, {
        ...structuredClone(node),
        status: { ...node.status, conditions },
      });
      this.#recorder.event(
        node,
        'Normal',
        'NodeNotReady',
        `Node ${name} status is now: NodeNotReady`,
      );
      this.#log.info('Node stopped renewing its lease', { node: name, graceMs: this.#graceMs });
    }
    const taints = desiredTaints(current, nowText);
    if (!jsonEqual(taints, current.spec?.taints ?? [])) {
      current = await this.#client.update(resources.nodes, {
        ...structuredClone(current),
        spec: { ...current.spec, taints },
      });
    }
    if (current.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') {
      await this.#markPodsNotReady(name, nowText);
    }
    if (!this.#due.has(name)) {
      this.#due.set(name, now + this.#periodMs);
      this.#queue?.addAfter(name, this.#periodMs);
    }
  }

  /** Ready=False on every pod of the node that still says Ready (kube's MarkPodsNotReady). */
  async #markPodsNotReady(node: string, nowText: string): Promise<void> {
    for (const pod of this.#pods.lister.byIndex(nodeIndex, node)) {
      if (!isPodReady(pod)) continue;
      const conditions = (pod.status?.conditions ?? []).map((c) =>
        c.type === 'Ready' ? { ...c, status: 'False' as const, lastTransitionTime: nowText } : c,
      );
      try {
        await this.#client.updateStatus(resources.pods, {
          ...structuredClone(pod),
          status: { ...pod.status, conditions },
        });
        this.#recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }
}

/**
 * The agent's Node, as kubelet keeps it: registered on start (or reconciled when it exists),
 * status computed every 10 s and written when it changed or once a minute (the heartbeat), and
 * a Lease in kube-node-lease renewed every 10 s (what the node lifecycle controller watches).
 *
 * Conditions: NetworkUnavailable (False once the pod network is set up), MemoryPressure,
 * DiskPressure, PIDPressure (False), Ready (True once the runtime and the pod network are ready;
 * until then False with kubelet's NetworkPluginNotReady message).
 */
import type { Condition } from '../../api/meta/types.js';
import { resources } from '../../api/scheme.js';
import type { Lease } from '../../api/types/coordination.js';
import type { Node, NodeCondition, NodeStatus } from '../../api/types/core.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/errors.js';
import type { Client } from '../../client/types.js';
import type { Clock } from '../../lib/clock.js';
import { sleepUnlessAborted } from '../../lib/clock.js';
import type { Logger } from '../../lib/log/logger.js';
import { Backoff } from '../../lib/backoff.js';

export interface Readiness {
  readonly runtimeReady: boolean;
  readonly networkReady: boolean;
  /** Why the network is not ready (shown in the Ready condition). */
  readonly networkMessage?: string;
}

export interface NodeManagerOptions {
  readonly client: Client;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly nodeName: string;
  readonly labels: Readonly<Record<string, string>>;
  /** capacity, allocatable, addresses, nodeInfo, daemonEndpoints. */
  readonly staticStatus: () => NodeStatus;
  readonly readiness: () => Readiness;
  /** Status computation period (default 10 s). */
  readonly statusPeriodMs?: number;
  /** Heartbeat: the status is written at least this often (default 60 s). */
  readonly reportPeriodMs?: number;
  /** Lease renewal period (default 10 s) and duration (default 40 s). */
  readonly leasePeriodMs?: number;
  readonly leaseDurationSeconds?: number;
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function time(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export class NodeManager {
  readonly #o: NodeManagerOptions;
  #node: Node | undefined;
  #lastReport = 0;
  #lastWritten = '';
  #wake: (() => void) | undefined;
  #signal: AbortSignal = new AbortController().signal;

  constructor(options: NodeManagerOptions) {
    this.#o = options;
  }

  /** The Node as last read or written. */
  get node(): Node | undefined {
    return this.#node;
  }

  /** Registers the Node (retrying until the API server answers), then writes its status. */
  async register(signal: AbortSignal): Promise<Node> {
    const backoff = new Backoff({ baseMs: 500, capMs: 7000 });
    const name = this.#o.nodeName;
    while (!signal.aborted) {
      try {
        const node: Node = {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: {
            name,
            labels: { ...this.#o.labels },
            annotations: {
              'node.alpha.kubernetes.io/ttl': '0',
              'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
            },
          },
          spec: {},
          status: this.#status(undefined),
        };
        try {
          this.#node = await this.#o.client.create(resources.nodes, node);
          this.#o.logger.info('Node registered', { node: name });
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
          const existing = await this.#o.client.get<Node>(resources.nodes, undefined, name);
          const missing = Object.entries(this.#o.labels).filter(
            ([k, v]) => existing.metadata.labels?.[k] !== v,
          );
          this.#node =
            missing.length > 0
              ? await this.#o.client.patch<Node>(resources.nodes, undefined, name, 'merge', {
                  metadata: { labels: Object.fromEntries(missing) },
                })
              : existing;
          this.#o.logger.info('Node was registered before; reconciled it', { node: name });
        }
        await this.updateStatus(true);
        return this.#node;
      } catch (e) {
        const delay = backoff.next();
        this.#o.logger.warn('Registering the node failed; retrying', {
          node: name,
          err: e instanceof Error ? e.message : String(e),
          retryInMs: delay,
        });
        await sleepUnlessAborted(this.#o.clock, delay, signal);
      }
    }
    throw new Error('stopped before the node was registered');
  }

  #conditions(old: readonly NodeCondition[]): NodeCondition[] {
    const now = this.#o.clock.now();
    const r = this.#o.readiness();
    const ready = r.runtimeReady && r.networkReady;
    const want: Condition[] = [
      r.networkReady
        ? {
            type: 'NetworkUnavailable',
            status: 'False',
            reason: 'PorticoNetworkReady',
            message: 'the pod bridge and routes are configured',
          }
        : {
            type: 'NetworkUnavailable',
            status: 'True',
            reason: 'NoRouteCreated',
            message: r.networkMessage ?? 'the pod network is not set up yet',
          },
      {
        type: 'MemoryPressure',
        status: 'False',
        reason: 'KubeletHasSufficientMemory',
        message: 'kubelet has sufficient memory available',
      },
      {
        type: 'DiskPressure',
        status: 'False',
        reason: 'KubeletHasNoDiskPressure',
        message: 'kubelet has no disk pressure',
      },
      {
        type: 'PIDPressure',
        status: 'False',
        reason: 'KubeletHasSufficientPID',
        message: 'kubelet has sufficient PID available',
      },
      ready
        ? {
            type: 'Ready',
            status: 'True',
            reason: 'KubeletReady',
            message: 'kubelet is posting ready status',
          }
        : {
            type: 'Ready',
            status: 'False',
            reason: 'KubeletNotReady',
            message: r.networkReady
              ? 'container runtime status check may not have completed yet'
              : `container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: ${r.networkMessage ?? 'the pod network is not set up yet'}`,
          },
    ];
    return want.map((c) => {
      const prev = old.find((o) => o.type === c.type);
      const same = prev !== undefined && prev.status === c.status;
      return {
        ...c,
        lastHeartbeatTime: time(now),
        lastTransitionTime: same && prev.lastTransitionTime ? prev.lastTransitionTime : time(now),
      };
    });
  }

  #status(old: Node | undefined): NodeStatus {
    return {
      ...this.#o.staticStatus(),
      conditions: this.#conditions(old?.status?.conditions ?? []),
    };
  }

  /** Computes the status and writes it when it changed, or when a heartbeat is due. */
  async updateStatus(force = false): Promise<void> {
    const name = this.#o.nodeName;
    let current: Node;
    try {
      current = await this.#o.client.get<Node>(resources.nodes, undefined, name);
    } catch (e) {
      if (isNotFound(e)) {
        this.#o.logger.warn('The Node object is gone; registering it again', { node: name });
        this.#node = undefined;
        await this.register(this.#signal);
        return;
      }
      throw e;
    }
    this.#node = current;
    const status = this.#status(current);
    const fingerprint = JSON.stringify({
      ...status,
      conditions: status.conditions?.map((c) => ({ ...c, lastHeartbeatTime: '' })),
    });
    const apiPrint = JSON.stringify({
      ...current.status,
      conditions: current.status?.conditions?.map((c) => ({ ...c, lastHeartbeatTime: '' })),
    });
    const due = this.#o.clock.now() - this.#lastReport >= (this.#o.reportPeriodMs ?? 60_000);
    if (!force && !due && fingerprint === this.#lastWritten && fingerprint === apiPrint) return;
    this.#node = await this.#o.client.patch<Node>(
      resources.nodes,
      undefined,
      name,
      'merge',
      { status },
      { subresource: 'status' },
    );
    this.#lastWritten = fingerprint;
    this.#lastReport = this.#o.clock.now();
  }

  /** Writes the status soon (the network or runtime turned ready). */
  poke(): void {
    this.#wake?.();
  }

  /** Keeps the status and the lease up to date until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    await Promise.all([this.#statusLoop(signal), this.#leaseLoop(signal)]);
  }

  async #statusLoop(signal: AbortSignal): Promise<void> {
    const period = this.#o.statusPeriodMs ?? 10_000;
    while (!signal.aborted) {
      await Promise.race([
        sleepUnlessAborted(this.#o.clock, period, signal),
        new Promise<void>((r) => (this.#wake = r)),
      ]);
      this.#wake = undefined;
      if (signal.aborted) break;
      try {
        await this.updateStatus();
      } catch (e) {
        this.#o.logger.warn('Updating the node status failed', {
          node: this.#o.nodeName,
          err: e instanceof Error ? e.message : String(e),
        });
      }
    }
  }

  async #leaseLoop(signal: AbortSignal): Promise<void> {
    const period = this.#o.leasePeriodMs ?? 10_000;
    while (!signal.aborted) {
      try {
        await this.renewLease();
      } catch (e) {
        this.#o.logger.warn('Renewing the node lease failed', {
          node: this.#o.nodeName,
          err: e instanceof Error ? e.message : String(e),
        });
      }
      await sleepUnlessAborted(this.#o.clock, period, signal);
    }
  }

  /** Creates or renews `kube-node-lease/<node>`. */
  async renewLease(): Promise<void> {
    const name = this.#o.nodeName;
    const now = microTime(this.#o.clock.now());
    const duration = this.#o.leaseDurationSeconds ?? 40;
    for (let attempt = 0; attempt < 3; attempt++) {
      let lease: Lease | undefined;
      try {
        lease = await this.#o.client.get<Lease>(resources.leases, 'kube-node-lease', name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      try {
        if (!lease) {
          const owner = this.#node?.metadata.uid;
          await this.#o.client.create<Lease>(resources.leases, {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: {
              name,
              namespace: 'kube-node-lease',
              ...(owner
                ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: owner }] }
                : {}),
            },
            spec: { holderIdentity: name, leaseDurationSeconds: duration, renewTime: now },
          });
          return;
        }
        await this.#o.client.update<Lease>(resources.leases, {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: name,
            leaseDurationSeconds: duration,
            renewTime: now,
          },
        });
        return;
      } catch (e) {
        if (!isConflict(e) && !isAlreadyExists(e)) throw e;
      }
    }
  }
}

/**
 * Test harness for the controllers: `startTestControllers` runs `portico controllers`' manager
 * in-process against a test API server, over HTTPS with the admin kubeconfig, and stops it when
 * the test ends. Until node agents exist, tests play the node with `registerNode` (a Ready Node
 * and its Lease) and `setPodStatus` (the kubelet's pod status: phase, IP, Ready condition).
 */
import { defaultClusterConfig } from '../api/cluster.js';
import { resources } from '../api/scheme.js';
import type { Lease } from '../api/types/coordination.js';
import type { Node, Pod } from '../api/types/core.js';
import { HttpClient } from '../client/http.js';
import { loadRestConfig } from '../client/kubeconfig.js';
import type { Client } from '../client/types.js';
import { defaultControllersConfig, type ControllersConfig } from '../controllers/context.js';
import { startControllers } from '../controllers/manager.js';
import { createLogger, discardLogger } from '../lib/log/logger.js';
import type { AfterHook, TestApiServer } from './apiserver.js';

export interface TestControllers {
  readonly names: readonly string[];
  /** Stops the controllers (idempotent; also registered with t.after). */
  stop(): Promise<void>;
}

/** An HTTPS client as the admin of a test API server. */
export function adminClient(api: Pick<TestApiServer, 'kubeconfig'>): Client {
  return new HttpClient({ config: loadRestConfig({ kubeconfig: api.kubeconfig }), qps: 0 });
}

/** Starts controllers in-process; resolves once their caches have synced. */
export async function startTestControllers(
  t: AfterHook | undefined,
  api: Pick<TestApiServer, 'kubeconfig'>,
  options: { controllers?: readonly string[]; config?: Partial<ControllersConfig> } = {},
): Promise<TestControllers> {
  const abort = new AbortController();
  const envLog = process.env['PORTICO_TEST_LOG'];
  const logger =
    envLog === undefined
      ? discardLogger
      : createLogger({ format: 'text', verbosity: Number(envLog) }).child({
          component: 'controllers',
        });
  const running = startControllers(
    {
      client: adminClient(api),
      config: { ...defaultControllersConfig(defaultClusterConfig), ...options.config },
      controllers: options.controllers ?? ['*'],
      logger,
    },
    abort.signal,
  );
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      abort.abort();
      await running.done;
    })();
    return stopped;
  };
  t?.after(stop);
  await running.synced;
  return { names: running.names, stop };
}

/** Registers a Ready node with a fresh Lease, as a kubelet would. */
export async function registerNode(
  client: Client,
  name: string,
  labels: Record<string, string> = {},
): Promise<Node> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const node = await client.create<Node>(resources.nodes, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec: {},
  });
  node.status = {
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      },
    ],
    addresses: [
      { type: 'InternalIP', address: '192.0.2.10' },
      { type: 'Hostname', address: name },
    ],
  };
  const ready = await client.updateStatus<Node>(resources.nodes, node);
  await renewLease(client, name);
  return ready;
}

/** Creates or renews the node's Lease in kube-node-lease. */
export async function renewLease(client: Client, node: string): Promise<void> {
  const renewTime = new Date().toISOString().replace('Z', '000Z');
  let lease: Lease | undefined;
  try {
    lease = await client.get<Lease>(resources.leases, 'kube-node-lease', node);
  } catch {
    lease = undefined;
  }
  if (lease === undefined) {
    await client.create<Lease>(resources.leases, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: node, namespace: 'kube-node-lease' },
      spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime },
    });
    return;
  }
  await client.update<Lease>(resources.leases, { ...lease, spec: { ...lease.spec, renewTime } });
}

/**
 * Writes a pod's status as its kubelet would: Running with an IP (and the node's host IP), and
 * a Ready condition that is True or False. Retries on conflict.
 */
export async function setPodStatus(
  client: Client,
  namespace: string,
  name: string,
  status: { ip?: string; ready: boolean; phase?: NonNullable<Pod['status']>['phase'] },
): Promise<Pod> {
  for (let attempt = 0; ; attempt++) {
    const pod = await client.get<Pod>(resources.pods, namespace, name);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const ip = status.ip ?? pod.status?.podIP;
    const readyStatus = status.ready ? 'True' : 'False';
    const prev = pod.status?.conditions ?? [];
    const cond = (type: string, s: 'True' | 'False') => {
      const old = prev.find((c) => c.type === type);
      return {
        type,
        status: s,
        lastProbeTime: null,
        lastTransitionTime: old?.status === s ? (old.lastTransitionTime ?? now) : now,
      };
    };
    pod.status = {
      ...pod.status,
      phase: status.phase ?? 'Running',
      hostIP: '192.0.2.10',
      ...(ip !== undefined ? { podIP: ip, podIPs: [{ ip }] } : {}),
      startTime: pod.status?.startTime ?? now,
      conditions: [
        cond('Initialized', 'True'),
        cond('Ready', readyStatus),
        cond('ContainersReady', readyStatus),
        cond('PodScheduled', 'True'),
      ],
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        ready: status.ready,
        restartCount: 0,
        image: c.image ?? '',
        imageID: '',
        started: true,
        state: { running: { startedAt: now } },
      })),
    };
    try {
      return await client.updateStatus<Pod>(resources.pods, pod);
    } catch (e) {
      if (attempt < 5 && (e as { reason?: unknown }).reason === 'Conflict') continue;
      throw e;
    }
  }
}

/**
 * Plays the kubelet of one node until the signal aborts (polling every 50 ms): every pod bound
 * to the node gets Running, an IP from `10.244.<nodeIndex>.0/24` and Ready (unless listed in
 * `unready`); a pod being deleted is finished (deleted with grace 0) as a kubelet does once its
 * containers stopped. Returns a handle to mark pods unready and to stop.
 */
export function startFakeKubelet(
  client: Client,
  node: string,
  options: { subnet?: number; signal: AbortSignal },
): { unready: Set<string>; done: Promise<void> } {
  const unready = new Set<string>();
  const ips = new Map<string, string>();
  let next = 2;
  const loop = async (): Promise<void> => {
    while (!options.signal.aborted) {
      try {
        const pods = (await client.list<Pod>(resources.pods, {})).items.filter(
          (p) => p.spec?.nodeName === node,
        );
        for (const p of pods) {
          const ns = p.metadata.namespace ?? 'default';
          const name = p.metadata.name ?? '';
          const key = `${ns}/${name}`;
          if (p.metadata.deletionTimestamp !== undefined) {
            await client
              .delete(resources.pods, ns, name, { gracePeriodSeconds: 0 })
              .catch(() => undefined);
            continue;
          }
          const want = !unready.has(key);
          const isReady = p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
          if (p.status?.podIP !== undefined && isReady === want && p.status.phase === 'Running')
            continue;
          let ip = ips.get(p.metadata.uid ?? '') ?? p.status?.podIP;
          if (ip === undefined) {
            ip = `10.244.${options.subnet ?? 0}.${next++}`;
            ips.set(p.metadata.uid ?? '', ip);
          }
          await setPodStatus(client, ns, name, { ip, ready: want }).catch(() => undefined);
        }
      } catch {
        // the API server is restarting, or the test is ending
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { unready, done: loop() };
}

/**
 * The node agent (kubelet's job) as an ordinary API client:
 *
 *   start      informers (this node's pods, every Service, every Node), register the Node, serve
 *              the kubelet paths, wait for the node's pod CIDR (node IPAM), then set up the pod
 *              network and the runtime (which finds the sandboxes a previous run left running);
 *   pods       one worker per pod UID (workers.ts) syncs on every informer event, every container
 *              state change the runtime reports (relisted each second), every probe result, and
 *              every 10 s; pods on the node that the API does not know are torn down;
 *   node       status and lease (node/node.ts); routes to the other nodes' pod CIDRs (host-gw);
 *   stop       informers and loops stop; containers keep running (a restarted agent adopts them)
 *              unless `stopPodsOnExit` (portico up), which kills them like a node shutdown.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resources } from '../api/scheme.js';
import type { ConfigMap, Node, Pod, Secret, Service } from '../api/types/core.js';
import { ApiEventRecorder } from '../client/events.js';
import { isNotFound } from '../client/errors.js';
import { InformerFactory } from '../client/factory.js';
import type { Client, Informer } from '../client/types.js';
import type { Clock } from '../lib/clock.js';
import { realClock, sleepUnlessAborted } from '../lib/clock.js';
import { asError } from '../lib/errors.js';
import type { Logger } from '../lib/log/logger.js';
import { parseCidr } from './network/cidr.js';
import { machineFacts, nodeLabels, runtimeVersion, staticNodeStatus } from './node/info.js';
import { NodeManager } from './node/node.js';
import { HostGwRoutes, localSubnets } from './node/routes.js';
import { RuntimeCache } from './pod/cache.js';
import type { EnvSources } from './pod/env.js';
import { ProbeManager } from './pod/prober.js';
import { StatusManager } from './pod/statusmanager.js';
import { PodSyncer } from './pod/sync.js';
import { PodWorkers } from './pod/workers.js';
import type { Runtime } from './runtime/types.js';
import { StreamingServer, type TlsMaterial } from './server/server.js';

export interface AgentOptions {
  readonly client: Client;
  readonly nodeName: string;
  /** `<data dir>`: runtime, network, images, pods and the agent's own state below it. */
  readonly dataDir: string;
  /** The node's address (InternalIP). */
  readonly nodeIP: string;
  /** Use this pod CIDR instead of waiting for the Node's spec.podCIDR (standalone mode). */
  readonly podCIDR?: string;
  readonly clusterDNS: readonly string[];
  readonly clusterDomain: string;
  /** The node's resolv.conf (pods with dnsPolicy Default get it). */
  readonly resolvConf: string;
  readonly maxPods: number;
  /** The kubelet port (and bind address) of the streaming server; port 0 disables it. */
  readonly port: number;
  readonly address: string;
  /** TLS for the streaming server: serving pair, and the CA whose client certificates it accepts. */
  readonly tls: TlsMaterial;
  /** Builds the runtime once the pod CIDR is known (RuncRuntime in production, fakes in tests). */
  readonly openRuntime: (podCIDR: string) => Promise<Runtime>;
  /** The runtime's version for nodeInfo (`runc://1.1.5`); read from runc when absent. */
  readonly runtimeVersion?: string;
  /** Kill every pod when the agent stops (a node shutdown); default false. */
  readonly stopPodsOnExit?: boolean;
  /** Grace period cap for that shutdown (default 10 s). */
  readonly shutdownGraceSeconds?: number;
  readonly clock?: Clock;
  readonly logger: Logger;
  /** Called once the node is ready (pods can run). */
  readonly onReady?: () => void;
  /** Intervals, for tests. */
  readonly relistMs?: number;
  readonly resyncMs?: number;
  readonly nodeStatusMs?: number;
}

interface AgentState {
  podCIDR?: string;
}

/** A short-lived cache in front of GETs of ConfigMaps and Secrets. */
function cachedSources(client: Client, clock: Clock, ttlMs = 2000): EnvSources {
  const cache = new Map<string, { at: number; obj: ConfigMap | Secret | undefined }>();
  const get = async <T extends ConfigMap | Secret>(
    kind: 'configmaps' | 'secrets',
    ns: string,
    name: string,
  ): Promise<T | undefined> => {
    const key = `${kind}/${ns}/${name}`;
    const hit = cache.get(key);
    if (hit && clock.now() - hit.at < ttlMs) return hit.obj as T | undefined;
    let obj: T | undefined;
    try {
      obj = await client.get<T>(resources[kind], ns, name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    cache.set(key, { at: clock.now(), obj });
    if (cache.size > 1000) cache.clear();
    return obj;
  };
  return {
    getConfigMap: (ns, name) => get<ConfigMap>('configmaps', ns, name),
    getSecret: (ns, name) => get<Secret>('secrets', ns, name),
  };
}

export class Agent {
  readonly #o: AgentOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  #runtime: Runtime | undefined;
  #podCIDR: string | undefined;
  #networkMessage = 'the node has no pod CIDR yet';
  #status: StatusManager | undefined;
  #cache: RuntimeCache | undefined;
  #server: StreamingServer | undefined;
  readonly #statePath: string;

  constructor(options: AgentOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#log = options.logger;
    this.#statePath = join(options.dataDir, 'agent', 'state.json');
  }

  /** The runtime, once the network is up. */
  get runtime(): Runtime | undefined {
    return this.#runtime;
  }

  /** The streaming server's port (after start). */
  get port(): number | undefined {
    return this.#server?.port;
  }

  #readState(): AgentState {
    try {
      return JSON.parse(readFileSync(this.#statePath, 'utf8')) as AgentState;
    } catch {
      return {};
    }
  }

  #writeState(s: AgentState): void {
    mkdirSync(join(this.#o.dataDir, 'agent'), { recursive: true });
    writeFileSync(this.#statePath, JSON.stringify(s, null, 2) + '\n');
  }

  /** Runs until the signal aborts. @throws when the agent cannot start at all */
  async run(signal: AbortSignal): Promise<void> {
    const { client, nodeName } = this.#o;
    const log = this.#log;
    const stopInformers = new AbortController();
    const factory = new InformerFactory({
      client,
      logger: log,
      clock: this.#clock,
      transform: (o) => {
        if (o.metadata.managedFields) {
          const { managedFields: _m, ...meta } = o.metadata;
          return { ...o, metadata: meta };
        }
        return o;
      },
    });
    const pods = factory.informerFor<Pod>(resources.pods, {
      fieldSelector: `spec.nodeName=${nodeName}`,
    });
    const services = factory.informerFor<Service>(resources.services);
    const nodes = factory.informerFor<Node>(resources.nodes);
    factory.start(stopInformers.signal);
    const recorder = new ApiEventRecorder({
      client,
      component: 'kubelet',
      host: nodeName,
      clock: this.#clock,
      logger: log,
      signal: stopInformers.signal,
    });

    const facts = machineFacts(this.#o.dataDir);
    const rtVersion = this.#o.runtimeVersion ?? runtimeVersion();
    const nodeManager = new NodeManager({
      client,
      clock: this.#clock,
      logger: log,
      nodeName,
      labels: nodeLabels(nodeName),
      staticStatus: () =>
        staticNodeStatus({
          facts,
          maxPods: this.#o.maxPods,
          addresses: [
            { type: 'InternalIP', address: this.#o.nodeIP },
            { type: 'Hostname', address: nodeName },
          ],
          port: this.#server?.port ?? this.#o.port,
          runtimeVersion: rtVersion,
        }),
      readiness: () => ({
        runtimeReady: this.#runtime !== undefined,
        networkReady: this.#runtime !== undefined,
        networkMessage: this.#networkMessage,
      }),
      ...(this.#o.nodeStatusMs !== undefined ? { statusPeriodMs: this.#o.nodeStatusMs } : {}),
    });

    // The streaming server answers from the start (503 until the runtime is up).
    if (this.#o.port >= 0) {
      this.#server = new StreamingServer({
        address: this.#o.address,
        port: this.#o.port,
        tls: this.#o.tls,
        logger: log,
        findPod: (ns, name) => pods.lister.get(ns, name),
        listPods: () => pods.lister.list(),
        podStatus: (pod) => this.#status?.get(pod.metadata.uid ?? ''),
        runtime: () => this.#runtime,
        podView: (uid) => this.#cache?.get(uid),
      });
      await this.#server.start();
      log.info('Serving kubelet streams', { address: this.#o.address, port: this.#server.port });
    }

    await nodeManager.register(signal);
    const nodeLoop = nodeManager.run(signal);

    // ---- the pod network ----
    const podCIDR = await this.#waitForPodCIDR(nodes, signal);
    if (signal.aborted || podCIDR === undefined) {
      stopInformers.abort();
      await nodeLoop;
      await this.#server?.close();
      return;
    }
    this.#podCIDR = podCIDR;
    this.#writeState({ ...this.#readState(), podCIDR });
    let runtime: Runtime;
    for (;;) {
      try {
        runtime = await this.#o.openRuntime(podCIDR);
        break;
      } catch (e) {
        this.#networkMessage = `setting up the pod network failed: ${asError(e).message}`;
        log.error(e, 'Setting up the pod network and runtime failed; retrying in 5 s', { podCIDR });
        await sleepUnlessAborted(this.#clock, 5000, signal);
        if (signal.aborted) {
          stopInformers.abort();
          await nodeLoop;
          await this.#server?.close();
          return;
        }
      }
    }
    this.#runtime = runtime;
    this.#networkMessage = '';
    log.info('Pod network ready', { podCIDR });

    const routes = new HostGwRoutes({
      nodeName,
      logger: log,
      localSubnets: () => this.#subnets,
    });
    this.#subnets = await localSubnets();
    let routeTimer: NodeJS.Timeout | undefined;
    const syncRoutes = (): void => {
      if (routeTimer) return;
      routeTimer = setTimeout(() => {
        routeTimer = undefined;
        void routes
          .sync(nodes.lister.list())
          .catch((e: unknown) => log.error(e, 'Syncing pod routes failed'));
      }, 100);
    };
    nodes.addHandlers({ onAdd: syncRoutes, onUpdate: syncRoutes, onDelete: syncRoutes });

    // ---- pods ----
    const cache = new RuntimeCache(runtime);
    this.#cache = cache;
    await cache.relist();
    const status = new StatusManager({
      client,
      clock: this.#clock,
      logger: log,
      getPod: (ns, name) => pods.lister.get(ns, name),
    });
    const kick = { fn: (_uid: string): void => undefined };
    const prober = new ProbeManager({
      runtime,
      clock: this.#clock,
      logger: log,
      recorder,
      onChange: (uid) => kick.fn(uid),
      podIP: (pod) => {
        const view = cache.get(pod.metadata.uid ?? '');
        const sb = [...view.sandboxes].sort((a, b) => b.attempt - a.attempt)[0];
        return sb?.ip ?? (pod.spec?.hostNetwork ? this.#o.nodeIP : undefined);
      },
    });
    const cpuMillis = facts.cpus * 1000;
    const syncer = new PodSyncer({
      runtime,
      cache,
      prober,
      recorder,
      clock: this.#clock,
      logger: log,
      node: {
        name: nodeName,
        hostIPs: () => [this.#o.nodeIP],
        clusterDNS: this.#o.clusterDNS,
        clusterDomain: this.#o.clusterDomain,
        hostResolvConf: () => {
          try {
            return readFileSync(this.#o.resolvConf, 'utf8');
          } catch {
            return '';
          }
        },
        networkReady: () => this.#runtime !== undefined,
        allocatable: () => ({ cpuMillis, memoryBytes: facts.memoryBytes }),
      },
      services: () => (services.hasSynced() ? services.lister.list() : undefined),
      sources: cachedSources(client, this.#clock),
      podsDir: join(this.#o.dataDir, 'pods'),
    });
    const w = new PodWorkers({ syncer, status, prober, cache, clock: this.#clock, logger: log });
    kick.fn = (uid) => w.kick(uid);
    this.#status = status;
    await services.waitForSync(signal);
    pods.addIndex('uid', (p) => [p.metadata.uid ?? '']);
    pods.addHandlers({
      onAdd: (p) => w.update(p.metadata.uid ?? '', p),
      onUpdate: (_o, p) => w.update(p.metadata.uid ?? '', p),
      onDelete: (p) => w.update(p.metadata.uid ?? '', undefined),
    });
    await pods.waitForSync(signal);
    // Pods the runtime has that the API does not (deleted while the agent was down).
    const known = new Set(pods.lister.list().map((p) => p.metadata.uid ?? ''));
    for (const uid of cache.uids()) if (!known.has(uid)) w.update(uid, undefined);
    const statusLoop = status.run(signal);
    nodeManager.poke();
    log.info('Node ready', { node: nodeName, podCIDR, pods: known.size });
    this.#o.onReady?.();

    // PLEG: container state changes wake their pod's worker.
    const relistMs = this.#o.relistMs ?? 1000;
    const resyncMs = this.#o.resyncMs ?? 10_000;
    let lastResync = this.#clock.now();
    while (!signal.aborted) {
      await sleepUnlessAborted(this.#clock, relistMs, signal);
      if (signal.aborted) break;
      try {
        const changed = await cache.relist();
        for (const uid of changed) {
          const pod = pods.lister.byIndex('uid', uid)[0];
          if (pod) w.update(uid, pod);
          else if (cache.uids().includes(uid)) w.update(uid, undefined);
        }
        if (this.#clock.now() - lastResync >= resyncMs) {
          lastResync = this.#clock.now();
          w.kickAll();
          syncer.crashBackoff.gc();
          syncer.imageBackoff.gc();
          this.#subnets = await localSubnets();
          syncRoutes();
        }
      } catch (e) {
        log.error(e, 'Relisting the runtime failed');
      }
    }

    // ---- stop ----
    w.stop();
    prober.stop();
    if (this.#o.stopPodsOnExit) await this.#shutdownPods(syncer, status, pods);
    stopInformers.abort();
    await statusLoop;
    await nodeLoop;
    await factory.stopped();
    await this.#server?.close();
    if (routeTimer) clearTimeout(routeTimer);
  }

  #subnets: readonly string[] = [];

  async #waitForPodCIDR(nodes: Informer<Node>, signal: AbortSignal): Promise<string | undefined> {
    if (this.#o.podCIDR) {
      parseCidr(this.#o.podCIDR);
      return this.#o.podCIDR;
    }
    let logged = false;
    while (!signal.aborted) {
      const node = nodes.lister.get(undefined, this.#o.nodeName);
      const cidr = node?.spec?.podCIDR ?? node?.spec?.podCIDRs?.find((c) => !c.includes(':'));
      if (cidr) return cidr;
      if (!logged && nodes.hasSynced()) {
        this.#log.info(
          'Waiting for the node to get a pod CIDR (node IPAM in portico controllers)',
          {
            node: this.#o.nodeName,
          },
        );
        logged = true;
      }
      await sleepUnlessAborted(this.#clock, 200, signal);
    }
    return undefined;
  }

  /** Kills every pod (capped grace), as a node shutdown does, and says so in their status. */
  async #shutdownPods(
    syncer: PodSyncer,
    status: StatusManager,
    pods: Informer<Pod>,
  ): Promise<void> {
    const cap = this.#o.shutdownGraceSeconds ?? 10;
    const list = pods.lister.list();
    this.#log.info('Stopping every pod on this node', {
      pods: list.length,
      gracePeriodSeconds: cap,
    });
    await Promise.all(
      list.map(async (p) => {
        const grace = Math.min(cap, p.spec?.terminationGracePeriodSeconds ?? 30);
        try {
          await syncer.kill(p, grace);
          status.set(p, syncer.status(p, false));
        } catch (e) {
          this.#log.error(e, 'Stopping a pod failed', {
            pod: `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`,
          });
        }
      }),
    );
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 2000);
    const loop = status.run(ac.signal);
    await Promise.race([
      status.flushed(),
      new Promise((r) => ac.signal.addEventListener('abort', r)),
    ]);
    ac.abort();
    clearTimeout(timer);
    await loop;
  }

  /** The pod CIDR in use (after start). */
  get podCIDR(): string | undefined {
    return this.#podCIDR;
  }
}

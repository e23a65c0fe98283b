/**
 * One running API server: credentials, watch caches over the store, the registry with its
 * strategies, the built-in objects and the loops that keep them, and the HTTPS listener.
 * `portico apiserver` and the test harness both start it through `ApiServer.start`.
 *
 * Start order: credentials → caches listed → allocator repair → built-in namespaces and
 * `default/kubernetes` → listen → kubeconfigs written → ready. Stop: listener, loops, caches
 * (the store belongs to the caller).
 */
import type { ClusterConfig } from '../api/cluster.js';
import { defaultClusterConfig } from '../api/cluster.js';
import { allResources, resources, storageResourceOf } from '../api/scheme.js';
import { realClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log/logger.js';
import { Registry as MetricsRegistry } from '../lib/metrics.js';
import { runCompactor, type CompactionPolicy } from '../storage/compactor.js';
import type { Store } from '../storage/store.js';
import { Authenticator } from './auth/authn.js';
import {
  ensureCredentials,
  writeKubeconfigs,
  type ClusterCredentials,
} from './auth/credentials.js';
import {
  defaultAdvertiseAddress,
  ensureNamespaces,
  firstServiceIP,
  KubernetesServiceReconciler,
} from './bootstrap.js';
import { ApiHandler } from './handler.js';
import { every, sweepEvents } from './loops.js';
import { AgentDialer } from './proxy/agent.js';
import { buildStrategies } from './registry/strategies.js';
import { Registry } from './registry/registry.js';
import { ApiServerListener } from './server.js';
import { CacheSet } from './watchcache/cacheset.js';

export interface ApiServerOptions {
  readonly dataDir: string;
  /** An open store; the caller closes it after stop(). */
  readonly store: Store;
  readonly logger: Logger;
  /** Address to listen on (`0.0.0.0`, `127.0.0.1`). */
  readonly bindAddress: string;
  /** 6443 by default; 0 picks a free port (tests). */
  readonly securePort: number;
  /** Where pods reach the API server (the `kubernetes` endpoints); detected when absent. */
  readonly advertiseAddress?: string;
  /** Extra names and IPs for the serving certificate. */
  readonly tlsSans?: readonly string[];
  readonly config?: ClusterConfig;
  readonly clock?: Clock;
  /** This machine's node name (the agent's client certificate). */
  readonly nodeName?: string;
  /** The server URL written into kubeconfigs (default https://127.0.0.1:<port>). */
  readonly kubeconfigServer?: string;
  readonly bookmarkIntervalMs?: number;
  readonly minWatchTimeoutSeconds?: number;
  readonly eventTtlMs?: number;
  readonly reconcileIntervalMs?: number;
  /**
   * Compact the store from here (kube-apiserver's etcd compaction). Off by default: the SQLite
   * store compacts itself.
   */
  readonly compaction?: CompactionPolicy;
  /** Events the watch cache remembers per resource (default 2,000). */
  readonly watchCacheSize?: number;
}

/** The names every serving certificate covers. */
export function servingNames(
  config: ClusterConfig,
  extra: readonly string[],
  advertise: string | undefined,
): { dnsNames: string[]; ips: string[] } {
  const dnsNames = [
    'localhost',
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    `kubernetes.default.svc.${config.clusterDomain}`,
  ];
  const ips = ['127.0.0.1', firstServiceIP(config.serviceCIDR)];
  if (advertise !== undefined) ips.push(advertise);
  for (const s of extra) (/^[\d.]+$|:/.test(s) ? ips : dnsNames).push(s);
  return { dnsNames: [...new Set(dnsNames)], ips: [...new Set(ips)] };
}

export class ApiServer {
  readonly registry: Registry;
  readonly credentials: ClusterCredentials;
  readonly caches: CacheSet;
  readonly metrics: MetricsRegistry;
  readonly #listener: ApiServerListener;
  readonly #stop: AbortController;
  readonly #loops: Promise<void>[];
  readonly #agents: AgentDialer;
  readonly url: string;

  private constructor(parts: {
    registry: Registry;
    credentials: ClusterCredentials;
    caches: CacheSet;
    metrics: MetricsRegistry;
    listener: ApiServerListener;
    stop: AbortController;
    loops: Promise<void>[];
    agents: AgentDialer;
    url: string;
  }) {
    this.registry = parts.registry;
    this.credentials = parts.credentials;
    this.caches = parts.caches;
    this.metrics = parts.metrics;
    this.#listener = parts.listener;
    this.#stop = parts.stop;
    this.#loops = parts.loops;
    this.#agents = parts.agents;
    this.url = parts.url;
  }

  get port(): number {
    return this.#listener.port;
  }

  static async start(o: ApiServerOptions): Promise<ApiServer> {
    const log = o.logger;
    const clock = o.clock ?? realClock;
    const config = o.config ?? defaultClusterConfig;
    const advertise = o.advertiseAddress ?? defaultAdvertiseAddress();
    const names = servingNames(config, o.tlsSans ?? [], advertise);
    const credentials = await ensureCredentials({
      dataDir: o.dataDir,
      servingDnsNames: names.dnsNames,
      servingIps: names.ips,
      ...(o.nodeName !== undefined ? { nodeName: o.nodeName } : {}),
    });

    const stop = new AbortController();
    // A start that fails half-way must not leave the cache watch or loops running.
    try {
      const stored = [...new Set(allResources.map(storageResourceOf))];
      const caches = new CacheSet({
        store: o.store,
        resources: stored,
        logger: log,
        ...(o.watchCacheSize !== undefined ? { historySize: o.watchCacheSize } : {}),
      });
      await caches.start(stop.signal);
      const strategies = buildStrategies(config, { logger: log });
      const registry = new Registry({
        store: o.store,
        caches,
        strategies,
        config,
        clock,
        logger: log,
      });
      await strategies.repair(registry.strategyContext);
      await ensureNamespaces(registry);

      const metrics = new MetricsRegistry();
      const agents = new AgentDialer({
        getNode: async (name) => await registry.tryGet(resources.nodes, undefined, name),
        clientCert: credentials.kubeletClient.cert,
        clientKey: credentials.kubeletClient.key,
        logger: log,
      });
      let ready = false;
      let serverAddress = `${advertise ?? '127.0.0.1'}:${o.securePort}`;
      const handler = new ApiHandler({
        registry,
        clock,
        logger: log,
        bookmarkIntervalMs: o.bookmarkIntervalMs ?? 60_000,
        minWatchTimeoutSeconds: o.minWatchTimeoutSeconds ?? 1800,
        agents,
        authenticator: new Authenticator(credentials.tokens),
        metrics,
        ready: () => ready,
        get serverAddress() {
          return serverAddress;
        },
      });
      const listener = await ApiServerListener.listen({
        handler,
        logger: log,
        cert: credentials.serving.cert,
        key: credentials.serving.key,
        ca: credentials.caPem,
        host: o.bindAddress,
        port: o.securePort,
      });
      const port = listener.port;
      serverAddress = `${advertise ?? '127.0.0.1'}:${port}`;
      const host =
        o.bindAddress === '0.0.0.0' || o.bindAddress === '::' ? '127.0.0.1' : o.bindAddress;
      const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
      writeKubeconfigs(credentials, o.kubeconfigServer ?? url);

      const reconciler = new KubernetesServiceReconciler({
        registry,
        config,
        advertiseAddress: advertise,
        securePort: port,
        logger: log,
      });
      await reconciler
        .reconcile()
        .catch((e: unknown) => log.error(e, 'Creating the kubernetes Service failed'));
      const loops = [
        every(
          { clock, logger: log, what: 'Reconciling the kubernetes Service' },
          o.reconcileIntervalMs ?? 10_000,
          stop.signal,
          () => reconciler.reconcile(),
        ),
        every({ clock, logger: log, what: 'Event TTL sweep' }, 60_000, stop.signal, async () => {
          const n = await sweepEvents(registry, clock.now(), o.eventTtlMs ?? 3600_000);
          if (n > 0) log.v(2).info('Expired events deleted', { count: n });
        }),
      ];
      if (o.compaction)
        loops.push(
          runCompactor({
            store: o.store,
            policy: o.compaction,
            clock,
            logger: log,
            signal: stop.signal,
          }),
        );
      ready = true;
      log.info('API server ready', { url, advertiseAddress: advertise ?? '', dataDir: o.dataDir });
      return new ApiServer({
        registry,
        credentials,
        caches,
        metrics,
        listener,
        stop,
        loops,
        agents,
        url,
      });
    } catch (e) {
      stop.abort();
      throw e;
    }
  }

  /** Stops serving and every loop. Does not close the store. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#listener.close();
    await Promise.all(this.#loops);
    this.#agents.close();
  }
}

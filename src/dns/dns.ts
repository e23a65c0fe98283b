/**
 * `portico dns` assembled: informers → zone → engine (→ forwarder, cache, loop probe) → UDP/TCP
 * listeners, the HTTP endpoints, and the kube-dns Service publisher. `cmd/dns.ts` parses flags
 * and calls `startDns`; integration tests call it in-process.
 */
import { networkInterfaces } from 'node:os';
import { resources } from '../api/scheme.js';
import type { Node } from '../api/types/core.js';
import { InformerFactory } from '../client/factory.js';
import type { Client } from '../client/types.js';
import { realClock, type Clock } from '../lib/clock.js';
import { asError } from '../lib/errors.js';
import type { Logger } from '../lib/log/logger.js';
import { ForwardCache } from './cache.js';
import { DnsEngine } from './engine.js';
import { Forwarder, upstreamString, type Upstream } from './forward.js';
import { startHttpEndpoints, type HttpEndpoints } from './http.js';
import type { Cidr } from './ip.js';
import { slimObject, watchCluster } from './informers.js';
import { LoopDetector } from './loop.js';
import { DnsMetrics } from './metrics.js';
import { Publisher } from './publish.js';
import { DnsServer } from './server.js';
import { KubernetesZone, type PodMode } from './zone.js';

export interface PublishOptions {
  readonly namespace: string;
  readonly name: string;
  readonly clusterIP: string;
  /** The address to publish; default the Node's InternalIP, else the first non-loopback IPv4. */
  readonly advertiseAddress?: string;
}

export interface DnsOptions {
  readonly client: Client;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly nodeName: string;
  readonly zones: readonly string[];
  readonly ttl: number;
  readonly podMode: PodMode;
  readonly endpointPodNames?: boolean;
  readonly bindAddresses: readonly string[];
  readonly port: number;
  /** Where /metrics, /health and /ready listen; undefined: nowhere. */
  readonly metricsAddress?: { readonly host: string; readonly port: number };
  readonly upstreams: readonly Upstream[];
  readonly cache: {
    readonly capacity: number;
    readonly maxTtl: number;
    readonly maxDenialTtl: number;
  };
  readonly maxUdp: number;
  readonly authoritativeCidrs: readonly Cidr[];
  /** The Service to publish as; undefined: do not publish. */
  readonly publish?: PublishOptions;
  /** Probe upstreams for forwarding loops at start (default true). */
  readonly loopProbe?: boolean;
}

export interface RunningDns {
  readonly zone: KubernetesZone;
  readonly engine: DnsEngine;
  readonly metrics: DnsMetrics;
  readonly forwarder: Forwarder | undefined;
  readonly server: DnsServer;
  readonly http: HttpEndpoints | undefined;
  /** The DNS port (the real one when 0 was asked for). */
  readonly port: number;
  readonly publisher: Publisher | undefined;
  /** Resolves true once the informers synced (false when stopped first). */
  readonly synced: Promise<boolean>;
  isSynced(): boolean;
  /** Stops everything; unpublishes first. */
  stop(): Promise<void>;
}

function firstIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

export async function startDns(o: DnsOptions): Promise<RunningDns> {
  const clock = o.clock ?? realClock;
  const log = o.logger;
  const ac = new AbortController();
  const metrics = new DnsMetrics({
    zones: DnsEngine.metricZones(o.zones),
    server: `dns://:${o.port}`,
  });
  const publishedAddress = { current: undefined as string | undefined };
  const zone = new KubernetesZone({
    zones: o.zones,
    ttl: o.ttl,
    podMode: o.podMode,
    endpointPodNames: o.endpointPodNames ?? false,
    authoritativeCidrs: o.authoritativeCidrs,
    clock,
    ...(o.publish ? { dnsService: { namespace: o.publish.namespace, name: o.publish.name } } : {}),
    ownAddresses: () => (publishedAddress.current ? [publishedAddress.current] : []),
    onProgrammed: (kind, ms) => metrics.programming.observe(ms / 1000, { service_kind: kind }),
  });
  const factory = new InformerFactory({ client: o.client, logger: log, transform: slimObject });
  const informers = watchCluster(factory, zone);

  let forwarder: Forwarder | undefined;
  let cache: ForwardCache | undefined;
  let loop: LoopDetector | undefined;
  if (o.upstreams.length > 0) {
    forwarder = new Forwarder({
      upstreams: o.upstreams,
      clock,
      logger: log,
      udpSize: o.maxUdp,
      observe: (u, rcode, ms) => {
        const to = upstreamString(u);
        metrics.forwardRequests.inc({ to });
        metrics.forwardResponses.inc({
          to,
          rcode: typeof rcode === 'number' ? String(rcode) : rcode,
        });
        metrics.forwardDuration.observe(ms / 1000, { to });
      },
    });
    cache = new ForwardCache({
      clock,
      capacity: o.cache.capacity,
      maxTtl: o.cache.maxTtl,
      maxDenialTtl: o.cache.maxDenialTtl,
    });
    loop = new LoopDetector({ forwarder, logger: log, onLoop: () => metrics.loops.inc() });
  }
  const engine = new DnsEngine({
    zone,
    logger: log,
    maxUdp: o.maxUdp,
    metrics,
    synced: () => informers.hasSynced(),
    ...(forwarder ? { forwarder } : {}),
    ...(cache ? { cache } : {}),
    ...(loop ? { loop } : {}),
  });
  metrics.setSources({
    names: () => zone.size,
    ...(cache
      ? {
          cache: () => ({
            hits: { ...cache.hitsByKind },
            misses: cache.misses,
            entries: cache.size,
          }),
        }
      : {}),
  });

  factory.start(ac.signal);
  let server: DnsServer;
  try {
    server = await DnsServer.start({
      engine,
      bindAddresses: o.bindAddresses,
      port: o.port,
      logger: log,
    });
  } catch (e) {
    ac.abort();
    await factory.stopped();
    throw e;
  }
  let http: HttpEndpoints | undefined;
  if (o.metricsAddress) {
    try {
      http = await startHttpEndpoints({
        ...o.metricsAddress,
        metrics: () => metrics.expose(),
        ready: () => informers.hasSynced(),
      });
    } catch (e) {
      await server.close();
      ac.abort();
      await factory.stopped();
      throw new Error(
        `cannot serve metrics on ${o.metricsAddress.host}:${o.metricsAddress.port}: ${asError(e).message} (use --metrics-bind-address)`,
      );
    }
  }
  log.info('Serving DNS', {
    port: server.port,
    addresses: server.addresses.join(','),
    zones: o.zones.join(','),
    upstreams: o.upstreams.map(upstreamString).join(',') || 'none',
    metrics: http ? `${o.metricsAddress?.host ?? ''}:${http.port}` : 'off',
  });

  if (loop) {
    loop.excludeSelf((u) => u.port === server.port && server.addresses.includes(u.host));
    if (o.loopProbe ?? true)
      loop
        .probe()
        .catch((e: unknown) => log.error(asError(e), 'Probing upstreams for loops failed'));
  }

  let publisher: Publisher | undefined;
  let publishing: Promise<void> | undefined;
  const pub = o.publish;
  if (pub) {
    publisher = new Publisher({
      client: o.client,
      namespace: pub.namespace,
      name: pub.name,
      clusterIP: pub.clusterIP,
      nodeName: o.nodeName,
      dnsPort: server.port,
      metricsPort: http?.port ?? 9153,
      clock,
      logger: log,
      address: async () => {
        let ip = pub.advertiseAddress;
        if (ip === undefined) {
          try {
            const node = await o.client.get<Node>(resources.nodes, undefined, o.nodeName);
            ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
          } catch {
            // No Node object (yet): fall back to this machine's address.
          }
        }
        ip ??= firstIPv4();
        if (ip !== publishedAddress.current) {
          publishedAddress.current = ip;
          zone.ownAddressesChanged();
        }
        return ip;
      },
    });
  }

  const synced = informers.waitForSync(ac.signal).then((ok) => {
    if (!ok) return false;
    zone.flush();
    log.info('Caches synced; answering from the cluster state', { names: zone.size });
    if (publisher) publishing = publisher.run(ac.signal);
    return true;
  });

  let stopping: Promise<void> | undefined;
  return {
    zone,
    engine,
    metrics,
    forwarder,
    server,
    http,
    port: server.port,
    publisher,
    synced,
    isSynced: () => informers.hasSynced(),
    stop: () =>
      (stopping ??= (async () => {
        ac.abort();
        await synced;
        await publishing;
        await server.close();
        await http?.close();
        forwarder?.close();
        await factory.stopped();
      })()),
  };
}

/**
 * `portico proxy`: the Service proxy of one node, an ordinary API client in the manner of
 * kube-proxy's nftables mode. It programs tables `ip portico` and `ip6 portico`; where that is
 * impossible (not root, no nft) it relays TCP and UDP in this process instead, and says so.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import type { Node, Service } from '../api/types/core.js';
import type { EndpointSlice } from '../api/types/discovery.js';
import { labelHeadless, labelServiceProxyName } from '../api/types/discovery.js';
import { resources } from '../api/scheme.js';
import { InformerFactory } from '../client/factory.js';
import { HttpClient } from '../client/http.js';
import { loadRestConfig } from '../client/kubeconfig.js';
import { realClock } from '../lib/clock.js';
import type { Logger } from '../lib/log/logger.js';
import type { ProxyBackend } from '../proxy/backend.js';
import { ExecConntrack } from '../proxy/conntrack.js';
import { ServiceHealthServer, startHealthServer } from '../proxy/health.js';
import { NftablesBackend } from '../proxy/nftables/backend.js';
import { ExecNft, SessionNft, probeNft } from '../proxy/nftables/nft.js';
import { Proxier } from '../proxy/proxier.js';
import { UserspaceBackend } from '../proxy/userspace/backend.js';
import { loggerFromFlags, logOptions, notifyReady, untilStopped } from './lifecycle.js';

const usage = `Usage: portico proxy [flags]

The Service proxy of one node (kube-proxy's job): ClusterIPs, node ports, external and
load-balancer IPs to endpoints, in nftables (tables ip/ip6 portico), or relayed in this process
where nftables cannot be used.

Flags:
  --kubeconfig PATH              API server credentials (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --master URL                   API server URL, overriding the kubeconfig's
  --hostname-override NAME       this node's name (default: the host name)
  --mode auto|nftables|userspace default auto: nftables when root and nft work
  --cluster-cidr CIDRS           pod CIDRs, comma-separated (default 10.244.0.0/16)
  --service-cluster-ip-range CIDRS  service CIDRs (default 10.96.0.0/12)
  --detect-local-mode MODE       NodeCIDR (the Node's podCIDRs; default) or ClusterCIDR
  --min-sync-period DURATION     least time between syncs after a burst of two (default 1s)
  --sync-period DURATION         most time between syncs (default 30s)
  --full-sync-period DURATION    time between full resyncs (default 1h)
  --masquerade-bit N             packet mark bit asking for masquerade (default 14)
  --healthz-bind-address ADDR    /healthz, /livez and /metrics (default 0.0.0.0:10256; "" = off)
  --healthcheck-bind-address IP  address of healthCheckNodePort servers (default 0.0.0.0)
  --nodeport-addresses IPS       userspace mode: addresses node ports listen on (default 0.0.0.0)
  --cleanup                      remove the portico tables and exit
  --log-format json|text         (default json)
  -v, --v N                      log verbosity (2: one line per sync)
`;

/** `1s`, `500ms`, `2m`, `1h` → milliseconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s.trim());
  if (!m) throw new Error(`invalid duration ${JSON.stringify(s)} (use e.g. 500ms, 1s, 2m, 1h)`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return n * unit;
}

function list(s: string | undefined, fallback: string): string[] {
  return (s ?? fallback)
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

function hostPort(s: string): { host: string; port: number } {
  const m = /^(?:\[(.*)\]|(.*)):(\d+)$/.exec(s);
  if (!m) throw new Error(`invalid address ${JSON.stringify(s)} (use host:port)`);
  return { host: m[1] ?? m[2] ?? '0.0.0.0', port: Number(m[3]) };
}

/**
 * Pods on a bridge reach a ClusterIP whose endpoint is on the same bridge; the reply is bridged,
 * not routed, and is un-DNATed only if bridged IPv4/IPv6 traffic passes netfilter
 * (br_netfilter, per network namespace since Linux 5.3).
 */
function ensureBridgeNetfilter(log: Logger): void {
  for (const name of ['bridge-nf-call-iptables', 'bridge-nf-call-ip6tables']) {
    const path = `/proc/sys/net/bridge/${name}`;
    if (!existsSync(path)) continue;
    try {
      if (readFileSync(path, 'utf8').trim() === '0') {
        writeFileSync(path, '1');
        log.info('Enabled netfilter on bridged traffic', { sysctl: `net.bridge.${name}` });
      }
    } catch (err) {
      log.warn(
        'Cannot enable netfilter on bridged traffic; pods may not reach Services on their own bridge',
        {
          sysctl: `net.bridge.${name}`,
          err: err instanceof Error ? err.message : String(err),
        },
      );
    }
  }
}

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        kubeconfig: { type: 'string' },
        master: { type: 'string' },
        'hostname-override': { type: 'string' },
        mode: { type: 'string', default: 'auto' },
        'cluster-cidr': { type: 'string' },
        'service-cluster-ip-range': { type: 'string' },
        'detect-local-mode': { type: 'string', default: 'NodeCIDR' },
        'min-sync-period': { type: 'string', default: '1s' },
        'sync-period': { type: 'string', default: '30s' },
        'full-sync-period': { type: 'string', default: '1h' },
        'masquerade-bit': { type: 'string', default: '14' },
        'healthz-bind-address': { type: 'string', default: '0.0.0.0:10256' },
        'healthcheck-bind-address': { type: 'string', default: '0.0.0.0' },
        'nodeport-addresses': { type: 'string' },
        cleanup: { type: 'boolean', default: false },
        ...logOptions,
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`portico proxy: ${err instanceof Error ? err.message : String(err)}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const log = loggerFromFlags(values, 'proxy');
  const mode = values.mode;
  if (mode !== 'auto' && mode !== 'nftables' && mode !== 'userspace') {
    console.error(
      `portico proxy: --mode must be auto, nftables or userspace, not ${JSON.stringify(mode)}`,
    );
    return 2;
  }
  const detect = values['detect-local-mode'];
  if (detect !== 'NodeCIDR' && detect !== 'ClusterCIDR') {
    console.error('portico proxy: --detect-local-mode must be NodeCIDR or ClusterCIDR');
    return 2;
  }
  let minSync: number, syncPeriod: number, fullSync: number;
  try {
    minSync = parseDuration(values['min-sync-period']);
    syncPeriod = parseDuration(values['sync-period']);
    fullSync = parseDuration(values['full-sync-period']);
  } catch (err) {
    console.error(`portico proxy: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const nft = new ExecNft();
  if (values.cleanup) {
    for (const family of ['IPv4', 'IPv6'] as const)
      await new NftablesBackend({ family, nft, clusterCIDRs: [], serviceCIDRs: [] }).cleanup();
    log.info('Removed the portico tables', {});
    return 0;
  }

  const nodeName = values['hostname-override'] ?? hostname();
  const clusterCIDRs = list(values['cluster-cidr'], '10.244.0.0/16');
  const serviceCIDRs = list(values['service-cluster-ip-range'], '10.96.0.0/12');

  let backends: ProxyBackend[];
  const why = mode === 'userspace' ? 'asked for with --mode userspace' : await probeNft(nft);
  if (why === undefined) {
    ensureBridgeNetfilter(log);
    const conntrack = new ExecConntrack();
    backends = (['IPv4', 'IPv6'] as const).map(
      (family) =>
        new NftablesBackend({
          family,
          // One long-lived `nft -i` per family for partial syncs (bench/proxy: ~10x faster).
          nft: new SessionNft(),
          conntrack,
          clusterCIDRs,
          serviceCIDRs,
          detectLocalMode: detect,
          masqueradeBit: Number(values['masquerade-bit']),
          logger: log,
        }),
    );
    log.info('Using nftables', { tables: ['ip portico', 'ip6 portico'], node: nodeName });
  } else {
    if (mode === 'nftables') {
      console.error(`portico proxy: nftables cannot be used here: ${why}`);
      return 1;
    }
    backends = [
      new UserspaceBackend({
        clock: realClock,
        nodePortAddresses: list(values['nodeport-addresses'], '0.0.0.0'),
        logger: log,
      }),
    ];
    log.warn(
      'Using the userspace proxy: Service traffic is relayed through this process (slower, and endpoints see this node as the client)',
      {
        reason: why,
        node: nodeName,
      },
    );
  }

  let client: HttpClient;
  try {
    const config = loadRestConfig({ kubeconfig: values.kubeconfig, server: values.master });
    client = new HttpClient({
      config,
      userAgent: 'portico-proxy',
      logger: log,
      qps: 20,
      burst: 40,
    });
  } catch (err) {
    console.error(`portico proxy: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }

  const serviceHealth = new ServiceHealthServer({
    host: values['healthcheck-bind-address'],
    logger: log,
  });
  const proxier = new Proxier({
    nodeName,
    backends,
    clock: realClock,
    logger: log,
    minSyncPeriodMs: minSync,
    syncPeriodMs: syncPeriod,
    fullSyncPeriodMs: fullSync,
    serviceHealth,
  });

  const ac = new AbortController();
  let done: Promise<void> = Promise.resolve();
  const stopped = untilStopped(async (reason) => {
    log.info('Stopping', { reason });
    ac.abort();
    await done;
  });

  let health: { close(): Promise<void> } | undefined;
  if (values['healthz-bind-address'] !== '') {
    const { host, port } = hostPort(values['healthz-bind-address']);
    try {
      health = await startHealthServer({
        host,
        port,
        health: proxier.health,
        registry: proxier.metrics.registry,
      });
    } catch (err) {
      console.error(
        `portico proxy: cannot serve health checks on ${host}:${port}: ${err instanceof Error ? err.message : String(err)}`,
      );
      return 1;
    }
  }

  // kube-proxy's informer filters: Services another proxy owns and headless ones are not ours.
  const selector = `!${labelServiceProxyName},!${labelHeadless}`;
  const factory = new InformerFactory({ client, logger: log });
  const services = factory.informerFor<Service>(resources.services, { labelSelector: selector });
  const slices = factory.informerFor<EndpointSlice>(resources.endpointslices, {
    labelSelector: selector,
  });
  const nodes = factory.informerFor<Node>(resources.nodes, {
    fieldSelector: `metadata.name=${nodeName}`,
  });
  services.addHandlers({
    onAdd: (s) => proxier.onServiceAdd(s),
    onUpdate: (a, b) => proxier.onServiceUpdate(a, b),
    onDelete: (s) => proxier.onServiceDelete(s),
  });
  slices.addHandlers({
    onAdd: (s) => proxier.onSliceAdd(s),
    onUpdate: (a, b) => proxier.onSliceUpdate(a, b),
    onDelete: (s) => proxier.onSliceDelete(s),
  });
  nodes.addHandlers({
    onAdd: (n) => proxier.onNode(n),
    onUpdate: (_a, n) => proxier.onNode(n),
    onDelete: () => proxier.onNode(undefined),
  });
  factory.start(ac.signal);
  const loop = proxier.run(ac.signal);
  void (async () => {
    if (await services.waitForSync(ac.signal)) proxier.onServicesSynced();
  })();
  void (async () => {
    if (await slices.waitForSync(ac.signal)) proxier.onSlicesSynced();
  })();

  void proxier.firstSync.then(() => {
    log.info('Rules programmed', { backends: backends.map((b) => b.name) });
    notifyReady();
  });
  done = (async () => {
    await loop;
    await factory.stopped();
    await serviceHealth.close();
    await health?.close();
    await proxier.close();
    client.close();
  })();
  await stopped;
  // The rules stay: killing or stopping the proxy must not stop Service traffic.
  log.info('Stopped; rules left in place', {});
  return 0;
}

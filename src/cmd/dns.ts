/**
 * `portico dns`: cluster DNS, in the manner of CoreDNS's `kubernetes` plugin behind kubeadm's
 * Corefile — the cluster zone from informers, everything else forwarded to the node's resolvers
 * with a cache — published as the Service kube-system/kube-dns.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { defaultClusterConfig } from '../api/cluster.js';
import { connect } from '../client/connect.js';
import type { Upstream } from '../dns/forward.js';
import { parseCidr, type Cidr } from '../dns/ip.js';
import { startDns } from '../dns/dns.js';
import { parseUpstream, readResolvConf } from '../dns/resolvconf.js';
import type { PodMode } from '../dns/zone.js';
import { loggerFromFlags, logOptions, notifyReady, untilStopped } from './lifecycle.js';

const usage = `Usage: portico dns [flags]

Cluster DNS (CoreDNS's kubernetes plugin): answers the cluster zone from memory (Services,
EndpointSlices, Namespaces, Pods), forwards other names to the node's resolvers with a cache,
and publishes itself as the Service kube-system/kube-dns (ClusterIP 10.96.0.10).

Flags:
  --kubeconfig PATH             API server credentials (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --master URL                  API server URL, overriding the kubeconfig's
  --node-name NAME              this node's name (default: the host name)
  --bind-address ADDRS          addresses to listen on, comma-separated; 0.0.0.0 and :: mean every
                                local address of the family (default 0.0.0.0,::)
  --port N                      DNS port, UDP and TCP (default 53)
  --metrics-bind-address HOST:PORT  /metrics, /health, /ready (default 0.0.0.0:9153; "" = off)
  --cluster-domain ZONES        cluster zones, comma-separated (default cluster.local)
  --ttl SECONDS                 TTL of cluster records (default 30, as kubeadm's Corefile)
  --pods MODE                   pod records: insecure (default), verified or disabled
  --endpoint-pod-names          name endpoints without a hostname after their pod
  --upstream ADDRS              resolvers to forward to, IP[:port] comma-separated; "none" = no
                                forwarding (default: $PORTICO_DNS_UPSTREAM, else the nameservers
                                of --resolv-conf)
  --resolv-conf PATH            default /etc/resolv.conf
  --cache-size N                forwarded answers cached at most (default 10000; 0 = no cache)
  --cache-ttl SECONDS           longest time a forwarded answer is cached (default 30, kubeadm's
                                \`cache 30\`)
  --max-udp-size N              EDNS UDP payload size we accept and advertise (default 1232)
  --service-cluster-ip-range CIDRS, --cluster-cidr CIDRS
                                reverse names in these ranges are answered here, never forwarded
                                (defaults ${defaultClusterConfig.serviceCIDR}, ${defaultClusterConfig.clusterCIDR})
  --dns-service NS/NAME         the Service to publish as (default kube-system/kube-dns)
  --dns-service-ip IP           its ClusterIP when created (default ${defaultClusterConfig.dnsServiceIP})
  --advertise-address IP        the address published in its Endpoints (default: the Node's
                                InternalIP, else the first non-loopback IPv4 address)
  --no-publish                  do not create or update the Service and its Endpoints
  --data-dir DIR                accepted for symmetry with the other node components (unused)
  --log-format json|text        (default json)
  -v N                          log verbosity
`;

function list(s: string | undefined, fallback: string): string[] {
  return (s ?? fallback)
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

function intFlag(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(v)}`);
  return n;
}

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        kubeconfig: { type: 'string' },
        master: { type: 'string' },
        'node-name': { type: 'string' },
        'bind-address': { type: 'string' },
        port: { type: 'string', default: '53' },
        'metrics-bind-address': { type: 'string', default: '0.0.0.0:9153' },
        'cluster-domain': { type: 'string', default: defaultClusterConfig.clusterDomain },
        ttl: { type: 'string', default: '30' },
        pods: { type: 'string', default: 'insecure' },
        'endpoint-pod-names': { type: 'boolean', default: false },
        upstream: { type: 'string' },
        'resolv-conf': { type: 'string', default: '/etc/resolv.conf' },
        'cache-size': { type: 'string', default: '10000' },
        'cache-ttl': { type: 'string', default: '30' },
        'max-udp-size': { type: 'string', default: '1232' },
        'service-cluster-ip-range': { type: 'string' },
        'cluster-cidr': { type: 'string' },
        'dns-service': { type: 'string', default: 'kube-system/kube-dns' },
        'dns-service-ip': { type: 'string', default: defaultClusterConfig.dnsServiceIP },
        'advertise-address': { type: 'string' },
        'no-publish': { type: 'boolean', default: false },
        'data-dir': { type: 'string' },
        ...logOptions,
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`portico dns: ${err instanceof Error ? err.message : String(err)}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const log = loggerFromFlags(values, 'dns');

  let port: number, ttl: number, cacheSize: number, cacheTtl: number, maxUdp: number;
  let metricsAddress: { host: string; port: number } | undefined;
  let upstreams: Upstream[];
  let cidrs: Cidr[];
  let podMode: PodMode;
  let dnsService: { namespace: string; name: string };
  try {
    port = intFlag('port', values.port, 0, 65535);
    ttl = intFlag('ttl', values.ttl, 0, 3600);
    cacheSize = intFlag('cache-size', values['cache-size'], 0, 10_000_000);
    cacheTtl = intFlag('cache-ttl', values['cache-ttl'], 1, 86400);
    maxUdp = intFlag('max-udp-size', values['max-udp-size'], 512, 65535);
    const m = values['metrics-bind-address'];
    if (m !== '') {
      const mm = /^(?:\[(.*)\]|(.*)):(\d+)$/.exec(m);
      if (!mm)
        throw new Error(`--metrics-bind-address must be HOST:PORT, not ${JSON.stringify(m)}`);
      metricsAddress = {
        host: mm[1] ?? mm[2] ?? '0.0.0.0',
        port: intFlag('metrics-bind-address', mm[3] ?? '', 0, 65535),
      };
    }
    const pm = values.pods;
    if (pm !== 'insecure' && pm !== 'verified' && pm !== 'disabled')
      throw new Error(`--pods must be insecure, verified or disabled, not ${JSON.stringify(pm)}`);
    podMode = pm;
    const upstream = values.upstream ?? process.env['PORTICO_DNS_UPSTREAM'];
    upstreams =
      upstream === 'none'
        ? []
        : upstream !== undefined
          ? list(upstream, '').map(parseUpstream)
          : readResolvConf(values['resolv-conf']);
    cidrs = [
      ...list(values['service-cluster-ip-range'], defaultClusterConfig.serviceCIDR),
      ...list(values['cluster-cidr'], defaultClusterConfig.clusterCIDR),
    ].map(parseCidr);
    const [ns, name, extra] = values['dns-service'].split('/');
    if (!ns || !name || extra !== undefined)
      throw new Error(
        `--dns-service must be NAMESPACE/NAME, not ${JSON.stringify(values['dns-service'])}`,
      );
    dnsService = { namespace: ns, name };
  } catch (err) {
    console.error(`portico dns: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }

  let client;
  try {
    ({ client } = connect({
      kubeconfig: values.kubeconfig,
      server: values.master,
      userAgent: 'portico-dns',
      logger: log,
      qps: 20,
      burst: 40,
    }));
  } catch (err) {
    console.error(`portico dns: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }

  const nodeName = values['node-name'] ?? hostname().toLowerCase();
  let dns;
  try {
    dns = await startDns({
      client,
      logger: log,
      nodeName,
      zones: list(values['cluster-domain'], 'cluster.local').map((z) =>
        z.toLowerCase().replace(/\.$/, ''),
      ),
      ttl,
      podMode,
      endpointPodNames: values['endpoint-pod-names'],
      bindAddresses: list(values['bind-address'], '0.0.0.0,::'),
      port,
      ...(metricsAddress ? { metricsAddress } : {}),
      upstreams,
      cache: { capacity: cacheSize, maxTtl: cacheTtl, maxDenialTtl: cacheTtl },
      maxUdp,
      authoritativeCidrs: cidrs,
      ...(values['no-publish']
        ? {}
        : {
            publish: {
              ...dnsService,
              clusterIP: values['dns-service-ip'],
              ...(values['advertise-address'] !== undefined
                ? { advertiseAddress: values['advertise-address'] }
                : {}),
            },
          }),
    });
  } catch (err) {
    console.error(`portico dns: ${err instanceof Error ? err.message : String(err)}`);
    client.close();
    return 1;
  }
  if (upstreams.length === 0)
    log.warn('No upstream resolvers: names outside the cluster zones are refused', {
      resolvConf: values['resolv-conf'],
    });
  const stopped = untilStopped(async (reason) => {
    log.info('Stopping', { reason });
    await dns.stop();
  });
  // Ready for `portico up` once the cluster state is in memory (or after 30 s regardless).
  void Promise.race([dns.synced, new Promise((r) => setTimeout(r, 30_000).unref())]).then(() =>
    notifyReady(),
  );
  await stopped;
  client.close();
  log.info('Stopped', {});
  return 0;
}

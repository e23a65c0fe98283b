/**
 * `portico controllers`: kube-controller-manager's job for Portico (endpoints, EndpointSlices,
 * mirroring, workloads, scheduling, garbage collection, namespaces, node lifecycle and IPAM,
 * LoadBalancer IPs) as an ordinary API client, so it also runs against any Kubernetes API.
 */
import { createServer, type Server } from 'node:http';
import { parseArgs } from 'node:util';
import { defaultClusterConfig } from '../api/cluster.js';
import { HttpClient } from '../client/http.js';
import { loadRestConfig } from '../client/kubeconfig.js';
import { controllerDescriptors } from '../controllers/all.js';
import { defaultControllersConfig, type ControllersConfig } from '../controllers/context.js';
import { startControllers } from '../controllers/manager.js';
import { Registry } from '../lib/metrics.js';
import { logOptions, loggerFromFlags, notifyReady, untilStopped } from './lifecycle.js';

const usage = `Usage: portico controllers [flags]

Runs the control loops that make Services, workloads and nodes work (kube-controller-manager's
job) against the API server in the kubeconfig: Portico's, or any Kubernetes cluster.

Controllers (--controllers; "*" = all enabled by default, "name" adds one, "-name" removes one):
${controllerDescriptors.map((d) => `  ${d.name.padEnd(24)} ${d.description}`).join('\n')}

Flags:
  --kubeconfig PATH                 API server credentials (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --master URL                      API server URL, overriding the kubeconfig's
  --controllers LIST                comma-separated (default "*"); servicelb runs when --lb-pool is set
  --cluster-cidr CIDR               pod addresses node ranges are carved from (default ${defaultClusterConfig.clusterCIDR})
  --node-cidr-mask-size N           prefix length of each node's pod range (default ${defaultClusterConfig.nodeCIDRMaskSize})
  --max-endpoints-per-slice N       endpoints per EndpointSlice (default 100)
  --node-monitor-grace-period DUR   lease age after which a node is NotReady (default 40s)
  --node-monitor-period DUR         how often node health is checked (default 5s)
  --lb-pool LIST                    LoadBalancer addresses: IPs, a-b ranges or CIDRs, comma-separated
                                    (default none: LoadBalancer services stay <pending>)
  --lb-class NAME                   serve this loadBalancerClass too (default: only services without one)
  --kube-api-qps N, --kube-api-burst N
                                    client rate limit (default 200 / 400)
  --healthz-bind-address HOST:PORT  serve /healthz and /metrics there (default off)
  --log-format json|text            (default json)
  -v N                              log verbosity (2: one line per change, 4: per sync)
`;

/** `500ms`, `40s`, `2m` → milliseconds. */
function duration(s: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s.trim());
  if (!m)
    throw new Error(`--${flag}: invalid duration ${JSON.stringify(s)} (use e.g. 500ms, 40s, 2m)`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

function positiveInt(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`--${flag}: want a positive integer, got ${JSON.stringify(s)}`);
  return n;
}

function list(s: string | undefined): string[] {
  return (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        kubeconfig: { type: 'string' },
        master: { type: 'string' },
        controllers: { type: 'string', default: '*' },
        'cluster-cidr': { type: 'string', default: defaultClusterConfig.clusterCIDR },
        'node-cidr-mask-size': {
          type: 'string',
          default: String(defaultClusterConfig.nodeCIDRMaskSize),
        },
        'max-endpoints-per-slice': { type: 'string', default: '100' },
        'node-monitor-grace-period': { type: 'string', default: '40s' },
        'node-monitor-period': { type: 'string', default: '5s' },
        'lb-pool': { type: 'string', default: '' },
        'lb-class': { type: 'string' },
        'kube-api-qps': { type: 'string', default: '200' },
        'kube-api-burst': { type: 'string', default: '400' },
        'healthz-bind-address': { type: 'string', default: '' },
        ...logOptions,
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    console.error(`portico controllers: ${e instanceof Error ? e.message : String(e)}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const log = loggerFromFlags(values, 'controllers');
  let config: ControllersConfig;
  let client: HttpClient;
  const metrics = new Registry();
  try {
    config = {
      ...defaultControllersConfig(defaultClusterConfig),
      clusterCIDR: values['cluster-cidr'],
      nodeCIDRMaskSize: positiveInt(values['node-cidr-mask-size'], 'node-cidr-mask-size'),
      maxEndpointsPerSlice: positiveInt(
        values['max-endpoints-per-slice'],
        'max-endpoints-per-slice',
      ),
      nodeMonitorGracePeriodMs: duration(
        values['node-monitor-grace-period'],
        'node-monitor-grace-period',
      ),
      nodeMonitorPeriodMs: duration(values['node-monitor-period'], 'node-monitor-period'),
      lbPool: list(values['lb-pool']),
      lbClass: values['lb-class'],
    };
    client = new HttpClient({
      config: loadRestConfig({ kubeconfig: values.kubeconfig, server: values.master }),
      userAgent: 'portico-controllers',
      logger: log,
      qps: positiveInt(values['kube-api-qps'], 'kube-api-qps'),
      burst: positiveInt(values['kube-api-burst'], 'kube-api-burst'),
      metrics,
    });
  } catch (e) {
    console.error(`portico controllers: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  const abort = new AbortController();
  let running;
  try {
    running = startControllers(
      { client, config, controllers: list(values.controllers), logger: log, metrics },
      abort.signal,
    );
  } catch (e) {
    console.error(`portico controllers: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  let server: Server | undefined;
  let synced = false;
  if (values['healthz-bind-address'] !== '') {
    const m = /^(?:\[(.*)\]|(.*)):(\d+)$/.exec(values['healthz-bind-address']);
    if (!m) {
      console.error('portico controllers: --healthz-bind-address wants HOST:PORT');
      abort.abort();
      return 2;
    }
    server = createServer((req, res) => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics.expose());
      } else if (req.url === '/healthz' || req.url === '/readyz' || req.url === '/livez') {
        res
          .writeHead(synced ? 200 : 503, { 'content-type': 'text/plain' })
          .end(synced ? 'ok' : 'caches not synced');
      } else res.writeHead(404).end();
    });
    server.listen(Number(m[3]), m[1] ?? m[2]);
  }
  log.info('Starting controllers', { controllers: running.names.join(',') });
  const stopped = untilStopped(async (reason) => {
    log.info('Stopping controllers', { reason });
    abort.abort();
    await running.done;
    server?.close();
  });
  synced = await running.synced;
  if (synced) {
    log.info('Caches synced; controllers running');
    notifyReady();
  }
  await stopped;
  return 0;
}

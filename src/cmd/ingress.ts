/**
 * `portico ingress`: HTTP and HTTPS routing by host and path for Ingresses, TLS terminated with
 * certificates from Secrets; routes computed here, served by HAProxy (a child process, programmed
 * through its runtime API and reloaded seamlessly when the structure changes).
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { connect } from '../client/connect.js';
import { defaultClassName, defaultControllerName } from '../ingress/class.js';
import { ingressDir, startIngress } from '../ingress/ingress.js';
import { defaultDataDir } from './datadir.js';
import { loggerFromFlags, logOptions, notifyReady, untilStopped } from './lifecycle.js';

const usage = `Usage: portico ingress [flags]

The ingress controller: serves Ingresses (networking.k8s.io/v1, and the extensions/v1beta1 ones the
API server converts) of its IngressClass, and those without a class, on this node's HTTP and HTTPS
ports through HAProxy. Publishes the node's address in each Ingress's status.

Flags:
  --kubeconfig PATH             API server credentials (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --master URL                  API server URL, overriding the kubeconfig's
  --node-name NAME              this node's name (default: the host name)
  --data-dir DIR                state (default ${defaultDataDir()}); HAProxy's files go to DIR/ingress
  --bind-address ADDRS          addresses to listen on, comma-separated (default 0.0.0.0)
  --http-port N                 plain HTTP port (default 80; 0 = none)
  --https-port N                HTTPS port (default 443; 0 = none)
  --ingress-class NAME          our IngressClass, created when absent (default ${defaultClassName})
  --controller-class NAME       the IngressClass controller we answer to (default ${defaultControllerName})
  --default-ingress-class       mark our IngressClass as the cluster's default
  --watch-ingress-without-class true|false
                                serve Ingresses that name no class (default true)
  --publish-address ADDRS       addresses written to Ingress statuses, comma-separated
                                (default: the Node's InternalIP, else the first non-loopback IPv4)
  --update-status true|false    write Ingress statuses (default true)
  --lease-namespace NS          where instances keep their Leases (default kube-system)
  --metrics-bind-address HOST:PORT  /healthz and /metrics (default 0.0.0.0:10254; "" = off)
  --haproxy PATH                the haproxy executable (default: haproxy from PATH)
  --haproxy-threads N           HAProxy worker threads (default: one per CPU)
  --haproxy-stats-address HOST:PORT  HAProxy's stats page and Prometheus /metrics (default off)
  --access-log                  HAProxy's HTTP log lines on stdout
  --server-header VALUE         Server header added when a backend sends none (default portico)
  --shutdown-grace-period SECONDS  how long connections may finish on stop (default 10)
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

function boolFlag(name: string, v: string): boolean {
  if (v === 'true' || v === '') return true;
  if (v === 'false') return false;
  throw new Error(`--${name} must be true or false, not ${JSON.stringify(v)}`);
}

function hostPortFlag(name: string, v: string): { host: string; port: number } {
  const m = /^(?:\[(.*)\]|(.*)):(\d+)$/.exec(v);
  if (!m) throw new Error(`--${name} must be HOST:PORT, not ${JSON.stringify(v)}`);
  return { host: m[1] ?? m[2] ?? '0.0.0.0', port: intFlag(name, m[3] ?? '', 0, 65535) };
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
        'data-dir': { type: 'string' },
        'bind-address': { type: 'string', default: '0.0.0.0' },
        'http-port': { type: 'string', default: '80' },
        'https-port': { type: 'string', default: '443' },
        'ingress-class': { type: 'string', default: defaultClassName },
        'controller-class': { type: 'string', default: defaultControllerName },
        'default-ingress-class': { type: 'boolean', default: false },
        'watch-ingress-without-class': { type: 'string', default: 'true' },
        'publish-address': { type: 'string' },
        'update-status': { type: 'string', default: 'true' },
        'lease-namespace': { type: 'string', default: 'kube-system' },
        'metrics-bind-address': { type: 'string', default: '0.0.0.0:10254' },
        haproxy: { type: 'string' },
        'haproxy-threads': { type: 'string' },
        'haproxy-stats-address': { type: 'string' },
        'access-log': { type: 'boolean', default: false },
        'server-header': { type: 'string', default: 'portico' },
        'shutdown-grace-period': { type: 'string', default: '10' },
        ...logOptions,
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(
      `portico ingress: ${err instanceof Error ? err.message : String(err)}\n\n${usage}`,
    );
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const log = loggerFromFlags(values, 'ingress');

  let httpPort: number, httpsPort: number, grace: number;
  let threads: number | undefined;
  let watchWithoutClass: boolean, updateStatus: boolean;
  let metricsAddress: { host: string; port: number } | undefined;
  let statsAddress: { host: string; port: number } | undefined;
  try {
    httpPort = intFlag('http-port', values['http-port'], 0, 65535);
    httpsPort = intFlag('https-port', values['https-port'], 0, 65535);
    if (httpPort === 0 && httpsPort === 0)
      throw new Error('--http-port and --https-port are both 0: nothing to serve');
    if (httpPort !== 0 && httpPort === httpsPort)
      throw new Error('--http-port and --https-port must differ');
    grace = intFlag('shutdown-grace-period', values['shutdown-grace-period'], 0, 3600);
    if (values['haproxy-threads'] !== undefined)
      threads = intFlag('haproxy-threads', values['haproxy-threads'], 1, 64);
    watchWithoutClass = boolFlag(
      'watch-ingress-without-class',
      values['watch-ingress-without-class'],
    );
    updateStatus = boolFlag('update-status', values['update-status']);
    if (values['metrics-bind-address'] !== '')
      metricsAddress = hostPortFlag('metrics-bind-address', values['metrics-bind-address']);
    if (values['haproxy-stats-address'] !== undefined)
      statsAddress = hostPortFlag('haproxy-stats-address', values['haproxy-stats-address']);
  } catch (err) {
    console.error(`portico ingress: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }

  let client;
  try {
    ({ client } = connect({
      kubeconfig: values.kubeconfig,
      server: values.master,
      userAgent: 'portico-ingress',
      logger: log,
      qps: 20,
      burst: 40,
    }));
  } catch (err) {
    console.error(`portico ingress: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }

  const addresses = list(values['bind-address'], '0.0.0.0');
  const publish = list(values['publish-address'], '');
  const dataDir = values['data-dir'] ?? defaultDataDir();
  let ingress;
  try {
    ingress = await startIngress({
      client,
      logger: log,
      nodeName: values['node-name'] ?? hostname().toLowerCase(),
      dir: ingressDir(dataDir),
      ...(httpPort !== 0 ? { http: { addresses, port: httpPort } } : {}),
      ...(httpsPort !== 0 ? { https: { addresses, port: httpsPort } } : {}),
      className: values['ingress-class'],
      controllerName: values['controller-class'],
      watchWithoutClass,
      defaultClass: values['default-ingress-class'],
      updateStatus,
      ...(publish.length > 0 ? { publishAddresses: publish } : {}),
      leaseNamespace: values['lease-namespace'],
      ...(metricsAddress ? { metricsAddress } : {}),
      haproxy: {
        ...(values.haproxy !== undefined ? { binary: values.haproxy } : {}),
        ...(threads !== undefined ? { threads } : {}),
        accessLog: values['access-log'],
        serverHeader: values['server-header'],
        ...(statsAddress ? { statsAddress } : {}),
      },
    });
  } catch (err) {
    console.error(`portico ingress: ${err instanceof Error ? err.message : String(err)}`);
    client.close();
    return 1;
  }
  log.info('Starting', {
    http: httpPort || 'off',
    https: httpsPort || 'off',
    addresses: addresses.join(','),
    dir: ingressDir(dataDir),
    metrics: ingress.metricsPort ?? 'off',
  });
  const stopped = untilStopped(async (reason) => {
    log.info('Stopping', { reason });
    await ingress.stop(grace * 1000);
  });
  // Ready for `portico up` once HAProxy serves the cluster's Ingresses (or after 30 s regardless).
  void Promise.race([ingress.ready, new Promise((r) => setTimeout(r, 30_000).unref())]).then(() =>
    notifyReady(),
  );
  await stopped;
  client.close();
  log.info('Stopped', {});
  return 0;
}

/** `portico apiserver`: the Kubernetes API server over a Store. */
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultClusterConfig, type ClusterConfig } from '../api/cluster.js';
import { ApiServer } from '../apiserver/apiserver.js';
import { defaultDataDir } from './datadir.js';
import { loggerFromFlags, logOptions, notifyReady, untilStopped } from './lifecycle.js';
import { openStore, StoreUriError } from '../storage/open.js';

const usage = `Usage: portico apiserver [flags]

Serves the Kubernetes API over HTTPS. On first start it makes a cluster CA, a serving
certificate, client certificates and tokens in <data-dir>/tls and <data-dir>/tokens.csv, and
writes the admin kubeconfig to <data-dir>/kubeconfig.

Every authenticated user (client certificate of the cluster CA, or a token from tokens.csv) may
do everything; anonymous requests are refused except /healthz, /livez, /readyz and /version.

Flags:
  --data-dir DIR                     state and credentials (default ${defaultDataDir()})
  --store URL                        sqlite:///path, etcd://host:port or memory:// (default sqlite://<data-dir>/state.db)
  --bind-address IP                  address to listen on (default 0.0.0.0)
  --secure-port N                    HTTPS port (default 6443)
  --advertise-address IP             where pods reach the API server (default: this host's first non-loopback IPv4)
  --tls-san NAME                     extra DNS name or IP for the serving certificate (repeatable)
  --service-cluster-ip-range CIDR    service virtual IPs (default ${defaultClusterConfig.serviceCIDR})
  --service-node-port-range A-B      node ports (default ${defaultClusterConfig.nodePortRange.join('-')})
  --cluster-cidr CIDR                pod addresses (default ${defaultClusterConfig.clusterCIDR})
  --node-name NAME                   this machine's node name (default: the hostname)
  --etcd-cafile, --etcd-certfile, --etcd-keyfile FILE
                                     TLS towards etcd (with --store etcd://…)
  --log-format json|text             log format (default json)
  -v N                               log verbosity (2: per sync, 4: per object, 6: per request)`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      store: { type: 'string' },
      'bind-address': { type: 'string', default: '0.0.0.0' },
      'secure-port': { type: 'string', default: '6443' },
      'advertise-address': { type: 'string' },
      'tls-san': { type: 'string', multiple: true, default: [] },
      'service-cluster-ip-range': { type: 'string', default: defaultClusterConfig.serviceCIDR },
      'service-node-port-range': {
        type: 'string',
        default: defaultClusterConfig.nodePortRange.join('-'),
      },
      'cluster-cidr': { type: 'string', default: defaultClusterConfig.clusterCIDR },
      'node-name': { type: 'string' },
      'etcd-cafile': { type: 'string' },
      'etcd-certfile': { type: 'string' },
      'etcd-keyfile': { type: 'string' },
      ...logOptions,
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const log = loggerFromFlags(values, 'apiserver');
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const port = Number(values['secure-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(
      `portico apiserver: --secure-port must be a port number, not ${values['secure-port']}`,
    );
    return 2;
  }
  const range = /^(\d+)-(\d+)$/.exec(values['service-node-port-range']);
  if (!range) {
    console.error('portico apiserver: --service-node-port-range must look like 30000-32767');
    return 2;
  }
  const advertise = values['advertise-address'];
  if (advertise !== undefined && (!isIPv4(advertise) || advertise.startsWith('127.'))) {
    console.error(
      `portico apiserver: --advertise-address must be a non-loopback IPv4 address that pods can reach, not ${advertise}`,
    );
    return 2;
  }
  const config: ClusterConfig = {
    ...defaultClusterConfig,
    serviceCIDR: values['service-cluster-ip-range'],
    nodePortRange: [Number(range[1]), Number(range[2])],
    clusterCIDR: values['cluster-cidr'],
  };
  const storeUrl = values.store ?? `sqlite://${join(dataDir, 'state.db')}`;
  let store;
  try {
    store = await openStore(storeUrl, {
      logger: log.child({ component: 'store' }),
      ...(values['etcd-cafile'] !== undefined
        ? {
            etcdTls: {
              caFile: values['etcd-cafile'],
              ...(values['etcd-certfile'] !== undefined
                ? { certFile: values['etcd-certfile'] }
                : {}),
              ...(values['etcd-keyfile'] !== undefined ? { keyFile: values['etcd-keyfile'] } : {}),
            },
          }
        : {}),
    });
  } catch (e) {
    if (e instanceof StoreUriError) {
      console.error(`portico apiserver: --store: ${e.message}`);
      return 2;
    }
    throw e;
  }
  let server: ApiServer;
  try {
    server = await ApiServer.start({
      dataDir,
      store,
      logger: log,
      bindAddress: values['bind-address'],
      securePort: port,
      tlsSans: values['tls-san'],
      // The memory store keeps every revision unless compacted from here; SQLite compacts itself.
      ...(storeUrl.startsWith('memory') ? { compaction: {} } : {}),
      config,
      ...(advertise !== undefined ? { advertiseAddress: advertise } : {}),
      ...(values['node-name'] !== undefined ? { nodeName: values['node-name'] } : {}),
    });
  } catch (e) {
    await store.close();
    const code = (e as { code?: unknown }).code;
    if (code === 'EADDRINUSE') {
      console.error(
        `portico apiserver: port ${port} is in use: stop what listens there, or pass --secure-port`,
      );
      return 1;
    }
    throw e;
  }
  log.info('Admin kubeconfig written', { kubeconfig: server.credentials.paths.adminKubeconfig });
  notifyReady();
  await untilStopped(async (reason) => {
    log.info('Stopping', { reason });
    await server.stop();
    await store.close();
    log.info('Stopped');
  });
  return 0;
}

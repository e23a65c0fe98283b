/**
 * `portico agent`: the node agent (kubelet's job) — registers this machine as a Node, runs the
 * pods bound to it as runc sandboxes on a bridge, reports their status, probes them, and serves
 * exec/attach/logs/port-forward on the kubelet port.
 *
 * `portico agent cleanup --data-dir D` removes everything an agent made with that data dir:
 * sandboxes, containers, mounts, cgroups, the pod bridge and veths, the nft table, routes.
 * `portico agent routes` keeps only the routes to the nodes' pod CIDRs, for a host that runs the
 * control plane but no pods.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent } from '../agent/agent.js';
import { ImageStore } from '../agent/images/store.js';
import { BridgeNetwork, defaultRouteMtu } from '../agent/network/bridge.js';
import { detectNodeIP } from '../agent/node/info.js';
import { followPodRoutes } from '../agent/node/podroutes.js';
import { HostGwRoutes } from '../agent/node/routes.js';
import { openNodeRuntime } from '../agent/runtime/node.js';
import { RuncRuntime } from '../agent/runtime/runtime.js';
import { ensureServingCert } from '../agent/server/tls.js';
import { connect } from '../client/connect.js';
import { asError } from '../lib/errors.js';
import type { Logger } from '../lib/log/logger.js';
import { defaultDataDir } from './datadir.js';
import { loggerFromFlags, logOptions, notifyReady, untilStopped } from './lifecycle.js';

const usage = `Usage: portico agent [flags]
       portico agent cleanup --data-dir DIR [--cgroup-root PATH]
       portico agent routes [--kubeconfig PATH] [--node-name NAME]

The node agent (kubelet's job): registers this machine as a Node, runs the pods bound to it as
runc sandboxes with their own network namespace on the bridge portico0, probes them, reports
their status, and serves exec, attach, logs and port-forward on the kubelet port.

Flags:
  --kubeconfig PATH               API server credentials (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --master URL                    API server URL, overriding the kubeconfig's
  --node-name NAME                this node's name (default: the host name)
  --node-ip IP                    the node's InternalIP (default: the address of the default route's interface)
  --data-dir DIR                  runtime state, images, pod volumes (default ${defaultDataDir()})
  --port N                        kubelet port: exec, attach, logs, port-forward over HTTPS (default 10250)
  --address IP                    address to serve on (default 0.0.0.0)
  --pod-cidr CIDR                 standalone: use this pod CIDR instead of waiting for node IPAM
  --cluster-cidr CIDR             every node's pods (not masqueraded; default 10.244.0.0/16)
  --service-cluster-ip-range CIDR Service IPs (routed over the bridge; default 10.96.0.0/12)
  --cluster-dns IP                the cluster DNS Service IP pods use (default 10.96.0.10; "" = none)
  --cluster-domain NAME           default cluster.local
  --resolv-conf PATH              the node's resolver config for dnsPolicy Default (default /etc/resolv.conf)
  --cgroup-root PATH              parent cgroup of every container (default /portico)
  --max-pods N                    pods capacity reported (default 110)
  --client-ca-file PATH           CA of the client certificates the kubelet port accepts
                                  (default: the kubeconfig's CA)
  --tls-cert-file, --tls-private-key-file PATH
                                  serving pair (default: self-signed in <data-dir>/agent/tls)
  --stop-pods-on-exit             kill every pod when stopping, like a node shutdown (portico up)
  --log-format json|text          (default json)
  -v N                            log verbosity (2: pod lifecycle, 4: per object)`;

function agentStatePath(dataDir: string): string {
  return join(dataDir, 'agent', 'state.json');
}

function pidFile(dataDir: string): string {
  return join(dataDir, 'agent', 'agent.pid');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The PID of a running agent of this data dir, if any. */
function runningAgent(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(dataDir), 'utf8').trim());
    return pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function network(
  dataDir: string,
  podCIDR: string,
  o: { clusterCIDR: string; serviceCIDR: string; log: Logger },
): BridgeNetwork {
  return new BridgeNetwork({
    podCIDR,
    clusterCIDR: o.clusterCIDR,
    serviceCIDR: o.serviceCIDR,
    stateDir: join(dataDir, 'network'),
    mtu: defaultRouteMtu(),
    logger: o.log,
  });
}

/** Removes everything the agent of a data dir made on this node. */
export async function cleanupNode(o: {
  dataDir: string;
  cgroupRoot: string;
  log: Logger;
}): Promise<void> {
  const { dataDir, log } = o;
  const other = runningAgent(dataDir);
  if (other !== undefined)
    throw new Error(`an agent (pid ${other}) is running with data dir ${dataDir}: stop it first`);
  let podCIDR: string | undefined;
  try {
    podCIDR = (JSON.parse(readFileSync(agentStatePath(dataDir), 'utf8')) as { podCIDR?: string })
      .podCIDR;
  } catch {
    // never got a pod CIDR
  }
  const errors: Error[] = [];
  const opts = { clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/12', log };
  if (existsSync(join(dataDir, 'runtime'))) {
    try {
      const rt = await RuncRuntime.open({
        root: join(dataDir, 'runtime'),
        images: new ImageStore({ dir: join(dataDir, 'images'), logger: log }),
        network: network(dataDir, podCIDR ?? '10.244.255.0/24', opts),
        cgroupParent: o.cgroupRoot,
        logger: log,
      });
      await rt.removeAll();
    } catch (e) {
      errors.push(asError(e));
    }
  }
  try {
    await network(dataDir, podCIDR ?? '10.244.255.0/24', opts).remove();
  } catch (e) {
    errors.push(asError(e));
  }
  await new HostGwRoutes({ nodeName: '', logger: log, localSubnets: () => [] }).removeAll();
  for (const d of ['runtime', 'network', 'pods', 'agent'])
    rmSync(join(dataDir, d), { recursive: true, force: true });
  if (errors.length > 0) throw new AggregateError(errors, 'the node was not cleaned up completely');
  log.info('Removed what the agent made', { dataDir });
}

export async function run(args: string[]): Promise<number> {
  const cleanup = args[0] === 'cleanup';
  const routesOnly = args[0] === 'routes';
  let values;
  try {
    ({ values } = parseArgs({
      args: cleanup || routesOnly ? args.slice(1) : args,
      options: {
        kubeconfig: { type: 'string' },
        master: { type: 'string' },
        'node-name': { type: 'string' },
        'node-ip': { type: 'string' },
        'data-dir': { type: 'string' },
        port: { type: 'string', default: '10250' },
        address: { type: 'string', default: '0.0.0.0' },
        'pod-cidr': { type: 'string' },
        'cluster-cidr': { type: 'string', default: '10.244.0.0/16' },
        'service-cluster-ip-range': { type: 'string', default: '10.96.0.0/12' },
        'cluster-dns': { type: 'string', default: '10.96.0.10' },
        'cluster-domain': { type: 'string', default: 'cluster.local' },
        'resolv-conf': { type: 'string', default: '/etc/resolv.conf' },
        'cgroup-root': { type: 'string', default: '/portico' },
        'max-pods': { type: 'string', default: '110' },
        'client-ca-file': { type: 'string' },
        'tls-cert-file': { type: 'string' },
        'tls-private-key-file': { type: 'string' },
        'stop-pods-on-exit': { type: 'boolean', default: false },
        ...logOptions,
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    console.error(`portico agent: ${asError(e).message}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const log = loggerFromFlags(values, 'agent');
  const dataDir = values['data-dir'] ?? defaultDataDir();
  if (process.getuid?.() !== 0) {
    console.error('portico agent: needs root (network namespaces, mounts, cgroups, runc)');
    return 1;
  }
  if (cleanup) {
    try {
      await cleanupNode({ dataDir, cgroupRoot: values['cgroup-root'], log });
      return 0;
    } catch (e) {
      console.error(`portico agent cleanup: ${asError(e).message}`);
      return 1;
    }
  }
  const nodeName = (values['node-name'] ?? hostname()).toLowerCase();
  if (routesOnly) return runRoutesOnly(values.kubeconfig, values.master, nodeName, log);
  const nodeIP = values['node-ip'] ?? detectNodeIP();
  if (!nodeIP) {
    console.error("portico agent: cannot tell this node's IP address: pass --node-ip");
    return 1;
  }
  const port = Number(values.port);
  const maxPods = Number(values['max-pods']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`portico agent: --port must be a port number, not ${values.port}`);
    return 2;
  }
  const other = runningAgent(dataDir);
  if (other !== undefined) {
    console.error(`portico agent: another agent (pid ${other}) runs with data dir ${dataDir}`);
    return 1;
  }
  let client;
  let caData: Buffer | undefined;
  try {
    const c = connect({
      kubeconfig: values.kubeconfig,
      server: values.master,
      userAgent: `portico-agent/${nodeName}`,
      logger: log,
      qps: 50,
      burst: 100,
    });
    client = c.client;
    caData = c.config.caData;
    log.info('Using API server', { server: c.config.server, source: c.config.source });
  } catch (e) {
    console.error(`portico agent: ${asError(e).message}`);
    return 1;
  }
  let tls;
  try {
    const clientCA = values['client-ca-file']
      ? readFileSync(values['client-ca-file'], 'utf8')
      : caData?.toString('utf8');
    const pair =
      values['tls-cert-file'] && values['tls-private-key-file']
        ? {
            cert: readFileSync(values['tls-cert-file'], 'utf8'),
            key: readFileSync(values['tls-private-key-file'], 'utf8'),
          }
        : await ensureServingCert(join(dataDir, 'agent', 'tls'), [
            nodeName,
            nodeIP,
            'localhost',
            '127.0.0.1',
          ]);
    if (!clientCA)
      log.warn(
        'No client CA: the kubelet port accepts no client certificate, so exec, attach and logs are refused',
        {},
      );
    tls = { ...pair, ...(clientCA ? { clientCA } : {}) };
  } catch (e) {
    console.error(`portico agent: TLS setup failed: ${asError(e).message}`);
    return 1;
  }
  mkdirSync(join(dataDir, 'agent'), { recursive: true });
  writeFileSync(pidFile(dataDir), `${process.pid}\n`);
  const netOpts = {
    clusterCIDR: values['cluster-cidr'],
    serviceCIDR: values['service-cluster-ip-range'],
    log,
  };
  const agent = new Agent({
    client,
    nodeName,
    dataDir,
    nodeIP,
    ...(values['pod-cidr'] ? { podCIDR: values['pod-cidr'] } : {}),
    clusterDNS: values['cluster-dns'] === '' ? [] : values['cluster-dns'].split(','),
    clusterDomain: values['cluster-domain'],
    resolvConf: values['resolv-conf'],
    maxPods: Number.isInteger(maxPods) && maxPods > 0 ? maxPods : 110,
    port,
    address: values.address,
    tls,
    stopPodsOnExit: values['stop-pods-on-exit'],
    logger: log,
    openRuntime: async (podCIDR) =>
      (
        await openNodeRuntime({
          dataDir,
          podCIDR,
          clusterCIDR: netOpts.clusterCIDR,
          serviceCIDR: netOpts.serviceCIDR,
          cgroupParent: values['cgroup-root'],
          logger: log,
        })
      ).runtime,
  });
  const ac = new AbortController();
  const stopped = untilStopped((reason) => {
    log.info('Stopping', { reason });
    ac.abort();
    return running;
  });
  const running = agent.run(ac.signal).catch((e: unknown) => {
    log.error(e, 'The agent failed');
    process.exitCode = 1;
    ac.abort();
  });
  // Ready for a supervising `portico up` once the node is registered (pods wait for node IPAM).
  const readyTimer = setInterval(() => {
    if (agent.port !== undefined) {
      notifyReady();
      clearInterval(readyTimer);
    }
  }, 100);
  await Promise.race([running, stopped]);
  ac.abort();
  await running;
  clearInterval(readyTimer);
  rmSync(pidFile(dataDir), { force: true });
  client.close();
  log.info('Stopped', { node: nodeName });
  return Number(process.exitCode ?? 0);
}

/** `portico agent routes`: only the host-gw routes to the nodes' pod CIDRs, until stopped. */
async function runRoutesOnly(
  kubeconfig: string | undefined,
  master: string | undefined,
  nodeName: string,
  log: Logger,
): Promise<number> {
  let client;
  try {
    ({ client } = connect({
      kubeconfig,
      server: master,
      userAgent: `portico-agent/${nodeName}`,
      logger: log,
    }));
  } catch (e) {
    console.error(`portico agent routes: ${asError(e).message}`);
    return 1;
  }
  const ac = new AbortController();
  const running = followPodRoutes({ client, nodeName, logger: log, signal: ac.signal });
  notifyReady();
  await untilStopped((reason) => {
    log.info('Stopping', { reason });
    ac.abort();
    return running;
  });
  ac.abort();
  await running;
  client.close();
  return 0;
}

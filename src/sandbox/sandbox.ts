/**
 * `portico sandbox`: a whole cluster in network namespaces on this host — a server, K nodes and an
 * outside client on one LAN bridge, with no route out. Each component runs as its own process
 * (`ip netns exec <ns> portico <component>`), started detached so the sandbox outlives the
 * command; `down` stops them by PID and removes every namespace, link and file it made.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { realClock, type Clock } from '../lib/clock.js';
import { exec } from '../lib/exec.js';
import type { Logger } from '../lib/log/logger.js';
import {
  addNetns,
  deleteNetns,
  ip,
  linkExists,
  netnsExists,
  netnsInode,
  pidsInNetns,
} from './netns.js';
import { planSandbox, validateSandboxName, type SandboxHost, type SandboxPlan } from './plan.js';
import { freeIndex, readState, sandboxDir, writeState, type SandboxState } from './state.js';

/** The `portico` entry script, run with this Node. */
const porticoBin = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'bin',
  'portico.js',
);

export interface SandboxUpOptions {
  readonly name: string;
  readonly nodes: number;
  readonly log: Logger;
  /** Components per role; absent components are not started. */
  readonly components?: Readonly<Record<'server' | 'node', readonly string[]>>;
  readonly clock?: Clock;
  readonly readyTimeoutMs?: number;
  /** Flags appended to a component's own (e.g. `{ dns: ['--upstream', '198.18.1.100'] }`). */
  readonly extraArgs?: Readonly<Record<string, readonly string[]>>;
}

export const defaultComponents: Readonly<Record<'server' | 'node', readonly string[]>> = {
  // `routes`: the server reaches pod IPs (pods/proxy) through the nodes, as a node would.
  server: ['apiserver', 'controllers', 'routes'],
  node: ['agent', 'proxy', 'dns', 'ingress'],
};

export class SandboxError extends Error {
  readonly code = 'E_SANDBOX';
}

function hostDataDir(plan: SandboxPlan, host: SandboxHost): string {
  return join(sandboxDir(plan.name), host.name);
}

/** The admin kubeconfig of the sandbox, as kubectl on this host uses it. */
export function sandboxKubeconfig(name: string): string {
  return join(sandboxDir(name), 'kubeconfig');
}

async function buildNetwork(plan: SandboxPlan): Promise<void> {
  await addNetns(plan.lanNetns);
  await ip(['-n', plan.lanNetns, 'link', 'add', plan.bridge, 'type', 'bridge']);
  await ip(['-n', plan.lanNetns, 'link', 'set', plan.bridge, 'up']);
  for (const h of plan.hosts) {
    await addNetns(h.netns);
    await ip([
      '-n',
      plan.lanNetns,
      'link',
      'add',
      h.lanPort,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      h.netns,
    ]);
    await ip(['-n', plan.lanNetns, 'link', 'set', h.lanPort, 'master', plan.bridge, 'up']);
    await ip(['-n', h.netns, 'addr', 'add', `${h.ip}/${plan.prefixLength}`, 'dev', 'eth0']);
    await ip(['-n', h.netns, 'link', 'set', 'eth0', 'up']);
    if (h.role === 'node') {
      await exec('ip', ['netns', 'exec', h.netns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    }
  }
  // This host's end of the LAN: only so that kubectl here reaches the server. The host does not
  // forward, and no sandbox namespace has a default route, so nothing leaves the sandbox.
  await ip([
    'link',
    'add',
    plan.hostLink,
    'type',
    'veth',
    'peer',
    'name',
    'uplink',
    'netns',
    plan.lanNetns,
  ]);
  await ip(['-n', plan.lanNetns, 'link', 'set', 'uplink', 'master', plan.bridge, 'up']);
  await ip(['addr', 'add', `${plan.hostIP}/${plan.prefixLength}`, 'dev', plan.hostLink]);
  await ip(['link', 'set', plan.hostLink, 'up']);
}

/** The cgroup of a sandbox node's containers (one per node, so nodes never touch each other's). */
function agentCgroupRoot(plan: SandboxPlan, host: SandboxHost): string {
  return `/portico-${plan.name}-${host.name}`;
}

function componentArgs(plan: SandboxPlan, host: SandboxHost, component: string): string[] {
  const dataDir = hostDataDir(plan, host);
  const kubeconfig = sandboxKubeconfig(plan.name);
  switch (component) {
    case 'apiserver':
      return [
        '--data-dir',
        dataDir,
        '--bind-address',
        '0.0.0.0',
        '--advertise-address',
        host.ip,
        '--tls-san',
        host.ip,
      ];
    case 'controllers':
      return ['--kubeconfig', kubeconfig];
    case 'routes':
      return ['--kubeconfig', kubeconfig, '--node-name', host.name];
    case 'proxy':
      return ['--kubeconfig', kubeconfig, '--hostname-override', host.name];
    case 'agent':
      return [
        '--kubeconfig',
        kubeconfig,
        '--node-name',
        host.name,
        '--data-dir',
        dataDir,
        '--node-ip',
        host.ip,
        // One cgroup per sandbox node, so nodes never share (or clean up) each other's.
        '--cgroup-root',
        agentCgroupRoot(plan, host),
      ];
    case 'dns':
      // No upstream by default: a sandbox has no route out (tests add a fake one with extraArgs).
      return [
        '--kubeconfig',
        kubeconfig,
        '--node-name',
        host.name,
        '--advertise-address',
        host.ip,
        '--upstream',
        'none',
      ];
    default:
      return ['--kubeconfig', kubeconfig, '--node-name', host.name, '--data-dir', dataDir];
  }
}

function startComponent(
  state: SandboxState,
  host: SandboxHost,
  component: string,
  extra: readonly string[] = [],
): void {
  const plan = state.plan;
  const logDir = join(sandboxDir(plan.name), 'logs');
  mkdirSync(logDir, { recursive: true });
  mkdirSync(hostDataDir(plan, host), { recursive: true });
  const log = join(logDir, `${host.name}-${component}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      host.netns,
      process.execPath,
      porticoBin,
      ...(component === 'routes' ? ['agent', 'routes'] : [component]),
      ...componentArgs(plan, host, component),
      ...extra,
    ],
    {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, PORTICO_SANDBOX: plan.name },
    },
  );
  closeSync(fd);
  child.unref();
  if (child.pid === undefined)
    throw new SandboxError(`could not start ${component} on ${host.name}`);
  state.processes.push({ host: host.name, component, pid: child.pid, log });
  writeState(state);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls the server's /readyz through the host link until it answers 200. */
async function waitReady(
  plan: SandboxPlan,
  clock: Clock,
  timeoutMs: number,
  state: SandboxState,
): Promise<void> {
  const server = plan.hosts.find((h) => h.role === 'server');
  if (!server) return;
  const deadline = clock.now() + timeoutMs;
  const apiserver = state.processes.find((p) => p.component === 'apiserver');
  while (clock.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = request(
        { host: server.ip, port: 6443, path: '/readyz', rejectUnauthorized: false, timeout: 1000 },
        (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        },
      );
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
    if (ok) return;
    if (apiserver && !processAlive(apiserver.pid)) {
      throw new SandboxError(`the API server exited; see ${apiserver.log}`);
    }
    await clock.sleep(200);
  }
  throw new SandboxError(
    `the API server did not become ready in ${timeoutMs} ms; see ${apiserver?.log ?? 'the logs'}`,
  );
}

/** Writes the host-side admin kubeconfig: the server's own, pointed at the server's LAN address. */
function writeKubeconfig(plan: SandboxPlan): void {
  const server = plan.hosts.find((h) => h.role === 'server');
  const source = join(hostDataDir(plan, server ?? (plan.hosts[0] as SandboxHost)), 'kubeconfig');
  if (!existsSync(source))
    throw new SandboxError(`the API server wrote no kubeconfig at ${source}`);
  const doc = parse(readFileSync(source, 'utf8')) as {
    clusters?: { cluster?: { server?: string } }[];
  };
  for (const c of doc.clusters ?? [])
    if (c.cluster) c.cluster.server = `https://${server?.ip ?? ''}:6443`;
  writeFileSync(sandboxKubeconfig(plan.name), stringify(doc), { mode: 0o600 });
}

/** Builds the sandbox and starts its components. Returns the kubeconfig path. */
export async function sandboxUp(options: SandboxUpOptions): Promise<string> {
  const { name, nodes, log } = options;
  const clock = options.clock ?? realClock;
  const invalid = validateSandboxName(name);
  if (invalid) throw new SandboxError(invalid);
  if (readState(name))
    throw new SandboxError(`sandbox ${name} exists: \`portico sandbox down --name ${name}\` first`);
  const plan = planSandbox({ name, index: freeIndex(), nodes });
  for (const ns of [plan.lanNetns, ...plan.hosts.map((h) => h.netns)]) {
    if (await netnsExists(ns))
      throw new SandboxError(`network namespace ${ns} already exists (left over?)`);
  }
  const state: SandboxState = {
    plan,
    createdAt: new Date(clock.now()).toISOString(),
    processes: [],
  };
  writeState(state);
  try {
    log.info('Building sandbox network', { sandbox: name, subnet: plan.subnet, nodes });
    await buildNetwork(plan);
    const components = options.components ?? defaultComponents;
    const server = plan.hosts.filter((h) => h.role === 'server');
    if (components.server.includes('apiserver')) {
      for (const h of server) startComponent(state, h, 'apiserver');
      await waitReady(plan, clock, options.readyTimeoutMs ?? 60_000, state);
      writeKubeconfig(plan);
    }
    for (const h of server)
      for (const c of components.server.filter((x) => x !== 'apiserver'))
        startComponent(state, h, c, options.extraArgs?.[c]);
    for (const h of plan.hosts.filter((x) => x.role === 'node'))
      for (const c of components.node) startComponent(state, h, c, options.extraArgs?.[c]);
    log.info('Sandbox is up', { sandbox: name, kubeconfig: sandboxKubeconfig(name) });
    return sandboxKubeconfig(name);
  } catch (e) {
    log.error(e, 'Sandbox start failed; removing what was built', { sandbox: name });
    await sandboxDown({ name, log });
    throw e;
  }
}

async function stopPids(pids: readonly number[], clock: Clock, graceMs: number): Promise<void> {
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig); // the process group: ip netns exec's child and what it spawned
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = clock.now() + graceMs;
  while (clock.now() < deadline && pids.some(processAlive)) await clock.sleep(100);
  for (const pid of pids.filter(processAlive)) signal(pid, 'SIGKILL');
}

/**
 * Stops every process of the sandbox (the ones it started, and anything still running inside its
 * namespaces, such as containers its agents started), then removes namespaces, links and files.
 */
export async function sandboxDown(options: {
  name: string;
  log: Logger;
  clock?: Clock;
  keepFiles?: boolean;
}): Promise<void> {
  const { name, log } = options;
  const clock = options.clock ?? realClock;
  const state = readState(name);
  if (!state) {
    log.info('No such sandbox', { sandbox: name });
    return;
  }
  const plan = state.plan;
  await stopPids(
    state.processes.map((p) => p.pid),
    clock,
    10_000,
  );
  // Node agents leave their pods running when they stop (as kubelet does): remove them, their
  // mounts, cgroups and links with `portico agent cleanup` inside each node's namespace.
  await Promise.all(
    plan.hosts
      .filter((x) => x.role === 'node')
      .map(async (h) => {
        if (!(await netnsExists(h.netns))) return;
        const r = await exec(
          'ip',
          [
            'netns',
            'exec',
            h.netns,
            process.execPath,
            porticoBin,
            'agent',
            'cleanup',
            '--data-dir',
            hostDataDir(plan, h),
            '--cgroup-root',
            agentCgroupRoot(plan, h),
          ],
          { allowFailure: true, timeoutMs: 120_000 },
        );
        if (r.code !== 0)
          log.warn('Cleaning up a node failed', {
            sandbox: name,
            node: h.name,
            err: r.stderr.trim(),
          });
      }),
  );
  // Stop what still runs in the sandbox's namespaces.
  const inodes = new Set(
    [plan.lanNetns, ...plan.hosts.map((h) => h.netns)]
      .map(netnsInode)
      .filter((i): i is number => i !== undefined),
  );
  const stragglers = pidsInNetns(inodes);
  if (stragglers.length > 0) {
    log.info('Stopping processes left in the sandbox', { sandbox: name, count: stragglers.length });
    await stopPids(stragglers, clock, 5_000);
  }
  for (const h of plan.hosts) await deleteNetns(h.netns);
  await deleteNetns(plan.lanNetns);
  if (await linkExists(plan.hostLink))
    await exec('ip', ['link', 'delete', plan.hostLink], { allowFailure: true });
  if (!options.keepFiles) rmSync(sandboxDir(name), { recursive: true, force: true });
  log.info('Sandbox removed', { sandbox: name });
}

/**
 * Stops one component of a sandbox host (its process group, by PID: `signal`, then SIGKILL after
 * 15 s) and starts it again with the same flags, as a crash and a restart would. Returns the new
 * PID.
 */
export async function sandboxRestart(options: {
  name: string;
  host: string;
  component: string;
  signal?: NodeJS.Signals;
  clock?: Clock;
}): Promise<number> {
  const clock = options.clock ?? realClock;
  const state = readState(options.name);
  if (!state) throw new SandboxError(`no sandbox named ${options.name}`);
  const host = state.plan.hosts.find((h) => h.name === options.host);
  if (!host) throw new SandboxError(`sandbox ${options.name} has no host ${options.host}`);
  const running = state.processes.filter(
    (p) => p.host === options.host && p.component === options.component,
  );
  for (const p of running) {
    try {
      process.kill(-p.pid, options.signal ?? 'SIGTERM');
    } catch {
      // gone already
    }
  }
  await stopPids(
    running.map((p) => p.pid),
    clock,
    15_000,
  );
  state.processes = state.processes.filter((p) => !running.includes(p));
  startComponent(state, host, options.component);
  const started = state.processes.at(-1);
  if (!started) throw new SandboxError(`could not restart ${options.component}`);
  return started.pid;
}

/** Runs a command on one sandbox host; resolves with its exit code. KUBECONFIG points at the sandbox. */
export async function sandboxExec(
  name: string,
  hostName: string,
  command: readonly string[],
): Promise<number> {
  const state = readState(name);
  if (!state) throw new SandboxError(`no sandbox named ${name}`);
  const host = state.plan.hosts.find((h) => h.name === hostName);
  if (!host) {
    const names = state.plan.hosts.map((h) => h.name).join(', ');
    throw new SandboxError(`sandbox ${name} has no host ${hostName} (hosts: ${names})`);
  }
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', host.netns, ...command], {
      stdio: 'inherit',
      env: { ...process.env, KUBECONFIG: sandboxKubeconfig(name) },
    });
    child.on('error', reject);
    child.on('close', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
  });
}

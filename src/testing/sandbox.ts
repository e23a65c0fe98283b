/**
 * The end-to-end test harness: a whole cluster in network namespaces (`portico sandbox`), shared
 * by the agent, proxy and dns e2e tests. One sandbox per test file keeps CI fast.
 *
 * @example
 * describe('my feature (e2e)', { skip: sandboxSkipReason() }, () => {
 *   let sb: TestSandbox;
 *   before(async (t) => { sb = await startSandbox(t, { nodes: 2 }); });
 *   it('runs a pod', async () => {
 *     const r = await sb.kubectl(['run', 'web', '--image=luksa/kubia']);
 *     assert.equal(r.code, 0, r.stderr);
 *     await sb.exec('client', ['curl', '-s', 'http://…']);
 *   });
 * });
 *
 * `startSandbox` waits until the API server answers and every node's agent reports its Node
 * Ready (unless `waitForNodes: false`); the sandbox is removed in `t.after` even when the test
 * fails. With `PORTICO_TEST_KEEP_LOGS=<dir>` the components' logs are copied there first.
 *
 * Other branches rely on these names and shapes: change them additively.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node } from '../api/types/core.js';
import { exec, type ExecResult } from '../lib/exec.js';
import { createLogger, discardLogger, type Logger } from '../lib/log/logger.js';
import type { SandboxHost, SandboxPlan } from '../sandbox/plan.js';
import { defaultComponents, sandboxDown, sandboxRestart, sandboxUp } from '../sandbox/sandbox.js';
import { readState, sandboxDir } from '../sandbox/state.js';
import type { AfterHook } from './apiserver.js';
import { kubectl, kubectlAvailable, type KubectlOptions, type KubectlResult } from './kubectl.js';
import { waitFor } from './wait.js';

export interface StartSandboxOptions {
  /** Nodes (each runs agent, proxy, dns and ingress unless `components` says otherwise); default 1. */
  readonly nodes?: number;
  /** `[a-z][a-z0-9]{0,7}`; default `pt` + 5 random hex digits. */
  readonly name?: string;
  /** Components per role; default apiserver + controllers on the server, agent + proxy + dns + ingress on nodes. */
  readonly components?: Readonly<Record<'server' | 'node', readonly string[]>>;
  /** Wait until every node is registered and Ready (default true when nodes run an agent). */
  readonly waitForNodes?: boolean;
  /** How long to wait for the cluster (default 120 s). */
  readonly timeoutMs?: number;
  /** Logs of the sandbox command itself (default: silent; PORTICO_TEST_LOG=N prints). */
  readonly log?: Logger;
  /** Flags appended to a component's own, by component name. */
  readonly extraArgs?: Readonly<Record<string, readonly string[]>>;
}

export interface SandboxExecOptions {
  /** Written to the command's stdin. */
  readonly input?: string;
  /** Resolve instead of throwing when the command exits non-zero (default true). */
  readonly allowFailure?: boolean;
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

export interface TestSandbox {
  readonly name: string;
  readonly plan: SandboxPlan;
  /** The admin kubeconfig (kubectl on this host uses it as is). */
  readonly kubeconfig: string;
  /** `https://<server ip>:6443`. */
  readonly server: string;
  /** The hosts: `server`, `node1`…`nodeK`, `client`. */
  readonly hosts: readonly SandboxHost[];
  /** The node names (`node1`…). */
  readonly nodes: readonly string[];
  /** The real kubectl against the sandbox, with a private discovery cache. */
  kubectl(
    args: readonly string[],
    options?: Omit<KubectlOptions, 'kubeconfig'>,
  ): Promise<KubectlResult>;
  /** Runs a command on a host (in its network namespace); never throws for a non-zero exit by default. */
  exec(host: string, command: readonly string[], options?: SandboxExecOptions): Promise<ExecResult>;
  /** A host's LAN address. */
  ip(host: string): string;
  /** The `ip netns` name of a host. */
  netns(host: string): string;
  /** The data dir of a host (`<sandbox dir>/<host>`). */
  dataDir(host: string): string;
  /** The last lines of every component log, for assertion messages. */
  logs(lines?: number): string;
  /** Stops a component of a host (`signal`, default SIGTERM) and starts it again; the new PID. */
  restart(host: string, component: string, signal?: NodeJS.Signals): Promise<number>;
  /** Removes the sandbox (idempotent; also registered with t.after). */
  down(): Promise<void>;
}

/** Why the sandbox cannot run here, or undefined when it can. */
export function sandboxSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, nftables, runc)';
  for (const tool of ['ip', 'nft', 'runc', 'cc', 'nsenter', 'curl']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  if (!kubectlAvailable()) return 'kubectl is not installed';
  return undefined;
}

function testLogger(options: StartSandboxOptions): Logger {
  if (options.log) return options.log;
  const v = process.env['PORTICO_TEST_LOG'];
  return v === undefined
    ? discardLogger
    : createLogger({ format: 'text', verbosity: Number(v) }).child({ component: 'sandbox' });
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Builds a sandbox for a test (or a suite: pass the `before` hook's context) and removes it after. */
export async function startSandbox(
  t: AfterHook,
  options: StartSandboxOptions = {},
): Promise<TestSandbox> {
  const name = options.name ?? `pt${randomBytes(3).toString('hex').slice(0, 5)}`;
  const nodes = options.nodes ?? 1;
  const log = testLogger(options);
  const components = options.components ?? defaultComponents;
  let removed: Promise<void> | undefined;
  const down = (): Promise<void> => {
    removed ??= (async () => {
      const keep = process.env['PORTICO_TEST_KEEP_LOGS'];
      const logDir = join(sandboxDir(name), 'logs');
      if (keep && existsSync(logDir)) {
        mkdirSync(keep, { recursive: true });
        cpSync(logDir, join(keep, name), { recursive: true });
      }
      await sandboxDown({ name, log });
    })();
    return removed;
  };
  t.after(down);
  const kubeconfig = await sandboxUp({
    name,
    nodes,
    log,
    components,
    ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
  });
  const state = readState(name);
  if (!state) throw new Error(`sandbox ${name} has no state after up`);
  const plan = state.plan;
  const host = (h: string): SandboxHost => {
    const found = plan.hosts.find((x) => x.name === h);
    if (!found)
      throw new Error(
        `sandbox ${name} has no host ${h} (${plan.hosts.map((x) => x.name).join(', ')})`,
      );
    return found;
  };
  const cacheDir = join(sandboxDir(name), 'kubectl-cache');
  mkdirSync(cacheDir, { recursive: true });
  const serverIP = host('server').ip;
  const sb: TestSandbox = {
    name,
    plan,
    kubeconfig,
    server: `https://${serverIP}:6443`,
    hosts: plan.hosts,
    nodes: plan.hosts.filter((h) => h.role === 'node').map((h) => h.name),
    kubectl: (args, o = {}) => kubectl(args, { cacheDir, ...o, kubeconfig }),
    exec: (h, command, o = {}) =>
      exec('ip', ['netns', 'exec', host(h).netns, ...command], {
        allowFailure: o.allowFailure ?? true,
        ...(o.input !== undefined ? { input: o.input } : {}),
        ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
        env: { ...process.env, KUBECONFIG: kubeconfig, ...o.env },
      }),
    ip: (h) => host(h).ip,
    netns: (h) => host(h).netns,
    dataDir: (h) => join(sandboxDir(name), host(h).name),
    logs: (lines = 30) => {
      const dir = join(sandboxDir(name), 'logs');
      if (!existsSync(dir)) return '';
      return readdirSync(dir)
        .sort()
        .map((f) => `--- ${f}\n${tail(join(dir, f), lines)}`)
        .join('\n');
    },
    restart: (h, component, signal) =>
      sandboxRestart({ name, host: h, component, ...(signal ? { signal } : {}) }),
    down,
  };
  const wait =
    options.waitForNodes ?? (components.node.includes('agent') && components.server.length > 0);
  if (wait) {
    try {
      await waitFor(
        async () => {
          const r = await sb.kubectl(['get', 'nodes', '-o', 'json']);
          if (r.code !== 0) return false;
          const items = (JSON.parse(r.stdout) as { items: Node[] }).items;
          return sb.nodes.every((n) =>
            items.some(
              (i) =>
                i.metadata.name === n &&
                i.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
            ),
          );
        },
        {
          what: `nodes ${sb.nodes.join(', ')} of sandbox ${name} to be Ready`,
          timeoutMs: options.timeoutMs ?? 120_000,
          intervalMs: 250,
        },
      );
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${sb.logs(20)}`, {
        cause: e,
      });
    }
  }
  return sb;
}

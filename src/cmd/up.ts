/**
 * `portico up`: everything on this machine, in the foreground. Starts `portico apiserver`, then
 * each other component once the previous one is ready, restarts a crashed one, and stops them
 * in reverse order on Ctrl-C or SIGTERM. Writes the admin kubeconfig to <data-dir>/kubeconfig
 * and prints its path.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDataDir } from './datadir.js';
import { loggerFromFlags, logOptions, untilStopped } from './lifecycle.js';
import { Supervisor, type SupervisedComponent } from './supervise.js';

/** What a component's arguments may depend on. */
export interface UpContext {
  readonly dataDir: string;
  readonly nodeName: string;
  /** `<data-dir>/kubeconfigs/<component>.kubeconfig` (written by the API server). */
  kubeconfig(component: 'controllers' | 'agent' | 'proxy' | 'dns' | 'ingress'): string;
  /** Flags given to `portico up` that every component takes (log format, verbosity). */
  readonly common: readonly string[];
  /** Flags of `portico up` meant for the API server. */
  readonly apiserverArgs: readonly string[];
}

export interface UpComponent {
  readonly name: string;
  args(ctx: UpContext): string[];
  readonly readyTimeoutMs?: number;
}

/**
 * The components `portico up` runs, in start order. Each branch adds its entry (one line) when
 * its component can run: controllers, agent, proxy, dns, ingress.
 */
export const upComponents: readonly UpComponent[] = [
  { name: 'apiserver', args: (c) => ['--data-dir', c.dataDir, ...c.apiserverArgs, ...c.common] },
  {
    name: 'controllers',
    args: (c) => [
      '--kubeconfig',
      c.kubeconfig('controllers'),
      ...c.apiserverArgs.flatMap((a, i, all) =>
        all[i - 1] === '--cluster-cidr' ? ['--cluster-cidr', a] : [],
      ),
      ...c.common,
    ],
  },
  {
    name: 'agent',
    args: (c) => [
      '--kubeconfig',
      c.kubeconfig('agent'),
      '--node-name',
      c.nodeName,
      '--data-dir',
      c.dataDir,
      // Ctrl-C stops the pods too (a node shutdown); a crashed agent's pods keep running.
      '--stop-pods-on-exit',
      ...c.apiserverArgs.flatMap((a, i, all) =>
        all[i - 1] === '--cluster-cidr' || all[i - 1] === '--service-cluster-ip-range'
          ? [all[i - 1] ?? '', a]
          : all[i - 1] === '--advertise-address'
            ? ['--node-ip', a]
            : [],
      ),
      ...c.common,
    ],
  },
  {
    name: 'proxy',
    args: (c) => [
      '--kubeconfig',
      c.kubeconfig('proxy'),
      '--hostname-override',
      c.nodeName,
      ...c.apiserverArgs.flatMap((a, i, all) =>
        all[i - 1] === '--cluster-cidr' || all[i - 1] === '--service-cluster-ip-range'
          ? [all[i - 1] ?? '', a]
          : [],
      ),
      ...c.common,
    ],
  },
  // Port 53 needs root; unprivileged, the DNS listens on 10053 (its Service still says 53).
  {
    name: 'dns',
    args: (c) => [
      '--kubeconfig',
      c.kubeconfig('dns'),
      '--node-name',
      c.nodeName,
      '--port',
      process.getuid?.() === 0 ? '53' : '10053',
      // `--bind-address` of portico up binds the DNS and its metrics there too.
      ...c.apiserverArgs.flatMap((a, i, all) =>
        all[i - 1] === '--bind-address' && a !== '0.0.0.0'
          ? [
              '--bind-address',
              a,
              '--metrics-bind-address',
              `${a.includes(':') ? `[${a}]` : a}:9153`,
            ]
          : [],
      ),
      ...c.common,
    ],
  },
  {
    name: 'ingress',
    args: (c) => [
      '--kubeconfig',
      c.kubeconfig('ingress'),
      '--node-name',
      c.nodeName,
      '--data-dir',
      c.dataDir,
      ...c.common,
    ],
  },
];

const usage = `Usage: portico up [flags]

Runs every Portico component on this machine in the foreground: ${upComponents.map((c) => c.name).join(', ')}.
Ctrl-C stops them all, in reverse order. The admin kubeconfig is written to <data-dir>/kubeconfig.

Flags:
  --data-dir DIR                     state and credentials (default ${defaultDataDir()})
  --node-name NAME                   this machine's node name (default: the hostname)
  --store, --bind-address, --secure-port, --advertise-address, --tls-san,
  --service-cluster-ip-range, --service-node-port-range, --cluster-cidr
                                     passed to the API server (see portico apiserver --help)
  --disable NAME[,NAME]              do not run these components (e.g. agent,proxy: control plane only)
  --log-format json|text             log format (default text)
  -v N                               log verbosity`;

const apiserverFlags = [
  'store',
  'bind-address',
  'secure-port',
  'advertise-address',
  'service-cluster-ip-range',
  'service-node-port-range',
  'cluster-cidr',
] as const;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      'node-name': { type: 'string' },
      'tls-san': { type: 'string', multiple: true, default: [] },
      disable: { type: 'string', multiple: true, default: [] },
      ...Object.fromEntries(apiserverFlags.map((f) => [f, { type: 'string' as const }])),
      ...logOptions,
      'log-format': { type: 'string', default: 'text' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const log = loggerFromFlags(values, 'up');
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const nodeName = values['node-name'] ?? hostname().toLowerCase();
  const apiserverArgs: string[] = ['--node-name', nodeName];
  const raw = values as Record<string, string | string[] | boolean | undefined>;
  for (const f of apiserverFlags) {
    const v = raw[f];
    if (typeof v === 'string') apiserverArgs.push(`--${f}`, v);
  }
  for (const san of values['tls-san']) apiserverArgs.push('--tls-san', san);
  const ctx: UpContext = {
    dataDir,
    nodeName,
    kubeconfig: (c) => join(dataDir, 'kubeconfigs', `${c}.kubeconfig`),
    common: ['--log-format', values['log-format'], '-v', values.v],
    apiserverArgs,
  };
  // `--disable agent,proxy` (k3s' flag): run without some components, e.g. a control plane only.
  const disabled = new Set(values.disable.flatMap((d) => d.split(',')).map((d) => d.trim()));
  for (const d of disabled) {
    if (d !== '' && !upComponents.some((c) => c.name === d))
      log.warn('--disable names a component portico up does not run', {
        component: d,
        components: upComponents.map((c) => c.name).join(','),
      });
  }
  if (disabled.has('apiserver')) {
    console.error('portico up: the apiserver cannot be disabled');
    return 2;
  }
  // The node agent needs root (namespaces, mounts, cgroups): without it this machine runs the
  // control plane only.
  if (process.getuid?.() !== 0 && !disabled.has('agent')) {
    log.warn('Not root: running without the node agent (this machine will not run pods)', {});
    disabled.add('agent');
  }
  const components = upComponents.filter((c) => !disabled.has(c.name));
  const bin = process.argv[1];
  if (bin === undefined) throw new Error('cannot tell where the portico executable is');
  const supervisor = new Supervisor({ command: [process.execPath, bin], logger: log });
  const stopped = untilStopped(async (reason) => {
    log.info('Stopping Portico', { reason });
    await supervisor.stop();
  });
  try {
    for (const c of components) {
      if (supervisor.stopping) break;
      const spec: SupervisedComponent = {
        name: c.name,
        args: c.args(ctx),
        ...(c.readyTimeoutMs !== undefined ? { readyTimeoutMs: c.readyTimeoutMs } : {}),
      };
      await supervisor.start(spec);
      if (c.name === 'apiserver') {
        const kubeconfig = join(dataDir, 'kubeconfig');
        console.log(`Kubeconfig: ${kubeconfig}\n  export KUBECONFIG=${kubeconfig}`);
      }
    }
  } catch (e) {
    if (supervisor.stopping) {
      await stopped;
      return 0;
    }
    log.error(e, 'Starting Portico failed; stopping what started');
    await supervisor.stop();
    return 1;
  }
  if (supervisor.stopping) {
    await stopped;
    return 0;
  }
  log.info('Portico is up', { components: components.map((c) => c.name).join(',') });
  try {
    await Promise.race([stopped, supervisor.failed]);
  } catch (e) {
    log.error(e, 'A component failed for good; stopping Portico');
    await supervisor.stop();
    return 1;
  }
  return 0;
}

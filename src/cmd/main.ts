/**
 * The multicall entry: `portico <command> [flags]`. Each command lives in its own module and is
 * loaded only when used, so `portico dns` does not load the API server.
 */
import { version } from '../version.js';

type Command = {
  readonly summary: string;
  readonly load: () => Promise<{ run(args: string[]): Promise<number> }>;
};

const commands: Record<string, Command> = {
  up: {
    summary: 'run every component on this machine (server and node)',
    load: () => import('./up.js'),
  },
  apiserver: { summary: 'the Kubernetes API server', load: () => import('./apiserver.js') },
  controllers: {
    summary: 'endpoints, workloads, scheduling, garbage collection',
    load: () => import('./controllers.js'),
  },
  agent: {
    summary: 'the node agent: pods as sandboxes, probes, exec and logs',
    load: () => import('./agent.js'),
  },
  proxy: { summary: 'the service proxy (nftables)', load: () => import('./proxy.js') },
  dns: { summary: 'cluster DNS', load: () => import('./dns.js') },
  ingress: {
    summary: 'the ingress controller (HAProxy): host and path routing, TLS',
    load: () => import('./ingress.js'),
  },
  sandbox: {
    summary: 'a whole cluster in network namespaces on this host',
    load: () => import('./sandbox.js'),
  },
  image: { summary: 'the local image store (list, import)', load: () => import('./image.js') },
  kubeconfig: { summary: 'print the admin kubeconfig', load: () => import('./kubeconfig.js') },
};

function usage(): string {
  const lines = [`portico ${version}`, '', 'Usage: portico <command> [flags]', '', 'Commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(12)} ${c.summary}`);
  lines.push(
    `  ${'version'.padEnd(12)} print the version`,
    '',
    'Run `portico <command> --help` for its flags.',
  );
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === 'version' || name === '--version') {
    console.log(version);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`portico: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  const mod = await command.load();
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`portico: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);

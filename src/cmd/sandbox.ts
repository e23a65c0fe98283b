/** `portico sandbox up|exec|down|list`: a whole cluster in network namespaces on this host. */
import { parseArgs } from 'node:util';
import { createLogger } from '../lib/log/logger.js';
import { readState, listSandboxes } from '../sandbox/state.js';
import { sandboxDown, sandboxExec, sandboxUp, SandboxError } from '../sandbox/sandbox.js';

const usage = `Usage:
  portico sandbox up [--name N] [--nodes K]      build a cluster in network namespaces; prints its kubeconfig
  portico sandbox exec [--name N] HOST -- CMD…   run CMD on server, node1..nodeK or client
  portico sandbox down [--name N]                remove everything the sandbox made
  portico sandbox list                           the sandboxes on this host

The default name is "default". Needs root (network namespaces).`;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const dashdash = rest.indexOf('--');
  const flagArgs = dashdash >= 0 ? rest.slice(0, dashdash) : rest;
  const command = dashdash >= 0 ? rest.slice(dashdash + 1) : [];
  const { values, positionals } = parseArgs({
    args: flagArgs,
    allowPositionals: true,
    options: {
      name: { type: 'string', default: 'default' },
      nodes: { type: 'string', default: '1' },
      'log-format': { type: 'string', default: 'text' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || sub === undefined) {
    console.log(usage);
    return sub === undefined ? 2 : 0;
  }
  const log = createLogger({ format: values['log-format'] === 'json' ? 'json' : 'text' });
  if (process.getuid?.() !== 0) {
    console.error('portico sandbox: needs root (it creates network namespaces)');
    return 1;
  }
  try {
    switch (sub) {
      case 'up': {
        const nodes = Number(values.nodes);
        if (!Number.isInteger(nodes) || nodes < 1)
          throw new SandboxError(`--nodes must be a positive integer, not ${values.nodes}`);
        const kubeconfig = await sandboxUp({ name: values.name, nodes, log });
        console.log(kubeconfig);
        return 0;
      }
      case 'down':
        await sandboxDown({ name: values.name, log });
        return 0;
      case 'exec': {
        const host = positionals[0];
        if (!host || command.length === 0) {
          console.error(usage);
          return 2;
        }
        return await sandboxExec(values.name, host, command);
      }
      case 'list':
        for (const n of listSandboxes()) {
          const s = readState(n);
          console.log(
            `${n}\t${s?.plan.subnet ?? ''}\t${s?.plan.hosts.map((h) => h.name).join(',') ?? ''}`,
          );
        }
        return 0;
      default:
        console.error(usage);
        return 2;
    }
  } catch (e) {
    if (e instanceof SandboxError) {
      console.error(`portico sandbox: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

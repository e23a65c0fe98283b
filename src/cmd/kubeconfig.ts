/** `portico kubeconfig`: prints the admin kubeconfig, or issues one for another user. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { issueKubeconfig } from '../apiserver/auth/credentials.js';
import { defaultDataDir } from './datadir.js';

const usage = `Usage: portico kubeconfig [--data-dir DIR] [--server URL] [--user NAME [--group G]...]

Without --user, prints the admin kubeconfig (<data-dir>/kubeconfig). With --user, issues a new
client certificate for NAME (groups from --group) signed by the cluster CA and prints a
kubeconfig for it. --server sets the API server URL written into it (default: the admin
kubeconfig's, else https://127.0.0.1:6443).`;

interface KubeconfigDoc {
  clusters?: { cluster?: { server?: string } }[];
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      server: { type: 'string' },
      user: { type: 'string' },
      group: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const adminPath = join(dataDir, 'kubeconfig');
  const admin = existsSync(adminPath) ? readFileSync(adminPath, 'utf8') : undefined;
  if (values.user === undefined) {
    if (admin === undefined) {
      console.error(
        `portico kubeconfig: no kubeconfig at ${adminPath}; start \`portico up\` or \`portico apiserver\` first`,
      );
      return 1;
    }
    if (values.server === undefined) {
      process.stdout.write(admin);
      return 0;
    }
    const doc = parse(admin) as KubeconfigDoc;
    for (const c of doc.clusters ?? []) if (c.cluster) c.cluster.server = values.server;
    process.stdout.write(stringify(doc));
    return 0;
  }
  const server =
    values.server ??
    (admin !== undefined
      ? (parse(admin) as KubeconfigDoc).clusters?.[0]?.cluster?.server
      : undefined) ??
    'https://127.0.0.1:6443';
  try {
    process.stdout.write(
      await issueKubeconfig({ dataDir, user: values.user, groups: values.group, server }),
    );
    return 0;
  } catch (e) {
    console.error(`portico kubeconfig: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

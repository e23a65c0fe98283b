/**
 * `portico up` makes this machine a node: the whole of it runs in a private network namespace
 * (`ptest-up-*`, the "machine"), with the real kubectl inside it. The seeds' RC runs there; Ctrl-C
 * (SIGINT) stops every component and every pod; `portico agent cleanup` then leaves no mount,
 * link or table behind.
 *
 * Address plan: one veth pair inside the namespace holding 198.19.<random>.1/24 (RFC 2544
 * benchmarking range) so the machine has an address; pod CIDR 10.244.0.0/24 from node IPAM.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Pod } from '../../src/api/types/core.js';
import { exec } from '../../src/lib/exec.js';
import { kubectlBinary } from '../../src/testing/kubectl.js';
import { sandboxSkipReason } from '../../src/testing/sandbox.js';
import { waitFor } from '../../src/testing/wait.js';

const skip = sandboxSkipReason();
const root = process.env['PORTICO_ROOT'] ?? process.cwd();
const bin = join(root, 'bin', 'portico.js');

function processesMentioning(needle: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle)) out.push(pid);
    } catch {
      // gone
    }
  }
  return out;
}

describe('portico up on a machine (e2e, in a network namespace)', { skip }, () => {
  const tag = randomBytes(3).toString('hex');
  const ns = `ptest-up-${tag}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'ptest-updata-'));
  const ip = `198.19.${(parseInt(tag.slice(0, 2), 16) % 250) + 1}.1`;
  const kubeconfig = join(dataDir, 'kubeconfig');

  after(async () => {
    await exec(
      'ip',
      ['netns', 'exec', ns, process.execPath, bin, 'agent', 'cleanup', '--data-dir', dataDir],
      {
        allowFailure: true,
      },
    );
    await exec('ip', ['netns', 'delete', ns], { allowFailure: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  const kubectl = (args: string[]) =>
    exec('ip', ['netns', 'exec', ns, kubectlBinary, ...args], {
      allowFailure: true,
      env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dataDir, 'kcache') },
    });

  it('runs the seeds RC, and Ctrl-C stops every component and pod', async () => {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    execFileSync('ip', ['-n', ns, 'link', 'add', 'upa', 'type', 'veth', 'peer', 'name', 'upb']);
    execFileSync('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'upa']);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'upa', 'up']);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'upb', 'up']);
    const up = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, bin, 'up', '--data-dir', dataDir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    up.stdout.on('data', (b: Buffer) => (log += b.toString()));
    up.stderr.on('data', (b: Buffer) => (log += b.toString()));
    const exited = new Promise<number | null>((r) => up.once('exit', (code) => r(code)));
    after(() => {
      if (up.exitCode === null) up.kill('SIGKILL');
    });
    await waitFor(() => log.includes('Portico is up'), { what: 'portico up', timeoutMs: 90_000 });
    await waitFor(async () => /\sReady\s/.test((await kubectl(['get', 'nodes'])).stdout), {
      what: `the machine Ready as a node\n${log.slice(-3000)}`,
      timeoutMs: 60_000,
      intervalMs: 300,
    });
    const create = await kubectl([
      'create',
      '-f',
      join(root, 'test', 'fixtures', 'seeds', 'kubia-rc.yaml'),
    ]);
    assert.equal(create.code, 0, create.stderr);
    const pods = await waitFor(
      async () => {
        const r = await kubectl(['get', 'pods', '-o', 'json']);
        const items = (JSON.parse(r.stdout || '{"items":[]}') as { items: Pod[] }).items;
        return items.length === 3 && items.every((p) => p.status?.containerStatuses?.[0]?.ready)
          ? items
          : undefined;
      },
      { what: 'three ready kubia pods', timeoutMs: 60_000, intervalMs: 300 },
    );
    const [a, b] = pods;
    const r = await kubectl([
      'exec',
      a?.metadata.name ?? '',
      '--',
      'curl',
      '-s',
      `http://${b?.status?.podIP ?? ''}:8080`,
    ]);
    assert.equal(r.stdout, `You've hit ${b?.metadata.name ?? ''}\n`, r.stderr);
    assert.ok(
      processesMentioning(dataDir).some((p) =>
        readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('portico-shim'),
      ),
    );

    up.kill('SIGINT');
    assert.equal(await exited, 0, log.slice(-3000));
    assert.match(log, /Stopping every pod on this node/);
    assert.deepEqual(
      processesMentioning(dataDir),
      [],
      'no component, shim or container is left running',
    );
  });
});

/**
 * `portico up` makes this machine a node: the whole of it runs in a private network namespace
 * (`ptest-up-*`, the "machine"), with the real kubectl inside it. The seeds' RC and kubia Service
 * run there and a pod reaches `http://kubia` through DNS and the proxy; Ctrl-C (SIGINT) stops
 * every component and every pod; a second `portico up` on the same data dir keeps the objects and
 * the ClusterIP and runs the same pods again; `portico agent cleanup` then leaves no mount, link
 * or table behind.
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

  /** The three kubia pods once all are ready. */
  const readyKubiaPods = (what: string) =>
    waitFor(
      async () => {
        const r = await kubectl(['get', 'pods', '-o', 'json']);
        const items = (JSON.parse(r.stdout || '{"items":[]}') as { items: Pod[] }).items;
        return items.length === 3 && items.every((p) => p.status?.containerStatuses?.[0]?.ready)
          ? items
          : undefined;
      },
      { what, timeoutMs: 90_000, intervalMs: 300 },
    );

  /** `kubectl exec POD -- curl -s http://kubia` until a kubia pod answers: DNS, then the proxy. */
  const curlKubia = (pod: Pod | undefined, what: string) =>
    waitFor(
      async () => {
        const c = await kubectl([
          'exec',
          pod?.metadata.name ?? '',
          '--',
          'curl',
          '-s',
          '-m',
          '3',
          'http://kubia',
        ]);
        return /^You've hit kubia-\w+$/.test(c.stdout.trim()) ? c.stdout : undefined;
      },
      { what, timeoutMs: 30_000, intervalMs: 300 },
    );

  it('runs the seeds RC and Service, Ctrl-C stops every component and pod, a restart resumes them', async () => {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    execFileSync('ip', ['-n', ns, 'link', 'add', 'upa', 'type', 'veth', 'peer', 'name', 'upb']);
    execFileSync('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'upa']);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'upa', 'up']);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'upb', 'up']);
    // The DNS must not forward anything outside the cluster domain to this host's resolvers.
    const env = { ...process.env, PORTICO_DNS_UPSTREAM: 'none' };
    const start = () => {
      const child = spawn(
        'ip',
        ['netns', 'exec', ns, process.execPath, bin, 'up', '--data-dir', dataDir],
        { stdio: ['ignore', 'pipe', 'pipe'], env },
      );
      const state = { log: '' };
      child.stdout.on('data', (b: Buffer) => (state.log += b.toString()));
      child.stderr.on('data', (b: Buffer) => (state.log += b.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      after(() => {
        if (child.exitCode === null) child.kill('SIGKILL');
      });
      return { child, state, exited };
    };
    const first = start();
    const up = first.child;
    const exited = first.exited;
    let log = '';
    const logOf = () => (log = first.state.log);
    await waitFor(() => logOf().includes('Portico is up'), {
      what: 'portico up',
      timeoutMs: 90_000,
    });
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
    const pods = await readyKubiaPods('three ready kubia pods');
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

    // The book's example through DNS and the ClusterIP: `curl -s http://kubia` from a pod.
    const svc = await kubectl([
      'create',
      '-f',
      join(root, 'test', 'fixtures', 'seeds', 'kubia-svc.yaml'),
    ]);
    assert.equal(svc.code, 0, svc.stderr);
    await curlKubia(
      a,
      `curl http://kubia from a pod
${logOf().slice(-3000)}`,
    );
    const before = await kubectl(['get', 'svc', 'kubia', '-o', 'jsonpath={.spec.clusterIP}']);

    up.kill('SIGINT');
    assert.equal(await exited, 0, logOf().slice(-3000));
    log = logOf();
    assert.match(log, /Stopping every pod on this node/);
    assert.deepEqual(
      processesMentioning(dataDir),
      [],
      'no component, shim or container is left running',
    );

    // A second `portico up` on the same data dir keeps every object and allocation, and the
    // agent starts the node's pods again.
    const second = start();
    await waitFor(() => second.state.log.includes('Portico is up'), {
      what: 'portico up again',
      timeoutMs: 90_000,
    });
    const after2 = await kubectl(['get', 'svc', 'kubia', '-o', 'jsonpath={.spec.clusterIP}']);
    assert.equal(after2.stdout, before.stdout, 'the ClusterIP survives the restart');
    const again = await readyKubiaPods(
      `the kubia pods running again
${second.state.log.slice(-3000)}`,
    );
    assert.deepEqual(
      again.map((p) => p.metadata.uid).sort(),
      pods.map((p) => p.metadata.uid).sort(),
      'the same pods, not replacements',
    );
    await curlKubia(again[0], 'curl http://kubia after the restart');
    second.child.kill('SIGINT');
    assert.equal(await second.exited, 0, second.state.log.slice(-3000));
  });
});

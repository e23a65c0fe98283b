// `portico up` as a user runs it: the real binary, supervising `portico apiserver`; the
// kubeconfig it prints works with kubectl; a crashed child is restarted; Ctrl-C (SIGINT) stops
// everything and exits 0. `portico kubeconfig` prints and issues kubeconfigs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectl, kubectlAvailable } from '../../src/testing/kubectl.js';
import { waitFor } from '../../src/testing/wait.js';

const root = process.env['PORTICO_ROOT'] ?? process.cwd();
const bin = join(root, 'bin', 'portico.js');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test(
  'portico up starts the API server, restarts it when it dies, and stops on SIGINT',
  { skip: kubectlAvailable() ? false : 'no kubectl' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ptest-up-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const up = spawn(
      process.execPath,
      [
        bin,
        'up',
        '--data-dir',
        dir,
        '--store',
        'memory://',
        '--bind-address',
        '127.0.0.1',
        '--secure-port',
        String(port),
        '--advertise-address',
        '192.0.2.1',
        // supervision only: node components would change this host's network (test/e2e/up.test.ts
        // runs the whole of `portico up` inside a network namespace)
        '--disable',
        'agent,proxy,dns,ingress',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    t.after(() => {
      if (up.exitCode === null) up.kill('SIGKILL');
    });
    let out = '';
    let err = '';
    up.stdout.on('data', (b: Buffer) => (out += b.toString()));
    up.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((resolve) =>
      up.once('exit', (code) => resolve(code)),
    );

    const kubeconfig = join(dir, 'kubeconfig');
    await waitFor(() => out.includes(`Kubeconfig: ${kubeconfig}`), {
      what: 'portico up to print the kubeconfig path',
      timeoutMs: 30_000,
    });
    await waitFor(() => err.includes('Portico is up'), {
      what: 'every component to start',
      timeoutMs: 60_000,
    });
    const r = await kubectl(['get', 'ns', 'default', '-o', 'name'], { kubeconfig });
    assert.equal(r.stdout.trim(), 'namespace/default', r.stderr);

    const childPid = (): number | undefined => {
      const m = [
        ...err.matchAll(/"Component starting" component="up" name="apiserver" pid=(\d+)/g),
      ].at(-1);
      return m ? Number(m[1]) : undefined;
    };
    // Every component started (killing one while `up` still starts the next fails the start).
    await waitFor(() => err.includes('Portico is up'), {
      what: 'portico up to start every component',
      timeoutMs: 60_000,
    });
    const first = await waitFor(childPid, { what: 'the apiserver child pid in the log' });
    process.kill(first, 'SIGKILL');
    await waitFor(() => (childPid() ?? first) !== first, {
      what: 'a restarted apiserver',
      timeoutMs: 20_000,
    });
    const second = childPid() ?? 0;
    await waitFor(
      async () =>
        (await kubectl(['get', 'ns', 'default', '-o', 'name'], { kubeconfig })).code === 0,
      {
        what: 'the restarted API server to answer',
        timeoutMs: 20_000,
      },
    );

    up.kill('SIGINT');
    assert.equal(await exited, 0, err);
    assert.equal(alive(second), false, 'the apiserver child stopped with portico up');
  },
);

test('portico kubeconfig prints the admin kubeconfig and issues one for another user', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ptest-kc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const none = spawnSync(process.execPath, [bin, 'kubeconfig', '--data-dir', dir], {
    encoding: 'utf8',
  });
  assert.equal(none.status, 1);
  assert.match(none.stderr, /no kubeconfig at .*; start `portico up` or `portico apiserver` first/);
  const { ensureCredentials, writeKubeconfigs } =
    await import('../../src/apiserver/auth/credentials.js');
  writeKubeconfigs(
    await ensureCredentials({ dataDir: dir, servingDnsNames: [], servingIps: ['127.0.0.1'] }),
    'https://127.0.0.1:6443',
  );
  const admin = spawnSync(process.execPath, [bin, 'kubeconfig', '--data-dir', dir], {
    encoding: 'utf8',
  });
  assert.equal(admin.status, 0, admin.stderr);
  assert.match(admin.stdout, /server: https:\/\/127\.0\.0\.1:6443/);
  const bob = spawnSync(
    process.execPath,
    [bin, 'kubeconfig', '--data-dir', dir, '--user', 'bob', '--server', 'https://192.0.2.5:6443'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(bob.status, 0, bob.stderr);
  assert.match(bob.stdout, /server: https:\/\/192\.0\.2\.5:6443/);
  assert.match(bob.stdout, /name: bob/);
});

/**
 * The runc runtime and the pod network for real: pods are runc containers in network namespaces
 * behind a bridge, all inside a private `ptest-node-*` namespace that stands for the node.
 *
 * Address plan: node pod CIDR 10.244.1.0/24 (bridge `ptestbr0` holds 10.244.1.1), cluster CIDR
 * 10.244.0.0/16, service CIDR 10.96.0.0/12 (routed over the bridge only). The node namespace has no
 * route out; all traffic stays between the pods and the node namespace.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ImageNotFoundError } from '../../src/agent/images/errors.js';
import { ImageStore } from '../../src/agent/images/store.js';
import { BridgeNetwork } from '../../src/agent/network/bridge.js';
import { timeToNanos } from '../../src/agent/runtime/logformat.js';
import { RuncRuntime } from '../../src/agent/runtime/runtime.js';
import type { ContainerSpec, ExecOptions, SandboxSpec } from '../../src/agent/runtime/types.js';

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, mounts, runc)';
  for (const tool of ['runc', 'ip', 'nft', 'cc', 'nsenter', 'curl']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  return undefined;
}
const skip = skipReason();
if (skip) console.log(`# runtime e2e skipped: ${skip}`);

const tag = randomBytes(3).toString('hex');
const nodeNetns = `ptest-node-${tag}`;
const cgroupParent = `/ptest-portico-${tag}`;
const resolvConf =
  'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n';

function pod(name: string, extra: Partial<SandboxSpec> = {}): SandboxSpec {
  return {
    podUID: `uid-${name}-${tag}`,
    namespace: 'default',
    name,
    attempt: 0,
    hostname: name,
    resolvConf,
    ...extra,
  };
}

async function run(
  rt: RuncRuntime,
  id: string,
  command: string[],
  extra: Partial<ExecOptions> = {},
): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  out.on('data', (b: Buffer) => o.push(b));
  err.on('data', (b: Buffer) => e.push(b));
  const code = await rt.exec(id, { command, stdout: out, stderr: err, ...extra });
  return { code, out: Buffer.concat(o).toString(), err: Buffer.concat(e).toString() };
}

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`,
  );
}

/** Processes whose command line mentions `needle` (the shims name their bundle under the data dir). */
function processesMentioning(needle: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle)) out.push(`${pid}: ${cmd}`);
    } catch {
      // gone
    }
  }
  return out;
}

describe('runc runtime and pod network (e2e)', { skip }, () => {
  let dataDir = '';
  let network: BridgeNetwork;
  let images: ImageStore;
  let rt: RuncRuntime;
  const kubia: ContainerSpec = { name: 'kubia', image: 'luksa/kubia', env: [], attempt: 0 };
  const pods: Record<string, { sandbox: string; container: string; ip: string }> = {};

  const open = () =>
    RuncRuntime.open({
      root: join(dataDir, 'runtime'),
      images,
      network,
      cgroupParent,
      nodeNetns: `/run/netns/${nodeNetns}`,
    });

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ptest-runtime-'));
    execFileSync('ip', ['netns', 'add', nodeNetns]);
    execFileSync('ip', ['-n', nodeNetns, 'link', 'set', 'lo', 'up']);
    network = new BridgeNetwork({
      podCIDR: '10.244.1.0/24',
      clusterCIDR: '10.244.0.0/16',
      serviceCIDR: '10.96.0.0/12',
      stateDir: join(dataDir, 'network'),
      bridge: 'ptestbr0',
      vethPrefix: 'ptest',
      table: 'ptest-node',
      netns: nodeNetns,
    });
    images = new ImageStore({ dir: join(dataDir, 'images') });
    rt = await open();
  });

  after(async () => {
    const problems: string[] = [];
    try {
      await rt.removeAll();
    } catch (e) {
      problems.push(`removeAll: ${String(e)}`);
    }
    execFileSync('ip', ['netns', 'delete', nodeNetns], { stdio: 'ignore' });
    rmSync(dataDir, { recursive: true, force: true });
    // Nothing may be left: no mount, process, namespace, link or cgroup of ours.
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(dataDir));
    if (mounts.length > 0) problems.push(`mounts left: ${mounts.join('; ')}`);
    const procs = processesMentioning(dataDir);
    if (procs.length > 0) problems.push(`processes left: ${procs.join('; ')}`);
    if (existsSync(`/run/netns/${nodeNetns}`)) problems.push(`netns ${nodeNetns} left`);
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    if (/ptest(br0|[0-9a-f]{10})/.test(links)) problems.push('links left on the host');
    for (const ctl of ['memory', 'pids', 'cpu', 'unified']) {
      if (existsSync(join('/sys/fs/cgroup', ctl, cgroupParent)))
        problems.push(`cgroup ${ctl}${cgroupParent} left`);
    }
    assert.deepEqual(problems, []);
  });

  it('runs luksa/kubia in two pods that reach each other by pod IP', async () => {
    for (const name of ['kubia-a', 'kubia-b']) {
      const sb = await rt.runSandbox(pod(name));
      assert.equal(sb.state, 'ready');
      assert.match(sb.ip ?? '', /^10\.244\.1\.\d+$/);
      const c = await rt.createContainer(sb.id, kubia);
      await rt.startContainer(c);
      pods[name] = { sandbox: sb.id, container: c, ip: sb.ip ?? '' };
    }
    const a = pods['kubia-a'];
    const b = pods['kubia-b'];
    assert.ok(a && b);
    assert.notEqual(a.ip, b.ip);
    const answer = await waitFor('kubia-b to answer', async () => {
      const r = await run(rt, a.container, [
        'curl',
        '-s',
        '--max-time',
        '2',
        `http://${b.ip}:8080`,
      ]);
      return r.code === 0 ? r.out : undefined;
    });
    assert.equal(answer, "You've hit kubia-b\n");
  });

  it('runSandbox() and createContainer() are idempotent', async () => {
    const again = await rt.runSandbox(pod('kubia-a'));
    assert.equal(again.id, pods['kubia-a']?.sandbox);
    assert.equal(await rt.createContainer(again.id, kubia), pods['kubia-a']?.container);
  });

  it('gives each pod its hostname, /etc/hostname, /etc/hosts and /etc/resolv.conf', async () => {
    const a = pods['kubia-a'];
    assert.ok(a);
    assert.equal((await run(rt, a.container, ['hostname'])).out, 'kubia-a\n');
    assert.equal((await run(rt, a.container, ['cat', '/etc/hostname'])).out, 'kubia-a\n');
    assert.equal((await run(rt, a.container, ['cat', '/etc/resolv.conf'])).out, resolvConf);
    const hosts = (await run(rt, a.container, ['cat', '/etc/hosts'])).out;
    assert.match(hosts, /^# Kubernetes-managed hosts file\.\n/);
    assert.ok(hosts.includes(`\n${a.ip}\tkubia-a\n`), hosts);
    const env = (await run(rt, a.container, ['env'])).out;
    assert.match(env, /^HOSTNAME=kubia-a$/m);
  });

  it('keeps `touch /var/ready` private to the pod that did it', async () => {
    const a = pods['kubia-a'];
    const b = pods['kubia-b'];
    assert.ok(a && b);
    const hostHad = existsSync('/var/ready');
    assert.equal((await run(rt, a.container, ['ls', '/var/ready'])).code, 2);
    assert.equal((await run(rt, a.container, ['touch', '/var/ready'])).code, 0);
    assert.equal((await run(rt, a.container, ['ls', '/var/ready'])).code, 0);
    assert.equal((await run(rt, b.container, ['ls', '/var/ready'])).code, 2);
    assert.equal(existsSync('/var/ready'), hostHad, 'the host root must not change');
  });

  it('passes exit codes, stdin and a terminal through exec', async () => {
    const a = pods['kubia-a'];
    assert.ok(a);
    assert.equal((await run(rt, a.container, ['sh', '-c', 'exit 3'])).code, 3);
    const missing = await run(rt, a.container, ['no-such-command']);
    assert.equal(missing.code, 127);
    assert.match(missing.err, /executable file not found/);
    const cat = await run(rt, a.container, ['cat'], {
      stdin: Readable.from([Buffer.from('hello\n')]),
    });
    assert.deepEqual([cat.code, cat.out], [0, 'hello\n']);
    const tty = await run(rt, a.container, ['sh', '-c', 'tty; sleep 0.3; stty size'], {
      tty: true,
      initialSize: { width: 100, height: 40 },
    });
    assert.equal(tty.code, 0);
    assert.match(tty.out, /^\/dev\/pts\/\d+\r?\n40 100\r?\n$/);
    async function* resizes() {
      await new Promise((r) => setTimeout(r, 100));
      yield { width: 120, height: 50 };
    }
    const resized = await run(rt, a.container, ['sh', '-c', 'sleep 0.6; stty size'], {
      tty: true,
      initialSize: { width: 80, height: 24 },
      resize: resizes(),
    });
    assert.equal(resized.out.trim(), '50 120');
    assert.equal((await run(rt, a.container, ['sh', '-c', 'kill -9 $$'])).code, 137);
  });

  it('captures logs with timestamps, tail and follow', async () => {
    const b = pods['kubia-b'];
    assert.ok(b);
    const lines: string[] = [];
    for await (const e of rt.logs(b.container)) {
      assert.ok(timeToNanos(e.time) !== undefined, e.time);
      lines.push(`${e.stream} ${Buffer.from(e.content).toString()}`);
    }
    assert.equal(lines[0], 'stdout Kubia server starting...');
    assert.match(lines[1] ?? '', /^stdout Received request from ::ffff:10\.244\.1\.\d+$/);
    const tail: string[] = [];
    for await (const e of rt.logs(b.container, { tailLines: 1 }))
      tail.push(Buffer.from(e.content).toString());
    assert.deepEqual(tail, [lines.at(-1)?.slice('stdout '.length)]);
    // follow: a new request shows up while reading
    const ac = new AbortController();
    const followed = (async () => {
      for await (const e of rt.logs(b.container, {
        follow: true,
        tailLines: 0,
        signal: ac.signal,
      })) {
        const text = Buffer.from(e.content).toString();
        if (text.startsWith('Received request')) return text;
      }
      return undefined;
    })();
    await run(rt, pods['kubia-a']?.container ?? '', ['curl', '-s', `http://${b.ip}:8080`]);
    assert.match((await followed) ?? '', /^Received request from/);
    ac.abort();
  });

  it('stops with SIGTERM when the process handles it, else SIGKILL after the grace period', async () => {
    const sb = await rt.runSandbox(pod('stopper'));
    const graceful = await rt.createContainer(sb.id, {
      name: 'graceful',
      image: 'busybox',
      command: ['sh', '-c', 'trap "echo bye; exit 0" TERM; echo up; while :; do sleep 0.1; done'],
      env: [],
      attempt: 0,
    });
    const stubborn = await rt.createContainer(sb.id, {
      name: 'stubborn',
      image: 'busybox',
      command: ['sh', '-c', 'trap "" TERM; while :; do sleep 0.1; done'],
      env: [],
      attempt: 0,
    });
    await rt.startContainer(graceful);
    await rt.startContainer(stubborn);
    await waitFor('the trap to be set', async () => {
      for await (const e of rt.logs(graceful))
        if (Buffer.from(e.content).toString() === 'up') return true;
      return undefined;
    });
    let t = Date.now();
    await rt.stopContainer(graceful, 10_000);
    const g = (await rt.containerStatus(graceful)).state;
    assert.equal(g.state === 'exited' && g.exitCode, 0);
    assert.ok(
      Date.now() - t < 5_000,
      'a handled SIGTERM ends the container before the grace period',
    );
    const logs: string[] = [];
    for await (const e of rt.logs(graceful)) logs.push(Buffer.from(e.content).toString());
    assert.deepEqual(logs, ['up', 'bye']);
    t = Date.now();
    await rt.stopContainer(stubborn, 1_000);
    const s = (await rt.containerStatus(stubborn)).state;
    assert.ok(Date.now() - t >= 1_000, 'SIGKILL only after the grace period');
    assert.equal(s.state === 'exited' && s.exitCode, 137);
    assert.equal(s.state === 'exited' && s.reason, 'Error');
    // A second instance of the container can read the first one's log as `previous`.
    const second = await rt.createContainer(sb.id, {
      name: 'graceful',
      image: 'busybox',
      command: ['true'],
      env: [],
      attempt: 1,
    });
    const prev: string[] = [];
    for await (const e of rt.logs(second, { previous: true }))
      prev.push(Buffer.from(e.content).toString());
    assert.deepEqual(prev, ['up', 'bye']);
    await rt.removeSandbox(sb.id);
    assert.deepEqual(
      (await rt.list()).sandboxes.filter((x) => x.id === sb.id),
      [],
    );
  });

  it('runs the agnhost and echoserver images with the host node', async () => {
    const a = pods['kubia-a'];
    assert.ok(a);
    const sb = await rt.runSandbox(pod('netexec-0'));
    const c = await rt.createContainer(sb.id, {
      name: 'agnhost',
      image: 'registry.k8s.io/e2e-test-images/agnhost:2.47',
      args: ['netexec', '--http-port=8080', '--udp-port=8081'],
      env: [],
      attempt: 0,
    });
    await rt.startContainer(c);
    const echo = await rt.createContainer(sb.id, {
      name: 'echo',
      image: 'registry.k8s.io/ingressconformance/echoserver:v0.0.1',
      env: [{ name: 'POD_NAME', value: 'netexec-0' }],
      attempt: 0,
    });
    await rt.startContainer(echo);
    const name = await waitFor('netexec to answer', async () => {
      const r = await run(rt, a.container, [
        'curl',
        '-s',
        '--max-time',
        '2',
        `http://${sb.ip ?? ''}:8080/hostname`,
      ]);
      return r.code === 0 && r.out ? r.out : undefined;
    });
    assert.equal(name, 'netexec-0');
    const udp = await run(rt, a.container, [
      'sh',
      '-c',
      `echo hostname | nc -u -w 1 ${sb.ip ?? ''} 8081`,
    ]);
    assert.equal(udp.out, 'netexec-0');
    const body = await waitFor('the echoserver to answer', async () => {
      const r = await run(rt, a.container, [
        'curl',
        '-s',
        '--max-time',
        '2',
        `http://${sb.ip ?? ''}:3000/x`,
      ]);
      return r.code === 0 && r.out ? r.out : undefined;
    });
    assert.equal((JSON.parse(body) as { pod: string }).pod, 'netexec-0');
    await rt.removeSandbox(sb.id);
  });

  it('attaches to a container with stdin, and to one with a terminal', async () => {
    const sb = await rt.runSandbox(pod('attach'));
    const c = await rt.createContainer(sb.id, {
      name: 'cat',
      image: 'busybox',
      command: ['cat'],
      stdin: true,
      stdinOnce: true,
      env: [],
      attempt: 0,
    });
    await rt.startContainer(c);
    const out = new PassThrough();
    let seen = '';
    out.on('data', (b: Buffer) => (seen += b.toString()));
    await rt.attach(c, { stdin: Readable.from([Buffer.from('ping\n')]), stdout: out });
    assert.equal(seen, 'ping\n');
    const st = (await rt.containerStatus(c)).state;
    assert.equal(st.state === 'exited' && st.exitCode, 0, 'stdinOnce: cat sees EOF and exits');
    const t = await rt.createContainer(sb.id, {
      name: 'tty',
      image: 'busybox',
      command: ['sh', '-c', 'tty; sleep 0.5; stty size'],
      tty: true,
      env: [],
      attempt: 0,
    });
    await rt.startContainer(t);
    await waitFor('the tty container to finish', async () =>
      (await rt.containerStatus(t)).state.state === 'exited' ? true : undefined,
    );
    const lines: string[] = [];
    for await (const e of rt.logs(t))
      lines.push(Buffer.from(e.content).toString().replace(/\r$/, ''));
    assert.match(lines[0] ?? '', /^\/dev\/pts\/\d+$/);
    await rt.removeSandbox(sb.id);
  });

  it('reports OOMKilled when a container exceeds its memory limit', async () => {
    const sb = await rt.runSandbox(pod('oom'));
    const c = await rt.createContainer(sb.id, {
      name: 'hog',
      image: 'busybox',
      command: ['sh', '-c', 'x=a; while :; do x="$x$x"; done'],
      resources: { memoryLimitBytes: 32 * 1024 * 1024 },
      env: [],
      attempt: 0,
    });
    await rt.startContainer(c);
    const st = await waitFor('the hog to be killed', async () => {
      const s = (await rt.containerStatus(c)).state;
      return s.state === 'exited' ? s : undefined;
    });
    assert.equal(st.state === 'exited' && st.reason, 'OOMKilled');
    assert.equal(st.state === 'exited' && st.exitCode, 137);
    await rt.removeSandbox(sb.id);
  });

  it('reports an unknown image as ImageNotFoundError', async () => {
    const a = pods['kubia-a'];
    assert.ok(a);
    await assert.rejects(
      rt.createContainer(a.sandbox, {
        name: 'x',
        image: 'example.com/nope:1',
        env: [],
        attempt: 0,
      }),
      ImageNotFoundError,
    );
  });

  it('runs hostNetwork pods in the node namespace', async () => {
    const sb = await rt.runSandbox(pod('hostnet', { hostNetwork: true }));
    assert.equal(sb.ip, undefined);
    const c = await rt.createContainer(sb.id, {
      name: 'c',
      image: 'busybox',
      command: ['sleep', '3600'],
      env: [],
      attempt: 0,
    });
    await rt.startContainer(c);
    const addrs = await run(rt, c, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'ptestbr0']);
    assert.match(addrs.out, /10\.244\.1\.1\/24/);
    const hosts = (await run(rt, c, ['cat', '/etc/hosts'])).out;
    assert.ok(!hosts.includes('Kubernetes-managed'));
    await rt.removeSandbox(sb.id);
  });

  it('a new runtime on the same root finds the running containers through list()', async () => {
    rt = await open();
    const snap = await rt.list();
    const a = pods['kubia-a'];
    const b = pods['kubia-b'];
    assert.ok(a && b);
    for (const p of [a, b]) {
      const sb = snap.sandboxes.find((s) => s.id === p.sandbox);
      assert.equal(sb?.state, 'ready');
      assert.equal(sb?.ip, p.ip);
      const c = snap.containers.find((x) => x.id === p.container);
      assert.equal(c?.state.state, 'running');
    }
    const r = await run(rt, a.container, ['curl', '-s', `http://${b.ip}:8080`]);
    assert.equal(r.out, "You've hit kubia-b\n");
    assert.equal(await network.ipOf(a.sandbox), a.ip);
  });

  it('removeSandbox() frees the IP and removes the veth', async () => {
    const a = pods['kubia-a'];
    assert.ok(a);
    await rt.removeSandbox(a.sandbox);
    assert.equal(await network.ipOf(a.sandbox), undefined);
    const links = execFileSync('ip', ['-n', nodeNetns, '-o', 'link'], { encoding: 'utf8' });
    assert.ok(!links.includes(network.vethName(a.sandbox)));
    await assert.rejects(rt.sandboxStatus(a.sandbox), /not found/);
  });
});

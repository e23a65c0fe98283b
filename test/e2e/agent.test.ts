/**
 * The node agent end to end, with the real kubectl through a two-node sandbox (portico sandbox):
 * pods as runc sandboxes with their own IP, hostname and files; the seeds' RC of three
 * luksa/kubia pods; readiness by `touch /var/ready`; service environment variables; logs; exec
 * with stdin, a tty and exit codes; termination; agent restart; and `sandbox down` leaving
 * nothing behind.
 *
 * Address plan: sandbox LAN 198.18.<free index>.0/24 (RFC 2544), pod CIDRs 10.244.<n>.0/24 from
 * node IPAM, Services 10.96.0.0/12 — all inside network namespaces this test creates; nothing
 * routes out.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Endpoints, Node, Pod } from '../../src/api/types/core.js';
import { contains, parseCidr } from '../../src/agent/network/cidr.js';
import { sandboxSkipReason, startSandbox, type TestSandbox } from '../../src/testing/sandbox.js';
import { kubectlBinary } from '../../src/testing/kubectl.js';
import { waitFor } from '../../src/testing/wait.js';

const skip = sandboxSkipReason();
const seeds = join(process.env['PORTICO_ROOT'] ?? process.cwd(), 'test', 'fixtures', 'seeds');

describe('node agent (e2e, sandbox with 2 nodes)', { skip }, () => {
  let sb: TestSandbox;
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const f of cleanups) await f();
  });

  before(async () => {
    sb = await startSandbox({ after: (fn) => cleanups.push(fn) }, { nodes: 2 });
  });

  /** kubectl that must succeed; returns stdout. */
  async function k(args: string[], input?: string): Promise<string> {
    const r = await sb.kubectl(args, input !== undefined ? { input } : {});
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}\n${sb.logs(15)}`);
    return r.stdout;
  }

  async function getJson<T>(args: string[]): Promise<T> {
    return JSON.parse(await k([...args, '-o', 'json'])) as T;
  }

  async function pods(selector: string, ns = 'default'): Promise<Pod[]> {
    return (await getJson<{ items: Pod[] }>(['get', 'pods', '-n', ns, '-l', selector])).items;
  }

  async function waitRunning(name: string, ns = 'default', ready = true): Promise<Pod> {
    return waitFor(
      async () => {
        const p = await getJson<Pod>(['get', 'pod', name, '-n', ns]);
        const ok =
          p.status?.phase === 'Running' &&
          (!ready || p.status.containerStatuses?.every((c) => c.ready) === true);
        return ok ? p : undefined;
      },
      {
        what: `pod ${ns}/${name} Running${ready ? ' and ready' : ''}`,
        timeoutMs: 60_000,
        intervalMs: 250,
      },
    );
  }

  it('registers every node Ready with its pod CIDR, addresses and runtime', async () => {
    const nodes = (await getJson<{ items: Node[] }>(['get', 'nodes'])).items;
    assert.deepEqual(nodes.map((n) => n.metadata.name).sort(), ['node1', 'node2']);
    for (const n of nodes) {
      assert.match(n.spec?.podCIDR ?? '', /^10\.244\.\d+\.0\/24$/);
      assert.equal(
        n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address,
        sb.ip(n.metadata.name ?? ''),
      );
      assert.match(n.status?.nodeInfo?.containerRuntimeVersion ?? '', /^runc:\/\//);
      assert.match(n.status?.nodeInfo?.kubeletVersion ?? '', /^v1\.32\./);
      assert.equal(n.status?.daemonEndpoints?.kubeletEndpoint?.Port, 10250);
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      assert.equal(ready?.status, 'True');
      assert.equal(ready?.reason, 'KubeletReady');
      assert.equal(
        n.status?.conditions?.find((c) => c.type === 'NetworkUnavailable')?.status,
        'False',
      );
    }
    const lease = await getJson<{ spec: { holderIdentity: string; renewTime: string } }>([
      'get',
      'lease',
      '-n',
      'kube-node-lease',
      'node1',
    ]);
    assert.equal(lease.spec.holderIdentity, 'node1');
    const wide = await k(['get', 'nodes', '-o', 'wide']);
    assert.match(wide, /node1\s+Ready/);
  });

  it('kubectl run: a pod with its own hostname, /etc/hosts and ClusterFirst resolv.conf', async () => {
    // created before the kubia Service: it must not get KUBIA_* variables
    await k(['run', 'early', '--image=luksa/kubia']);
    const p = await waitRunning('early');
    assert.equal((await k(['exec', 'early', '--', 'hostname'])).trim(), 'early');
    const hosts = await k(['exec', 'early', '--', 'cat', '/etc/hosts']);
    assert.match(hosts, /^# Kubernetes-managed hosts file\./);
    assert.ok(hosts.includes(`${p.status?.podIP ?? '?'}\tearly\n`), hosts);
    assert.equal(
      await k(['exec', 'early', '--', 'cat', '/etc/resolv.conf']),
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
  });

  it('the seeds RC: three Running kubia pods with IPs of their node, reaching each other', async () => {
    await k(['create', 'namespace', 'seeds']);
    await k(['create', '-n', 'seeds', '-f', join(seeds, 'kubia-svc.yaml')]);
    await k(['create', '-n', 'seeds', '-f', join(seeds, 'kubia-rc.yaml')]);
    const list = await waitFor(
      async () => {
        const ps = await pods('app=kubia', 'seeds');
        return ps.length === 3 && ps.every((p) => p.status?.containerStatuses?.[0]?.ready === true)
          ? ps
          : undefined;
      },
      { what: 'three ready kubia pods', timeoutMs: 90_000, intervalMs: 300 },
    );
    const nodes = (await getJson<{ items: Node[] }>(['get', 'nodes'])).items;
    for (const p of list) {
      const node = nodes.find((n) => n.metadata.name === p.spec?.nodeName);
      assert.ok(
        contains(parseCidr(node?.spec?.podCIDR ?? '0.0.0.0/32'), p.status?.podIP ?? ''),
        `${p.status?.podIP} in ${node?.spec?.podCIDR}`,
      );
    }
    const wide = await k(['get', 'pods', '-n', 'seeds', '-o', 'wide']);
    assert.equal((wide.match(/\s1\/1\s+Running\s+0\s/g) ?? []).length, 3, wide);
    // every pod reaches every other, across nodes
    for (const a of list) {
      for (const b of list) {
        if (a === b) continue;
        const out = await k([
          'exec',
          '-n',
          'seeds',
          a.metadata.name ?? '',
          '--',
          'curl',
          '-s',
          '-m',
          '5',
          `http://${b.status?.podIP ?? ''}:8080`,
        ]);
        assert.equal(out, `You've hit ${b.metadata.name ?? ''}\n`);
      }
    }
  });

  it('the seeds ReplicaSet: three Running pods, answering through kubia-service', async () => {
    await k(['create', 'namespace', 'rs']);
    await k(['apply', '-n', 'rs', '-f', join(seeds, 'my-kubia-rs.yaml')]);
    const list = await waitFor(
      async () => {
        const ps = await pods('app=kubia', 'rs');
        return ps.length === 3 && ps.every((p) => p.status?.containerStatuses?.[0]?.ready === true)
          ? ps
          : undefined;
      },
      { what: 'three ready pods of my-kubia-rs-1', timeoutMs: 90_000, intervalMs: 300 },
    );
    const rs = await k(['get', 'rs', 'my-kubia-rs-1', '-n', 'rs']);
    assert.match(rs, /my-kubia-rs-1\s+3\s+3\s+3\s/, rs);
    const svc = await getJson<{ spec: { clusterIP: string } }>([
      'get',
      'svc',
      'kubia-service',
      '-n',
      'rs',
    ]);
    const names = new Set(list.map((p) => p.metadata.name ?? ''));
    const seen = new Set<string>();
    const from = list[0]?.metadata.name ?? '';
    await waitFor(
      async () => {
        const r = await sb.kubectl([
          'exec',
          '-n',
          'rs',
          from,
          '--',
          'curl',
          '-s',
          '-m',
          '3',
          `http://${svc.spec.clusterIP}:9696`,
        ]);
        const m = /You've hit (\S+)/.exec(r.stdout);
        if (m?.[1]) seen.add(m[1]);
        return seen.size === names.size ? true : undefined;
      },
      {
        what: 'every pod of the ReplicaSet through kubia-service',
        timeoutMs: 60_000,
        intervalMs: 100,
      },
    );
    assert.deepEqual([...seen].sort(), [...names].sort());
    await k(['delete', 'namespace', 'rs', '--wait=false']);
  });

  it('service environment variables: exact for a pod created after the Service, none before', async () => {
    const svc = await getJson<{ spec: { clusterIP: string } }>([
      'get',
      'svc',
      'kubia',
      '-n',
      'seeds',
    ]);
    const ip = svc.spec.clusterIP;
    const kube = await getJson<{ spec: { clusterIP: string } }>(['get', 'svc', 'kubernetes']);
    const pod = (await pods('app=kubia', 'seeds'))[0]?.metadata.name ?? '';
    const env = new Map(
      (await k(['exec', '-n', 'seeds', pod, '--', 'env']))
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
    );
    const want: Record<string, string> = {
      KUBIA_SERVICE_HOST: ip,
      KUBIA_SERVICE_PORT: '80',
      KUBIA_PORT: `tcp://${ip}:80`,
      KUBIA_PORT_80_TCP: `tcp://${ip}:80`,
      KUBIA_PORT_80_TCP_PROTO: 'tcp',
      KUBIA_PORT_80_TCP_PORT: '80',
      KUBIA_PORT_80_TCP_ADDR: ip,
      KUBERNETES_SERVICE_HOST: kube.spec.clusterIP,
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: `tcp://${kube.spec.clusterIP}:443`,
      KUBERNETES_PORT_443_TCP: `tcp://${kube.spec.clusterIP}:443`,
      KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '443',
      KUBERNETES_PORT_443_TCP_ADDR: kube.spec.clusterIP,
      HOSTNAME: pod,
    };
    for (const [name, value] of Object.entries(want)) assert.equal(env.get(name), value, name);
    assert.equal([...env.keys()].filter((n) => n.startsWith('KUBIA_')).length, 7);
    const early = await k(['exec', 'early', '--', 'env']);
    assert.doesNotMatch(early, /^KUBIA_/m);
    assert.match(early, /^KUBERNETES_SERVICE_HOST=/m);
  });

  it('the readiness seed: 0/1 and out of endpoints until one pod gets /var/ready', async () => {
    await k(['create', '-f', join(seeds, 'kubia-svc.yaml')]);
    await k(['create', '-f', join(seeds, 'kubia-rc-readinessprobe.yaml')]);
    const list = await waitFor(
      async () => {
        const ps = await pods('app=kubia');
        return ps.length === 3 && ps.every((p) => p.status?.phase === 'Running') ? ps : undefined;
      },
      { what: 'three running readiness pods', timeoutMs: 90_000, intervalMs: 300 },
    );
    const ready = (ps: Pod[]) =>
      ps.filter((p) =>
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
    assert.equal(ready(await pods('app=kubia')).length, 0);
    const table = await k(['get', 'pods', '-l', 'app=kubia']);
    assert.equal((table.match(/\s0\/1\s+Running\s/g) ?? []).length, 3, table);
    const ep = await getJson<Endpoints>(['get', 'endpoints', 'kubia']);
    assert.equal((ep.subsets ?? []).flatMap((s) => s.addresses ?? []).length, 0);
    const chosen = list[1];
    const name = chosen?.metadata.name ?? '';
    await k(['exec', name, '--', 'touch', '/var/ready']);
    // the probe period is 10 s (the seed sets none)
    const readyNow = await waitFor(
      async () => {
        const r = ready(await pods('app=kubia'));
        return r.length > 0 ? r : undefined;
      },
      { what: `${name} ready`, timeoutMs: 15_000, intervalMs: 200 },
    );
    assert.deepEqual(
      readyNow.map((p) => p.metadata.name),
      [name],
      'only the pod with /var/ready turns ready',
    );
    await waitFor(
      async () => {
        const e = await getJson<Endpoints>(['get', 'endpoints', 'kubia']);
        const ips = (e.subsets ?? []).flatMap((s) => s.addresses ?? []).map((a) => a.ip);
        return ips.length === 1 && ips[0] === chosen?.status?.podIP;
      },
      { what: `${name} alone in the kubia endpoints`, timeoutMs: 5000, intervalMs: 200 },
    );
    assert.match(await k(['get', 'pod', name]), /\s1\/1\s+Running\s/);
  });

  it('kubectl logs: all, --tail, --timestamps, -f, and --previous of a crashing container', async () => {
    const pod = (await pods('app=kubia', 'seeds'))[0]?.metadata.name ?? '';
    const ip = (await pods('app=kubia', 'seeds'))[1]?.status?.podIP ?? '';
    const all = await k(['logs', '-n', 'seeds', pod]);
    assert.match(all, /^Kubia server starting\.\.\.\n/);
    const follow = sb.kubectl(['logs', '-f', '-n', 'seeds', pod], { timeoutMs: 4000 });
    await new Promise((r) => setTimeout(r, 1000));
    const me = (await pods('app=kubia', 'seeds'))[1]?.metadata.name ?? '';
    await k([
      'exec',
      '-n',
      'seeds',
      me,
      '--',
      'curl',
      '-s',
      `http://${(await pods('app=kubia', 'seeds'))[0]?.status?.podIP ?? ''}:8080`,
    ]);
    const f = await follow;
    assert.match(f.stdout, new RegExp(`Received request from ::ffff:${ip.replace(/\./g, '\\.')}`));
    const tail = await k(['logs', '-n', 'seeds', pod, '--tail=1']);
    assert.equal(tail.trim().split('\n').length, 1);
    const ts = await k(['logs', '-n', 'seeds', pod, '--timestamps', '--tail=1']);
    assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z Received request/);
    // a container that prints and fails: restarted, then CrashLoopBackOff, with --previous logs
    await k([
      'run',
      'crasher',
      '--image=busybox',
      '--',
      'sh',
      '-c',
      'echo "run at $(date +%s%N)"; exit 3',
    ]);
    await waitFor(
      async () => {
        const p = await getJson<Pod>(['get', 'pod', 'crasher']);
        const cs = p.status?.containerStatuses?.[0];
        if (
          cs?.state?.waiting?.reason !== 'CrashLoopBackOff' ||
          cs.lastState?.terminated?.exitCode !== 3
        )
          return false;
        // what kubectl shows during the back-off
        return /crasher\s+0\/1\s+CrashLoopBackOff\s+\d+ \(\d+s ago\)/.test(
          await k(['get', 'pod', 'crasher']),
        );
      },
      { what: 'crasher in CrashLoopBackOff', timeoutMs: 30_000, intervalMs: 300 },
    );
    const prev = await k(['logs', 'crasher', '--previous']);
    assert.match(prev, /^run at \d+\n$/);
    await k(['delete', 'pod', 'crasher', '--wait=false']);
  });

  it('kubectl exec: stdin, exit codes, errors, and -ti bash (seed 002)', async () => {
    const pod = (await pods('app=kubia', 'seeds'))[0]?.metadata.name ?? '';
    const r = await sb.kubectl(
      ['exec', '-i', '-n', 'seeds', pod, '--', 'sh', '-c', 'tr a-z A-Z; echo err >&2'],
      { input: 'hello stdin\n' },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'HELLO STDIN\n');
    assert.equal(r.stderr, 'err\n');
    const fail = await sb.kubectl(['exec', '-n', 'seeds', pod, '--', 'sh', '-c', 'exit 7']);
    assert.equal(fail.code, 7);
    assert.match(fail.stderr, /command terminated with exit code 7/);
    const missing = await sb.kubectl(['exec', '-n', 'seeds', pod, '--', 'no-such-command']);
    assert.notEqual(missing.code, 0);
    // -ti through a real terminal (script gives kubectl a pty); the exit code comes through
    const tty = spawnSync(
      'script',
      ['-qfec', `${kubectlBinary} exec -ti -n seeds ${pod} -- bash`, '/dev/null'],
      {
        input: 'echo "tty=$(tty)"; hostname\nexit 4\n',
        env: {
          ...process.env,
          KUBECONFIG: sb.kubeconfig,
          KUBECACHEDIR: join(sb.dataDir('server'), 'kcache'),
        },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    const out = tty.stdout.replace(/\r/g, '');
    assert.match(out, /tty=\/dev\/pts\/\d+/);
    assert.match(out, new RegExp(`^${pod}$`, 'm'));
    assert.match(out, /command terminated with exit code 4/);
    assert.equal(tty.status, 4);
  });

  it('kubectl delete pod: SIGTERM reaches the container, the pod leaves the endpoints, then it is gone', async () => {
    // a pod that says when SIGTERM arrives
    await k(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'graceful', labels: { app: 'graceful' } },
        spec: {
          terminationGracePeriodSeconds: 20,
          containers: [
            {
              name: 'main',
              image: 'busybox',
              command: [
                'sh',
                '-c',
                'trap "echo got SIGTERM; sleep 2; exit 0" TERM; echo started; while true; do sleep 0.2; done',
              ],
              readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
            },
          ],
        },
      }),
    );
    // `kubectl create service` selects app=<name>
    await k(['create', 'service', 'clusterip', 'graceful', '--tcp=80:80']);
    const p = await waitRunning('graceful');
    const ip = p.status?.podIP ?? '';
    await waitFor(
      async () =>
        (await getJson<Endpoints>(['get', 'endpoints', 'graceful'])).subsets?.[0]?.addresses?.[0]
          ?.ip === ip,
      { what: 'graceful in its endpoints', timeoutMs: 20_000, intervalMs: 200 },
    );
    const logs = sb.kubectl(['logs', '-f', 'graceful'], { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 500));
    await k(['delete', 'pod', 'graceful', '--wait=false']);
    await waitFor(
      async () => {
        const e = await getJson<Endpoints>(['get', 'endpoints', 'graceful']);
        const gone = !(e.subsets ?? []).some((s) => (s.addresses ?? []).some((a) => a.ip === ip));
        if (!gone) return false;
        const still = await sb.kubectl(['get', 'pod', 'graceful']);
        assert.equal(
          still.code,
          0,
          'the pod still exists (Terminating) when it has left the endpoints',
        );
        return true;
      },
      {
        what: 'graceful out of the endpoints while terminating',
        timeoutMs: 10_000,
        intervalMs: 100,
      },
    );
    await waitFor(async () => (await sb.kubectl(['get', 'pod', 'graceful'])).code === 1, {
      what: 'graceful deleted',
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    const out = await logs;
    assert.match(out.stdout, /started\n[\s\S]*got SIGTERM\n/);
  });

  it('an unknown image: ErrImagePull, then ImagePullBackOff', async () => {
    await k(['run', 'noimage', '--image=example.invalid/nothing:1.0']);
    const seen = new Set<string>();
    await waitFor(
      async () => {
        const p = await getJson<Pod>(['get', 'pod', 'noimage']);
        const r = p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
        if (r) seen.add(r);
        return seen.has('ErrImagePull') && seen.has('ImagePullBackOff');
      },
      // kubelet shows ErrImagePull until its next sync ~10-15 s later, then ImagePullBackOff
      { what: 'ErrImagePull then ImagePullBackOff', timeoutMs: 45_000, intervalMs: 200 },
    );
    assert.match(
      await k(['get', 'pod', 'noimage']),
      /noimage\s+0\/1\s+(ErrImagePull|ImagePullBackOff)\s/,
    );
    await k(['delete', 'pod', 'noimage', '--wait=false']);
  });

  it('kubectl port-forward: WebSocket-tunnelled and plain SPDY, to a port bound on the pod localhost', async () => {
    await k([
      'run',
      'files',
      '--image=busybox',
      '--',
      'sh',
      '-c',
      'mkdir -p /w && head -c 2000000 /dev/urandom > /w/f && exec busybox httpd -f -p 127.0.0.1:8000 -h /w',
    ]);
    await waitRunning('files', 'default', false);
    const want = (await k(['exec', 'files', '--', 'sha1sum', '/w/f'])).split(' ')[0];
    for (const [ws, localPort] of [
      ['true', 18481],
      ['false', 18482],
    ] as const) {
      const child = spawn(kubectlBinary, ['port-forward', 'pod/files', `${localPort}:8000`], {
        env: { ...process.env, KUBECONFIG: sb.kubeconfig, KUBECTL_PORT_FORWARD_WEBSOCKETS: ws },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        await waitFor(
          async () => {
            const r = await fetch(`http://127.0.0.1:${localPort}/f`).catch(() => undefined);
            if (!r?.ok) return false;
            const body = Buffer.from(await r.arrayBuffer());
            return createHash('sha1').update(body).digest('hex') === want;
          },
          {
            what: `the 2 MB file through port-forward (websocket=${ws})`,
            timeoutMs: 20_000,
            intervalMs: 300,
          },
        );
      } finally {
        child.kill('SIGTERM');
      }
    }
    await k(['delete', 'pod', 'files', '--wait=false']);
  });

  it('an agent restart adopts running pods without restarting them', async () => {
    const before = (await pods('app=kubia', 'seeds')).filter((p) => p.spec?.nodeName === 'node1');
    assert.ok(before.length > 0);
    await sb.restart('node1', 'agent');
    await new Promise((r) => setTimeout(r, 3000));
    await waitFor(
      async () => {
        const n = await getJson<Node>(['get', 'node', 'node1']);
        return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      },
      { what: 'node1 Ready after the agent restart', timeoutMs: 30_000 },
    );
    const after = (await pods('app=kubia', 'seeds')).filter((p) => p.spec?.nodeName === 'node1');
    for (const b of before) {
      const a = after.find((x) => x.metadata.uid === b.metadata.uid);
      assert.equal(
        a?.status?.containerStatuses?.[0]?.containerID,
        b.status?.containerStatuses?.[0]?.containerID,
      );
      assert.equal(a?.status?.containerStatuses?.[0]?.restartCount, 0);
      assert.equal(a?.status?.podIP, b.status?.podIP);
      assert.equal(a?.status?.containerStatuses?.[0]?.ready, true);
    }
    const name = before[0]?.metadata.name ?? '';
    assert.equal((await k(['exec', '-n', 'seeds', name, '--', 'hostname'])).trim(), name);
  });

  it('portico sandbox down leaves no namespace, link, process, mount or cgroup', () => {
    const name = sb.name;
    const dataDir = sb.dataDir('node1');
    const root = process.env['PORTICO_ROOT'] ?? process.cwd();
    execFileSync(
      process.execPath,
      [join(root, 'bin', 'portico.js'), 'sandbox', 'down', '--name', name],
      {
        stdio: 'ignore',
      },
    );
    const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    assert.doesNotMatch(netns, new RegExp(`portico-${name}-`));
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    assert.doesNotMatch(links, new RegExp(sb.plan.hostLink));
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    assert.ok(!mounts.includes(dataDir), 'no mount under the sandbox');
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      assert.ok(!cmd.includes(dataDir), `process ${pid} (${cmd.replace(/\0/g, ' ')}) is left`);
    }
    for (const root of [
      '/sys/fs/cgroup/memory',
      '/sys/fs/cgroup/pids',
      '/sys/fs/cgroup/unified',
      '/sys/fs/cgroup',
    ]) {
      if (!existsSync(root)) continue;
      const left = readdirSync(root).filter((d) => d.startsWith(`portico-${name}-`));
      assert.deepEqual(left, [], `cgroups left in ${root}`);
    }
  });
});

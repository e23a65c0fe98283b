/**
 * Cluster DNS end to end in a two-node sandbox (`portico sandbox`): every node runs `portico
 * dns`, published as kube-system/kube-dns (10.96.0.10); pods reach it through the proxy. Real
 * kubectl, dig, nslookup and curl from pods, over UDP and TCP.
 *
 * Upstream: each node's DNS forwards to 127.0.0.1:5353 inside that node's namespace, where the
 * test runs unbound serving `example.test` and `somecompany.com` from local data. Nothing leaves
 * the sandbox.
 *
 * Address plan: the sandbox's 198.18.<i>.0/24 LAN; pods 10.244.0.0/16; services 10.96.0.0/12.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types/core.js';
import { sandboxSkipReason, startSandbox, type TestSandbox } from '../../src/testing/sandbox.js';
import { waitFor } from '../../src/testing/wait.js';

const seeds = join(process.env['PORTICO_ROOT'] ?? process.cwd(), 'test', 'fixtures', 'seeds');

const unboundConf = (dir: string): string => `server:
  interface: 127.0.0.1@5353
  port: 5353
  num-threads: 1
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  local-zone: "example.test." static
  local-data: "www.example.test. 300 IN A 192.0.2.80"
  local-zone: "somecompany.com." static
  local-data: "someapi.somecompany.com. 300 IN A 192.0.2.81"
`;

const probePod = `apiVersion: v1
kind: Pod
metadata:
  name: dns-querier-2
  labels: {dns-test-hostname-attribute: "true"}
spec:
  hostname: dns-querier-2
  subdomain: dns-test-service-2
  containers:
  - name: c
    image: tutum/dnsutils
    command: [sleep, infinity]
---
apiVersion: v1
kind: Service
metadata:
  name: dns-test-service-2
spec:
  clusterIP: None
  selector: {dns-test-hostname-attribute: "true"}
  ports:
  - name: http
    port: 80
---
apiVersion: v1
kind: Pod
metadata:
  name: rdy
  labels: {app: rdy}
spec:
  containers:
  - name: c
    image: luksa/kubia
    readinessProbe:
      exec:
        command: [ls, /var/ready]
      periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: rdy-headless
spec:
  clusterIP: None
  selector: {app: rdy}
  ports:
  - port: 80
    targetPort: 8080
`;

describe('cluster DNS in the sandbox (e2e)', { skip: sandboxSkipReason() }, () => {
  let sb: TestSandbox;
  const unbounds: ChildProcess[] = [];
  let confDir = '';

  const kubectl = async (...args: string[]): Promise<string> => {
    const r = await sb.kubectl(args, { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}\n${sb.logs(15)}`);
    return r.stdout;
  };
  /** Runs a command in a pod; its stdout (failures allowed when `ok` is false). */
  const inPod = async (pod: string, cmd: string[], ok = true): Promise<string> => {
    const r = await sb.kubectl(['exec', pod, '--', ...cmd], { timeoutMs: 30_000 });
    if (ok) assert.equal(r.code, 0, `${cmd.join(' ')} in ${pod}: ${r.stderr}`);
    return r.stdout;
  };
  const digAnswer = async (args: string[]): Promise<string[]> =>
    (await inPod('dnsutils', ['dig', '+time=2', '+tries=2', '+noall', '+answer', ...args]))
      .trim()
      .split('\n')
      .filter((l) => l !== '');
  const podIPs = async (selector: string): Promise<string[]> => {
    const out = await kubectl('get', 'pods', '-l', selector, '-o', 'json');
    return (JSON.parse(out) as { items: Pod[] }).items
      .filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((p) => p.status?.podIP ?? '')
      .sort();
  };

  const cleanups: (() => unknown)[] = [];
  before(async () => {
    sb = await startSandbox(
      { after: (fn) => cleanups.push(fn) },
      { nodes: 2, extraArgs: { dns: ['--upstream', '127.0.0.1:5353'] } },
    );
    confDir = mkdtempSync(join(tmpdir(), 'ptest-dns-e2e-'));
    writeFileSync(join(confDir, 'unbound.conf'), unboundConf(confDir));
    for (const n of sb.nodes) {
      const u = spawn(
        'ip',
        ['netns', 'exec', sb.netns(n), 'unbound', '-d', '-c', join(confDir, 'unbound.conf')],
        {
          stdio: 'ignore',
        },
      );
      unbounds.push(u);
    }
    await kubectl(
      'apply',
      '-f',
      join(seeds, 'kubia-rc.yaml'),
      '-f',
      join(seeds, 'kubia-svc.yaml'),
      '-f',
      join(seeds, 'kubia-svc-headless.yaml'),
      '-f',
      join(seeds, 'external-service-externalname.yaml'),
    );
    await kubectl(
      'run',
      'dnsutils',
      '--image=tutum/dnsutils',
      '--command',
      '--',
      'sleep',
      'infinity',
    );
    const apply = await sb.kubectl(['apply', '-f', '-'], { input: probePod, timeoutMs: 60_000 });
    assert.equal(apply.code, 0, apply.stderr);
    await waitFor(async () => (await podIPs('app=kubia')).length === 3, {
      what: 'three ready kubia pods',
      timeoutMs: 90_000,
      intervalMs: 500,
    });
    await waitFor(
      async () => {
        const out = await kubectl('get', 'pods', 'dnsutils', 'dns-querier-2', '-o', 'json');
        const items = (JSON.parse(out) as { items: Pod[] }).items;
        return items.length === 2 && items.every((p) => p.status?.phase === 'Running');
      },
      { what: 'dnsutils and dns-querier-2 running', timeoutMs: 90_000, intervalMs: 500 },
    );
  });

  after(async () => {
    for (const u of unbounds) if (u.pid !== undefined && u.exitCode === null) process.kill(u.pid);
    if (confDir) rmSync(confDir, { recursive: true, force: true });
    for (const c of cleanups.reverse()) await c();
  });

  test('kube-dns is published with both nodes as endpoints', async () => {
    const svc = await kubectl(
      'get',
      'svc',
      '-n',
      'kube-system',
      'kube-dns',
      '-o',
      'jsonpath={.spec.clusterIP}',
    );
    assert.equal(svc, '10.96.0.10');
    await waitFor(
      async () => {
        const ep = await kubectl(
          'get',
          'ep',
          '-n',
          'kube-system',
          'kube-dns',
          '-o',
          'jsonpath={.subsets[*].addresses[*].ip}',
        );
        return (
          ep.split(' ').sort().join() ===
          sb.nodes
            .map((n) => sb.ip(n))
            .sort()
            .join()
        );
      },
      { what: 'both nodes in the kube-dns Endpoints', timeoutMs: 30_000 },
    );
  });

  test('the seeds: curl by FQDN, by name.namespace and by name; resolv.conf', async () => {
    const [pod] = (
      await kubectl('get', 'pods', '-l', 'app=kubia', '-o', 'jsonpath={.items[*].metadata.name}')
    ).split(' ');
    assert.ok(pod);
    for (const url of [
      'http://kubia.default.svc.cluster.local',
      'http://kubia.default',
      'http://kubia',
    ]) {
      const out = await inPod(pod, ['curl', '-s', '--max-time', '5', url]);
      assert.match(out, /^You've hit kubia-/, url);
    }
    const resolv = await inPod(pod, ['cat', '/etc/resolv.conf']);
    assert.match(
      resolv,
      /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/m,
    );
    assert.match(resolv, /^nameserver 10\.96\.0\.10$/m);
    assert.match(resolv, /^options ndots:5$/m);
  });

  test('nslookup kubia-headless lists the ready pods (seed 000 §6.2)', async () => {
    const out = await inPod('dnsutils', ['nslookup', 'kubia-headless']);
    const listed = [...out.matchAll(/^Address: (10\.244\.\S+)$/gm)].map((m) => m[1]).sort();
    assert.deepEqual(listed, await podIPs('app=kubia'));
    assert.match(out, /Name:\tkubia-headless\.default\.svc\.cluster\.local/);
  });

  test('the ExternalName external-service is a CNAME of someapi.somecompany.com', async () => {
    const out = await inPod('dnsutils', ['nslookup', 'external-service']);
    assert.match(
      out,
      /external-service\.default\.svc\.cluster\.local\tcanonical name = someapi\.somecompany\.com\./,
    );
    assert.match(out, /Address: 192\.0\.2\.81/);
    const a = await digAnswer(['external-service.default.svc.cluster.local', 'A']);
    assert.match(a[0] ?? '', /CNAME\s+someapi\.somecompany\.com\.$/);
    assert.match(a[1] ?? '', /^someapi\.somecompany\.com\.\s+\d+\s+IN\s+A\s+192\.0\.2\.81$/);
  });

  test('the DNS cases over UDP and TCP (DNS-01, 02, 04, 07, 11, 26, 28, 29)', async () => {
    const ip = (await kubectl('get', 'pod', 'dnsutils', '-o', 'jsonpath={.status.podIP}')).trim();
    const querierIP = (
      await kubectl('get', 'pod', 'dns-querier-2', '-o', 'jsonpath={.status.podIP}')
    ).trim();
    const kubiaIP = (
      await kubectl('get', 'svc', 'kubia', '-o', 'jsonpath={.spec.clusterIP}')
    ).trim();
    for (const tr of ['+notcp', '+tcp']) {
      assert.deepEqual(
        await digAnswer([tr, '+search', 'kubernetes.default', 'A']),
        ['kubernetes.default.svc.cluster.local. 30 IN A\t10.96.0.1'],
        `DNS-01/02 ${tr}`,
      );
      assert.deepEqual(
        (await digAnswer([tr, `${ip.replaceAll('.', '-')}.default.pod.cluster.local`, 'A'])).map(
          (l) => l.split(/\s+/).pop(),
        ),
        [ip],
        `pod A record ${tr}`,
      );
      assert.deepEqual(
        (
          await digAnswer([tr, 'dns-querier-2.dns-test-service-2.default.svc.cluster.local', 'A'])
        ).map((l) => l.split(/\s+/).pop()),
        [querierIP],
        `DNS-07 hostname.subdomain ${tr}`,
      );
      assert.deepEqual(
        (
          await digAnswer([tr, '_http._tcp.dns-test-service-2.default.svc.cluster.local', 'SRV'])
        ).map((l) => l.split(/\s+/).slice(4).join(' ')),
        ['0 100 80 dns-querier-2.dns-test-service-2.default.svc.cluster.local.'],
        `DNS-04 SRV ${tr}`,
      );
      assert.deepEqual(
        (await digAnswer([tr, '-x', kubiaIP])).map((l) => l.split(/\s+/).pop()),
        ['kubia.default.svc.cluster.local.'],
        `DNS-18 PTR ${tr}`,
      );
    }
    assert.equal(
      (await inPod('dnsutils', ['dig', '+short', 'dns-version.cluster.local', 'TXT'])).trim(),
      '"1.1.0"',
    );
    assert.match(
      (await digAnswer(['KuBiA.DeFaUlT.sVc.ClUsTeR.lOcAl', 'A']))[0] ?? '',
      /^KuBiA\.DeFaUlT\.sVc\.ClUsTeR\.lOcAl\./,
    );
    const nx = await inPod('dnsutils', ['dig', 'nope.default.svc.cluster.local', 'A'], false);
    assert.match(nx, /status: NXDOMAIN/);
    assert.match(
      nx,
      /^cluster\.local\.\s+30\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\./m,
    );
    const ns = await inPod('dnsutils', [
      'dig',
      '+noall',
      '+answer',
      '+additional',
      'cluster.local',
      'NS',
    ]);
    assert.match(
      ns,
      /cluster\.local\.\s+30\s+IN\s+NS\s+kube-dns\.kube-system\.svc\.cluster\.local\./,
    );
  });

  test('names outside the cluster are forwarded and cached', async () => {
    for (let i = 0; i < 3; i++) {
      const a = await digAnswer(['www.example.test', 'A']);
      assert.equal(a[0]?.split(/\s+/).pop(), '192.0.2.80');
    }
    let hits = 0;
    for (const n of sb.nodes) {
      const r = await sb.exec(n, ['curl', '-s', 'http://127.0.0.1:9153/metrics']);
      for (const m of r.stdout.matchAll(/^coredns_cache_hits_total\{[^}]*\} (\d+)$/gm))
        hits += Number(m[1]);
    }
    assert.ok(hits >= 1, 'later queries came from a cache');
  });

  test('a Service created is answered and NXDOMAIN once deleted', async () => {
    await kubectl('create', 'service', 'clusterip', 'late-svc', '--tcp=80:8080');
    const name = 'late-svc.default.svc.cluster.local';
    await waitFor(async () => (await digAnswer([name, 'A'])).length === 1, {
      what: 'late-svc answered',
      timeoutMs: 10_000,
      intervalMs: 200,
    });
    await kubectl('delete', 'service', 'late-svc');
    await waitFor(
      async () => /status: NXDOMAIN/.test(await inPod('dnsutils', ['dig', name, 'A'], false)),
      {
        what: 'late-svc gone',
        timeoutMs: 10_000,
        intervalMs: 200,
      },
    );
  });

  test('a pod turning ready and unready enters and leaves the headless answer', async () => {
    const name = 'rdy-headless.default.svc.cluster.local';
    const nx = async (): Promise<boolean> =>
      /status: NXDOMAIN/.test(await inPod('dnsutils', ['dig', name, 'A'], false));
    await waitFor(
      async () =>
        (await kubectl('get', 'pod', 'rdy', '-o', 'jsonpath={.status.phase}')) === 'Running',
      {
        what: 'rdy running',
        timeoutMs: 60_000,
      },
    );
    assert.equal(await nx(), true, 'not ready: no address');
    await inPod('rdy', ['touch', '/var/ready']);
    const ip = (await kubectl('get', 'pod', 'rdy', '-o', 'jsonpath={.status.podIP}')).trim();
    await waitFor(async () => (await digAnswer([name, 'A'])).some((l) => l.endsWith(ip)), {
      what: 'rdy in the headless answer',
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    await inPod('rdy', ['rm', '/var/ready']);
    await waitFor(nx, {
      what: 'rdy gone from the headless answer',
      timeoutMs: 30_000,
      intervalMs: 250,
    });
  });
});

/**
 * Cluster DNS end to end in a two-node sandbox (`portico sandbox`): every node runs `portico
 * dns`, published as kube-system/kube-dns (10.96.0.10); pods reach it through the proxy. Real
 * kubectl, dig, nslookup and curl from pods, over UDP and TCP.
 *
 * Upstream: each node's DNS forwards to 127.0.0.1:5353 inside that node's namespace, where the
 * test runs unbound serving `example.test` and `somecompany.com` from local data. Nothing leaves
 * the sandbox.
 *
 * The cases of conformance.md §9 (DNS-xx) are asked from pods as upstream's e2e does: dig with
 * +notcp and +tcp, getent for /etc/hosts names, the probe pod's results read through pods/proxy.
 * The CoreDNS test data (hand-made Endpoints and EndpointSlices in namespace test-1) never gets
 * traffic; only DNS answers are compared. The 1 s propagation claims are measured by sampling
 * dig in a pod every ~50 ms around the API write, and asserted.
 *
 * Address plan: the sandbox's 198.18.<i>.0/24 LAN; pods 10.244.0.0/16; services 10.96.0.0/12
 * (fixed: 10.96.0.100, .123, .222); data-only endpoints 172.0.0.0/24, 172.17.0.0/24,
 * 10.244.250.0/24, 1234:abcd::/64, 5678:abcd::/64. The client host runs two more `portico dns`
 * on 127.0.0.1:1053/1054 (pods verified / disabled).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resources } from '../../src/api/scheme.js';
import type { Endpoints, Pod, Service } from '../../src/api/types/core.js';
import { connect } from '../../src/client/connect.js';
import type { HttpClient } from '../../src/client/http.js';
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

/**
 * The upstream probe (E2E:dns_common.go createProbeCommand): for every name, dig over UDP and
 * over TCP with the search path, writing an OK file when the answer section is not empty; the
 * pod's own A record; getent for /etc/hosts names. The files are read through pods/proxy.
 */
const probeQueries: readonly (readonly [string, string])[] = [
  ['kubernetes.default.svc.cluster.local', 'A'],
  ['kubernetes.default', 'A'],
  ['kubernetes.default.svc', 'A'],
  ['dns-test-service.default.svc.cluster.local', 'A'],
  ['_http._tcp.dns-test-service.default.svc.cluster.local', 'SRV'],
  ['_http._tcp.test-service-2.default.svc.cluster.local', 'SRV'],
  // test-service-2 has the fixed clusterIP 10.96.0.123.
  ['123.0.96.10.in-addr.arpa.', 'PTR'],
];
const probeGetent = ['dns-querier-1.dns-test-service.default.svc.cluster.local', 'dns-querier-1'];
const probeFiles = [
  ...probeQueries.flatMap(([n]) => [`udp@${n}`, `tcp@${n}`]),
  'udp@PodARecord',
  'tcp@PodARecord',
  ...probeGetent.map((n) => `getent@${n}`),
];
const probeScript = [
  'for i in $(seq 1 120); do',
  ...probeQueries.flatMap(([n, type]) =>
    ['notcp', 'tcp'].map(
      (tr) =>
        `  check="$(dig +${tr} +noall +answer +search ${n} ${type})" && test -n "$check" && echo OK > /results/${tr === 'tcp' ? 'tcp' : 'udp'}@${n}`,
    ),
  ),
  `  podARec=$(hostname -i | awk -F. '{print $1"-"$2"-"$3"-"$4".default.pod.cluster.local"}')`,
  '  check="$(dig +notcp +noall +answer +search ${podARec} A)" && test -n "$check" && echo OK > /results/udp@PodARecord',
  '  check="$(dig +tcp +noall +answer +search ${podARec} A)" && test -n "$check" && echo OK > /results/tcp@PodARecord',
  ...probeGetent.map((n) => `  test -n "$(getent hosts ${n})" && echo OK > /results/getent@${n}`),
  `  [ "$(ls /results | wc -l)" -ge ${probeFiles.length} ] && break`,
  '  sleep 1',
  'done',
  'exec sleep infinity',
].join('\n');

/** DNS-02/03/04/06/08/09/10/34 pods and services (conformance §9), beside the seeds. */
const casePods = `apiVersion: v1
kind: Pod
metadata:
  name: dns-querier-1
  labels: {dns-test: "true"}
spec:
  hostname: dns-querier-1
  subdomain: dns-test-service
  volumes: [{name: results, emptyDir: {}}]
  containers:
  - name: querier
    image: tutum/dnsutils
    command: ${JSON.stringify(['bash', '-c', probeScript])}
    volumeMounts: [{name: results, mountPath: /results}]
  - name: webserver
    image: busybox
    command: [httpd, -f, -p, "80", -h, /srv]
    volumeMounts: [{name: results, mountPath: /srv/results}]
---
apiVersion: v1
kind: Service
metadata: {name: dns-test-service}
spec:
  clusterIP: None
  selector: {dns-test: "true"}
  ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: test-service-2}
spec:
  clusterIP: 10.96.0.123
  selector: {dns-test: "true"}
  ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: v1
kind: Namespace
metadata: {name: dns-hosts}
---
apiVersion: v1
kind: Pod
metadata: {name: dns-querier-1, namespace: dns-hosts}
spec:
  hostname: dns-querier-1
  subdomain: dns-test-service
  hostAliases: [{ip: 123.45.67.89, hostnames: [foo, bar]}]
  containers:
  - {name: c, image: tutum/dnsutils, command: [sleep, infinity]}
---
apiVersion: v1
kind: Pod
metadata: {name: test-dns-nameservers}
spec:
  dnsPolicy: None
  dnsConfig: {nameservers: [1.1.1.1], searches: [resolv.conf.local]}
  containers:
  - {name: c, image: busybox, command: [sleep, infinity]}
---
apiVersion: v1
kind: Pod
metadata: {name: hostnet-default}
spec:
  hostNetwork: true
  containers:
  - {name: c, image: busybox, command: [sleep, infinity]}
---
apiVersion: v1
kind: Pod
metadata: {name: hostnet-clusterfirst}
spec:
  hostNetwork: true
  dnsPolicy: ClusterFirstWithHostNet
  containers:
  - {name: c, image: busybox, command: [sleep, infinity]}
---
apiVersion: v1
kind: Pod
metadata: {name: hosts-mounted}
spec:
  volumes: [{name: h, hostPath: {path: /etc/hosts, type: File}}]
  containers:
  - name: c
    image: busybox
    command: [sleep, infinity]
    volumeMounts: [{name: h, mountPath: /etc/hosts}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: custom-dns}
data:
  unbound.conf: |
    server:
      interface: 0.0.0.0
      port: 53
      num-threads: 1
      do-daemonize: no
      username: ""
      chroot: ""
      directory: "/"
      pidfile: ""
      use-syslog: no
      logfile: ""
      do-ip6: no
      access-control: 0.0.0.0/0 allow
      local-zone: "resolv.conf.local." static
      local-data: "notexistname.resolv.conf.local. 300 IN A 1.1.1.1"
---
apiVersion: v1
kind: Pod
metadata: {name: custom-dns-server}
spec:
  volumes: [{name: cfg, configMap: {name: custom-dns}}]
  containers:
  - name: c
    image: tutum/dnsutils
    command: [unbound, -d, -c, /cfg/unbound.conf]
    volumeMounts: [{name: cfg, mountPath: /cfg}]
---
apiVersion: v1
kind: Pod
metadata:
  name: gated
  labels: {app: gated}
spec:
  readinessGates: [{conditionType: portico.test/ready}]
  containers:
  - {name: c, image: busybox, command: [sleep, infinity]}
---
apiVersion: v1
kind: Service
metadata: {name: gated-headless}
spec:
  clusterIP: None
  selector: {app: gated}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: rdy-pnra}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector: {app: rdy}
  ports: [{port: 80, targetPort: 8080}]
`;

/**
 * The CoreDNS test data (CDNS handler_test.go, CDNS-CI) as selector-less Services with hand-made
 * Endpoints (mirrored to slices) and slices, in namespace test-1: DNS-12..25, EXT-06.
 * Endpoint addresses never receive traffic; the 10.244.250.0/24 ones sit in the cluster CIDR,
 * whose reverse names the DNS answers itself.
 */
const recordObjects = `apiVersion: v1
kind: Namespace
metadata: {name: test-1}
---
apiVersion: v1
kind: Service
metadata: {name: svc-1-a, namespace: test-1}
spec:
  clusterIP: 10.96.0.100
  ports: [{name: http, port: 80}, {name: https, port: 443}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: svc-1-a, namespace: test-1}
subsets:
- addresses: [{ip: 172.17.0.253, hostname: svc-1-a}]
  ports: [{name: http, port: 80}, {name: https, port: 443}]
---
apiVersion: v1
kind: Service
metadata: {name: svc-empty, namespace: test-1}
spec:
  selector: {app: matches-nothing}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: headless-svc, namespace: test-1}
spec:
  clusterIP: None
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: headless-svc, namespace: test-1}
subsets:
- addresses: [{ip: 172.17.0.254}, {ip: 172.17.0.255}]
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: hdls1, namespace: test-1}
spec:
  clusterIP: None
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: hdls1, namespace: test-1}
subsets:
- addresses:
  - {ip: 172.0.0.2}
  - {ip: 172.0.0.4, hostname: dup-name}
  - {ip: 172.0.0.5, hostname: dup-name}
  - {ip: 10.244.250.100, hostname: ep1a}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: hdlsprtls, namespace: test-1}
spec:
  clusterIP: None
---
apiVersion: v1
kind: Endpoints
metadata: {name: hdlsprtls, namespace: test-1}
subsets:
- addresses: [{ip: 172.0.0.20}]
---
apiVersion: v1
kind: Service
metadata: {name: svc-a, namespace: test-1}
spec:
  clusterIP: None
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: svc-a, namespace: test-1}
subsets:
- addresses: [{ip: 10.244.250.50, hostname: double-ep}]
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: svc-b, namespace: test-1}
spec:
  clusterIP: None
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: svc-b, namespace: test-1}
subsets:
- addresses: [{ip: 10.244.250.50, hostname: double-ep}]
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: dup-slices, namespace: test-1}
spec:
  clusterIP: None
  ports: [{name: http, port: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: dup-slices-a
  namespace: test-1
  labels: {kubernetes.io/service-name: dup-slices, endpointslice.kubernetes.io/managed-by: ptest}
addressType: IPv4
endpoints: [{addresses: [10.244.250.60], hostname: dup}]
ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: dup-slices-b
  namespace: test-1
  labels: {kubernetes.io/service-name: dup-slices, endpointslice.kubernetes.io/managed-by: ptest}
addressType: IPv4
endpoints: [{addresses: [10.244.250.60], hostname: dup}]
ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: headless-svc-v6
  namespace: test-1
  labels: {kubernetes.io/service-name: headless-svc, endpointslice.kubernetes.io/managed-by: ptest}
addressType: IPv6
endpoints: [{addresses: ["1234:abcd::1"]}, {addresses: ["1234:abcd::2"]}]
ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: hdls1-v6
  namespace: test-1
  labels: {kubernetes.io/service-name: hdls1, endpointslice.kubernetes.io/managed-by: ptest}
addressType: IPv6
endpoints: [{addresses: ["5678:abcd::1"]}, {addresses: ["5678:abcd::2"], hostname: ep1b}]
ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: external, namespace: test-1}
spec:
  type: ExternalName
  externalName: ext.interwebs.test
---
apiVersion: v1
kind: Service
metadata: {name: ext-in, namespace: test-1}
spec:
  type: ExternalName
  externalName: svc-1-a.test-1.svc.cluster.local
`;

/** What dig printed for one query: the status and the records of each section. */
interface Dig {
  readonly rcode: string;
  readonly answer: string[];
  readonly authority: string[];
  readonly additional: string[];
}

/** Parses dig's output (`+nocmd +nostats +noquestion`): records with single spaces. */
function parseDig(out: string): Dig {
  const d = {
    rcode: '',
    answer: [] as string[],
    authority: [] as string[],
    additional: [] as string[],
  };
  let section: string[] | undefined;
  for (const line of out.split('\n')) {
    const status = /status: ([A-Z]+)/.exec(line);
    if (status) d.rcode = status[1] ?? '';
    else if (line.startsWith(';; ANSWER SECTION:')) section = d.answer;
    else if (line.startsWith(';; AUTHORITY SECTION:')) section = d.authority;
    else if (line.startsWith(';; ADDITIONAL SECTION:')) section = d.additional;
    else if (line.startsWith(';') || line.trim() === '') {
      if (line.startsWith(';;') || line.trim() === '') section = undefined;
    } else section?.push(line.trim().split(/\s+/).join(' '));
  }
  return d;
}

/** One query and what a pod must see for it, over UDP and over TCP. */
interface DigCase {
  /** dig arguments: name and type, or `-x IP`. */
  readonly q: readonly string[];
  /** Default NOERROR. */
  readonly rcode?: string;
  /** The answer records (compared as a set unless `ordered`); omitted: not checked. */
  readonly answer?: readonly string[];
  readonly ordered?: boolean;
  /** Matched against the answer section, one record a line. */
  readonly answerMatch?: RegExp;
  /** Matched against the authority section, one record a line. */
  readonly authority?: RegExp;
  /** Records the additional section must contain. */
  readonly additional?: readonly string[];
}

const shQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** The 30 s TTL of cluster records (kubeadm's Corefile `ttl 30`, our default). */
const ttl = 30;

describe('cluster DNS in the sandbox (e2e)', { skip: sandboxSkipReason() }, () => {
  let sb: TestSandbox;
  const children: ChildProcess[] = [];
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

  /** Runs every case over UDP and then TCP in one exec in `pod`; the parsed answers. */
  const digBoth = async (pod: string, cases: readonly DigCase[]): Promise<Dig[][]> => {
    const script = ['+notcp', '+tcp']
      .flatMap((tr) =>
        cases.map(
          (c) =>
            `echo @@; dig ${tr} +time=2 +tries=2 +nocmd +nostats +noquestion ${c.q.map(shQuote).join(' ')}`,
        ),
      )
      .join('\n');
    const out = await inPod(pod, ['sh', '-c', script], false);
    const parts = out.split('@@\n').slice(1).map(parseDig);
    assert.equal(parts.length, cases.length * 2, out);
    return [parts.slice(0, cases.length), parts.slice(cases.length)];
  };
  /** Asserts what `pod` sees for each case over UDP and TCP. */
  const expectDig = async (pod: string, cases: readonly DigCase[]): Promise<void> => {
    const results = await digBoth(pod, cases);
    results.forEach((list, i) => {
      const tr = i === 0 ? 'UDP' : 'TCP';
      cases.forEach((c, j) => {
        const d = list[j];
        assert.ok(d);
        const what = `dig ${c.q.join(' ')} over ${tr}: ${JSON.stringify(d)}`;
        assert.equal(d.rcode, c.rcode ?? 'NOERROR', what);
        if (c.answer)
          assert.deepEqual(
            c.ordered ? d.answer : [...d.answer].sort(),
            c.ordered ? c.answer : [...c.answer].sort(),
            what,
          );
        if (c.answerMatch) assert.match(d.answer.join('\n'), c.answerMatch, what);
        if (c.authority) assert.match(d.authority.join('\n'), c.authority, what);
        for (const a of c.additional ?? []) assert.ok(d.additional.includes(a), `${what}: ${a}`);
      });
    });
  };
  const podIP = async (name: string, ns = 'default'): Promise<string> => {
    const ip = await waitFor(
      async () =>
        (await kubectl('get', 'pod', '-n', ns, name, '-o', 'jsonpath={.status.podIP}')).trim() ||
        undefined,
      { what: `${ns}/${name} has an IP`, timeoutMs: 60_000, intervalMs: 250 },
    );
    return ip;
  };
  const waitRunning = async (names: readonly string[], ns = 'default'): Promise<void> => {
    await waitFor(
      async () => {
        const out = await kubectl('get', 'pods', '-n', ns, ...names, '-o', 'json');
        // One name: the pod itself; several: a List.
        const parsed = JSON.parse(out) as Pod | { items: Pod[] };
        const items = 'items' in parsed ? parsed.items : [parsed];
        return items.length === names.length && items.every((p) => p.status?.phase === 'Running');
      },
      { what: `${names.join(', ')} running`, timeoutMs: 90_000, intervalMs: 500 },
    );
  };
  /**
   * Samples `dig +short <name> A` in the dnsutils pod about every 50 ms, from before `change`
   * until the answer has differed from the first sample for 10 samples. Returns the first and
   * final answers and the ms from `change` returning to the first sample of the final run of
   * changed answers (an upper bound of the propagation time: a sample is stamped after dig
   * returns). Both DNS servers sit behind 10.96.0.10, so the run covers both.
   */
  const propagation = async (
    name: string,
    change: () => Promise<unknown>,
  ): Promise<{ ms: number; before: string; after: string; changedAt: number }> => {
    const script = `n=0; seen=0; first=
while [ $n -lt 300 ]; do
  r=$(dig +short +time=1 +tries=1 ${shQuote(name)} A | sort | tr '\n' ,)
  echo "$(date +%s%3N) $r"
  if [ $n -eq 0 ]; then first="$r"; elif [ "$r" != "$first" ]; then
    seen=$((seen+1)); [ $seen -ge 10 ] && break
  fi
  n=$((n+1)); sleep 0.05
done`;
    let lines = 0;
    let started: () => void = () => undefined;
    const ready = new Promise<void>((r) => (started = r));
    const run = sb.kubectl(['exec', 'dnsutils', '--', 'bash', '-c', script], {
      timeoutMs: 60_000,
      onStdout: (so) => {
        lines = so.split('\n').length - 1;
        if (lines >= 3) started();
      },
    });
    await Promise.race([ready, run]);
    await change();
    const changedAt = Date.now();
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    const samples = r.stdout
      .trim()
      .split('\n')
      .map((l) => {
        const [t, a] = l.split(' ');
        return { t: Number(t), a: a ?? '' };
      });
    const before = samples[0]?.a ?? '';
    const after = samples[samples.length - 1]?.a ?? '';
    assert.ok(
      samples.some((s) => s.t < changedAt && s.a === before),
      'sampling began before the change',
    );
    let k = samples.length;
    while (k > 0 && samples[k - 1]?.a !== before) k--;
    assert.ok(k < samples.length, `the answer of ${name} never changed: ${r.stdout}`);
    return { ms: (samples[k]?.t ?? 0) - changedAt, before, after, changedAt };
  };

  let client: HttpClient;
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
      children.push(u);
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
    client = connect({ kubeconfig: sb.kubeconfig, userAgent: 'ptest-dns-e2e' }).client;
    cleanups.push(() => client.close());
    for (const input of [probePod, casePods, recordObjects]) {
      const apply = await sb.kubectl(['apply', '-f', '-'], { input, timeoutMs: 60_000 });
      assert.equal(apply.code, 0, apply.stderr);
    }
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
    for (const u of children) if (u.pid !== undefined && u.exitCode === null) process.kill(u.pid);
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
      // The proxy may not have programmed the fresh endpoints yet: retry the first request.
      await waitFor(
        async () =>
          /^You've hit kubia-/.test(
            await inPod(pod, ['curl', '-s', '--max-time', '5', url], false),
          ),
        { what: `curl ${url}`, timeoutMs: 15_000, intervalMs: 250 },
      );
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

  test('DNS-21: a pod turning ready and unready enters and leaves the headless answer; publishNotReadyAddresses', async () => {
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
    const ip0 = await podIP('rdy');
    assert.deepEqual(
      await digAnswer(['rdy-pnra.default.svc.cluster.local', 'A']),
      [`rdy-pnra.default.svc.cluster.local. ${ttl} IN A\t${ip0}`],
      'publishNotReadyAddresses: the unready pod is published (DNS-21)',
    );
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

  test('DNS-01, 02, 04 the upstream way: probe files over UDP and TCP, read through pods/proxy', async () => {
    await waitRunning(['dns-querier-1']);
    // pods/proxy dials the pod IP from the API server. The sandbox's server host runs no agent,
    // so it has no pod routes (a kubeadm control plane runs the CNI): add them, host-gw style
    // as the agents do (gone with the sandbox's namespaces).
    const nodes = JSON.parse(await kubectl('get', 'nodes', '-o', 'json')) as {
      items: { metadata: { name?: string }; spec?: { podCIDR?: string } }[];
    };
    for (const n of nodes.items) {
      const cidr = n.spec?.podCIDR;
      assert.ok(cidr && n.metadata.name, 'every node has a pod CIDR');
      const r = await sb.exec('server', [
        'ip',
        'route',
        'replace',
        cidr,
        'via',
        sb.ip(n.metadata.name),
      ]);
      assert.equal(r.code, 0, r.stderr);
    }
    const missing = new Set(probeFiles);
    await waitFor(
      async () => {
        for (const f of [...missing]) {
          const r = await client.request({
            method: 'GET',
            path: `/api/v1/namespaces/default/pods/dns-querier-1:80/proxy/results/${f}`,
          });
          if (r.status === 200 && r.body.toString() === 'OK\n') missing.delete(f);
        }
        return missing.size === 0;
      },
      { what: 'every probe result', timeoutMs: 60_000, intervalMs: 500 },
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}; missing: ${[...missing].join(', ')}`);
    });
  });

  test('DNS-02 partial names through the search path, and getent (UDP and TCP)', async () => {
    await waitRunning(['dns-querier-1']);
    const ip = await podIP('dns-querier-1');
    const k = `kubernetes.default.svc.cluster.local. ${ttl} IN A 10.96.0.1`;
    await expectDig('dns-querier-1', [
      { q: ['+search', 'kubernetes.default', 'A'], answer: [k] },
      { q: ['+search', 'kubernetes.default.svc', 'A'], answer: [k] },
      { q: ['+search', 'kubernetes', 'A'], answer: [k] },
    ]);
    for (const name of [
      'dns-querier-1.dns-test-service.default.svc.cluster.local',
      'dns-querier-1',
    ]) {
      const out = await inPod('dns-querier-1', ['getent', 'hosts', name]);
      assert.equal(out.split(/\s+/)[0], ip, `getent hosts ${name}: ${out}`);
    }
  });

  test('DNS-03 and DNS-34: the pod FQDN from the managed /etc/hosts without a Service; hostAliases; unmanaged files', async () => {
    await waitRunning(['dns-querier-1'], 'dns-hosts');
    await waitRunning(['hostnet-default', 'hosts-mounted']);
    const ip = await podIP('dns-querier-1', 'dns-hosts');
    const fqdn = 'dns-querier-1.dns-test-service.dns-hosts.svc.cluster.local';
    const exec = async (cmd: string[]): Promise<string> => {
      const r = await sb.kubectl(['exec', '-n', 'dns-hosts', 'dns-querier-1', '--', ...cmd], {
        timeoutMs: 30_000,
      });
      assert.equal(r.code, 0, `${cmd.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    for (const name of [fqdn, 'dns-querier-1']) {
      const out = await exec(['getent', 'hosts', name]);
      assert.equal(out.split(/\s+/)[0], ip, `getent hosts ${name}: ${out}`);
    }
    // No Service: the cluster DNS does not know the name; the answer came from /etc/hosts.
    assert.match(await exec(['dig', '+time=2', fqdn, 'A']), /status: NXDOMAIN/);
    assert.equal((await exec(['hostname'])).trim(), 'dns-querier-1');
    const hosts = await exec(['cat', '/etc/hosts']);
    assert.match(hosts, /^# Kubernetes-managed hosts file\.$/m);
    assert.ok(hosts.includes(`\n${ip}\t${fqdn}\tdns-querier-1\n`), hosts);
    assert.ok(hosts.includes('\n123.45.67.89\tfoo\tbar\n'), hosts);
    // A hostNetwork pod, and a container mounting the node's file, are not managed (DNS-34 b, c).
    const nodeHosts = readFileSync('/etc/hosts', 'utf8');
    for (const pod of ['hostnet-default', 'hosts-mounted']) {
      const h = await inPod(pod, ['cat', '/etc/hosts']);
      assert.doesNotMatch(h, /Kubernetes-managed/, pod);
      assert.equal(h, nodeHosts, pod);
    }
  });

  test('DNS-04: headless and ClusterIP A, SRV and PTR from the probe pod, and its pod A record (UDP and TCP)', async () => {
    const ip = await podIP('dns-querier-1');
    const svc2 = (
      await kubectl('get', 'svc', 'test-service-2', '-o', 'jsonpath={.spec.clusterIP}')
    ).trim();
    const ns = 'default.svc.cluster.local';
    await waitFor(
      async () =>
        (await digAnswer([`dns-test-service.${ns}`, 'A'])).some((l) => l.endsWith(ip)) || undefined,
      { what: 'dns-querier-1 in dns-test-service', timeoutMs: 30_000, intervalMs: 250 },
    );
    await expectDig('dns-querier-1', [
      { q: [`dns-test-service.${ns}`, 'A'], answer: [`dns-test-service.${ns}. ${ttl} IN A ${ip}`] },
      {
        q: [`_http._tcp.dns-test-service.${ns}`, 'SRV'],
        answer: [
          `_http._tcp.dns-test-service.${ns}. ${ttl} IN SRV 0 100 80 dns-querier-1.dns-test-service.${ns}.`,
        ],
        additional: [`dns-querier-1.dns-test-service.${ns}. ${ttl} IN A ${ip}`],
      },
      {
        q: [`_http._tcp.test-service-2.${ns}`, 'SRV'],
        answer: [`_http._tcp.test-service-2.${ns}. ${ttl} IN SRV 0 100 80 test-service-2.${ns}.`],
        additional: [`test-service-2.${ns}. ${ttl} IN A ${svc2}`],
      },
      {
        q: ['-x', svc2],
        answer: [
          `${svc2.split('.').reverse().join('.')}.in-addr.arpa. ${ttl} IN PTR test-service-2.${ns}.`,
        ],
      },
      {
        q: [`${ip.replaceAll('.', '-')}.default.pod.cluster.local`, 'A'],
        answer: [`${ip.replaceAll('.', '-')}.default.pod.cluster.local. ${ttl} IN A ${ip}`],
      },
    ]);
  });

  test('DNS-06 and DNS-07: hostname.subdomain via /etc/hosts and DNS, the subdomain, the pod A record', async () => {
    const ip = await podIP('dns-querier-2');
    const fqdn = 'dns-querier-2.dns-test-service-2.default.svc.cluster.local';
    for (const name of [fqdn, 'dns-querier-2']) {
      const out = await inPod('dns-querier-2', ['getent', 'hosts', name]);
      assert.equal(out.split(/\s+/)[0], ip, `getent hosts ${name}: ${out}`);
    }
    const dashed = `${ip.replaceAll('.', '-')}.default.pod.cluster.local`;
    await expectDig('dns-querier-2', [
      { q: ['+search', fqdn, 'A'], answer: [`${fqdn}. ${ttl} IN A ${ip}`] },
      {
        q: ['+search', 'dns-test-service-2.default.svc.cluster.local', 'A'],
        answer: [`dns-test-service-2.default.svc.cluster.local. ${ttl} IN A ${ip}`],
      },
      { q: [dashed, 'A'], answer: [`${dashed}. ${ttl} IN A ${ip}`] },
    ]);
  });

  test('DNS-08 and DNS-10: resolv.conf for dnsPolicy None, ClusterFirst, hostNetwork and ClusterFirstWithHostNet', async () => {
    await waitRunning(['test-dns-nameservers', 'hostnet-default', 'hostnet-clusterfirst']);
    assert.equal(
      await inPod('test-dns-nameservers', ['cat', '/etc/resolv.conf']),
      'search resolv.conf.local\nnameserver 1.1.1.1\n',
    );
    const r = await sb.kubectl(
      ['exec', '-n', 'dns-hosts', 'dns-querier-1', '--', 'cat', '/etc/resolv.conf'],
      { timeoutMs: 30_000 },
    );
    assert.match(
      r.stdout,
      /^search dns-hosts\.svc\.cluster\.local svc\.cluster\.local cluster\.local( |$)/m,
    );
    assert.match(r.stdout, /^nameserver 10\.96\.0\.10\n/m);
    assert.match(r.stdout, /^options ndots:5$/m);
    const servers = (text: string): string[] =>
      [...text.matchAll(/^nameserver\s+(\S+)/gm)].map((m) => m[1] ?? '');
    assert.deepEqual(
      servers(await inPod('hostnet-default', ['cat', '/etc/resolv.conf'])),
      servers(readFileSync('/etc/resolv.conf', 'utf8')).slice(0, 3),
      'hostNetwork + ClusterFirst: the node resolv.conf',
    );
    const cf = await inPod('hostnet-clusterfirst', ['cat', '/etc/resolv.conf']);
    assert.deepEqual(servers(cf), ['10.96.0.10']);
    assert.match(cf, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/m);
    assert.match(cf, /^options ndots:5$/m);
  });

  test('DNS-09: a custom name server and ndots:2 through dnsConfig', async () => {
    await waitRunning(['custom-dns-server']);
    const server = await podIP('custom-dns-server');
    const client = `apiVersion: v1
kind: Pod
metadata: {name: custom-dns-client}
spec:
  dnsPolicy: None
  dnsConfig:
    nameservers: ["${server}"]
    searches: [resolv.conf.local]
    options: [{name: ndots, value: "2"}]
  containers:
  - {name: c, image: tutum/dnsutils, command: [sleep, infinity]}
`;
    const apply = await sb.kubectl(['apply', '-f', '-'], { input: client, timeoutMs: 60_000 });
    assert.equal(apply.code, 0, apply.stderr);
    await waitRunning(['custom-dns-client']);
    const resolv = await inPod('custom-dns-client', ['cat', '/etc/resolv.conf']);
    assert.match(resolv, /^options ndots:2$/m);
    assert.match(resolv, new RegExp(`^nameserver ${server.replaceAll('.', '\\.')}$`, 'm'));
    await waitFor(
      async () =>
        (
          await inPod(
            'custom-dns-client',
            ['dig', '+short', '+time=1', '+search', 'notexistname'],
            false,
          )
        ).trim() === '1.1.1.1',
      { what: 'notexistname answered by the custom server', timeoutMs: 20_000, intervalMs: 250 },
    );
  });

  test('DNS-12, 13, 14, 15, 17, 18: ClusterIP A, without endpoints, AAAA NODATA, SRV, PTR (UDP and TCP)', async () => {
    const ns = 'test-1.svc.cluster.local';
    const empty = (
      await kubectl('get', 'svc', '-n', 'test-1', 'svc-empty', '-o', 'jsonpath={.spec.clusterIP}')
    ).trim();
    await waitFor(async () => (await digAnswer([`svc-1-a.${ns}`, 'A'])).length === 1, {
      what: 'svc-1-a answered',
      timeoutMs: 10_000,
      intervalMs: 200,
    });
    const soa =
      /^cluster\.local\. 30 IN SOA ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 30$/;
    await expectDig('dnsutils', [
      { q: [`svc-1-a.${ns}`, 'A'], answer: [`svc-1-a.${ns}. ${ttl} IN A 10.96.0.100`] },
      { q: [`svc-empty.${ns}`, 'A'], answer: [`svc-empty.${ns}. ${ttl} IN A ${empty}`] },
      {
        q: [`_http._tcp.svc-empty.${ns}`, 'SRV'],
        answer: [`_http._tcp.svc-empty.${ns}. ${ttl} IN SRV 0 100 80 svc-empty.${ns}.`],
      },
      { q: [`svc-1-a.${ns}`, 'AAAA'], answer: [], authority: soa },
      {
        q: [`_http._tcp.svc-1-a.${ns}`, 'SRV'],
        answer: [`_http._tcp.svc-1-a.${ns}. ${ttl} IN SRV 0 100 80 svc-1-a.${ns}.`],
        additional: [`svc-1-a.${ns}. ${ttl} IN A 10.96.0.100`],
      },
      {
        q: [`_https._tcp.svc-1-a.${ns}`, 'SRV'],
        answer: [`_https._tcp.svc-1-a.${ns}. ${ttl} IN SRV 0 100 443 svc-1-a.${ns}.`],
      },
      {
        q: [`svc-1-a.${ns}`, 'SRV'],
        answer: [
          `svc-1-a.${ns}. ${ttl} IN SRV 0 50 80 svc-1-a.${ns}.`,
          `svc-1-a.${ns}. ${ttl} IN SRV 0 50 443 svc-1-a.${ns}.`,
        ],
        additional: [`svc-1-a.${ns}. ${ttl} IN A 10.96.0.100`],
      },
      {
        q: ['-x', '10.96.0.100'],
        answer: [`100.0.96.10.in-addr.arpa. ${ttl} IN PTR svc-1-a.${ns}.`],
      },
    ]);
  });

  test('DNS-19, 20, 22, 23, 25: headless A and AAAA, endpoint names, PTRs in-addr and ip6 (UDP and TCP)', async () => {
    const ns = 'test-1.svc.cluster.local';
    await waitFor(async () => (await digAnswer([`dup-name.hdls1.${ns}`, 'A'])).length === 2, {
      what: 'the hand-made endpoints mirrored and answered',
      timeoutMs: 20_000,
      intervalMs: 250,
    });
    await expectDig('dnsutils', [
      {
        q: [`headless-svc.${ns}`, 'A'],
        answer: [
          `headless-svc.${ns}. ${ttl} IN A 172.17.0.254`,
          `headless-svc.${ns}. ${ttl} IN A 172.17.0.255`,
        ],
      },
      {
        q: [`dup-name.hdls1.${ns}`, 'A'],
        answer: [
          `dup-name.hdls1.${ns}. ${ttl} IN A 172.0.0.4`,
          `dup-name.hdls1.${ns}. ${ttl} IN A 172.0.0.5`,
        ],
      },
      { q: [`bogusendpoint.hdls1.${ns}`, 'A'], rcode: 'NXDOMAIN', answer: [] },
      {
        q: [`172-0-0-2.hdls1.${ns}`, 'A'],
        answer: [`172-0-0-2.hdls1.${ns}. ${ttl} IN A 172.0.0.2`],
      },
      {
        q: [`172-0-0-20.hdlsprtls.${ns}`, 'A'],
        answer: [`172-0-0-20.hdlsprtls.${ns}. ${ttl} IN A 172.0.0.20`],
      },
      { q: [`hdlsprtls.${ns}`, 'A'], answer: [`hdlsprtls.${ns}. ${ttl} IN A 172.0.0.20`] },
      {
        q: [`headless-svc.${ns}`, 'AAAA'],
        answer: [
          `headless-svc.${ns}. ${ttl} IN AAAA 1234:abcd::1`,
          `headless-svc.${ns}. ${ttl} IN AAAA 1234:abcd::2`,
        ],
      },
      {
        q: [`5678-abcd--1.hdls1.${ns}`, 'AAAA'],
        answer: [`5678-abcd--1.hdls1.${ns}. ${ttl} IN AAAA 5678:abcd::1`],
      },
      {
        q: ['-x', '5678:abcd::2'],
        answer: [
          `${'5678abcd000000000000000000000002'.split('').reverse().join('.')}.ip6.arpa. ${ttl} IN PTR ep1b.hdls1.${ns}.`,
        ],
      },
      {
        q: ['-x', '10.96.0.99'],
        rcode: 'NXDOMAIN',
        answer: [],
        authority: /^in-addr\.arpa\. 30 IN SOA /,
      },
      {
        q: ['-x', '10.244.250.50'],
        answer: [
          `50.250.244.10.in-addr.arpa. ${ttl} IN PTR double-ep.svc-a.${ns}.`,
          `50.250.244.10.in-addr.arpa. ${ttl} IN PTR double-ep.svc-b.${ns}.`,
        ],
      },
      {
        q: ['-x', '10.244.250.60'],
        answer: [`60.250.244.10.in-addr.arpa. ${ttl} IN PTR dup.dup-slices.${ns}.`],
      },
      {
        q: ['-x', '10.244.250.100'],
        answer: [`100.250.244.10.in-addr.arpa. ${ttl} IN PTR ep1a.hdls1.${ns}.`],
      },
      {
        q: ['-x', '172.17.0.253'],
        answer: [`253.0.17.172.in-addr.arpa. ${ttl} IN PTR svc-1-a.svc-1-a.${ns}.`],
      },
    ]);
  });

  test('DNS-11, 26, 28, 29, 32 and EXT-06: version, case, the apex, pod names, no wildcards, CNAMEs (UDP and TCP)', async () => {
    // CoreDNS keeps the query's case of the zone in the SOA and in SRV targets.
    const soa = (owner: string): RegExp => {
      const o = owner.replaceAll('.', '\\.');
      return new RegExp(
        `^${o}\\. 30 IN SOA ns\\.dns\\.${o}\\. hostmaster\\.${o}\\. \\d+ 7200 1800 86400 30$`,
      );
    };
    const nodata = { answer: [], authority: soa('cluster.local') };
    await expectDig('dnsutils', [
      {
        q: ['SvC-1-a.TeSt-1.SvC.cLuStEr.LoCaL', 'A'],
        answer: [`SvC-1-a.TeSt-1.SvC.cLuStEr.LoCaL. ${ttl} IN A 10.96.0.100`],
      },
      {
        q: ['_HtTp._TcP.sVc-1-A.TeSt-1.SvC.cLuStEr.LoCaL', 'SRV'],
        answer: [
          `_HtTp._TcP.sVc-1-A.TeSt-1.SvC.cLuStEr.LoCaL. ${ttl} IN SRV 0 100 80 svc-1-a.test-1.svc.cLuStEr.LoCaL.`,
        ],
      },
      {
        q: ['not-a-service.test-1.svc.ClUsTeR.lOcAl', 'A'],
        rcode: 'NXDOMAIN',
        authority: soa('ClUsTeR.lOcAl'),
      },
      { q: ['cluster.local', 'SOA'], answerMatch: soa('cluster.local') },
      {
        q: ['cluster.local', 'NS'],
        answer: [`cluster.local. ${ttl} IN NS kube-dns.kube-system.svc.cluster.local.`],
        additional: [`kube-dns.kube-system.svc.cluster.local. ${ttl} IN A 10.96.0.10`],
      },
      {
        q: ['dns-version.cluster.local', 'TXT'],
        answer: ['dns-version.cluster.local. 28800 IN TXT "1.1.0"'],
      },
      { q: ['cluster.local', 'A'], ...nodata },
      { q: ['cluster.local', 'AAAA'], ...nodata },
      { q: ['cluster.local', 'SRV'], ...nodata },
      { q: ['cluster.local', 'HINFO'], ...nodata },
      {
        q: ['10-240-0-1.test-1.pod.cluster.local', 'A'],
        answer: [`10-240-0-1.test-1.pod.cluster.local. ${ttl} IN A 10.240.0.1`],
      },
      { q: ['blah.test-1.pod.cluster.local', 'A'], rcode: 'NXDOMAIN', answer: [] },
      { q: ['blah.test-1.pod.cluster.local', 'AAAA'], rcode: 'NXDOMAIN', answer: [] },
      { q: ['blah.pod-nons.pod.cluster.local', 'A'], rcode: 'NXDOMAIN', answer: [] },
      { q: ['test-1.pod.cluster.local', 'A'], ...nodata },
      { q: ['*.test-1.svc.cluster.local', 'A'], rcode: 'NXDOMAIN', answer: [] },
      { q: ['any.test-1.svc.cluster.local', 'A'], rcode: 'NXDOMAIN', answer: [] },
      {
        q: ['external.test-1.svc.cluster.local', 'CNAME'],
        answer: [`external.test-1.svc.cluster.local. ${ttl} IN CNAME ext.interwebs.test.`],
      },
      {
        q: ['ext-in.test-1.svc.cluster.local', 'A'],
        ordered: true,
        answer: [
          `ext-in.test-1.svc.cluster.local. ${ttl} IN CNAME svc-1-a.test-1.svc.cluster.local.`,
          `svc-1-a.test-1.svc.cluster.local. ${ttl} IN A 10.96.0.100`,
        ],
      },
    ]);
  });

  test('DNS-30: a Service created is answered, and NXDOMAIN once deleted, within 1 s of the API write', async (t) => {
    const name = 'new-svc.test-1.svc.cluster.local';
    const created = await propagation(name, () =>
      client.create<Service>(resources.services, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { namespace: 'test-1', name: 'new-svc' },
        spec: { clusterIP: '10.96.0.222', ports: [{ name: 'http', port: 80 }] },
      }),
    );
    assert.equal(created.before, '');
    assert.equal(created.after, '10.96.0.222,');
    await client.create<Endpoints>(resources.endpoints, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { namespace: 'test-1', name: 'new-svc' },
      subsets: [{ addresses: [{ ip: '172.17.0.222' }], ports: [{ name: 'http', port: 80 }] }],
    });
    const ep = '172-17-0-222.new-svc.test-1.svc.cluster.local';
    await waitFor(async () => (await digAnswer([ep, 'A']))[0]?.endsWith('172.17.0.222'), {
      what: 'the endpoint record of new-svc',
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    const deleted = await propagation(name, () =>
      client.delete(resources.services, 'test-1', 'new-svc'),
    );
    assert.equal(deleted.after, '');
    await expectDig('dnsutils', [
      { q: [name, 'A'], rcode: 'NXDOMAIN', answer: [] },
      { q: [ep, 'A'], rcode: 'NXDOMAIN', answer: [] },
    ]);
    t.diagnostic(`created → answered: ${created.ms} ms; deleted → NXDOMAIN: ${deleted.ms} ms`);
    assert.ok(created.ms <= 1000, `created → answered took ${created.ms} ms`);
    assert.ok(deleted.ms <= 1000, `deleted → NXDOMAIN took ${deleted.ms} ms`);
  });

  test('a pod turning unready (readiness gate) leaves the headless answer within 1 s', async (t) => {
    await waitRunning(['gated']);
    const ip = await podIP('gated');
    const gate = (status: 'True' | 'False'): Promise<Pod> =>
      client.patch<Pod>(
        resources.pods,
        'default',
        'gated',
        'strategic',
        { status: { conditions: [{ type: 'portico.test/ready', status }] } },
        { subresource: 'status' },
      );
    const name = 'gated-headless.default.svc.cluster.local';
    await gate('True');
    await waitFor(async () => (await digAnswer([name, 'A'])).some((l) => l.endsWith(ip)), {
      what: 'the gated pod in the headless answer',
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    // When the pod's Ready condition turns False in the API, seen by polling every 20 ms.
    let unreadyAt = 0;
    const watchReady = async (): Promise<void> => {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const p = await client.get<Pod>(resources.pods, 'default', 'gated');
        if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False')) {
          unreadyAt = Date.now();
          return;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    let polling: Promise<void> = Promise.resolve();
    const r = await propagation(name, async () => {
      await gate('False');
      polling = watchReady();
    });
    await polling;
    assert.equal(r.before, `${ip},`);
    assert.equal(r.after, '');
    assert.ok(unreadyAt > 0, 'the pod turned unready');
    const fromUnready = r.changedAt + r.ms - unreadyAt;
    t.diagnostic(
      `gate written → out of DNS: ${r.ms} ms; Ready=False seen by a 20 ms API poll at ` +
        `+${unreadyAt - r.changedAt} ms, so Ready=False → out of DNS ≤ ${fromUnready} ms`,
    );
    assert.ok(fromUnready <= 1000, `Ready=False → out of DNS took ${fromUnready} ms`);
  });

  test('DNS-29 verified and disabled pod records, DNS-33 endpoint pod names: more `portico dns` on the client host', async () => {
    // Two more servers against the same API, with the modes the sandbox's own do not run.
    const bin = join(process.env['PORTICO_ROOT'] ?? process.cwd(), 'bin', 'portico.js');
    const start = (port: number, flags: string[]): ChildProcess => {
      const p = spawn(
        'ip',
        [
          ...['netns', 'exec', sb.netns('client'), process.execPath, bin, 'dns'],
          ...['--kubeconfig', sb.kubeconfig, '--node-name', 'client', '--no-publish'],
          ...['--upstream', 'none', '--bind-address', '127.0.0.1', '--port', String(port)],
          ...['--metrics-bind-address', '', ...flags],
        ],
        { stdio: 'ignore' },
      );
      children.push(p);
      return p;
    };
    start(1053, ['--pods', 'verified', '--endpoint-pod-names']);
    start(1054, ['--pods', 'disabled']);
    const dig = async (port: number, tr: string, q: string[]): Promise<Dig> => {
      const r = await sb.exec('client', [
        ...['dig', '@127.0.0.1', '-p', String(port), tr, '+time=1', '+tries=1'],
        ...['+nocmd', '+nostats', '+noquestion', ...q],
      ]);
      return parseDig(r.stdout);
    };
    for (const port of [1053, 1054])
      await waitFor(
        async () =>
          (await dig(port, '+notcp', ['kubernetes.default.svc.cluster.local', 'A'])).answer
            .length === 1,
        { what: `portico dns on :${port} answering`, timeoutMs: 20_000, intervalMs: 200 },
      );
    const ip = await podIP('dnsutils');
    const dashed = ip.replaceAll('.', '-');
    const kubiaPods = (
      await kubectl('get', 'pods', '-l', 'app=kubia', '-o', 'jsonpath={.items[*].metadata.name}')
    )
      .split(' ')
      .sort();
    for (const tr of ['+notcp', '+tcp']) {
      const v = (q: string[]) => dig(1053, tr, q);
      const own = await v([`${dashed}.default.pod.cluster.local`, 'A']);
      assert.deepEqual(own.answer, [`${dashed}.default.pod.cluster.local. ${ttl} IN A ${ip}`], tr);
      for (const q of [
        '172-0-0-2.default.pod.cluster.local',
        `${dashed}.test-1.pod.cluster.local`,
        'pod-nons.pod.cluster.local',
      ])
        assert.equal((await v([q, 'A'])).rcode, 'NXDOMAIN', `verified ${q} ${tr}`);
      const srv = await v(['kubia-headless.default.svc.cluster.local', 'SRV']);
      assert.deepEqual(
        srv.answer.map((a) => (a.split(' ').pop() ?? '').split('.')[0]).sort(),
        kubiaPods,
        `endpoint pod names ${tr}`,
      );
      const d = await dig(1054, tr, [`${dashed}.default.pod.cluster.local`, 'A']);
      assert.equal(d.rcode, 'NXDOMAIN', `disabled ${tr}`);
    }
  });

  test('EXT-04: a ClusterIP Service turned ExternalName answers CNAME then A; nslookup succeeds', async () => {
    await kubectl(
      'create',
      'service',
      'clusterip',
      'clusterip-service',
      '-n',
      'test-1',
      '--tcp=80:9376',
    );
    const name = 'clusterip-service.test-1.svc.cluster.local';
    await waitFor(async () => (await digAnswer([name, 'A'])).length === 1, {
      what: 'clusterip-service answered',
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    // As upstream's jig: the old clusterIP is sent back unchanged; the registry drops it.
    await kubectl(
      'patch',
      'svc',
      'clusterip-service',
      '-n',
      'test-1',
      '-p',
      JSON.stringify({
        spec: { type: 'ExternalName', externalName: 'svc-1-a.test-1.svc.cluster.local' },
      }),
    );
    const svc = JSON.parse(
      await kubectl('get', 'svc', 'clusterip-service', '-n', 'test-1', '-o', 'json'),
    ) as Service;
    assert.equal(svc.spec?.clusterIP ?? '', '');
    const cname = `${name}. ${ttl} IN CNAME svc-1-a.test-1.svc.cluster.local.`;
    await waitFor(async () => (await digAnswer([name, 'A']))[0]?.split(/\s+/).join(' ') === cname, {
      what: 'the CNAME of clusterip-service',
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    await expectDig('dnsutils', [
      {
        q: [name, 'A'],
        ordered: true,
        answer: [cname, `svc-1-a.test-1.svc.cluster.local. ${ttl} IN A 10.96.0.100`],
      },
    ]);
    const ns = await inPod('dnsutils', ['nslookup', name]);
    assert.match(ns, /canonical name = svc-1-a\.test-1\.svc\.cluster\.local\./);
    assert.match(ns, /Address: 10\.96\.0\.100/);
  });
});

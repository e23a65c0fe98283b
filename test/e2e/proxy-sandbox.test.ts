/**
 * The proxy's acceptance tests (issue: Service proxy) in a two-node sandbox, with the real
 * kubectl, the seeds' manifests verbatim where they apply, and curl from pods and from the
 * sandbox's outside `client` host.
 *
 * Address plan: sandbox LAN 198.18.<free index>.0/24 (RFC 2544: nodes .11/.12, client .100), pod
 * CIDRs 10.244.<n>.0/24, Services 10.96.0.0/12 — all inside network namespaces this test creates.
 * The seeds' `external-service` Endpoints point at 11.11.11.11 and 22.22.22.22; here they point at
 * the sandbox's client host instead (a host outside the cluster that this test controls), so no
 * packet ever leaves the sandbox.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pod, Service } from '../../src/api/types/core.js';
import { sandboxSkipReason, startSandbox, type TestSandbox } from '../../src/testing/sandbox.js';
import { waitFor } from '../../src/testing/wait.js';

const skip = sandboxSkipReason();
const seeds = join(process.env['PORTICO_ROOT'] ?? process.cwd(), 'test', 'fixtures', 'seeds');
const seed = (name: string): string => readFileSync(join(seeds, name), 'utf8');

describe('service proxy acceptance (e2e, sandbox with 2 nodes)', { skip }, () => {
  let sb: TestSandbox;
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const f of cleanups.reverse()) await f();
  });

  before(async () => {
    sb = await startSandbox({ after: (fn) => cleanups.push(fn) }, { nodes: 2 });
  });

  async function k(args: string[], input?: string): Promise<string> {
    const r = await sb.kubectl(args, input !== undefined ? { input } : {});
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}\n${sb.logs(15)}`);
    return r.stdout;
  }

  async function getJson<T>(args: string[]): Promise<T> {
    return JSON.parse(await k([...args, '-o', 'json'])) as T;
  }

  async function readyPods(selector: string, count: number): Promise<Pod[]> {
    return waitFor(
      async () => {
        const items = (
          await getJson<{ items: Pod[] }>(['get', 'pods', '-l', selector])
        ).items.filter(
          (p) =>
            p.metadata.deletionTimestamp === undefined &&
            p.status?.phase === 'Running' &&
            p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        return items.length === count ? items : undefined;
      },
      { what: `${count} ready pods ${selector}`, timeoutMs: 90_000, intervalMs: 500 },
    );
  }

  async function clusterIP(name: string): Promise<string> {
    return (await getJson<Service>(['get', 'svc', name])).spec?.clusterIP ?? '';
  }

  /** `kubectl exec <pod> -- curl …`; stdout, or the curl error. */
  async function curlFrom(
    pod: string,
    url: string,
    maxTime = 3,
  ): Promise<{ code: number | null; out: string; err: string }> {
    const r = await sb.kubectl([
      'exec',
      pod,
      '--',
      'curl',
      '-sS',
      '--max-time',
      String(maxTime),
      url,
    ]);
    return { code: r.code, out: r.stdout.trim(), err: r.stderr.trim() };
  }

  async function curlClient(
    url: string,
    maxTime = 3,
  ): Promise<{ code: number | null; out: string }> {
    const r = await sb.exec('client', ['curl', '-sS', '--max-time', String(maxTime), url]);
    return { code: r.code, out: r.stdout.trim() };
  }

  /** Answers of `n` requests, waiting first until the Service answers at all. */
  async function answers(
    get: () => Promise<{ code: number | null; out: string }>,
    n: number,
    what: string,
  ): Promise<Set<string>> {
    await waitFor(async () => (await get()).code === 0, {
      what,
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const r = await get();
      assert.equal(r.code, 0, `${what}: request ${i + 1} failed`);
      seen.add(r.out);
    }
    return seen;
  }

  let kubia: Pod[] = [];

  it("serves the seeds' kubia Service: every ready pod answers through the ClusterIP", async () => {
    await k(['apply', '-f', '-'], seed('kubia-rc.yaml'));
    await k(['apply', '-f', '-'], seed('kubia-svc.yaml'));
    kubia = await readyPods('app=kubia', 3);
    const ip = await clusterIP('kubia');
    const from = kubia[0]?.metadata.name ?? '';
    const seen = await answers(
      () => curlFrom(from, `http://${ip}`),
      30,
      'kubia through its ClusterIP',
    );
    assert.deepEqual(
      [...seen].sort(),
      kubia.map((p) => `You've hit ${p.metadata.name ?? ''}`).sort(),
    );
  });

  it('keeps a client on one pod with sessionAffinity: ClientIP', async () => {
    await k(['apply', '-f', '-'], seed('kubia-svc-session-affinity.yaml'));
    const ip = await clusterIP('kubia02');
    const from = kubia[1]?.metadata.name ?? '';
    const seen = await answers(() => curlFrom(from, `http://${ip}`), 20, 'kubia with affinity');
    assert.equal(seen.size, 1, [...seen].join(', '));
  });

  it('serves NodePort 30123 from the outside client through every node', async () => {
    await k(['apply', '-f', '-'], seed('kubia-svc-nodeport.yaml'));
    for (const node of sb.nodes) {
      const seen = await answers(
        () => curlClient(`http://${sb.ip(node)}:30123`),
        15,
        `node port on ${node}`,
      );
      assert.ok(
        [...seen].every((s) => s.startsWith("You've hit kubia-")),
        [...seen].join(', '),
      );
      assert.ok(seen.size >= 2, `through ${node}: ${[...seen].join(', ')}`);
    }
  });

  it("serves the seeds' multi-port and named-port Services", async () => {
    await k(['apply', '-f', '-'], seed('kubia-multiport-svc.yaml'));
    const from = kubia[0]?.metadata.name ?? '';
    const multi = await clusterIP('kubia-multiport-svc');
    const seen = await answers(
      () => curlFrom(from, `http://${multi}`),
      10,
      'the multi-port Service on port 80',
    );
    assert.ok(
      [...seen].every((s) => s.startsWith("You've hit kubia-")),
      [...seen].join(', '),
    );
    // The named-port Service selects app=kubia pods that name their port `http`: the seeds'
    // kubia-port pod, once labelled.
    await k(['apply', '-f', '-'], seed('kubia-port-pod.yaml'));
    await k(['label', 'pod', 'kubia-port', 'app=kubia']);
    await k(['apply', '-f', '-'], seed('kubia-name-port-svc.yaml'));
    const named = await clusterIP('kubia-name-port');
    const viaName = await answers(
      () => curlFrom(from, `http://${named}`),
      5,
      'the named-port Service',
    );
    assert.deepEqual([...viaName], ["You've hit kubia-port"]);
  });

  it('refuses at once a Service with no endpoints ("connection refused", not a timeout)', async () => {
    await k(['create', 'service', 'clusterip', 'nobody', '--tcp=80:8080']);
    const ip = await clusterIP('nobody');
    const from = kubia[0]?.metadata.name ?? '';
    await waitFor(async () => (await curlFrom(from, `http://${ip}`, 5)).code !== 28, {
      what: 'the empty Service to be programmed',
      timeoutMs: 20_000,
    });
    const r = await curlFrom(from, `http://${ip}`, 5);
    assert.equal(r.code, 7, `want curl exit 7 (could not connect), got ${r.code}: ${r.err}`);
  });

  it('keeps the client address with externalTrafficPolicy Local, and a node without a local pod does not answer', async () => {
    await k(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: Pod
metadata: {name: clientip, labels: {app: clientip}}
spec:
  nodeName: node1
  containers:
  - name: netexec
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    args: ["netexec", "--http-port=8080"]
    readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: clientip}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: clientip}
  ports: [{port: 80, targetPort: 8080, nodePort: 30124}]
`,
    );
    await readyPods('app=clientip', 1);
    const [seen] = [
      ...(await answers(
        () => curlClient(`http://${sb.ip('node1')}:30124/clientip`),
        1,
        'ETP Local on node1',
      )),
    ];
    assert.match(seen ?? '', new RegExp(`^${sb.ip('client').replaceAll('.', '\\.')}:\\d+$`));
    const far = await curlClient(`http://${sb.ip('node2')}:30124/clientip`, 2);
    assert.notEqual(far.code, 0, `node2 has no local pod and must not answer, got ${far.out}`);
  });

  it('serves a UDP Service, and keeps serving after its pods are replaced', async () => {
    await k(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: ReplicationController
metadata: {name: udp}
spec:
  replicas: 2
  selector: {app: udp}
  template:
    metadata: {labels: {app: udp}}
    spec:
      containers:
      - name: serve
        image: registry.k8s.io/e2e-test-images/agnhost:2.53
        args: ["serve-hostname", "--udp", "--http=false", "--port=9376"]
---
apiVersion: v1
kind: Service
metadata: {name: udp}
spec:
  selector: {app: udp}
  ports: [{port: 90, targetPort: 9376, protocol: UDP}]
`,
    );
    let pods = await readyPods('app=udp', 2);
    const ip = await clusterIP('udp');
    const from = kubia[0]?.metadata.name ?? '';
    const ask = async (): Promise<{ code: number | null; out: string }> => {
      const r = await sb.kubectl([
        'exec',
        from,
        '--',
        'sh',
        '-c',
        `echo hostname | nc -u -w 1 ${ip} 90`,
      ]);
      return { code: r.stdout.trim() === '' ? 1 : r.code, out: r.stdout.trim() };
    };
    const names = (ps: Pod[]): string[] => ps.map((p) => p.metadata.name ?? '').sort();
    let seen = await answers(ask, 10, 'the UDP Service');
    assert.ok(
      [...seen].every((s) => names(pods).includes(s)),
      [...seen].join(', '),
    );
    await k(['delete', 'pods', '-l', 'app=udp', '--wait=false']);
    pods = await waitFor(
      async () => {
        const ready = await readyPods('app=udp', 2);
        return ready.every((p) => !names(pods).includes(p.metadata.name ?? '')) ? ready : undefined;
      },
      { what: 'two new udp pods', timeoutMs: 90_000, intervalMs: 500 },
    );
    seen = await answers(ask, 6, 'the UDP Service after its pods were replaced');
    assert.ok(
      [...seen].every((s) => names(pods).includes(s)),
      `${[...seen].join(', ')} not in ${names(pods).join(', ')}`,
    );
  });

  it('sends a selector-less Service to its manual Endpoints outside the cluster', async () => {
    const client = sb.ip('client');
    const server: ChildProcess = spawn(
      'ip',
      [
        'netns',
        'exec',
        sb.netns('client'),
        process.execPath,
        '-e',
        `require('http').createServer((q,s)=>s.end('outside host')).listen(80,'${client}')`,
      ],
      { stdio: 'ignore' },
    );
    cleanups.push(() => server.kill('SIGKILL'));
    await k(['apply', '-f', '-'], seed('external-service.yaml'));
    await k(
      ['apply', '-f', '-'],
      seed('external-service-endpoints.yaml')
        .replace('11.11.11.11', client)
        .replace(/\n\s*- ip: 22\.22\.22\.22/, ''),
    );
    const ip = await clusterIP('external-service');
    const seen = await answers(
      () => curlFrom(kubia[0]?.metadata.name ?? '', `http://${ip}`),
      3,
      'external-service',
    );
    assert.deepEqual([...seen], ['outside host']);
  });

  it('keeps traffic flowing while the proxy is down and converges when it restarts', async () => {
    const ip = await clusterIP('kubia02');
    const from = kubia[2]?.metadata.name ?? '';
    await sb.restart('node1', 'proxy', 'SIGKILL');
    await sb.restart('node2', 'proxy', 'SIGKILL');
    const seen = await answers(
      () => curlFrom(from, `http://${ip}`),
      5,
      'kubia right after the proxies restarted',
    );
    assert.equal(seen.size, 1, 'affinity state survives the restart');
    await k(['create', 'service', 'clusterip', 'late', '--tcp=80:8080']);
    await k(['patch', 'svc', 'late', '-p', '{"spec":{"selector":{"app":"kubia"}}}']);
    const late = await clusterIP('late');
    await answers(() => curlFrom(from, `http://${late}`), 3, 'a Service created after the restart');
  });
});

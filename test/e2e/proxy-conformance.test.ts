/**
 * The proxy cases of reference/conformance.md (§4 CIP, §5 NP, §7 AFF, §8 TP) that the other proxy
 * e2e files do not cover, in one two-node sandbox with the real agent, controllers and kubectl:
 * agnhost netexec backends pinned to each node, netexec client pods on each node (their `/dial`
 * sends UDP from a fresh port per try), and the sandbox's outside `client` host for node ports.
 *
 * Not here: CIP-05's 150-request loops (its parts are CIP-01/13 in proxy-dataplane and CIP-06/16
 * below) and CIP-23, which needs a server injecting out-of-window segments: the ruleset drops
 * `ct state invalid` (src/proxy/nftables golden files, loaded on the kernel by proxy-nft).
 *
 * Address plan: the sandbox's (LAN 198.18.<free index>.0/24, pods 10.244.<n>.0/24, Services
 * 10.96.0.0/12); every packet stays inside the network namespaces the sandbox made.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Pod, Service } from '../../src/api/types/core.js';
import { sandboxSkipReason, startSandbox, type TestSandbox } from '../../src/testing/sandbox.js';
import { waitFor } from '../../src/testing/wait.js';

const skip = sandboxSkipReason();
const agnhost = 'registry.k8s.io/e2e-test-images/agnhost:2.53';

describe('service proxy conformance cases (e2e, sandbox with 2 nodes)', { skip }, () => {
  let sb: TestSandbox;
  let node1 = '';
  let node2 = '';
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const f of cleanups.reverse()) await f();
  });

  async function k(args: string[], input?: string): Promise<string> {
    const r = await sb.kubectl(args, input !== undefined ? { input } : {});
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}\n${sb.logs(15)}`);
    return r.stdout;
  }

  const svc = async (name: string): Promise<Service> =>
    JSON.parse(await k(['get', 'svc', name, '-o', 'json'])) as Service;

  /** A netexec pod on a node: HTTP and UDP on `port`, `/hostname` and `hostname` give its name. */
  function netexecPod(
    name: string,
    node: string,
    labels: Record<string, string>,
    o: {
      port?: number;
      args?: string[];
      grace?: number;
      readyFile?: boolean;
      hostNetwork?: boolean;
    } = {},
  ): string {
    const port = o.port ?? 9376;
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels },
      spec: {
        nodeName: node,
        ...(o.hostNetwork ? { hostNetwork: true } : {}),
        terminationGracePeriodSeconds: o.grace ?? 2,
        containers: [
          {
            name: 'netexec',
            image: agnhost,
            args: ['netexec', `--http-port=${port}`, `--udp-port=${port}`, ...(o.args ?? [])],
            ports: [{ containerPort: port }],
            ...(o.readyFile
              ? {
                  readinessProbe: {
                    exec: { command: ['cat', '/tmp/ready'] },
                    periodSeconds: 1,
                    failureThreshold: 1,
                  },
                }
              : {}),
          },
        ],
      },
    });
  }

  async function readyPod(name: string): Promise<Pod> {
    return waitFor(
      async () => {
        const p = JSON.parse(await k(['get', 'pod', name, '-o', 'json'])) as Pod;
        return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          ? p
          : undefined;
      },
      { what: `pod ${name} ready`, timeoutMs: 60_000, intervalMs: 250 },
    );
  }

  /** `sh -c` in a pod; stdout, whatever the exit code. */
  async function sh(pod: string, script: string): Promise<string> {
    return (await sb.kubectl(['exec', pod, '--', 'sh', '-c', script])).stdout;
  }

  /** `n` HTTP GETs of `url` from a pod, one connection each; the answers ('' for a failure). */
  async function httpFrom(pod: string, url: string, n: number): Promise<string[]> {
    const out = await sh(
      pod,
      `for i in $(seq ${n}); do curl -s --connect-timeout 2 -m 3 '${url}' || printf FAIL; echo; done`,
    );
    return out
      .split('\n')
      .slice(0, n)
      .map((l) => (l === 'FAIL' ? '' : l));
  }

  /** `n` UDP requests from a client pod's netexec `/dial` (a new source port per try). */
  async function udpFrom(
    pod: string,
    host: string,
    port: number,
    n: number,
    request = 'hostname',
  ): Promise<string[]> {
    const q = new URLSearchParams({ request, protocol: 'udp', host, port: String(port) });
    q.set('tries', String(n));
    const r = await sh(pod, `curl -s -m ${5 * n + 5} 'http://127.0.0.1:8080/dial?${q.toString()}'`);
    const body = JSON.parse(r || '{}') as { responses?: string[]; errors?: string[] };
    return [...(body.responses ?? []), ...(body.errors ?? []).map(() => '')];
  }

  /** One UDP request with a 1 s wait: the answer, or '' when nothing came back. */
  async function udpOnce(pod: string, host: string, port: number): Promise<string> {
    return (await sh(pod, `echo hostname | nc -u -w 1 ${host} ${port}`)).trim();
  }

  /** From the outside client host: `n` GETs, one connection each. */
  async function httpClient(url: string, n: number): Promise<string[]> {
    const r = await sb.exec('client', [
      'sh',
      '-c',
      `for i in $(seq ${n}); do curl -s --connect-timeout 2 -m 3 '${url}' || printf FAIL; echo; done`,
    ]);
    return r.stdout
      .split('\n')
      .slice(0, n)
      .map((l) => (l === 'FAIL' ? '' : l));
  }

  async function udpClient(host: string, port: number): Promise<string> {
    const r = await sb.exec('client', ['sh', '-c', `echo hostname | nc -u -w 1 ${host} ${port}`]);
    return r.stdout.trim();
  }

  /** Waits until `probe` gives every name of `want` (as a set), then returns what it saw. */
  async function until(
    what: string,
    probe: () => Promise<string[]>,
    ok: (seen: Set<string>) => boolean,
    timeoutMs = 30_000,
  ): Promise<Set<string>> {
    let last = new Set<string>();
    return waitFor(
      async () => {
        last = new Set(await probe());
        return ok(last) ? last : undefined;
      },
      { what: `${what} (last: ${[...last].join(', ')})`, timeoutMs, intervalMs: 300 },
    );
  }
  const exactly =
    (...names: string[]) =>
    (seen: Set<string>): boolean =>
      seen.size === names.length && names.every((n) => seen.has(n));

  const backends = ['srv-1', 'srv-2'];

  before(async () => {
    sb = await startSandbox({ after: (fn) => cleanups.push(fn) }, { nodes: 2 });
    [node1 = '', node2 = ''] = sb.nodes;
    await k(['apply', '-f', '-'], netexecPod('srv-1', node1, { app: 'cnf' }));
    await k(['apply', '-f', '-'], netexecPod('srv-2', node2, { app: 'cnf' }));
    await k(['apply', '-f', '-'], netexecPod('cli-1', node1, { role: 'client' }, { port: 8080 }));
    await k(['apply', '-f', '-'], netexecPod('cli-2', node2, { role: 'client' }, { port: 8080 }));
    for (const p of [...backends, 'cli-1', 'cli-2']) await readyPod(p);
  });

  it('CIP-02 / NP-03: ClusterIP → NodePort with the same clusterIP, then TCP and UDP on one port, then each alone', async () => {
    await k(['create', 'service', 'clusterip', 'multi', '--tcp=80:9376']);
    await k(['set', 'selector', 'svc', 'multi', 'app=cnf']);
    const before = await svc('multi');
    const ip = before.spec?.clusterIP ?? '';
    await until(
      'TCP through the ClusterIP',
      () => httpFrom('cli-1', `http://${ip}/hostname`, 8),
      exactly(...backends),
    );
    assert.equal(await udpOnce('cli-1', ip, 80), '', 'no UDP port yet');

    await k([
      'patch',
      'svc',
      'multi',
      '--type=json',
      '-p',
      JSON.stringify([
        { op: 'replace', path: '/spec/type', value: 'NodePort' },
        {
          op: 'replace',
          path: '/spec/ports',
          value: [
            { name: 'tcp-port', port: 80, targetPort: 9376, protocol: 'TCP' },
            { name: 'udp-port', port: 80, targetPort: 9376, protocol: 'UDP' },
          ],
        },
      ]),
    ]);
    const np = await svc('multi');
    assert.equal(np.spec?.clusterIP, ip, 'the type change keeps the clusterIP');
    const ports = np.spec?.ports ?? [];
    assert.equal(ports.length, 2);
    for (const p of ports)
      assert.ok((p.nodePort ?? 0) >= 30000 && (p.nodePort ?? 0) <= 32767, `nodePort ${p.nodePort}`);
    const tcpNP = ports.find((p) => p.protocol === 'TCP')?.nodePort ?? 0;
    const udpNP = ports.find((p) => p.protocol === 'UDP')?.nodePort ?? 0;
    await until(
      'UDP through the ClusterIP',
      () => udpFrom('cli-1', ip, 80, 8),
      exactly(...backends),
    );
    assert.ok(
      backends.includes(await udpOnce('cli-1', ip, 80)),
      'nc in a pod reaches the UDP port',
    );
    await until(
      'TCP through the ClusterIP',
      () => httpFrom('cli-2', `http://${ip}/hostname`, 8),
      exactly(...backends),
    );
    for (const n of [node1, node2]) {
      await until(
        `TCP NodePort on ${n}`,
        () => httpClient(`http://${sb.ip(n)}:${tcpNP}/hostname`, 8),
        exactly(...backends),
      );
      await waitFor(async () => backends.includes(await udpClient(sb.ip(n), udpNP)), {
        what: `UDP NodePort on ${n}`,
        timeoutMs: 30_000,
        intervalMs: 300,
      });
    }

    // TCP only: UDP stops; then UDP only: TCP stops (CIP-02's "within 30 s").
    await k([
      'patch',
      'svc',
      'multi',
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'remove', path: '/spec/ports/1' }]),
    ]);
    await waitFor(async () => (await udpOnce('cli-1', ip, 80)) === '', {
      what: 'UDP to stop',
      timeoutMs: 30_000,
      intervalMs: 300,
    });
    assert.ok(backends.includes((await httpFrom('cli-1', `http://${ip}/hostname`, 1))[0] ?? ''));
    await k([
      'patch',
      'svc',
      'multi',
      '--type=json',
      '-p',
      JSON.stringify([
        {
          op: 'replace',
          path: '/spec/ports',
          value: [{ name: 'udp-port', port: 80, targetPort: 9376, protocol: 'UDP' }],
        },
      ]),
    ]);
    await waitFor(async () => (await httpFrom('cli-1', `http://${ip}/hostname`, 1))[0] === '', {
      what: 'TCP to stop',
      timeoutMs: 30_000,
      intervalMs: 300,
    });
    await until('UDP alone', () => udpFrom('cli-1', ip, 80, 8), exactly(...backends));
  });

  it('CIP-18: 2,000-byte HTTP and UDP echoes through the ClusterIP', async () => {
    await k(['create', 'service', 'clusterip', 'echo', '--tcp=80:9376']);
    await k(['set', 'selector', 'svc', 'echo', 'app=cnf']);
    await k([
      'patch',
      'svc',
      'echo',
      '--type=json',
      '-p',
      JSON.stringify([
        { op: 'add', path: '/spec/ports/0/name', value: 'http' },
        {
          op: 'add',
          path: '/spec/ports/-',
          value: { name: 'udp', port: 90, targetPort: 9376, protocol: 'UDP' },
        },
      ]),
    ]);
    const ip = (await svc('echo')).spec?.clusterIP ?? '';
    const http = '42'.repeat(1000);
    await until(
      'the HTTP echo',
      () => httpFrom('cli-1', `http://${ip}/echo?msg=${http}`, 4),
      exactly(http),
    );
    const udp = `n${'o'.repeat(1999)}`;
    await until('the UDP echo', () => udpFrom('cli-1', ip, 90, 4, `echo ${udp}`), exactly(udp));
  });

  it('CIP-16 / CIP-06: two Services with one selector are independent; a recreated Service serves again', async () => {
    for (const name of ['twin-a', 'twin-b']) {
      await k(['create', 'service', 'nodeport', name, '--tcp=80:9376']);
      await k(['set', 'selector', 'svc', name, 'app=cnf']);
    }
    const a = await svc('twin-a');
    const b = await svc('twin-b');
    const bIP = b.spec?.clusterIP ?? '';
    const bNP = b.spec?.ports?.[0]?.nodePort ?? 0;
    await until(
      'twin-a',
      () => httpFrom('cli-1', `http://${a.spec?.clusterIP ?? ''}/hostname`, 8),
      exactly(...backends),
    );
    await until(
      'twin-b',
      () => httpFrom('cli-1', `http://${bIP}/hostname`, 8),
      exactly(...backends),
    );
    await k(['delete', 'svc', 'twin-a']);
    await until(
      'twin-b after twin-a is gone',
      () => httpFrom('cli-2', `http://${bIP}/hostname`, 8),
      exactly(...backends),
    );
    await until(
      'twin-b NodePort',
      () => httpClient(`http://${sb.ip(node2)}:${bNP}/hostname`, 8),
      exactly(...backends),
    );

    // CIP-06: delete, wait for NotFound, recreate the same spec.
    await k(['delete', 'svc', 'twin-b']);
    await waitFor(async () => (await sb.kubectl(['get', 'svc', 'twin-b'])).code !== 0, {
      what: 'twin-b gone',
    });
    await k(['create', 'service', 'nodeport', 'twin-b', '--tcp=80:9376']);
    await k(['set', 'selector', 'svc', 'twin-b', 'app=cnf']);
    const again = await svc('twin-b');
    await until(
      'the recreated twin-b from a pod',
      () => httpFrom('cli-2', `http://${again.spec?.clusterIP ?? ''}/hostname`, 8),
      exactly(...backends),
    );
    await until(
      'the recreated twin-b from the node',
      async () => {
        const r = await sb.exec(node1, [
          'curl',
          '-s',
          '-m',
          '2',
          `http://${again.spec?.clusterIP ?? ''}/hostname`,
        ]);
        return [r.stdout.trim()];
      },
      (s) => backends.some((n) => s.has(n)),
    );
  });

  it('NP-04: a deleted NodePort Service stops answering, HTTP and UDP', async () => {
    await k(['create', 'service', 'nodeport', 'gone', '--tcp=80:9376']);
    await k(['set', 'selector', 'svc', 'gone', 'app=cnf']);
    await k([
      'patch',
      'svc',
      'gone',
      '--type=json',
      '-p',
      JSON.stringify([
        { op: 'add', path: '/spec/ports/0/name', value: 'http' },
        {
          op: 'add',
          path: '/spec/ports/-',
          value: { name: 'udp', port: 90, targetPort: 9376, protocol: 'UDP' },
        },
      ]),
    ]);
    const s = await svc('gone');
    const tcp = s.spec?.ports?.find((p) => p.protocol === 'TCP')?.nodePort ?? 0;
    const udp = s.spec?.ports?.find((p) => p.protocol === 'UDP')?.nodePort ?? 0;
    const nodeIP = sb.ip(node1);
    await until(
      'the NodePort before',
      () => httpClient(`http://${nodeIP}:${tcp}/hostname`, 8),
      exactly(...backends),
    );
    await waitFor(async () => backends.includes(await udpClient(nodeIP, udp)), {
      what: 'UDP NodePort before',
      timeoutMs: 30_000,
      intervalMs: 300,
    });
    await k(['delete', 'svc', 'gone']);
    await waitFor(async () => (await httpClient(`http://${nodeIP}:${tcp}/hostname`, 1))[0] === '', {
      what: 'the NodePort to stop',
      timeoutMs: 30_000,
      intervalMs: 300,
    });
    assert.deepEqual(await httpClient(`http://${nodeIP}:${tcp}/hostname`, 10), Array(10).fill(''));
    assert.equal(await udpClient(nodeIP, udp), '', 'UDP NodePort answers after the delete');
  });

  it('AFF-02 / AFF-03 / AFF-04 / AFF-06: ClientIP affinity through ClusterIP and NodePort, switched off and on; over UDP', async () => {
    await k(['apply', '-f', '-'], netexecPod('srv-3', node2, { app: 'cnf' }));
    await readyPod('srv-3');
    const three = [...backends, 'srv-3'];
    await k(['create', 'service', 'nodeport', 'aff', '--tcp=80:9376']);
    await k(['set', 'selector', 'svc', 'aff', 'app=cnf']);
    const s = await svc('aff');
    const ip = s.spec?.clusterIP ?? '';
    const np = s.spec?.ports?.[0]?.nodePort ?? 0;
    const viaPod = () => httpFrom('cli-1', `http://${ip}/hostname`, 16);
    const viaNode = () => httpClient(`http://${sb.ip(node1)}:${np}/hostname`, 16);
    const spread = (seen: Set<string>) => seen.size > 1 && !seen.has('');
    const one = (seen: Set<string>) => seen.size === 1 && !seen.has('');
    await until('no affinity through the ClusterIP', viaPod, spread);
    await until('no affinity through the NodePort', viaNode, spread);
    const setAffinity = (v: string) =>
      k([
        'patch',
        'svc',
        'aff',
        '--type=merge',
        '-p',
        JSON.stringify({ spec: { sessionAffinity: v } }),
      ]);
    await setAffinity('ClientIP');
    await until('affinity through the ClusterIP', viaPod, one);
    await until('affinity through the NodePort', viaNode, one);
    await setAffinity('None');
    await until('affinity off through the ClusterIP', viaPod, spread);
    await until('affinity off through the NodePort', viaNode, spread);
    await setAffinity('ClientIP');
    await until('affinity back through the NodePort', viaNode, one);

    // AFF-06: UDP from fresh source ports still lands on one endpoint.
    await k([
      'patch',
      'svc',
      'aff',
      '--type=json',
      '-p',
      JSON.stringify([
        { op: 'add', path: '/spec/ports/0/name', value: 'http' },
        {
          op: 'add',
          path: '/spec/ports/-',
          value: { name: 'udp', port: 90, targetPort: 9376, protocol: 'UDP' },
        },
      ]),
    ]);
    const udp = await until('UDP affinity', () => udpFrom('cli-2', ip, 90, 10), one);
    assert.ok(three.includes([...udp][0] ?? ''));
    await k(['delete', 'pod', 'srv-3', '--wait=false']);
  });

  it('TP-05 / TP-06: terminating endpoints serve when nothing else is left, with ITP Local and through a NodePort', async () => {
    // A backend that keeps serving 100 s after SIGTERM, alone behind two Services.
    await k(
      ['apply', '-f', '-'],
      netexecPod('term-0', node1, { app: 'term' }, { args: ['--delay-shutdown=100'], grace: 100 }),
    );
    await readyPod('term-0');
    await k(['create', 'service', 'clusterip', 'term-local', '--tcp=80:9376']);
    await k(['set', 'selector', 'svc', 'term-local', 'app=term']);
    await k([
      'patch',
      'svc',
      'term-local',
      '--type=merge',
      '-p',
      '{"spec":{"internalTrafficPolicy":"Local"}}',
    ]);
    await k(['create', 'service', 'nodeport', 'term-np', '--tcp=80:9376']);
    await k(['set', 'selector', 'svc', 'term-np', 'app=term']);
    const local = (await svc('term-local')).spec?.clusterIP ?? '';
    const np = (await svc('term-np')).spec?.ports?.[0]?.nodePort ?? 0;
    await until(
      'term-0 through term-local',
      () => httpFrom('cli-1', `http://${local}/hostname`, 2),
      exactly('term-0'),
    );
    await until(
      'term-0 through the NodePort',
      () => httpClient(`http://${sb.ip(node1)}:${np}/hostname`, 2),
      exactly('term-0'),
    );

    await k(['delete', 'pod', 'term-0', '--wait=false']);
    await waitFor(
      async () => {
        const slices = JSON.parse(
          await k([
            'get',
            'endpointslices',
            '-l',
            'kubernetes.io/service-name=term-local',
            '-o',
            'json',
          ]),
        ) as {
          items: {
            endpoints?: {
              conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
            }[];
          }[];
        };
        const c = slices.items[0]?.endpoints?.[0]?.conditions;
        return c?.terminating === true && c.serving === true && c.ready === false;
      },
      { what: 'term-0 serving and terminating in the slice', timeoutMs: 30_000, intervalMs: 250 },
    );
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(
        await httpFrom('cli-1', `http://${local}/hostname`, 2),
        ['term-0', 'term-0'],
        'TP-05: the local client keeps reaching it',
      );
      assert.deepEqual(
        await httpFrom('cli-2', `http://${local}/hostname`, 1),
        [''],
        'TP-05: the other node has no local endpoint',
      );
      assert.deepEqual(
        await httpClient(`http://${sb.ip(node1)}:${np}/hostname`, 2),
        ['term-0', 'term-0'],
        'TP-06 via node1',
      );
      assert.deepEqual(
        await httpClient(`http://${sb.ip(node2)}:${np}/hostname`, 2),
        ['term-0', 'term-0'],
        'TP-06 via node2',
      );
    }
    await k(['delete', 'pod', 'term-0', '--grace-period=0', '--force']);
  });

  it('TP-09: with publishNotReadyAddresses an unready endpoint stays reachable, through ClusterIP and NodePorts', async () => {
    await k(
      ['apply', '-f', '-'],
      netexecPod('webserver-pod', node1, { app: 'pnra' }, { readyFile: true }),
    );
    await sh('webserver-pod', 'touch /tmp/ready').catch(() => undefined);
    await waitFor(
      async () => {
        await sh('webserver-pod', 'touch /tmp/ready');
        const p = JSON.parse(await k(['get', 'pod', 'webserver-pod', '-o', 'json'])) as Pod;
        return (
          p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true
        );
      },
      { what: 'webserver-pod ready', timeoutMs: 60_000, intervalMs: 300 },
    );
    await k(['create', 'service', 'nodeport', 'svc-tolerate-unready', '--tcp=80:9376']);
    await k(['set', 'selector', 'svc', 'svc-tolerate-unready', 'app=pnra']);
    await k([
      'patch',
      'svc',
      'svc-tolerate-unready',
      '--type=merge',
      '-p',
      '{"spec":{"publishNotReadyAddresses":true}}',
    ]);
    const s = await svc('svc-tolerate-unready');
    const ip = s.spec?.clusterIP ?? '';
    const np = s.spec?.ports?.[0]?.nodePort ?? 0;
    await until(
      'webserver-pod',
      () => httpFrom('cli-2', `http://${ip}/hostname`, 2),
      exactly('webserver-pod'),
    );
    await sh('webserver-pod', 'rm /tmp/ready');
    await waitFor(
      async () => {
        const p = JSON.parse(await k(['get', 'pod', 'webserver-pod', '-o', 'json'])) as Pod;
        return (
          p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False') === true
        );
      },
      { what: 'webserver-pod NotReady', timeoutMs: 30_000, intervalMs: 250 },
    );
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await httpFrom('cli-2', `http://${ip}/hostname`, 2), [
        'webserver-pod',
        'webserver-pod',
      ]);
      for (const n of [node1, node2])
        assert.deepEqual(
          await httpClient(`http://${sb.ip(n)}:${np}/hostname`, 1),
          ['webserver-pod'],
          `via ${n}`,
        );
    }
  });
  it('CIP-19 / CIP-21: hostNetwork endpoints behind a ClusterIP and a NodePort; a UDP client on the host network', async () => {
    await k(
      ['apply', '-f', '-'],
      netexecPod('host-srv', node2, { app: 'hostnet' }, { port: 9377, hostNetwork: true }),
    );
    await readyPod('host-srv');
    await k(['create', 'service', 'nodeport', 'hostnet', '--tcp=80:9377']);
    await k(['set', 'selector', 'svc', 'hostnet', 'app=hostnet']);
    await k([
      'patch',
      'svc',
      'hostnet',
      '--type=json',
      '-p',
      JSON.stringify([
        { op: 'add', path: '/spec/ports/0/name', value: 'http' },
        {
          op: 'add',
          path: '/spec/ports/-',
          value: { name: 'udp', port: 90, targetPort: 9377, protocol: 'UDP' },
        },
      ]),
    ]);
    const s = await svc('hostnet');
    const ip = s.spec?.clusterIP ?? '';
    const np = s.spec?.ports?.find((p) => p.protocol === 'TCP')?.nodePort ?? 0;
    // A hostNetwork pod's hostname is its node's.
    const want = (await sb.exec(node2, ['hostname'])).stdout.trim();
    await until(
      'the hostNetwork endpoint from a pod',
      () => httpFrom('cli-1', `http://${ip}/hostname`, 2),
      exactly(want),
    );
    await until(
      'the hostNetwork endpoint through a NodePort',
      () => httpClient(`http://${sb.ip(node1)}:${np}/hostname`, 2),
      exactly(want),
    );
    const big = '42'.repeat(1000);
    await until(
      'a large echo from the node',
      async () => {
        const r = await sb.exec(node1, ['curl', '-s', '-m', '3', `http://${ip}/echo?msg=${big}`]);
        return [r.stdout];
      },
      exactly(big),
    );
    await until('UDP from a pod', () => udpFrom('cli-1', ip, 90, 2), exactly(want));
    // CIP-21: the client is the node itself (host network), over UDP.
    await waitFor(
      async () =>
        (
          await sb.exec(node1, ['sh', '-c', `echo hostname | nc -u -w 1 ${ip} 90`])
        ).stdout.trim() === want,
      {
        what: 'UDP from the host network',
        timeoutMs: 30_000,
        intervalMs: 300,
      },
    );
  });

  it('CIP-22: a UDP client that starts while the only endpoint is unready gets answers once it is ready', async () => {
    await k(
      ['apply', '-f', '-'],
      netexecPod('late-udp', node2, { app: 'late' }, { readyFile: true }),
    );
    await waitFor(
      async () => {
        const p = JSON.parse(await k(['get', 'pod', 'late-udp', '-o', 'json'])) as Pod;
        return p.status?.phase === 'Running' ? true : undefined;
      },
      { what: 'late-udp running', timeoutMs: 60_000, intervalMs: 250 },
    );
    await k(['create', 'service', 'clusterip', 'late', '--tcp=90:9376']);
    await k(['set', 'selector', 'svc', 'late', 'app=late']);
    await k([
      'patch',
      'svc',
      'late',
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'replace', path: '/spec/ports/0/protocol', value: 'UDP' }]),
    ]);
    const ip = (await svc('late')).spec?.clusterIP ?? '';
    // The client keeps its source port (as conntrack.go's `nc -p 12345`) for ~12 s.
    const loop = sh(
      'cli-1',
      `for i in $(seq 12); do echo hostname | nc -u -w 1 -p 12345 ${ip} 90; echo; done`,
    );
    await new Promise((r) => setTimeout(r, 2000));
    await sh('late-udp', 'touch /tmp/ready');
    const out = await loop;
    assert.match(out, /late-udp/, 'the client got an answer after the endpoint turned ready');
  });
});

/**
 * `portico proxy` as a real process inside a node namespace, fed by a real API server (in this
 * test process, memory store) through its proxy kubeconfig. The node reaches the API server over
 * a veth pair: host end `ptest-pxa-api` 198.18.243.1/30, node end 198.18.243.2/30. The rest of
 * the address plan is proxy/topology.ts's (LAN 198.18.242.0/24).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resources } from '../../src/api/scheme.js';
import type { Service } from '../../src/api/types/core.js';
import type { EndpointSlice } from '../../src/api/types/discovery.js';
import { annotationLastChangeTriggerTime } from '../../src/api/types/discovery.js';
import { ApiServer } from '../../src/apiserver/apiserver.js';
import { HttpClient } from '../../src/client/http.js';
import { loadRestConfig } from '../../src/client/kubeconfig.js';
import { exec } from '../../src/lib/exec.js';
import { discardLogger } from '../../src/lib/log/logger.js';
import { makeService, makeSlice } from '../../src/proxy/fixtures.js';
import { MemoryStore } from '../../src/storage/memory/store.js';
import type { PodHandle, Topology, TopoNode } from './proxy/topology.js';
import { buildTopology } from './proxy/topology.js';

const isRoot = process.getuid?.() === 0;
const root = process.env['PORTICO_ROOT'] ?? process.cwd();

describe('portico proxy against a real API server', { skip: isRoot ? false : 'needs root' }, () => {
  let topo: Topology;
  let node: TopoNode;
  let pod: PodHandle;
  let dataDir: string;
  let store: MemoryStore;
  let api: ApiServer;
  let client: HttpClient;
  let proxy: ChildProcess | undefined;
  let proxyLog = '';

  async function startProxy(): Promise<void> {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        node.netns,
        process.execPath,
        join(root, 'bin', 'portico.js'),
        'proxy',
        '--kubeconfig',
        join(dataDir, 'kubeconfigs', 'proxy.kubeconfig'),
        '--hostname-override',
        node.name,
        '--min-sync-period',
        '100ms',
        '--log-format',
        'text',
        '-v',
        '2',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (d: Buffer) => (proxyLog += d.toString()));
    proxy = child;
    await waitFor(
      async () =>
        (
          await topo.run(node.netns, ['curl', '-sf', 'http://127.0.0.1:10256/healthz'], {
            allowFailure: true,
          })
        ).code === 0,
      'the proxy reports healthy',
      20_000,
      () => proxyLog,
    );
  }

  async function killProxy(): Promise<void> {
    const child = proxy;
    proxy = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  before(async () => {
    topo = await buildTopology({ prefix: 'ptest-pxa', lan: 242, nodes: 1, podsPerNode: 2 });
    node = topo.nodes[0] as TopoNode;
    pod = node.pods[0] as PodHandle;
    await exec('ip', [
      'link',
      'add',
      'ptest-pxa-api',
      'type',
      'veth',
      'peer',
      'name',
      'api0',
      'netns',
      node.netns,
    ]);
    await exec('ip', ['addr', 'add', '198.18.243.1/30', 'dev', 'ptest-pxa-api']);
    await exec('ip', ['link', 'set', 'ptest-pxa-api', 'up']);
    await exec('ip', ['-n', node.netns, 'addr', 'add', '198.18.243.2/30', 'dev', 'api0']);
    await exec('ip', ['-n', node.netns, 'link', 'set', 'api0', 'up']);
    dataDir = mkdtempSync(join(tmpdir(), 'ptest-pxa-'));
    store = new MemoryStore();
    api = await ApiServer.start({
      dataDir,
      store,
      logger: discardLogger,
      bindAddress: '198.18.243.1',
      securePort: 0,
      advertiseAddress: '198.18.243.1',
      tlsSans: ['198.18.243.1'],
    });
    client = new HttpClient({
      config: loadRestConfig({ kubeconfig: join(dataDir, 'kubeconfig') }),
    });
    await client.create(resources.nodes, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: node.name },
      spec: { podCIDR: node.podCIDR },
    });
    await startProxy();
  });

  after(async () => {
    await killProxy();
    client?.close();
    await api?.stop();
    await store?.close();
    await topo?.destroy();
    await exec('ip', ['link', 'delete', 'ptest-pxa-api'], { allowFailure: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function create(svc: Service, slices: EndpointSlice[]): Promise<Service> {
    const made = await client.create<Service>(resources.services, svc);
    for (const s of slices) await client.create(resources.endpointslices, s);
    return made;
  }

  async function curl(
    netns: string,
    url: string,
    maxTime = 2,
  ): Promise<{ code: number | null; out: string }> {
    const r = await topo.run(netns, ['curl', '-sS', '--max-time', String(maxTime), url], {
      allowFailure: true,
    });
    return { code: r.code, out: r.stdout.trim() };
  }

  it('joins hand-made EndpointSlices to Service ports by name, across slices (CIP-11)', async () => {
    const svc = makeService('example-custom-endpoints', '', {
      ports: [
        { name: 'port80', port: 80, protocol: 'TCP' },
        { name: 'port81', port: 81, protocol: 'TCP' },
      ],
    });
    const trigger = {
      annotations: { [annotationLastChangeTriggerTime]: new Date().toISOString() },
    };
    const made = await create(svc, [
      makeSlice('example-custom-endpoints', [{ name: 'port80', port: 8080 }], [pod.ip], {
        sliceName: 'e2e-custom-slice-a',
        ...trigger,
      }),
      makeSlice('example-custom-endpoints', [{ name: 'port81', port: 9000 }], [pod.ip], {
        sliceName: 'e2e-custom-slice-b',
        ...trigger,
      }),
    ]);
    const ip = made.spec?.clusterIP ?? '';
    assert.match(ip, /^10\.\d+\.\d+\.\d+$/, 'the API server allocated a ClusterIP');
    const other = node.pods[1] as PodHandle;
    await waitFor(
      async () => (await curl(other.netns, `http://${ip}/hostname`)).out === pod.name,
      `port 80 of ${ip} answers`,
    );
    const echo = await topo.run(
      other.netns,
      ['sh', '-c', `echo x | timeout 2 nc -q 1 ${ip} 81 || echo x | timeout 2 nc ${ip} 81`],
      { allowFailure: true },
    );
    assert.match(echo.stdout, new RegExp(`${pod.name}:x`));
  });

  it('exports health and the kube-proxy metrics, with network programming latency', async () => {
    const health = await topo.run(node.netns, ['curl', '-s', 'http://127.0.0.1:10256/healthz']);
    const body = JSON.parse(health.stdout) as { lastUpdated: string };
    assert.ok(Date.parse(body.lastUpdated) > 0);
    const metrics = (await topo.run(node.netns, ['curl', '-s', 'http://127.0.0.1:10256/metrics']))
      .stdout;
    assert.match(metrics, /kubeproxy_sync_proxy_rules_duration_seconds_count [1-9]/);
    assert.match(metrics, /kubeproxy_network_programming_duration_seconds_count [1-9]/);
    assert.match(metrics, /kubeproxy_sync_proxy_rules_last_timestamp_seconds \d/);
  });

  it('follows deletes, and leaves Services of another proxy alone', async () => {
    const made = await create(makeService('short-lived', ''), [
      makeSlice('short-lived', [{ name: 'http', port: 8080 }], [pod.ip]),
    ]);
    const ip = made.spec?.clusterIP ?? '';
    await waitFor(
      async () => (await curl(pod.netns, `http://${ip}/hostname`)).out === pod.name,
      'the new Service answers',
    );
    await client.delete(resources.services, 'default', 'short-lived');
    await waitFor(
      async () => (await curl(pod.netns, `http://${ip}/hostname`, 1)).code !== 0,
      'the deleted Service stops answering',
    );
    const foreign = await create(
      makeService('foreign', '', {
        labels: { 'service.kubernetes.io/service-proxy-name': 'other' },
      }),
      [makeSlice('foreign', [{ name: 'http', port: 8080 }], [pod.ip])],
    );
    // A Service made after it is programmed only once the foreign one has been seen (and skipped).
    const marker = await create(makeService('marker', ''), [
      makeSlice('marker', [{ name: 'http', port: 8080 }], [pod.ip]),
    ]);
    await waitFor(
      async () =>
        (await curl(pod.netns, `http://${marker.spec?.clusterIP ?? ''}/hostname`)).out === pod.name,
      'the marker Service answers',
    );
    const r = await curl(pod.netns, `http://${foreign.spec?.clusterIP ?? ''}/`, 1);
    assert.notEqual(r.code, 0, 'a Service labelled for another proxy must not be programmed');
  });

  it('keeps traffic flowing while the proxy is down, and a restarted proxy picks up what changed meanwhile', async () => {
    const before = await create(makeService('steady', ''), [
      makeSlice('steady', [{ name: 'http', port: 8080 }], [pod.ip]),
    ]);
    const ip = before.spec?.clusterIP ?? '';
    await waitFor(
      async () => (await curl(pod.netns, `http://${ip}/hostname`)).out === pod.name,
      'steady answers',
    );
    await killProxy();
    assert.equal(
      (await curl(pod.netns, `http://${ip}/hostname`)).out,
      pod.name,
      'traffic survives the proxy',
    );
    const later = await create(makeService('later', ''), [
      makeSlice('later', [{ name: 'http', port: 8080 }], [pod.ip]),
    ]);
    await startProxy();
    await waitFor(
      async () =>
        (await curl(pod.netns, `http://${later.spec?.clusterIP ?? ''}/hostname`)).out === pod.name,
      'a Service made while the proxy was down works after it restarts',
    );
    assert.equal((await curl(pod.netns, `http://${ip}/hostname`)).out, pod.name);
  });
});

async function waitFor(
  pred: () => Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
  detail?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting until ${what}${detail ? `\n${detail().slice(-3000)}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

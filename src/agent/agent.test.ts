import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resources } from '../api/scheme.js';
import type { Lease } from '../api/types/coordination.js';
import type { Node, Pod, Service } from '../api/types/core.js';
import { FakeClient } from '../client/fake.js';
import { discardLogger } from '../lib/log/logger.js';
import { waitFor } from '../testing/wait.js';
import { Agent } from './agent.js';
import { FakeImageService } from './images/fake.js';
import { FakeRuntime } from './runtime/fake.js';

function ready(p: Pod | Node | undefined): boolean {
  return (p?.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

test('Agent against an API: registers, waits for its pod CIDR, runs a pod, reports, deletes it when it stopped', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ptest-agent-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const kubernetes: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default' },
    spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443 }] },
  };
  const client = new FakeClient({ objects: [kubernetes] });
  const runtime = new FakeRuntime({
    images: new FakeImageService({ images: [{ ref: 'luksa/kubia' }] }),
    podCIDRPrefix: '10.244.7',
  });
  const opened: string[] = [];
  const agent = new Agent({
    client,
    nodeName: 'n1',
    dataDir,
    nodeIP: '192.0.2.10',
    clusterDNS: ['10.96.0.10'],
    clusterDomain: 'cluster.local',
    resolvConf: '/nonexistent',
    maxPods: 110,
    port: -1,
    address: '127.0.0.1',
    tls: { cert: '', key: '' },
    runtimeVersion: 'runc://test',
    openRuntime: (cidr) => {
      opened.push(cidr);
      return Promise.resolve(runtime);
    },
    logger: discardLogger,
    relistMs: 50,
    resyncMs: 1000,
    nodeStatusMs: 200,
  });
  const ac = new AbortController();
  const running = agent.run(ac.signal);
  t.after(async () => {
    ac.abort();
    await running;
  });

  const node = await waitFor(
    () => client.get<Node>(resources.nodes, undefined, 'n1').catch(() => undefined),
    { what: 'the Node', timeoutMs: 5000 },
  );
  assert.equal(ready(node), false, 'not Ready before the pod network');
  assert.equal(node.metadata.labels?.['kubernetes.io/hostname'], 'n1');
  assert.equal(node.status?.addresses?.[0]?.address, '192.0.2.10');
  assert.equal(node.status?.nodeInfo?.containerRuntimeVersion, 'runc://test');
  assert.match(
    node.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '',
    /NetworkPluginNotReady/,
  );
  assert.deepEqual(opened, []);

  await client.patch(resources.nodes, undefined, 'n1', 'merge', {
    spec: { podCIDR: '10.244.7.0/24', podCIDRs: ['10.244.7.0/24'] },
  });
  await waitFor(async () => ready(await client.get<Node>(resources.nodes, undefined, 'n1')), {
    what: 'the Node Ready',
    timeoutMs: 5000,
  });
  assert.deepEqual(opened, ['10.244.7.0/24']);
  const lease = await client.get<Lease>(resources.leases, 'kube-node-lease', 'n1');
  assert.equal(lease.spec?.holderIdentity, 'n1');
  assert.equal(lease.metadata.ownerReferences?.[0]?.kind, 'Node');

  await client.create<Pod>(resources.pods, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-web' },
    spec: {
      nodeName: 'n1',
      terminationGracePeriodSeconds: 5,
      containers: [{ name: 'web', image: 'luksa/kubia' }],
    },
  });
  const pod = await waitFor(
    async () => {
      const p = await client.get<Pod>(resources.pods, 'default', 'web');
      return p.status?.phase === 'Running' && ready(p) ? p : undefined;
    },
    { what: 'web Running and Ready', timeoutMs: 5000 },
  );
  assert.equal(pod.status?.podIP, '10.244.7.2');
  assert.equal(pod.status?.hostIP, '192.0.2.10');
  // A pod of another node is not ours.
  await client.create<Pod>(resources.pods, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'other', namespace: 'default' },
    spec: { nodeName: 'n2', containers: [{ name: 'c', image: 'luksa/kubia' }] },
  });

  // Graceful deletion: the API server sets deletionTimestamp; the agent stops the pod, writes its
  // final status and deletes it for good.
  const current = await client.get<Pod>(resources.pods, 'default', 'web');
  client.add<Pod>({
    ...current,
    metadata: {
      ...current.metadata,
      deletionTimestamp: new Date().toISOString(),
      deletionGracePeriodSeconds: 5,
    },
  });
  await waitFor(
    async () =>
      client
        .get<Pod>(resources.pods, 'default', 'web')
        .then(() => false)
        .catch(() => true),
    { what: 'web deleted by its agent', timeoutMs: 10_000 },
  );
  const del = client
    .writeActions()
    .find((a) => a.verb === 'delete' && a.resource === 'pods' && a.name === 'web');
  assert.ok(del, 'the agent deleted the pod');
  const snap = await runtime.list();
  assert.equal(
    snap.sandboxes.filter((s) => s.podUID === 'uid-web').length,
    0,
    'the sandbox is removed once the pod is gone',
  );
  assert.equal(
    (await runtime.list()).sandboxes.filter((s) => s.name === 'other').length,
    0,
    'pods of other nodes are never run',
  );
});

/**
 * Node lifecycle (a node whose lease stops renewing goes NotReady and its pods leave the
 * endpoints), node IPAM (stable pod CIDRs across restarts) and ServiceLB (LB-05) against the
 * real API server.
 *
 * Address plan: pods 10.244.0.0/24; LoadBalancer pool 192.0.2.240-192.0.2.241 (documentation).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../src/api/scheme.js';
import type { Node, Pod, Service } from '../../src/api/types/core.js';
import type { EndpointSlice } from '../../src/api/types/discovery.js';
import { startTestApiServer } from '../../src/testing/apiserver.js';
import {
  adminClient,
  registerNode,
  renewLease,
  setPodStatus,
  startTestControllers,
} from '../../src/testing/controllers.js';
import { kubectlAvailable } from '../../src/testing/kubectl.js';
import { waitFor } from '../../src/testing/wait.js';

test('a node whose lease stops renewing goes NotReady, tainted, and its pods leave the endpoints', async (t) => {
  const api = await startTestApiServer(t);
  const client = adminClient(api);
  await registerNode(client, 'ptest-n1');
  await startTestControllers(t, api, {
    controllers: ['nodelifecycle', 'endpointslice'],
    config: { nodeMonitorGracePeriodMs: 1500, nodeMonitorPeriodMs: 200 },
  });
  await client.create<Service>(resources.services, {
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
  });
  await client.create<Pod>(resources.pods, {
    metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' } },
    spec: { nodeName: 'ptest-n1', containers: [{ name: 'c', image: 'luksa/kubia' }] },
  });
  await setPodStatus(client, 'default', 'web-1', { ip: '10.244.0.5', ready: true });
  const ready = async (): Promise<boolean | undefined> =>
    (
      await client.list<EndpointSlice>(resources.endpointslices, {
        namespace: 'default',
        labelSelector: 'kubernetes.io/service-name=web',
      })
    ).items[0]?.endpoints[0]?.conditions?.ready;
  await waitFor(async () => (await ready()) === true, { what: 'web-1 ready in the slice' });

  // The lease is not renewed any more.
  const node = await waitFor(
    async () => {
      const n = await client.get<Node>(resources.nodes, undefined, 'ptest-n1');
      return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown'
        ? n
        : undefined;
    },
    { what: 'Ready=Unknown after the grace period', timeoutMs: 10_000 },
  );
  const cond = node.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(cond?.reason, 'NodeStatusUnknown');
  assert.equal(cond?.message, 'Kubelet stopped posting node status.');
  await waitFor(
    async () => {
      const n = await client.get<Node>(resources.nodes, undefined, 'ptest-n1');
      const keys = (n.spec?.taints ?? []).map((x) => `${x.key}:${x.effect}`).sort();
      return (
        JSON.stringify(keys) ===
        JSON.stringify([
          'node.kubernetes.io/unreachable:NoExecute',
          'node.kubernetes.io/unreachable:NoSchedule',
        ])
      );
    },
    { what: 'unreachable taints' },
  );
  await waitFor(
    async () =>
      (await client.get<Pod>(resources.pods, 'default', 'web-1')).status?.conditions?.find(
        (c) => c.type === 'Ready',
      )?.status === 'False',
    { what: 'pod Ready=False' },
  );
  await waitFor(async () => (await ready()) === false, {
    what: 'web-1 no longer ready in the slice',
  });
  if (kubectlAvailable()) {
    const out = await api.kubectl(['get', 'nodes']);
    assert.match(out.stdout, /ptest-n1\s+NotReady/, out.stdout);
  }

  // The kubelet comes back: lease renewed, node and pod status posted again.
  await renewLease(client, 'ptest-n1');
  const n = await client.get<Node>(resources.nodes, undefined, 'ptest-n1');
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  n.status = {
    ...n.status,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      },
    ],
  };
  await client.updateStatus(resources.nodes, n);
  await setPodStatus(client, 'default', 'web-1', { ready: true });
  await waitFor(
    async () =>
      ((await client.get<Node>(resources.nodes, undefined, 'ptest-n1')).spec?.taints ?? [])
        .length === 0,
    { what: 'taints removed' },
  );
  await waitFor(async () => (await ready()) === true, { what: 'web-1 ready again' });
});

test('node IPAM gives each node a /24 and keeps them across a controller restart', async (t) => {
  const api = await startTestApiServer(t);
  const client = adminClient(api);
  await registerNode(client, 'ptest-a');
  await registerNode(client, 'ptest-b');
  const first = await startTestControllers(t, api, { controllers: ['nodeipam'] });
  const cidrs = async (): Promise<Record<string, string>> =>
    Object.fromEntries(
      (await client.list<Node>(resources.nodes)).items.map((n) => [
        n.metadata.name ?? '',
        n.spec?.podCIDR ?? '',
      ]),
    );
  await waitFor(async () => Object.values(await cidrs()).every((c) => c !== ''), {
    what: 'both nodes have a podCIDR',
  });
  const before = await cidrs();
  assert.deepEqual(Object.values(before).sort(), ['10.244.0.0/24', '10.244.1.0/24']);
  const a = await client.get<Node>(resources.nodes, undefined, 'ptest-a');
  assert.deepEqual(a.spec?.podCIDRs, [a.spec?.podCIDR]);
  await first.stop();
  await registerNode(client, 'ptest-c');
  await startTestControllers(t, api, { controllers: ['nodeipam'] });
  await waitFor(async () => (await cidrs())['ptest-c'] !== '', {
    what: 'the new node has a podCIDR',
  });
  const after = await cidrs();
  assert.equal(after['ptest-a'], before['ptest-a']);
  assert.equal(after['ptest-b'], before['ptest-b']);
  assert.equal(after['ptest-c'], '10.244.2.0/24');
});

test('LB-05: LoadBalancer ingress IPs from the pool, cleanup finalizer, foreign classes ignored', async (t) => {
  const api = await startTestApiServer(t);
  const client = adminClient(api);
  await startTestControllers(t, api, {
    controllers: ['servicelb'],
    config: { lbPool: ['192.0.2.240-192.0.2.241'] },
  });
  const lb = (name: string, extra: Partial<NonNullable<Service['spec']>> = {}): Service => ({
    metadata: { name, namespace: 'default' },
    spec: {
      type: 'LoadBalancer',
      selector: { app: name },
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      ...extra,
    },
  });
  await client.create(resources.services, lb('lb-a'));
  await client.create(
    resources.services,
    lb('foreign', { loadBalancerClass: 'example.com/internal-vip' }),
  );
  const get = (name: string) => client.get<Service>(resources.services, 'default', name);
  const svc = await waitFor(
    async () => {
      const s = await get('lb-a');
      return s.status?.loadBalancer?.ingress?.[0]?.ip !== undefined ? s : undefined;
    },
    { what: 'an ingress IP for lb-a' },
  );
  assert.equal(svc.status?.loadBalancer?.ingress?.[0]?.ip, '192.0.2.240');
  assert.deepEqual(svc.metadata.finalizers, ['service.kubernetes.io/load-balancer-cleanup']);
  if (kubectlAvailable()) {
    const out = await api.kubectl(['get', 'svc', 'lb-a']);
    assert.match(
      out.stdout,
      /lb-a\s+LoadBalancer\s+\S+\s+192\.0\.2\.240\s+80:\d+\/TCP/,
      out.stdout,
    );
  }
  assert.equal((await get('foreign')).status?.loadBalancer?.ingress, undefined);
  assert.equal((await get('foreign')).metadata.finalizers, undefined);

  await client.patch(resources.services, 'default', 'lb-a', 'merge', {
    spec: { type: 'ClusterIP' },
  });
  await waitFor(async () => ((await get('lb-a')).metadata.finalizers ?? []).length === 0, {
    what: 'finalizer removed after the type change',
  });
  assert.equal((await get('lb-a')).status?.loadBalancer?.ingress?.length ?? 0, 0);
  await client.patch(resources.services, 'default', 'lb-a', 'merge', {
    spec: { type: 'LoadBalancer' },
  });
  await waitFor(
    async () =>
      ((await get('lb-a')).metadata.finalizers ?? []).includes(
        'service.kubernetes.io/load-balancer-cleanup',
      ),
    { what: 'finalizer re-added' },
  );
  await waitFor(
    async () => (await get('lb-a')).status?.loadBalancer?.ingress?.[0]?.ip === '192.0.2.240',
    { what: 'IP again' },
  );

  // Requested loadBalancerIP, and release on delete.
  await client.create(resources.services, lb('pinned', { loadBalancerIP: '192.0.2.241' }));
  await waitFor(
    async () => (await get('pinned')).status?.loadBalancer?.ingress?.[0]?.ip === '192.0.2.241',
    { what: 'the requested IP' },
  );
  await client.delete(resources.services, 'default', 'lb-a');
  await waitFor(
    async () => {
      try {
        await get('lb-a');
        return false;
      } catch {
        return true;
      }
    },
    { what: 'lb-a deleted once its finalizer is removed' },
  );
});

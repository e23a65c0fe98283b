// Allocations survive a restart of the API server: after stopping and starting over the same
// SQLite file, no stored clusterIP or nodePort is handed out again.
//
// Address plan: a small service CIDR (10.96.0.0/26, 62 usable addresses, 16 in the static band)
// and nodePorts 30000-30039, so that new Services must land between the stored ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultClusterConfig } from '../../src/api/cluster.js';
import { apiRequest, startTestApiServer } from '../../src/testing/apiserver.js';

interface Svc {
  metadata: { name: string };
  spec: { clusterIP?: string; ports?: { nodePort?: number }[] };
}

test('clusterIPs and nodePorts are not handed out twice after a restart', async (t) => {
  const config = {
    ...defaultClusterConfig,
    serviceCIDR: '10.96.0.0/26',
    nodePortRange: [30000, 30039] as const,
  };
  let api = await startTestApiServer(t, { store: 'sqlite', config });
  const create = async (name: string): Promise<Svc> => {
    const r = await apiRequest(api, {
      method: 'POST',
      path: '/api/v1/namespaces/default/services',
      body: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name },
        spec: { type: 'NodePort', ports: [{ port: 80 }] },
      },
    });
    assert.equal(r.status, 201, r.text);
    return r.json as Svc;
  };
  const before: Svc[] = [];
  for (let i = 0; i < 20; i++) before.push(await create(`before-${i}`));
  api = await api.restart();
  const ips = new Set(before.map((s) => s.spec.clusterIP));
  const ports = new Set(before.map((s) => s.spec.ports?.[0]?.nodePort));
  ips.add('10.96.0.1');
  for (let i = 0; i < 19; i++) {
    const s = await create(`after-${i}`);
    assert.ok(!ips.has(s.spec.clusterIP), `${s.spec.clusterIP ?? ''} handed out twice`);
    assert.ok(
      !ports.has(s.spec.ports?.[0]?.nodePort),
      `${s.spec.ports?.[0]?.nodePort ?? 0} handed out twice`,
    );
    ips.add(s.spec.clusterIP);
    ports.add(s.spec.ports?.[0]?.nodePort);
  }
  // 40 nodePorts, 39 held: one left, then the range is full (500, as kube answers).
  await create('last');
  const full = await apiRequest(api, {
    method: 'POST',
    path: '/api/v1/namespaces/default/services',
    body: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'full' },
      spec: { type: 'NodePort', ports: [{ port: 80 }] },
    },
  });
  assert.equal(full.status, 500, full.text);
  assert.match(full.text, /failed to allocate a nodePort: range is full/);
  // A stored Service's IP asked for explicitly is refused.
  const taken = await apiRequest(api, {
    method: 'POST',
    path: '/api/v1/namespaces/default/services',
    body: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'taken' },
      spec: { clusterIP: before[0]?.spec.clusterIP, ports: [{ port: 80 }] },
    },
  });
  assert.equal(taken.status, 422, taken.text);
  assert.match(taken.text, /provided IP is already allocated/);
});

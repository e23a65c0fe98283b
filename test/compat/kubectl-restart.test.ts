// A restart over the same SQLite store keeps every object, and allocations survive: no ClusterIP
// or nodePort is handed out twice afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestApiServer } from '../../src/testing/apiserver.js';
import { kubectlAvailable } from '../../src/testing/kubectl.js';

const skip = kubectlAvailable() ? false : 'kubectl is not installed';
const seeds = join(process.env['PORTICO_ROOT'] ?? process.cwd(), 'test', 'fixtures', 'seeds');

interface Svc {
  metadata: { name: string; uid: string };
  spec: { clusterIP: string; ports: { nodePort?: number }[] };
}

test('objects and allocations survive a restart (sqlite)', { skip }, async (t) => {
  let api = await startTestApiServer(t, { store: 'sqlite' });
  for (const f of [
    'kubia-svc.yaml',
    'kubia-svc-nodeport.yaml',
    'kubia-svc-loadbalancer.yaml',
    'kubia-rc.yaml',
  ]) {
    const r = await api.kubectl(['create', '-f', join(seeds, f)]);
    assert.equal(r.code, 0, r.stderr);
  }
  const before = JSON.parse((await api.kubectl(['get', 'svc', '-o', 'json'])).stdout) as {
    items: Svc[];
  };

  api = await api.restart();

  const after = JSON.parse((await api.kubectl(['get', 'svc', '-o', 'json'])).stdout) as {
    items: Svc[];
  };
  assert.deepEqual(
    after.items.map((s) => [s.metadata.name, s.metadata.uid, s.spec.clusterIP]),
    before.items.map((s) => [s.metadata.name, s.metadata.uid, s.spec.clusterIP]),
  );
  const rc = await api.kubectl(['get', 'rc', 'kubia', '-o', 'jsonpath={.spec.replicas}']);
  assert.equal(rc.stdout, '3');

  // New services get addresses and ports nobody holds.
  const taken = new Set(before.items.map((s) => s.spec.clusterIP));
  const ports = new Set(
    before.items.flatMap((s) => s.spec.ports.map((p) => p.nodePort).filter((p) => p !== undefined)),
  );
  for (let i = 0; i < 5; i++) {
    const r = await api.kubectl(['create', 'service', 'nodeport', `extra-${i}`, '--tcp=80:8080']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(
      (await api.kubectl(['get', 'svc', `extra-${i}`, '-o', 'json'])).stdout,
    ) as Svc;
    assert.ok(!taken.has(s.spec.clusterIP), `ClusterIP ${s.spec.clusterIP} handed out twice`);
    taken.add(s.spec.clusterIP);
    const np = s.spec.ports[0]?.nodePort;
    assert.ok(np !== undefined && !ports.has(np), `nodePort ${String(np)} handed out twice`);
    ports.add(np);
  }
  // The seed's explicit nodePort is still held.
  const clash = await api.kubectl([
    'create',
    'service',
    'nodeport',
    'clash',
    '--tcp=80:8080',
    '--node-port=30123',
  ]);
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /provided port is already allocated/);
});

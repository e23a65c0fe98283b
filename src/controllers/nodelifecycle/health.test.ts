import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from '../../api/types/coordination.js';
import { node } from '../common/fixtures.js';
import { desiredTaints, observe, staleConditions } from './health.js';

const lease = (renew: string): Lease => ({
  metadata: { name: 'node-1', namespace: 'kube-node-lease' },
  spec: { renewTime: renew },
});
const t0 = Date.parse('2024-01-01T00:00:00Z');

test('observe() restarts the grace period whenever the lease renews', () => {
  const n = node('node-1');
  let h = observe(undefined, n, lease('a'), t0);
  assert.equal(h.probeMs, t0, 'first sight: grace starts now, not at the lease time');
  h = observe(h, n, lease('a'), t0 + 30_000);
  assert.equal(h.probeMs, t0);
  h = observe(h, n, lease('b'), t0 + 35_000);
  assert.equal(h.probeMs, t0 + 35_000);
});

test('staleConditions() turns the conditions Unknown after the grace period', () => {
  const n = node('node-1');
  n.status!.conditions = [
    { type: 'Ready', status: 'True', lastHeartbeatTime: '2024-01-01T00:00:00Z' },
    { type: 'MemoryPressure', status: 'False' },
  ];
  const h = observe(undefined, n, lease('a'), t0);
  assert.equal(staleConditions(n, h, t0 + 40_000, 40_000, 'now'), undefined, 'not before 40 s');
  const c = staleConditions(n, h, t0 + 40_001, 40_000, 'now');
  assert.deepEqual(
    c?.map((x) => [x.type, x.status, x.reason]),
    [
      ['Ready', 'Unknown', 'NodeStatusUnknown'],
      ['MemoryPressure', 'Unknown', 'NodeStatusUnknown'],
    ],
  );
  assert.equal(c?.[0]?.message, 'Kubelet stopped posting node status.');
  n.status!.conditions = c;
  assert.equal(staleConditions(n, h, t0 + 90_000, 40_000, 'now'), undefined, 'already Unknown');
});

test('desiredTaints() follows the Ready condition and keeps foreign taints', () => {
  const n = node('node-1');
  n.spec = { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] };
  assert.deepEqual(desiredTaints(n, 'now'), [
    { key: 'dedicated', value: 'db', effect: 'NoSchedule' },
  ]);
  n.status!.conditions = [{ type: 'Ready', status: 'Unknown' }];
  const unreachable = desiredTaints(n, 'now');
  assert.deepEqual(unreachable.slice(1), [
    { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: 'now' },
  ]);
  n.spec.taints = unreachable;
  n.status!.conditions = [{ type: 'Ready', status: 'True' }];
  assert.deepEqual(
    desiredTaints(n, 'now'),
    [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }],
    'restored',
  );
  n.status!.conditions = [{ type: 'Ready', status: 'False' }];
  assert.deepEqual(
    desiredTaints(n, 'now').map((t) => t.key),
    ['dedicated', 'node.kubernetes.io/not-ready', 'node.kubernetes.io/not-ready'],
  );
});

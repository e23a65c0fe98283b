/**
 * Ingress status publishing with several instances. Address plan: nodes at 192.0.2.1–3
 * (documentation addresses).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resources } from '../api/scheme.js';
import type { Lease } from '../api/types/coordination.js';
import type { Ingress } from '../api/types/networking.js';
import { FakeClient } from '../client/fake.js';
import type { Lister } from '../client/types.js';
import { FakeClock } from '../lib/fakeclock.js';
import { discardLogger } from '../lib/log/logger.js';
import { ingress } from './fixtures.js';
import {
  annotationAddresses,
  labelIngressClass,
  loadBalancerIngress,
  StatusPublisher,
} from './status.js';

const t0 = Date.parse('2024-05-01T00:00:00Z');

function lease(holder: string, addresses: string, renewedAgoMs: number, cls = 'portico'): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: `portico-ingress-${holder}`,
      namespace: 'kube-system',
      labels: { [labelIngressClass]: cls },
      annotations: { [annotationAddresses]: addresses },
    },
    spec: {
      holderIdentity: holder,
      leaseDurationSeconds: 30,
      renewTime: new Date(t0 - renewedAgoMs).toISOString(),
    },
  };
}

function lister(leases: Lease[]): Lister<Lease> {
  return { get: () => undefined, list: () => leases, byIndex: () => [] };
}

function setup(node: string, leases: Lease[], objects: Ingress[] = []) {
  const client = new FakeClient({ objects });
  const clock = new FakeClock({ now: t0 });
  const status = new StatusPublisher({
    client,
    logger: discardLogger,
    clock,
    nodeName: node,
    className: 'portico',
    leaseNamespace: 'kube-system',
    leases: lister(leases),
  });
  return { client, status };
}

test('loadBalancerIngress: IPs as ip, names as hostname, sorted and unique', () => {
  assert.deepEqual(loadBalancerIngress(['192.0.2.2', 'lb.example.com', '192.0.2.1', '192.0.2.2']), [
    { ip: '192.0.2.1' },
    { ip: '192.0.2.2' },
    { hostname: 'lb.example.com' },
  ]);
});

test('renew creates our Lease, then updates it', async () => {
  const { client, status } = setup('node1', []);
  await status.renew(['192.0.2.1']);
  await status.renew(['192.0.2.1']);
  assert.deepEqual(
    client.writeActions().map((a) => a.summary),
    [
      'create leases kube-system/portico-ingress-node1',
      'update leases kube-system/portico-ingress-node1',
    ],
  );
  const l = client.peek<Lease>(resources.leases, 'kube-system', 'portico-ingress-node1');
  assert.equal(l?.metadata.annotations?.[annotationAddresses], '192.0.2.1');
  assert.equal(l?.spec?.holderIdentity, 'node1');
});

test('live instances share one answer and the lowest name writes it; expired ones drop out', async () => {
  const leases = [
    lease('node1', '192.0.2.1', 5_000),
    lease('node3', '192.0.2.3', 60_000), // expired
    lease('node0', '192.0.2.9', 1_000, 'other-class'),
  ];
  const a = setup('node2', leases);
  await a.status.renew(['192.0.2.2']);
  assert.deepEqual(a.status.desired(), [{ ip: '192.0.2.1' }, { ip: '192.0.2.2' }]);
  assert.equal(a.status.isWriter(), false, 'node1 is alive and sorts first');
  const b = setup(
    'node1',
    leases.filter((l) => l.spec?.holderIdentity !== 'node1').concat(lease('node2', '192.0.2.2', 0)),
  );
  await b.status.renew(['192.0.2.1']);
  assert.equal(b.status.isWriter(), true);
});

test('sync writes served Ingresses, leaves right ones alone, clears those no longer ours', async () => {
  const served = ingress('served', {});
  const done = ingress('done', {});
  done.status = { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } };
  const gone = ingress('gone', {});
  gone.status = { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } };
  const foreign = ingress('foreign', {});
  foreign.status = { loadBalancer: { ingress: [{ ip: '198.51.100.7' }] } };
  const all = [served, done, gone, foreign];
  const { client, status } = setup('node1', [], all);
  await status.renew(['192.0.2.1']);
  client.clearActions();
  const writes = await status.sync(all, new Set(['default/served', 'default/done']));
  assert.equal(writes, 2);
  assert.deepEqual(
    client.writeActions().map((a) => [a.summary, a.subresource, JSON.stringify(a.patch)]),
    [
      [
        'patch ingresses/status default/served',
        'status',
        '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.1"}]}}}',
      ],
      [
        'patch ingresses/status default/gone',
        'status',
        '{"status":{"loadBalancer":{"ingress":null}}}',
      ],
    ],
  );
});

test('a non-writer writes nothing; without Lease permission an instance publishes alone', async () => {
  const ing = ingress('x', {});
  const follower = setup('node2', [lease('node1', '192.0.2.1', 0)], [ing]);
  await follower.status.renew(['192.0.2.2']);
  follower.client.clearActions();
  assert.equal(await follower.status.sync([ing], new Set(['default/x'])), 0);
  const solo = setup('node2', [lease('node1', '192.0.2.1', 0)], [ing]);
  solo.client.prependReactor('*', 'leases', () => {
    throw new Error('forbidden');
  });
  await solo.status.renew(['192.0.2.2']);
  assert.deepEqual(solo.status.desired(), [{ ip: '192.0.2.2' }]);
  assert.equal(await solo.status.sync([ing], new Set(['default/x'])), 1);
});

test('shutdown: the last instance clears what it served; others leave it to the survivors', async () => {
  const ing = ingress('x', {});
  ing.status = { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } };
  const last = setup('node1', [], [ing]);
  await last.status.renew(['192.0.2.1']);
  last.client.clearActions();
  await last.status.shutdown([ing], new Set(['default/x']));
  assert.deepEqual(
    last.client.writeActions().map((a) => a.summary),
    ['delete leases kube-system/portico-ingress-node1', 'patch ingresses/status default/x'],
  );
  const one = setup('node1', [lease('node2', '192.0.2.2', 0)], [ing]);
  await one.status.renew(['192.0.2.1']);
  one.client.clearActions();
  await one.status.shutdown([ing], new Set(['default/x']));
  assert.deepEqual(
    one.client.writeActions().map((a) => a.summary),
    ['delete leases kube-system/portico-ingress-node1'],
  );
});

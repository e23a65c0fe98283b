import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Pod } from '../../api/types/core.js';
import { pod, service } from '../common/fixtures.js';
import { computeSubsets, reconcileEndpoints, repackSubsets } from './reconciler.js';

// Address plan: pods 10.244.1.0/24 on node-1; service 10.96.0.20.

const ref = (name: string) => ({ kind: 'Pod', namespace: 'default', name, uid: `uid-${name}` });

test('computeSubsets() puts ready pods under addresses and unready under notReadyAddresses', () => {
  const subsets = computeSubsets(service('kubia'), [
    pod('b', { ip: '10.244.1.3', ready: false }),
    pod('a', { ip: '10.244.1.2' }),
    pod('c', { ip: '10.244.1.10' }),
  ]);
  assert.deepEqual(subsets, [
    {
      addresses: [
        { ip: '10.244.1.2', nodeName: 'node-1', targetRef: ref('a') },
        { ip: '10.244.1.10', nodeName: 'node-1', targetRef: ref('c') },
      ],
      notReadyAddresses: [{ ip: '10.244.1.3', nodeName: 'node-1', targetRef: ref('b') }],
      ports: [{ port: 8080, protocol: 'TCP' }],
    },
  ]);
});

test('computeSubsets() omits terminating pods unless publishNotReadyAddresses', () => {
  const pods = [
    pod('a', { ip: '10.244.1.2', deleting: true }),
    pod('b', { ip: '10.244.1.3', ready: false }),
  ];
  assert.deepEqual(computeSubsets(service('s'), pods), [
    {
      notReadyAddresses: [{ ip: '10.244.1.3', nodeName: 'node-1', targetRef: ref('b') }],
      ports: [{ port: 8080, protocol: 'TCP' }],
    },
  ]);
  const pnra = computeSubsets(service('s', { publishNotReadyAddresses: true }), pods);
  assert.equal(pnra.length, 1);
  assert.deepEqual(
    pnra[0]!.addresses?.map((a) => a.ip),
    ['10.244.1.2', '10.244.1.3'],
  );
  assert.equal(pnra[0]!.notReadyAddresses, undefined);
});

test('computeSubsets() splits pods that resolve a named port differently into subsets (EP-02, EP-06)', () => {
  const svc = service('example-named-port', {
    ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
  });
  const pods: Pod[] = [
    pod('pod1', {
      ip: '10.244.1.2',
      ports: [{ name: 'http', containerPort: 3000, protocol: 'TCP' }],
    }),
    pod('pod2', {
      ip: '10.244.1.3',
      ports: [{ name: 'http', containerPort: 3001, protocol: 'TCP' }],
    }),
    pod('pod3', {
      ip: '10.244.1.4',
      ports: [{ name: 'other', containerPort: 3002, protocol: 'TCP' }],
    }),
  ];
  assert.deepEqual(computeSubsets(svc, pods), [
    {
      addresses: [{ ip: '10.244.1.2', nodeName: 'node-1', targetRef: ref('pod1') }],
      ports: [{ name: 'http', port: 3000, protocol: 'TCP' }],
    },
    {
      addresses: [{ ip: '10.244.1.3', nodeName: 'node-1', targetRef: ref('pod2') }],
      ports: [{ name: 'http', port: 3001, protocol: 'TCP' }],
    },
  ]);
});

test('computeSubsets() groups the same addresses under every port they serve', () => {
  const svc = service('multi', {
    ports: [
      { name: 'tcp-port', port: 80, targetPort: 80, protocol: 'TCP' },
      { name: 'udp-port', port: 80, targetPort: 80, protocol: 'UDP' },
    ],
  });
  const subsets = computeSubsets(svc, [
    pod('a', { ip: '10.244.1.2' }),
    pod('b', { ip: '10.244.1.3' }),
  ]);
  assert.equal(subsets.length, 1);
  assert.deepEqual(subsets[0]!.ports, [
    { name: 'tcp-port', port: 80, protocol: 'TCP' },
    { name: 'udp-port', port: 80, protocol: 'UDP' },
  ]);
  assert.equal(subsets[0]!.addresses?.length, 2);
});

test('computeSubsets() keeps port-less headless services and sets hostnames (EP-08)', () => {
  const svc = service('dns-test-service', { clusterIP: 'None', ports: [] });
  const subsets = computeSubsets(svc, [
    pod('a', { ip: '10.244.1.2', hostname: 'dns-querier-1', subdomain: 'dns-test-service' }),
    pod('b', { ip: '10.244.1.3', hostname: 'other', subdomain: 'nope' }),
  ]);
  assert.deepEqual(subsets, [
    {
      addresses: [
        { ip: '10.244.1.2', hostname: 'dns-querier-1', nodeName: 'node-1', targetRef: ref('a') },
        { ip: '10.244.1.3', nodeName: 'node-1', targetRef: ref('b') },
      ],
    },
  ]);
});

test('repackSubsets() makes an address ready if any subset lists it ready', () => {
  const a = { ip: '10.244.1.2' };
  const out = repackSubsets([
    { addresses: [a], ports: [{ port: 80 }] },
    { notReadyAddresses: [a], ports: [{ port: 80 }] },
  ]);
  assert.deepEqual(out, [{ addresses: [a], ports: [{ port: 80 }] }]);
});

test('reconcileEndpoints() creates an empty Endpoints for a service without pods (EP-01, EP-04)', () => {
  const plan = reconcileEndpoints({
    service: service('s', { labels: { app: 's' } }),
    pods: [],
    current: undefined,
  });
  assert.ok(plan.action === 'create');
  assert.deepEqual(plan.endpoints.subsets, []);
  assert.equal(plan.endpoints.metadata.name, 's');
  assert.deepEqual(plan.endpoints.metadata.labels, {
    app: 's',
    'endpoints.kubernetes.io/managed-by': 'endpoint-controller',
  });
});

test('reconcileEndpoints() does nothing when subsets and labels already match', () => {
  const svc = service('s');
  const pods = [pod('a', { ip: '10.244.1.2' })];
  const first = reconcileEndpoints({
    service: svc,
    pods,
    current: undefined,
    triggerTime: '2024-01-01T00:00:05Z',
  });
  assert.ok(first.action !== 'none');
  const stored: Endpoints = {
    ...first.endpoints,
    metadata: { ...first.endpoints.metadata, resourceVersion: '7' },
  };
  assert.deepEqual(reconcileEndpoints({ service: svc, pods, current: stored }), { action: 'none' });
  const changed = reconcileEndpoints({
    service: svc,
    pods: [pod('a', { ip: '10.244.1.2', ready: false })],
    current: stored,
  });
  assert.ok(changed.action === 'update');
  assert.equal(
    changed.endpoints.metadata.resourceVersion,
    '7',
    'updates carry the cached resourceVersion',
  );
  assert.equal(changed.endpoints.subsets?.[0]?.notReadyAddresses?.length, 1);
});

test('reconcileEndpoints() labels headless services', () => {
  const plan = reconcileEndpoints({
    service: service('h', { clusterIP: 'None' }),
    pods: [],
    current: undefined,
  });
  assert.ok(
    plan.action !== 'none' &&
      plan.endpoints.metadata.labels?.['service.kubernetes.io/headless'] === '',
  );
});

test('reconcileEndpoints() truncates to 1000 addresses and says so', () => {
  const pods: Pod[] = [];
  for (let i = 0; i < 1100; i++)
    pods.push(pod(`p${i}`, { ip: `10.244.${Math.floor(i / 250)}.${(i % 250) + 2}` }));
  const plan = reconcileEndpoints({ service: service('big'), pods, current: undefined });
  assert.ok(plan.action !== 'none');
  assert.equal(plan.endpoints.subsets?.[0]?.addresses?.length, 1000);
  assert.equal(
    plan.endpoints.metadata.annotations?.['endpoints.kubernetes.io/over-capacity'],
    'truncated',
  );
});

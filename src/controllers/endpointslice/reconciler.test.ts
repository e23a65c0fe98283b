import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, Service } from '../../api/types/core.js';
import type { EndpointSlice } from '../../api/types/discovery.js';
import { node, pod, service } from '../common/fixtures.js';
import { reconcileEndpointSlices, type EndpointSliceInput } from './reconciler.js';

// Address plan: pods 10.244.1.0/24 on node-1 (zone a), 10.244.2.0/24 on node-2 (zone b);
// service 10.96.0.20.

const nodes = new Map<string, Node>([
  ['node-1', node('node-1', { zone: 'zone-a' })],
  ['node-2', node('node-2', { zone: 'zone-b' })],
]);

function run(
  svc: Service,
  pods: Pod[],
  existing: EndpointSlice[] = [],
  extra: Partial<EndpointSliceInput> = {},
) {
  return reconcileEndpointSlices({
    service: svc,
    pods,
    node: (n) => nodes.get(n),
    existing,
    ...extra,
  });
}

let counter = 0;
/** Applies a plan the way the API server would (names for generateName, new resourceVersions). */
function apply(existing: EndpointSlice[], plan: ReturnType<typeof run>): EndpointSlice[] {
  const byName = new Map(existing.map((s) => [s.metadata.name ?? '', s]));
  for (const s of plan.delete) byName.delete(s.metadata.name ?? '');
  for (const s of plan.update) {
    byName.set(s.metadata.name ?? '', {
      ...s,
      metadata: { ...s.metadata, resourceVersion: String(++counter) },
    });
  }
  for (const s of plan.create) {
    const name = `${s.metadata.generateName ?? ''}x${++counter}`;
    const created = { ...s, metadata: { ...s.metadata, name, resourceVersion: String(counter) } };
    delete created.metadata.generateName;
    byName.set(name, created);
  }
  return [...byName.values()];
}

/** Reconciles until nothing changes; returns the slices. Fails if it does not settle. */
function converge(svc: Service, pods: Pod[], existing: EndpointSlice[] = []): EndpointSlice[] {
  let slices = existing;
  for (let i = 0; i < 5; i++) {
    const plan = run(svc, pods, slices);
    if (plan.create.length + plan.update.length + plan.delete.length === 0) return slices;
    slices = apply(slices, plan);
  }
  assert.fail('reconcile did not settle in 5 rounds');
}

function ips(slice: EndpointSlice): string[] {
  return slice.endpoints.map((e) => e.addresses[0] ?? '').sort();
}

test('reconcile() creates exactly one empty placeholder slice for a service without pods (EP-04)', () => {
  const plan = run(service('web'), []);
  assert.equal(plan.create.length, 1);
  assert.equal(plan.update.length + plan.delete.length, 0);
  const s = plan.create[0]!;
  assert.deepEqual(s.endpoints, []);
  assert.deepEqual(s.ports, []);
  assert.equal(s.addressType, 'IPv4');
  assert.equal(s.metadata.generateName, 'web-');
  assert.deepEqual(s.metadata.labels, {
    'kubernetes.io/service-name': 'web',
    'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
  });
  assert.deepEqual(s.metadata.ownerReferences, [
    {
      apiVersion: 'v1',
      kind: 'Service',
      name: 'web',
      uid: 'uid-svc-web',
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
  const settled = converge(service('web'), []);
  assert.equal(settled.length, 1, 'the placeholder is kept, not recreated');
});

test('reconcile() builds endpoints with conditions, nodeName, zone and targetRef', () => {
  const plan = run(service('web'), [
    pod('web-a', { ip: '10.244.1.2', node: 'node-1' }),
    pod('web-b', { ip: '10.244.2.3', node: 'node-2', ready: false }),
  ]);
  assert.equal(plan.create.length, 1);
  const s = plan.create[0]!;
  assert.deepEqual(s.ports, [{ name: '', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(s.endpoints, [
    {
      addresses: ['10.244.1.2'],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: 'node-1',
      zone: 'zone-a',
      targetRef: { kind: 'Pod', namespace: 'default', name: 'web-a', uid: 'uid-web-a' },
    },
    {
      addresses: ['10.244.2.3'],
      conditions: { ready: false, serving: false, terminating: false },
      nodeName: 'node-2',
      zone: 'zone-b',
      targetRef: { kind: 'Pod', namespace: 'default', name: 'web-b', uid: 'uid-web-b' },
    },
  ]);
});

const conditionCases: {
  name: string;
  pod: Pod;
  pnra?: boolean;
  want: { ready: boolean; serving: boolean; terminating: boolean } | 'absent';
}[] = [
  {
    name: 'ready pod',
    pod: pod('p', { ip: '10.244.1.2' }),
    want: { ready: true, serving: true, terminating: false },
  },
  {
    name: 'unready pod',
    pod: pod('p', { ip: '10.244.1.2', ready: false }),
    want: { ready: false, serving: false, terminating: false },
  },
  {
    name: 'unready pod with publishNotReadyAddresses',
    pod: pod('p', { ip: '10.244.1.2', ready: false }),
    pnra: true,
    want: { ready: true, serving: false, terminating: false },
  },
  {
    name: 'terminating ready pod',
    pod: pod('p', { ip: '10.244.1.2', deleting: true }),
    want: { ready: false, serving: true, terminating: true },
  },
  {
    name: 'terminating pod with publishNotReadyAddresses',
    pod: pod('p', { ip: '10.244.1.2', deleting: true }),
    pnra: true,
    want: { ready: true, serving: true, terminating: true },
  },
  { name: 'pod without IP', pod: pod('p', {}), want: 'absent' },
  { name: 'failed pod', pod: pod('p', { ip: '10.244.1.2', phase: 'Failed' }), want: 'absent' },
  {
    name: 'failed pod with publishNotReadyAddresses (EP-10)',
    pod: pod('p', { ip: '10.244.1.2', phase: 'Failed' }),
    pnra: true,
    want: 'absent',
  },
  {
    name: 'succeeded pod',
    pod: pod('p', { ip: '10.244.1.2', phase: 'Succeeded' }),
    want: 'absent',
  },
];
for (const c of conditionCases) {
  test(`reconcile() conditions: ${c.name}`, () => {
    const plan = run(service('web', { publishNotReadyAddresses: c.pnra ?? false }), [c.pod]);
    assert.equal(plan.create.length, 1);
    const eps = plan.create[0]!.endpoints;
    if (c.want === 'absent') assert.deepEqual(eps, []);
    else assert.deepEqual(eps[0]?.conditions, c.want);
  });
}

test('reconcile() resolves a named targetPort per pod: different numbers, different slices (EP-02)', () => {
  const svc = service('multi-endpoint-test', {
    ports: [
      { name: 'portname1', port: 80, targetPort: 'svc1', protocol: 'TCP' },
      { name: 'portname2', port: 81, targetPort: 'svc2', protocol: 'TCP' },
    ],
  });
  const pod1 = pod('pod1', {
    ip: '10.244.1.2',
    ports: [{ name: 'svc1', containerPort: 100, protocol: 'TCP' }],
  });
  const pod2 = pod('pod2', {
    ip: '10.244.1.3',
    ports: [{ name: 'svc2', containerPort: 101, protocol: 'TCP' }],
  });
  const slices = converge(svc, [pod1, pod2]);
  assert.equal(slices.length, 2);
  const byPod = new Map(slices.map((s) => [s.endpoints[0]?.targetRef?.name, s.ports]));
  assert.deepEqual(byPod.get('pod1'), [{ name: 'portname1', port: 100, protocol: 'TCP' }]);
  assert.deepEqual(byPod.get('pod2'), [{ name: 'portname2', port: 101, protocol: 'TCP' }]);
  // pod1 deleted: its slice goes, pod2's stays untouched.
  const after = run(svc, [pod2], slices);
  assert.equal(after.create.length + after.update.length, 0);
  assert.equal(after.delete.length, 1);
  assert.equal(after.delete[0]!.endpoints[0]?.targetRef?.name, 'pod1');
});

test('reconcile() lists the same port number for TCP and UDP (EP-11)', () => {
  const svc = service('multiprotocol-test', {
    ports: [
      { name: 'tcp-port', port: 80, targetPort: 80, protocol: 'TCP' },
      { name: 'udp-port', port: 80, targetPort: 80, protocol: 'UDP' },
    ],
  });
  const plan = run(svc, [pod('p', { ip: '10.244.1.2' })]);
  assert.deepEqual(plan.create[0]!.ports, [
    { name: 'tcp-port', port: 80, protocol: 'TCP' },
    { name: 'udp-port', port: 80, protocol: 'UDP' },
  ]);
});

test('reconcile() publishes hostname only when subdomain names the service (EP-08)', () => {
  const svc = service('dns-test-service', {
    clusterIP: 'None',
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
  });
  const a = pod('a', {
    ip: '10.244.1.2',
    hostname: 'dns-querier-1',
    subdomain: 'dns-test-service',
  });
  const b = pod('b', { ip: '10.244.1.3', hostname: 'other', subdomain: 'some-other-svc' });
  const eps = run(svc, [a, b]).create[0]!.endpoints;
  assert.equal(eps.find((e) => e.targetRef?.name === 'a')?.hostname, 'dns-querier-1');
  assert.equal(eps.find((e) => e.targetRef?.name === 'b')?.hostname, undefined);
});

test('reconcile() labels headless services and copies service labels except reserved ones', () => {
  const svc = service('h', {
    clusterIP: 'None',
    labels: { team: 'x', 'kubernetes.io/service-name': 'spoof' },
  });
  const labels = run(svc, []).create[0]!.metadata.labels;
  assert.deepEqual(labels, {
    team: 'x',
    'service.kubernetes.io/headless': '',
    'kubernetes.io/service-name': 'h',
    'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
  });
});

test('reconcile() updates slice labels when the service labels change', () => {
  const slices = converge(service('web'), [pod('a', { ip: '10.244.1.2' })]);
  const plan = run(
    service('web', { labels: { tier: 'front' } }),
    [pod('a', { ip: '10.244.1.2' })],
    slices,
  );
  assert.equal(plan.update.length, 1);
  assert.equal(plan.update[0]!.metadata.labels?.['tier'], 'front');
  assert.equal(plan.update[0]!.metadata.name, slices[0]!.metadata.name);
});

test('reconcile() skips pods whose node is unknown and reports them, unless publishNotReadyAddresses', () => {
  const p = pod('lost', { ip: '10.244.9.2', node: 'node-9' });
  const plan = run(service('web'), [p]);
  assert.deepEqual(plan.skippedPods, ['lost']);
  assert.deepEqual(plan.create[0]!.endpoints, []);
  const pnra = run(service('web', { publishNotReadyAddresses: true }), [p]);
  assert.deepEqual(pnra.skippedPods, []);
  assert.equal(pnra.create[0]!.endpoints.length, 1);
  assert.equal(pnra.create[0]!.endpoints[0]!.zone, undefined);
});

test('reconcile() packs at most 100 endpoints per slice', () => {
  const pods: Pod[] = [];
  for (let i = 0; i < 250; i++)
    pods.push(
      pod(`p${String(i).padStart(3, '0')}`, {
        ip: `10.244.${1 + Math.floor(i / 200)}.${(i % 200) + 2}`,
      }),
    );
  const slices = converge(service('big'), pods);
  assert.deepEqual(
    slices.map((s) => s.endpoints.length).sort((a, b) => a - b),
    [50, 100, 100],
  );
  // One pod turns unready: exactly one slice is updated.
  const changed = pods.map((p, i) =>
    i === 7 ? pod(p.metadata.name ?? '', { ip: p.status?.podIP ?? '', ready: false }) : p,
  );
  const plan = run(service('big'), changed, slices);
  assert.equal(plan.create.length + plan.delete.length, 0);
  assert.equal(plan.update.length, 1);
});

test('reconcile() fills the existing slice instead of creating when a pod is added', () => {
  const slices = converge(service('web'), [pod('a', { ip: '10.244.1.2' })]);
  const plan = run(
    service('web'),
    [pod('a', { ip: '10.244.1.2' }), pod('b', { ip: '10.244.1.3' })],
    slices,
  );
  assert.equal(plan.create.length, 0);
  assert.equal(plan.update.length, 1);
  assert.equal(plan.update[0]!.metadata.name, slices[0]!.metadata.name);
  assert.deepEqual(ips(plan.update[0]!), ['10.244.1.2', '10.244.1.3']);
});

test('reconcile() turns the placeholder into the first real slice (update, not create + delete)', () => {
  const slices = converge(service('web'), []);
  const plan = run(service('web'), [pod('a', { ip: '10.244.1.2' })], slices);
  assert.equal(plan.create.length + plan.delete.length, 0);
  assert.equal(plan.update[0]!.metadata.name, slices[0]!.metadata.name);
  assert.equal(plan.update[0]!.metadata.resourceVersion, slices[0]!.metadata.resourceVersion);
});

test("reconcile() reuses a deleted slice's name instead of creating", () => {
  const pods = [pod('a', { ip: '10.244.1.2' })];
  const slices = converge(service('web'), pods);
  const retargeted = service('web', { ports: [{ port: 80, targetPort: 9090, protocol: 'TCP' }] });
  const plan = run(retargeted, pods, slices);
  assert.equal(plan.create.length + plan.delete.length, 0);
  assert.equal(plan.update.length, 1);
  assert.equal(plan.update[0]!.metadata.name, slices[0]!.metadata.name);
  assert.deepEqual(plan.update[0]!.ports, [{ name: '', port: 9090, protocol: 'TCP' }]);
});

test('reconcile() puts back a slice whose endpoints someone edited', () => {
  const pods = [pod('a', { ip: '10.244.1.2' })];
  const slices = converge(service('web'), pods);
  const edited = structuredClone(slices[0]!);
  edited.endpoints[0]!.conditions = { ready: false };
  edited.endpoints.push({ addresses: ['203.0.113.9'] });
  const plan = run(service('web'), pods, [edited]);
  assert.equal(plan.update.length, 1);
  assert.deepEqual(plan.update[0]!.endpoints, slices[0]!.endpoints);
});

test('reconcile() recreates the slices of a deleted slice', () => {
  const pods = [pod('a', { ip: '10.244.1.2' })];
  converge(service('web'), pods);
  const plan = run(service('web'), pods, []);
  assert.equal(plan.create.length, 1);
  assert.equal(plan.create[0]!.endpoints.length, 1);
});

test('reconcile() deletes slices owned by a same-named predecessor', () => {
  const pods = [pod('a', { ip: '10.244.1.2' })];
  const old = converge(service('web', { uid: 'old' }), pods);
  const plan = run(service('web', { uid: 'new' }), pods, old);
  assert.equal(plan.delete.length, 1);
  assert.equal(plan.create.length, 1);
  assert.equal(plan.create[0]!.metadata.ownerReferences?.[0]?.uid, 'new');
});

test('reconcile() is idempotent: a settled state plans nothing', () => {
  const svc = service('web');
  const pods = [
    pod('a', { ip: '10.244.1.2' }),
    pod('b', { ip: '10.244.2.2', node: 'node-2', ready: false }),
  ];
  const slices = converge(svc, pods);
  const plan = run(svc, pods, slices);
  assert.deepEqual(plan, { create: [], update: [], delete: [], skippedPods: [] });
});

test('reconcile() creates nothing for a service being deleted', () => {
  const svc = service('web');
  svc.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
  const plan = run(svc, [pod('a', { ip: '10.244.1.2' })]);
  assert.equal(plan.create.length, 0);
});

test('reconcile() writes the trigger time on created and updated slices only', () => {
  const t = '2024-01-01T00:00:05Z';
  const plan = run(service('web'), [pod('a', { ip: '10.244.1.2' })], [], { triggerTime: t });
  assert.equal(
    plan.create[0]!.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'],
    t,
  );
});

test('reconcile() makes IPv6 slices for an IPv6 service and ignores IPv4 pod addresses', () => {
  const svc = service('v6', { clusterIP: 'fd00::20' });
  svc.spec!.ipFamilies = ['IPv6'];
  const p = pod('a', { ip: '10.244.1.2' });
  p.status!.podIPs = [{ ip: '10.244.1.2' }, { ip: 'fd00:244::2' }];
  const plan = run(svc, [p]);
  assert.equal(plan.create.length, 1);
  assert.equal(plan.create[0]!.addressType, 'IPv6');
  assert.deepEqual(plan.create[0]!.endpoints[0]!.addresses, ['fd00:244::2']);
});

test('reconcile() gives a headless service without ports one slice with ports []', () => {
  const svc = service('h', { clusterIP: 'None', ports: [] });
  const plan = run(svc, [pod('a', { ip: '10.244.1.2' })]);
  assert.equal(plan.create.length, 1);
  assert.deepEqual(plan.create[0]!.ports, []);
  assert.equal(plan.create[0]!.endpoints.length, 1);
});

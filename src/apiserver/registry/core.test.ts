// Address plan: endpoint addresses from 10.0.0.0/24 and 10.1.2.3 (conformance fixtures); special
// addresses 127.0.0.1, 169.254.169.254, 224.0.0.251, 0.0.0.0, ::1, fe80::1 must be refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultClusterConfig } from '../../api/cluster.js';
import { isApiError } from '../../api/meta/status.js';
import { resources } from '../../api/scheme.js';
import type { ConfigMap, Endpoints, Event, Namespace, Node } from '../../api/types/core.js';
import type { EndpointSlice } from '../../api/types/discovery.js';
import { buildStrategies } from './strategies.js';
import { TestPipeline } from './testpipeline.js';

interface Cause {
  reason?: string;
  field?: string;
  message?: string;
}

async function causesOf(f: () => Promise<unknown>): Promise<Cause[]> {
  try {
    await f();
  } catch (e) {
    if (isApiError(e, 'Invalid')) return e.status.details?.causes ?? [];
    throw e;
  }
  assert.fail('expected 422 Invalid');
}

const pipeline = (): TestPipeline => new TestPipeline(buildStrategies(defaultClusterConfig));

function endpoints(
  name: string,
  ips: string[],
  ports: Endpoints['subsets'] extends (infer S)[] | undefined
    ? S extends { ports?: infer P }
      ? P
      : never
    : never,
): Endpoints {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace: 'default' },
    subsets: [{ addresses: ips.map((ip) => ({ ip })), ...(ports ? { ports } : {}) }],
  };
}

test('Endpoints refuse loopback, link-local, multicast and unspecified addresses', async () => {
  const p = pipeline();
  const cases: [string, string][] = [
    ['127.0.0.1', 'may not be in the loopback range (127.0.0.0/8, ::1/128)'],
    ['::1', 'may not be in the loopback range (127.0.0.0/8, ::1/128)'],
    ['169.254.169.254', 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'],
    ['fe80::1', 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'],
    ['224.0.0.251', 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'],
    ['0.0.0.0', 'may not be unspecified (0.0.0.0)'],
  ];
  for (const [ip, msg] of cases) {
    assert.deepEqual(
      await causesOf(() => p.create(resources.endpoints, endpoints('e', [ip], [{ port: 80 }]))),
      [
        {
          reason: 'FieldValueInvalid',
          field: 'subsets[0].addresses[0].ip',
          message: `Invalid value: "${ip}": ${msg}`,
        },
      ],
      ip,
    );
  }
  assert.deepEqual(
    await causesOf(() =>
      p.create(resources.endpoints, endpoints('e', ['10.0.0.300'], [{ port: 80 }])),
    ),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'subsets[0].addresses[0].ip',
        message:
          'Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      },
      {
        reason: 'FieldValueInvalid',
        field: 'subsets[0].addresses[0].ip',
        message: 'Invalid value: "10.0.0.300": must be a valid IP address',
      },
    ],
  );
  assert.deepEqual(
    await causesOf(() =>
      p.create(resources.endpoints, endpoints('e', ['10.0.0.24'], [{ port: 80 }, { port: 81 }])),
    ),
    [
      {
        reason: 'FieldValueRequired',
        field: 'subsets[0].ports[0].name',
        message: 'Required value',
      },
      {
        reason: 'FieldValueRequired',
        field: 'subsets[0].ports[1].name',
        message: 'Required value',
      },
    ],
  );
  const ok = await p.create(
    resources.endpoints,
    endpoints('testservice', ['10.0.0.24'], [{ name: 'http', port: 80 }]),
  );
  assert.equal(ok.subsets?.[0]?.ports?.[0]?.protocol, 'TCP');
});

test('EndpointSlices: defaults, address types, immutable addressType, generation', async () => {
  const p = pipeline();
  const slice = (
    name: string,
    addressType: EndpointSlice['addressType'],
    addrs: string[],
  ): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'default' },
    addressType,
    endpoints: [{ addresses: addrs }],
    ports: [{ port: 80 }],
  });
  const created = await p.create(
    resources.endpointslices,
    slice('s', 'IPv4', ['1.2.3.4', '5.6.7.8']),
  );
  assert.deepEqual(created.ports, [{ port: 80, name: '', protocol: 'TCP' }]);
  assert.equal(created.metadata.generation, 1);
  assert.deepEqual(
    await causesOf(() => p.create(resources.endpointslices, slice('v6', 'IPv4', ['fd00::1']))),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'endpoints[0].addresses[0]',
        message: 'Invalid value: "fd00::1": must be a valid IPv4 address',
      },
    ],
  );
  assert.deepEqual(
    await causesOf(() => p.create(resources.endpointslices, slice('lo', 'IPv4', ['127.0.0.1']))),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'endpoints[0].addresses[0]',
        message:
          'Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      },
    ],
  );
  assert.deepEqual(
    await causesOf(() => p.create(resources.endpointslices, slice('none', 'IPv4', []))),
    [
      {
        reason: 'FieldValueRequired',
        field: 'endpoints[0].addresses',
        message: 'Required value: must contain at least 1 address',
      },
    ],
  );
  await p.create(resources.endpointslices, slice('fqdn', 'FQDN', ['example.com']));
  const ref = { namespace: 'default', name: 's' };
  assert.deepEqual(
    await causesOf(() =>
      p.update<EndpointSlice>(
        resources.endpointslices,
        (cur) => ({ ...cur, addressType: 'IPv6', endpoints: [{ addresses: ['fd00::1'] }] }),
        ref,
      ),
    ),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'addressType',
        message: 'Invalid value: "IPv6": field is immutable',
      },
    ],
  );
  const annotated = await p.update<EndpointSlice>(
    resources.endpointslices,
    (cur) => ({ ...cur, metadata: { ...cur.metadata, annotations: { patched: 'true' } } }),
    ref,
  );
  assert.equal(annotated.metadata.generation, 1);
  const moved = await p.update<EndpointSlice>(
    resources.endpointslices,
    (cur) => ({ ...cur, endpoints: [{ addresses: ['10.0.0.25'] }] }),
    ref,
  );
  assert.equal(moved.metadata.generation, 2);
});

test('Namespaces: DNS-1123 labels, kubernetes finalizer, Active phase, metadata.name label', async () => {
  const p = pipeline();
  const ns = (name: string): Namespace => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  const created = await p.create(resources.namespaces, ns('team-a'));
  assert.deepEqual(created.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(created.status, { phase: 'Active' });
  assert.deepEqual(created.metadata.labels, { 'kubernetes.io/metadata.name': 'team-a' });
  const causes = await causesOf(() => p.create(resources.namespaces, ns('team.a')));
  assert.deepEqual(causes, [
    {
      reason: 'FieldValueInvalid',
      field: 'metadata.name',
      message: 'Invalid value: "team.a": must not contain dots',
    },
  ]);
  const upd = await p.update<Namespace>(
    resources.namespaces,
    (cur) => ({ ...cur, spec: { finalizers: [] } }),
    { name: 'team-a' },
  );
  assert.deepEqual(
    upd.spec,
    { finalizers: ['kubernetes'] },
    'finalizers change only through finalize',
  );
  assert.deepEqual(
    await causesOf(() =>
      p.update<Namespace>(
        resources.namespaces,
        (cur) => ({ ...cur, status: { phase: 'Terminating' } }),
        { name: 'team-a' },
        { status: true },
      ),
    ),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'status.Phase',
        message:
          'Invalid value: "Terminating": may only be \'Active\' if `deletionTimestamp` is empty',
      },
    ],
  );
  const strategy = buildStrategies(defaultClusterConfig).for(resources.namespaces);
  const finalizing = structuredClone(upd);
  finalizing.spec = { finalizers: [] };
  finalizing.status = { phase: 'Active' };
  const terminating: Namespace = { ...upd, status: { phase: 'Terminating' } };
  strategy.prepareForFinalizeUpdate?.(finalizing, terminating);
  assert.deepEqual(finalizing.spec, { finalizers: [] });
  assert.deepEqual(finalizing.status, { phase: 'Terminating' });
});

test('Nodes keep their registered status; pod CIDRs are set once', async () => {
  const p = pipeline();
  const node: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-1' },
    status: {
      capacity: { cpu: '2', pods: '110' },
      addresses: [{ type: 'InternalIP', address: '192.168.49.2' }],
    },
  };
  const created = await p.create(resources.nodes, node);
  assert.deepEqual(created.status?.allocatable, { cpu: '2', pods: '110' });
  assert.deepEqual(created.status?.addresses, [{ type: 'InternalIP', address: '192.168.49.2' }]);
  await p.update<Node>(
    resources.nodes,
    (cur) => ({ ...cur, spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] } }),
    { name: 'node-1' },
  );
  assert.deepEqual(
    await causesOf(() =>
      p.update<Node>(
        resources.nodes,
        (cur) => ({ ...cur, spec: { podCIDRs: ['10.244.2.0/24'] } }),
        { name: 'node-1' },
      ),
    ),
    [
      {
        reason: 'FieldValueForbidden',
        field: 'spec.podCIDRs',
        message: 'Forbidden: node updates may not change podCIDR except from "" to valid',
      },
    ],
  );
  const taint = { key: 'k', effect: 'NoSchedule' as const };
  assert.deepEqual(
    await causesOf(() =>
      p.create(resources.nodes, {
        ...node,
        metadata: { name: 'node-2' },
        spec: { taints: [taint, taint] },
      }),
    ),
    [
      {
        reason: 'FieldValueDuplicate',
        field: 'metadata.taints[1]',
        message:
          'Duplicate value: core.Taint{Key:"k", Value:"", Effect:"NoSchedule", TimeAdded:<nil>}: taints must be unique by key and effect pair',
      },
    ],
  );
  const strategies = buildStrategies(defaultClusterConfig);
  assert.deepEqual(strategies.for(resources.nodes).selectableFields?.(created), {
    'spec.unschedulable': 'false',
  });
});

test('Events: the involved object lives in the event namespace; field selectors', async () => {
  const p = pipeline();
  const ev = (ns: string, involvedNs: string): Event => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'kubia.17a', namespace: ns },
    involvedObject: { kind: 'Pod', name: 'kubia', namespace: involvedNs, uid: 'u1' },
    reason: 'Scheduled',
    source: { component: 'default-scheduler' },
    type: 'Normal',
  });
  const created = await p.create(resources.events, ev('default', 'default'));
  assert.deepEqual(await causesOf(() => p.create(resources.events, ev('default', 'other'))), [
    {
      reason: 'FieldValueInvalid',
      field: 'involvedObject.namespace',
      message: 'Invalid value: "other": does not match event.namespace',
    },
  ]);
  const fields = buildStrategies(defaultClusterConfig)
    .for(resources.events)
    .selectableFields?.(created);
  assert.equal(fields?.['involvedObject.name'], 'kubia');
  assert.equal(fields?.['involvedObject.uid'], 'u1');
  assert.equal(fields?.['source'], 'default-scheduler');
  assert.equal(fields?.['reason'], 'Scheduled');
});

test('ConfigMaps, Leases and ServiceAccounts', async () => {
  const p = pipeline();
  assert.deepEqual(
    await causesOf(() =>
      p.create(resources.configmaps, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c', namespace: 'default' },
        data: { a: 'x' },
        binaryData: { a: 'eA==' },
      }),
    ),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'data[a]',
        message: 'Invalid value: "a": duplicate of key present in binaryData',
      },
    ],
  );
  assert.deepEqual(
    await causesOf(() =>
      p.create(resources.leases, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'node-1', namespace: 'kube-node-lease' },
        spec: { leaseDurationSeconds: 0 },
      }),
    ),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.leaseDurationSeconds',
        message: 'Invalid value: 0: must be greater than 0',
      },
    ],
  );
  assert.deepEqual(
    await causesOf(() =>
      p.create(resources.serviceaccounts, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'Default', namespace: 'default' },
      }),
    ),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message:
          "Invalid value: \"Default\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      },
    ],
  );
});

test('metadata: labels, annotations, owner references, finalizers, immutable identity', async () => {
  const p = pipeline();
  const cm = (meta: Record<string, unknown>) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'm', namespace: 'default', ...meta },
  });
  assert.deepEqual(
    await causesOf(() => p.create(resources.configmaps, cm({ labels: { 'a b': 'c' } }))),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.labels',
        message:
          "Invalid value: \"a b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      },
    ],
  );
  assert.deepEqual(
    await causesOf(() => p.create(resources.configmaps, cm({ finalizers: ['custom'] }))),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.finalizers[0]',
        message:
          'Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
      },
    ],
  );
  assert.deepEqual(
    await causesOf(() =>
      p.create(
        resources.configmaps,
        cm({
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ReplicationController', name: 'kubia', uid: '' },
          ],
        }),
      ),
    ),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.ownerReferences.uid',
        message: 'Invalid value: "": must not be empty',
      },
    ],
  );
  assert.deepEqual(
    await causesOf(() =>
      p.create(resources.configmaps, { ...cm({}), metadata: { namespace: 'default' } }),
    ),
    [
      {
        reason: 'FieldValueRequired',
        field: 'metadata.name',
        message: 'Required value: name or generateName is required',
      },
    ],
  );
  await p.create(resources.configmaps, cm({}));
  assert.deepEqual(
    await causesOf(() =>
      p.update<ConfigMap>(
        resources.configmaps,
        (cur) => ({ ...cur, metadata: { ...cur.metadata, uid: 'other' } }),
        { namespace: 'default', name: 'm' },
      ),
    ),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.uid',
        message: 'Invalid value: "other": field is immutable',
      },
    ],
  );
});

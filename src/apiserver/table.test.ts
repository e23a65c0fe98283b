import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../api/scheme.js';
import type { KubeObject } from '../api/meta/types.js';
import { toTable } from './table.js';
import { humanDuration } from './table/duration.js';

const now = Date.parse('2026-11-22T12:00:00Z');
const ago = (s: number) => new Date(now - s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

test('humanDuration() follows apimachinery', () => {
  const cases: [number, string][] = [
    [-5, '<invalid>'],
    [-0.5, '0s'],
    [59, '59s'],
    [119, '119s'],
    [120, '2m'],
    [599, '9m59s'],
    [600, '10m'],
    [3 * 3600 - 1, '179m'],
    [3 * 3600, '3h'],
    [7 * 3600 + 60, '7h1m'],
    [47 * 3600, '47h'],
    [48 * 3600, '2d'],
    [7 * 86400 + 23 * 3600, '7d23h'],
    [30 * 86400, '30d'],
    [3 * 365 * 86400, '3y'],
    [9 * 365 * 86400, '9y'],
  ];
  for (const [s, want] of cases) assert.equal(humanDuration(s * 1000), want, `${s}s`);
});

function cells(kind: keyof typeof resources, obj: KubeObject): unknown[] {
  const t = toTable(resources[kind], [obj], { now });
  assert.equal(t.rows[0]?.cells.length, t.columnDefinitions.length);
  return t.rows[0]?.cells ?? [];
}

test('services: NodePort ports, headless None, ExternalName, pending LoadBalancer', () => {
  const base = { metadata: { name: 'kubia', creationTimestamp: ago(360) } };
  assert.deepEqual(
    cells('services', {
      ...base,
      spec: {
        type: 'ClusterIP',
        clusterIPs: ['10.96.0.10'],
        ports: [{ port: 80, protocol: 'TCP' }],
        selector: { app: 'kubia' },
      },
    } as KubeObject),
    ['kubia', 'ClusterIP', '10.96.0.10', '<none>', '80/TCP', '6m', 'app=kubia'],
  );
  assert.equal(
    cells('services', {
      ...base,
      spec: {
        type: 'NodePort',
        clusterIPs: ['10.96.0.11'],
        ports: [{ port: 80, nodePort: 30123, protocol: 'TCP' }],
      },
    } as KubeObject)[4],
    '80:30123/TCP',
  );
  assert.equal(
    cells('services', {
      ...base,
      spec: { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 80 }] },
    } as KubeObject)[2],
    'None',
  );
  const ext = cells('services', {
    ...base,
    spec: { type: 'ExternalName', externalName: 'someapi.somecompany.com', ports: [{ port: 80 }] },
  } as KubeObject);
  assert.deepEqual(ext.slice(1, 4), ['ExternalName', '<none>', 'someapi.somecompany.com']);
  assert.equal(
    cells('services', {
      ...base,
      spec: {
        type: 'LoadBalancer',
        clusterIPs: ['10.96.0.12'],
        ports: [{ port: 80, nodePort: 30000 }],
      },
    } as KubeObject)[3],
    '<pending>',
  );
  assert.equal(
    cells('services', {
      ...base,
      spec: { type: 'LoadBalancer', ports: [] },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.9' }, { ip: '192.0.2.1' }] } },
    } as KubeObject)[3],
    '192.0.2.1,192.0.2.9',
  );
});

test('pods: READY, STATUS, RESTARTS and the wide cells', () => {
  const pod = {
    metadata: { name: 'kubia-rbsqq', creationTimestamp: ago(9) },
    spec: { nodeName: 'node1', containers: [{ name: 'kubia' }] },
    status: {
      phase: 'Running',
      podIPs: [{ ip: '10.244.0.4' }],
      containerStatuses: [
        {
          name: 'kubia',
          ready: true,
          restartCount: 0,
          image: '',
          imageID: '',
          state: { running: {} },
        },
      ],
    },
  } as KubeObject;
  assert.deepEqual(cells('pods', pod), [
    'kubia-rbsqq',
    '1/1',
    'Running',
    '0',
    '9s',
    '10.244.0.4',
    'node1',
    '<none>',
    '<none>',
  ]);
  const waiting = structuredClone(pod) as KubeObject & {
    status: { containerStatuses: { ready: boolean; state: unknown }[] };
  };
  const cs = waiting.status.containerStatuses[0];
  if (cs) {
    cs.ready = false;
    cs.state = { waiting: { reason: 'ImagePullBackOff' } };
  }
  assert.deepEqual(cells('pods', waiting).slice(1, 3), ['0/1', 'ImagePullBackOff']);
  const restarted = structuredClone(pod) as KubeObject & {
    status: { containerStatuses: Record<string, unknown>[] };
  };
  Object.assign(restarted.status.containerStatuses[0] ?? {}, {
    restartCount: 2,
    lastState: { terminated: { exitCode: 1, finishedAt: ago(125) } },
  });
  assert.equal(cells('pods', restarted)[3], '2 (2m5s ago)');
  const deleting = structuredClone(pod);
  deleting.metadata.deletionTimestamp = ago(1);
  assert.equal(cells('pods', deleting)[2], 'Terminating');
  const pending = {
    metadata: { name: 'p', creationTimestamp: ago(1) },
    spec: { containers: [{ name: 'a' }] },
    status: { phase: 'Pending' },
  } as KubeObject;
  assert.deepEqual(cells('pods', pending).slice(1, 3), ['0/1', 'Pending']);
});

test('endpoints and endpointslices list at most three addresses', () => {
  const ep = {
    metadata: { name: 'kubia', creationTimestamp: ago(9) },
    subsets: [
      {
        addresses: [
          { ip: '10.244.0.4' },
          { ip: '10.244.0.2' },
          { ip: '10.244.0.3' },
          { ip: '10.244.0.5' },
        ],
        ports: [{ port: 8080 }],
      },
    ],
  } as KubeObject;
  assert.equal(
    cells('endpoints', ep)[1],
    '10.244.0.4:8080,10.244.0.2:8080,10.244.0.3:8080 + 1 more...',
  );
  assert.equal(cells('endpoints', { metadata: { name: 'x' } })[1], '<none>');
  const slice = {
    metadata: { name: 'kubia-abcde', creationTimestamp: ago(1) },
    addressType: 'IPv4',
    ports: [{ name: '', port: 8080, protocol: 'TCP' }],
    endpoints: [{ addresses: ['10.244.0.3'] }, { addresses: ['10.244.0.2'] }],
  } as KubeObject;
  assert.deepEqual(cells('endpointslices', slice), [
    'kubia-abcde',
    'IPv4',
    '8080',
    '10.244.0.3,10.244.0.2',
    '1s',
  ]);
  assert.deepEqual(
    cells('endpointslices', {
      metadata: { name: 'e' },
      addressType: 'IPv4',
      endpoints: [],
    } as KubeObject).slice(2, 4),
    ['<unset>', '<unset>'],
  );
});

test('replicationcontrollers, deployments, ingresses, secrets, events', () => {
  const rc = {
    metadata: { name: 'kubia', creationTimestamp: ago(9) },
    spec: {
      replicas: 3,
      selector: { app: 'kubia' },
      template: { spec: { containers: [{ name: 'kubia', image: 'luksa/kubia' }] } },
    },
    status: { replicas: 3, readyReplicas: 3 },
  } as KubeObject;
  assert.deepEqual(cells('replicationcontrollers', rc), [
    'kubia',
    3,
    3,
    3,
    '9s',
    'kubia',
    'luksa/kubia',
    'app=kubia',
  ]);
  const deploy = {
    metadata: { name: 'web', creationTimestamp: ago(9) },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { spec: { containers: [{ name: 'c', image: 'i' }] } },
    },
    status: { readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 },
  } as KubeObject;
  assert.deepEqual(cells('deployments', deploy).slice(0, 4), ['web', '1/2', 2, 1]);
  const ing = {
    metadata: { name: 'kubia', creationTimestamp: ago(0) },
    spec: {
      tls: [{ hosts: ['kubia.example.com'], secretName: 's' }],
      rules: [{ host: 'kubia.example.com' }],
    },
  } as KubeObject;
  assert.deepEqual(cells('ingresses', ing), [
    'kubia',
    '<none>',
    'kubia.example.com',
    '',
    '80, 443',
    '0s',
  ]);
  const secret = {
    metadata: { name: 'tls-secret', creationTimestamp: ago(0) },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': '', 'tls.key': '' },
  } as KubeObject;
  assert.deepEqual(cells('secrets', secret), ['tls-secret', 'kubernetes.io/tls', 2, '0s']);
  const ev = {
    metadata: { name: 'kubia.1', creationTimestamp: ago(1) },
    involvedObject: { kind: 'ReplicationController', name: 'kubia' },
    reason: 'SuccessfulCreate',
    message: 'Created pod: kubia-dnpzq',
    type: 'Normal',
    source: { component: 'replication-controller' },
    firstTimestamp: ago(1),
    lastTimestamp: ago(1),
    count: 1,
  } as KubeObject;
  assert.deepEqual(cells('events', ev).slice(0, 7), [
    '1s',
    'Normal',
    'SuccessfulCreate',
    'replicationcontroller/kubia',
    '',
    'replication-controller',
    'Created pod: kubia-dnpzq',
  ]);
});

test('rows carry PartialObjectMetadata with kind and apiVersion', () => {
  const t = toTable(
    resources.services,
    [{ metadata: { name: 'a', namespace: 'default', labels: { x: 'y' } } }],
    { now },
  );
  assert.deepEqual(t.rows[0]?.object, {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { name: 'a', namespace: 'default', labels: { x: 'y' } },
  });
  assert.equal(toTable(resources.services, [], { now }).columnDefinitions[2]?.name, 'Cluster-IP');
  assert.equal(
    toTable(resources.services, [{ metadata: { name: 'a' } }], { now, includeObject: 'None' })
      .rows[0]?.object,
    undefined,
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplicaSet } from '../../api/types/apps.js';
import type { Pod, ReplicationController } from '../../api/types/core.js';
import { pod } from '../common/fixtures.js';
import { replicaSetKind, replicationControllerKind } from './kinds.js';
import { rankForDeletion } from './ranking.js';
import {
  claimPods,
  computeStatus,
  diffReplicas,
  podFromTemplate,
  statusEqual,
} from './reconciler.js';

// Address plan: pods 10.244.1.0/24 on node-1, 10.244.2.0/24 on node-2.

function rs(replicas: number, extra: Partial<ReplicaSet['spec']> = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: 'kubia',
      namespace: 'default',
      uid: 'uid-rs',
      generation: 2,
      resourceVersion: '5',
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'kubia' } },
      template: {
        metadata: { labels: { app: 'kubia', tier: 'web' }, annotations: { a: 'b' } },
        spec: {
          containers: [
            {
              name: 'kubia',
              image: 'luksa/kubia',
              ports: [{ containerPort: 8080, protocol: 'TCP' }],
            },
          ],
        },
      },
      ...extra,
    },
  };
}

function owned(name: string, f: Parameters<typeof pod>[1] = {}): Pod {
  const p = pod(name, { labels: { app: 'kubia', tier: 'web' }, ip: '10.244.1.2', ...f });
  p.metadata.ownerReferences = [
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'kubia', uid: 'uid-rs', controller: true },
  ];
  return p;
}

test('podFromTemplate() names pods <owner>- with a controller reference and the template', () => {
  const p = podFromTemplate(rs(3), replicaSetKind);
  assert.equal(p.metadata.generateName, 'kubia-');
  assert.equal(p.metadata.name, undefined);
  assert.deepEqual(p.metadata.labels, { app: 'kubia', tier: 'web' });
  assert.deepEqual(p.metadata.annotations, { a: 'b' });
  assert.deepEqual(p.metadata.ownerReferences, [
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: 'kubia',
      uid: 'uid-rs',
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
  assert.equal(p.spec?.containers[0]?.image, 'luksa/kubia');
  const rc: ReplicationController = {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name: 'kubia', namespace: 'default', uid: 'u' },
    spec: { template: { spec: { containers: [] } } },
  };
  assert.equal(
    podFromTemplate(rc, replicationControllerKind).metadata.ownerReferences?.[0]?.kind,
    'ReplicationController',
  );
});

test('claimPods() owns matching controlled pods, adopts orphans and releases mismatches', () => {
  const orphan = pod('orphan', { labels: { app: 'kubia' }, ip: '10.244.1.9' });
  const foreign = pod('foreign', { labels: { app: 'kubia' } });
  foreign.metadata.ownerReferences = [
    { apiVersion: 'v1', kind: 'ReplicationController', name: 'x', uid: 'other', controller: true },
  ];
  const relabelled = owned('relabelled', { labels: { app: 'other' } });
  const deletingOrphan = pod('gone', { labels: { app: 'kubia' }, deleting: true });
  const failedOrphan = pod('failed', { labels: { app: 'kubia' }, phase: 'Failed' });
  const c = claimPods(rs(3), replicaSetKind.selector(rs(3)), [
    owned('a'),
    orphan,
    foreign,
    relabelled,
    deletingOrphan,
    failedOrphan,
  ]);
  assert.deepEqual(
    c.owned.map((p) => p.metadata.name),
    ['a'],
  );
  assert.deepEqual(
    c.adopt.map((p) => p.metadata.name),
    ['orphan'],
  );
  assert.deepEqual(
    c.release.map((p) => p.metadata.name),
    ['relabelled'],
  );
});

test('claimPods() adopts nothing for an owner being deleted', () => {
  const owner = rs(3);
  owner.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
  const c = claimPods(owner, replicaSetKind.selector(owner), [
    pod('orphan', { labels: { app: 'kubia' } }),
  ]);
  assert.deepEqual(c.adopt, []);
});

test('an RC without selector or template labels selects nothing', () => {
  const rc: ReplicationController = { metadata: { name: 'x', uid: 'u' }, spec: {} };
  assert.equal(replicationControllerKind.selector(rc).matches({ app: 'kubia' }), false);
  const withTemplate: ReplicationController = {
    metadata: { name: 'x', uid: 'u' },
    spec: { template: { metadata: { labels: { app: 'kubia' } } } },
  };
  assert.equal(replicationControllerKind.selector(withTemplate).matches({ app: 'kubia' }), true);
});

test('diffReplicas() creates the missing pods and deletes the surplus', () => {
  assert.deepEqual(diffReplicas(rs(3), [owned('a')]), { action: 'create', count: 2 });
  assert.deepEqual(diffReplicas(rs(1), [owned('a')]), { action: 'none' });
  assert.deepEqual(diffReplicas(rs(1000), []), { action: 'create', count: 500 }, 'burst of 500');
  const d = diffReplicas(rs(1), [owned('ready'), owned('unready', { ready: false })]);
  assert.equal(d.action, 'delete');
  assert.deepEqual(d.action === 'delete' ? d.pods.map((p) => p.metadata.name) : [], ['unready']);
});

const rankCases: { name: string; pods: Pod[]; first: string }[] = [
  {
    name: 'unscheduled first',
    pods: [owned('on-node'), owned('nowhere', { node: '' })],
    first: 'nowhere',
  },
  {
    name: 'pending before running',
    pods: [owned('running'), owned('pending', { phase: 'Pending' })],
    first: 'pending',
  },
  {
    name: 'unready before ready',
    pods: [owned('ready'), owned('unready', { ready: false })],
    first: 'unready',
  },
  {
    name: 'doubled-up node first',
    pods: [
      owned('alone', { node: 'node-2' }),
      owned('crowded1', { node: 'node-1' }),
      owned('crowded2', { node: 'node-1', created: '2023-01-01T00:00:00Z' }),
    ],
    first: 'crowded1',
  },
  {
    name: 'ready for less time first',
    pods: [
      owned('old', { readySince: '2024-01-01T00:00:00Z' }),
      owned('young', { readySince: '2024-01-02T00:00:00Z' }),
    ],
    first: 'young',
  },
  {
    name: 'more restarts first',
    pods: [owned('calm'), owned('crashy', { restarts: 4 })],
    first: 'crashy',
  },
  {
    name: 'newer first',
    pods: [
      owned('older', { created: '2024-01-01T00:00:00Z' }),
      owned('newer', { created: '2024-02-01T00:00:00Z' }),
    ],
    first: 'newer',
  },
];
for (const c of rankCases) {
  test(`rankForDeletion(): ${c.name}`, () => {
    assert.equal(rankForDeletion(c.pods, c.pods)[0]?.metadata.name, c.first);
  });
}

test('computeStatus() counts replicas, fully labelled, ready and available pods', () => {
  const now = Date.parse('2024-01-01T00:01:00Z');
  const pods = [
    owned('a'),
    owned('b', { ready: false }),
    owned('c', { labels: { app: 'kubia' }, readySince: '2024-01-01T00:00:59Z' }),
  ];
  const s = computeStatus({ owner: rs(3, { minReadySeconds: 10 }), active: pods, now });
  assert.deepEqual(s, {
    replicas: 3,
    fullyLabeledReplicas: 2,
    readyReplicas: 2,
    availableReplicas: 1,
    observedGeneration: 2,
  });
});

test('computeStatus() sets and clears ReplicaFailure', () => {
  const now = Date.parse('2024-01-01T00:01:00Z');
  const failing = computeStatus({
    owner: rs(1),
    active: [],
    failure: { reason: 'FailedCreate', message: 'quota' },
    now,
  });
  assert.deepEqual(failing.conditions, [
    {
      type: 'ReplicaFailure',
      status: 'True',
      lastTransitionTime: '2024-01-01T00:01:00Z',
      reason: 'FailedCreate',
      message: 'quota',
    },
  ]);
  const owner = rs(1);
  owner.status = failing;
  assert.equal(computeStatus({ owner, active: [], now }).conditions, undefined);
  assert.equal(
    statusEqual(
      owner,
      computeStatus({
        owner,
        active: [],
        failure: { reason: 'FailedCreate', message: 'other' },
        now,
      }),
    ),
    true,
    'the first failure condition is kept',
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../api/scheme.js';
import type { ReplicaSet } from '../../api/types/apps.js';
import type { Pod, ReplicationController } from '../../api/types/core.js';
import { pod } from '../common/fixtures.js';
import { harness } from '../common/testing.js';
import { isConflict } from '../common/apierrors.js';
import { ReplicaSetController } from './controller.js';
import { replicaSetKind, replicationControllerKind } from './kinds.js';

const template = {
  metadata: { labels: { app: 'kubia' } },
  spec: {
    containers: [
      {
        name: 'kubia',
        image: 'luksa/kubia',
        ports: [{ containerPort: 8080, protocol: 'TCP' as const }],
      },
    ],
  },
};

function rc(replicas: number): ReplicationController {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name: 'kubia', namespace: 'default', uid: 'uid-rc', generation: 1 },
    spec: { replicas, selector: { app: 'kubia' }, template },
  };
}

const podsOf = (h: ReturnType<typeof harness>): Pod[] =>
  h.client.objects<Pod>(resources.pods).filter((p) => p.metadata.deletionTimestamp === undefined);

test('ReplicationController controller creates, scales and reports like kube (kubia seed)', async (t) => {
  const h = harness({ objects: [rc(3)] });
  t.after(() => h.stop());
  await h.start(new ReplicaSetController(h.ctx, replicationControllerKind));
  await h.settle();
  const pods = podsOf(h);
  assert.equal(pods.length, 3);
  for (const p of pods) {
    assert.match(p.metadata.name ?? '', /^kubia-[a-z0-9]{5}$/);
    assert.deepEqual(p.metadata.labels, { app: 'kubia' });
    assert.deepEqual(p.metadata.ownerReferences, [
      {
        apiVersion: 'v1',
        kind: 'ReplicationController',
        name: 'kubia',
        uid: 'uid-rc',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  }
  const created = h.recorder.events.filter((e) => e.reason === 'SuccessfulCreate');
  assert.deepEqual(
    created.map((e) => e.message).sort(),
    pods.map((p) => `Created pod: ${p.metadata.name ?? ''}`).sort(),
  );
  const status = h.client.peek<ReplicationController>(
    resources.replicationcontrollers,
    'default',
    'kubia',
  )?.status;
  assert.deepEqual(status, {
    replicas: 3,
    fullyLabeledReplicas: 3,
    readyReplicas: 0,
    availableReplicas: 0,
    observedGeneration: 1,
  });

  // Scale down to 1: two pods go, with SuccessfulDelete events.
  const scaled = h.client.peek<ReplicationController>(
    resources.replicationcontrollers,
    'default',
    'kubia',
  )!;
  scaled.spec!.replicas = 1;
  h.client.add(scaled);
  await h.settle();
  assert.equal(podsOf(h).length, 1);
  assert.equal(h.recorder.events.filter((e) => e.reason === 'SuccessfulDelete').length, 2);
  assert.equal(
    h.client.peek<ReplicationController>(resources.replicationcontrollers, 'default', 'kubia')
      ?.status?.replicas,
    1,
  );
});

test('ReplicaSet controller adopts matching orphans and releases relabelled pods', async (t) => {
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'kubia', namespace: 'default', uid: 'uid-rs', generation: 1 },
    spec: { replicas: 2, selector: { matchLabels: { app: 'kubia' } }, template },
  };
  const orphan = pod('orphan', { labels: { app: 'kubia' }, ip: '10.244.1.2' });
  const h = harness({ objects: [rs, orphan] });
  t.after(() => h.stop());
  await h.start(new ReplicaSetController(h.ctx, replicaSetKind));
  await h.settle();
  const adopted = h.client.peek<Pod>(resources.pods, 'default', 'orphan');
  assert.equal(adopted?.metadata.ownerReferences?.[0]?.uid, 'uid-rs');
  assert.equal(podsOf(h).length, 2, 'one adopted + one created');
  assert.equal(
    h.client.peek<ReplicaSet>(resources.replicasets, 'default', 'kubia')?.status?.readyReplicas,
    1,
  );

  // Relabel the adopted pod out of the selector: released, and replaced.
  const relabelled = h.client.peek<Pod>(resources.pods, 'default', 'orphan')!;
  relabelled.metadata.labels = { app: 'debug' };
  h.client.add(relabelled);
  await h.settle();
  assert.deepEqual(
    h.client.peek<Pod>(resources.pods, 'default', 'orphan')?.metadata.ownerReferences,
    [],
  );
  assert.equal(podsOf(h).filter((p) => p.metadata.labels?.['app'] === 'kubia').length, 2);
});

test('ReplicaSet controller does not double-create while its creates are not yet in the cache', async (t) => {
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-web', generation: 1 },
    spec: { replicas: 3, selector: { matchLabels: { app: 'kubia' } }, template },
  };
  const h = harness({ objects: [rs] });
  t.after(() => h.stop());
  const c = new ReplicaSetController(h.ctx, replicaSetKind);
  await h.start(c);
  // Creates succeed but never reach the informer (a watch that lags behind).
  let n = 0;
  h.client.prependReactor('create', 'pods', (a) => ({
    ...a.object,
    metadata: { ...a.object?.metadata, name: `web-lag${++n}` },
  }));
  const signal = new AbortController().signal;
  await c.sync('default/web', signal);
  await c.sync('default/web', signal).catch((e: unknown) => {
    if (!isConflict(e)) throw e;
  });
  assert.equal(h.client.writeActions().filter((a) => a.verb === 'create').length, 3);
});

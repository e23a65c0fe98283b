import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../api/scheme.js';
import type { Pod, ReplicationController } from '../../api/types/core.js';
import { pod } from '../common/fixtures.js';
import { harness } from '../common/testing.js';
import { GarbageCollector } from './controller.js';

const rc = (extra: Partial<ReplicationController['metadata']> = {}): ReplicationController => ({
  apiVersion: 'v1',
  kind: 'ReplicationController',
  metadata: { name: 'kubia', namespace: 'default', uid: 'uid-rc', ...extra },
  spec: { replicas: 2, selector: { app: 'kubia' } },
});

function owned(name: string): Pod {
  const p = pod(name, { labels: { app: 'kubia' } });
  p.metadata.ownerReferences = [
    {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      name: 'kubia',
      uid: 'uid-rc',
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
  return p;
}

const podNames = (h: ReturnType<typeof harness>): string[] =>
  h.client
    .objects<Pod>(resources.pods)
    .map((p) => p.metadata.name ?? '')
    .sort();

test('GarbageCollector deletes the pods of a deleted RC (Background)', async (t) => {
  const h = harness({ objects: [rc(), owned('kubia-a'), owned('kubia-b'), pod('unrelated')] });
  t.after(() => h.stop());
  await h.start(new GarbageCollector(h.ctx));
  await h.settle();
  assert.deepEqual(
    podNames(h),
    ['kubia-a', 'kubia-b', 'unrelated'],
    'nothing to collect while the owner exists',
  );
  h.client.remove(resources.replicationcontrollers, 'default', 'kubia');
  await h.settle();
  assert.deepEqual(podNames(h), ['unrelated']);
  const deletes = h.client.writeActions().filter((a) => a.verb === 'delete');
  assert.deepEqual(
    deletes.map((a) => a.deleteOptions?.propagationPolicy),
    ['Background', 'Background'],
  );
});

test('GarbageCollector orphans the pods of an RC deleted with --cascade=orphan', async (t) => {
  const h = harness({
    objects: [
      owned('kubia-a'),
      rc({ deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['orphan'] }),
    ],
  });
  t.after(() => h.stop());
  await h.start(new GarbageCollector(h.ctx));
  await h.settle();
  assert.deepEqual(
    h.client.peek<Pod>(resources.pods, 'default', 'kubia-a')?.metadata.ownerReferences,
    [],
  );
  assert.equal(
    h.client.peek(resources.replicationcontrollers, 'default', 'kubia'),
    undefined,
    'the RC goes once its finalizer is removed',
  );
});

test('GarbageCollector empties an owner deleted in the foreground before releasing it', async (t) => {
  const h = harness({
    objects: [
      owned('kubia-a'),
      rc({ deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] }),
    ],
  });
  t.after(() => h.stop());
  await h.start(new GarbageCollector(h.ctx));
  await h.settle();
  assert.deepEqual(podNames(h), []);
  assert.equal(h.client.peek(resources.replicationcontrollers, 'default', 'kubia'), undefined);
});

test('GarbageCollector collects dependents whose owner vanished while it was down', async (t) => {
  const h = harness({ objects: [owned('kubia-a')] });
  t.after(() => h.stop());
  await h.start(new GarbageCollector(h.ctx));
  await h.settle();
  assert.deepEqual(podNames(h), []);
});

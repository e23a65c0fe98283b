import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../api/scheme.js';
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import { harness } from '../common/testing.js';
import { DeploymentController } from './controller.js';

test('DeploymentController creates its ReplicaSet, records events and reports status', async (t) => {
  const d: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'kubia-dep', namespace: 'default', uid: 'uid-d', generation: 1 },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'kubia-dep' } },
      template: {
        metadata: { labels: { app: 'kubia-dep' } },
        spec: { containers: [{ name: 'kubia', image: 'luksa/kubia' }] },
      },
    },
  };
  const h = harness({ objects: [d] });
  t.after(() => h.stop());
  await h.start(new DeploymentController(h.ctx));
  await h.settle();
  const rss = h.client.objects<ReplicaSet>(resources.replicasets);
  assert.equal(rss.length, 1);
  const rs = rss[0]!;
  const hash = rs.metadata.labels?.['pod-template-hash'] ?? '';
  assert.equal(rs.metadata.name, `kubia-dep-${hash}`);
  assert.equal(rs.spec?.replicas, 2);
  const stored = h.client.peek<Deployment>(resources.deployments, 'default', 'kubia-dep')!;
  assert.equal(stored.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
  assert.equal(stored.status?.observedGeneration, 1);
  assert.equal(stored.status?.conditions?.find((c) => c.type === 'Available')?.status, 'False');
  assert.deepEqual(
    h.recorder.events.map((e) => [e.reason, e.message]),
    [['ScalingReplicaSet', `Scaled up replica set kubia-dep-${hash} from 0 to 2`]],
  );

  // The ReplicaSet reports its pods available: the Deployment becomes Available and complete.
  h.client.add({
    ...rs,
    status: { replicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 },
  });
  await h.settle();
  const done = h.client.peek<Deployment>(resources.deployments, 'default', 'kubia-dep')!;
  assert.deepEqual(
    {
      replicas: done.status?.replicas,
      updated: done.status?.updatedReplicas,
      available: done.status?.availableReplicas,
    },
    { replicas: 2, updated: 2, available: 2 },
  );
  assert.equal(
    done.status?.conditions?.find((c) => c.type === 'Progressing')?.reason,
    'NewReplicaSetAvailable',
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../api/scheme.js';
import type { Service } from '../../api/types/core.js';
import { service } from '../common/fixtures.js';
import { harness } from '../common/testing.js';
import { ServiceLBController } from './controller.js';

// Address plan: pool 192.0.2.10-192.0.2.11 (documentation range).

function lb(name: string, extra: Partial<NonNullable<Service['spec']>> = {}): Service {
  const s = service(name);
  s.spec = { ...s.spec, type: 'LoadBalancer', ...extra };
  return s;
}
const get = (h: ReturnType<typeof harness>, name: string) =>
  h.client.peek<Service>(resources.services, 'default', name)!;
const ingress = (h: ReturnType<typeof harness>, name: string) =>
  get(h, name).status?.loadBalancer?.ingress?.map((i) => i.ip);

test('ServiceLBController assigns pool IPs with the cleanup finalizer and releases them (LB-05)', async (t) => {
  const h = harness({
    objects: [
      lb('web'),
      lb('pinned', { loadBalancerIP: '192.0.2.11' }),
      lb('foreign', { loadBalancerClass: 'example.com/internal-vip' }),
      service('plain'),
    ],
    config: { lbPool: ['192.0.2.10-192.0.2.11'] },
  });
  t.after(() => h.stop());
  await h.start(new ServiceLBController(h.ctx));
  await h.settle();
  assert.deepEqual(ingress(h, 'pinned'), ['192.0.2.11']);
  assert.deepEqual(ingress(h, 'web'), ['192.0.2.10']);
  assert.deepEqual(get(h, 'web').metadata.finalizers, [
    'service.kubernetes.io/load-balancer-cleanup',
  ]);
  assert.equal(
    get(h, 'foreign').status?.loadBalancer?.ingress,
    undefined,
    'foreign class untouched',
  );
  assert.equal(get(h, 'foreign').metadata.finalizers, undefined);
  assert.equal(get(h, 'plain').metadata.finalizers, undefined);

  // A third LoadBalancer finds the pool used up and stays pending.
  h.client.add(lb('third'));
  await h.settle();
  assert.equal(ingress(h, 'third')?.length ?? 0, 0);
  assert.ok(
    h.recorder.events.some(
      (e) => e.reason === 'AllocationFailed' && e.object === 'Service/default/third',
    ),
  );

  // web becomes ClusterIP: status cleared, finalizer removed, and its address goes to "third".
  const web = get(h, 'web');
  web.spec!.type = 'ClusterIP';
  h.client.add(web);
  await h.settle();
  assert.deepEqual(get(h, 'web').metadata.finalizers, []);
  assert.deepEqual(ingress(h, 'web') ?? [], []);
  assert.deepEqual(ingress(h, 'third'), ['192.0.2.10']);

  // Back to LoadBalancer: the finalizer is re-added.
  const back = get(h, 'web');
  back.spec!.type = 'LoadBalancer';
  h.client.add(back);
  await h.settle();
  assert.deepEqual(get(h, 'web').metadata.finalizers, [
    'service.kubernetes.io/load-balancer-cleanup',
  ]);
});

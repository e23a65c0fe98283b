import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../api/scheme.js';
import type { Pod } from '../../api/types/core.js';
import type { EndpointSlice } from '../../api/types/discovery.js';
import { node, pod, service } from '../common/fixtures.js';
import { harness } from '../common/testing.js';
import { EndpointSliceController } from './controller.js';

// Address plan: pods 10.244.1.0/24 on node-1; service 10.96.0.20.

function slicesOf(h: ReturnType<typeof harness>, svc: string): EndpointSlice[] {
  return h.client
    .objects<EndpointSlice>(resources.endpointslices)
    .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === svc);
}

test('EndpointSliceController follows pods, heals deleted slices and never duplicates', async (t) => {
  const h = harness({
    objects: [
      node('node-1'),
      service('kubia'),
      pod('kubia-a', { ip: '10.244.1.2' }),
      pod('kubia-b', { ip: '10.244.1.3' }),
      pod('kubia-c', { ip: '10.244.1.4' }),
    ],
  });
  t.after(() => h.stop());
  await h.start(new EndpointSliceController(h.ctx));
  await h.settle();
  let slices = slicesOf(h, 'kubia');
  assert.equal(slices.length, 1);
  assert.deepEqual(slices[0]!.endpoints.map((e) => e.addresses[0]).sort(), [
    '10.244.1.2',
    '10.244.1.3',
    '10.244.1.4',
  ]);
  assert.match(slices[0]!.metadata.name ?? '', /^kubia-[a-z0-9]{5}$/);

  // A pod turns unready: the same slice is updated.
  const b = h.client.peek<Pod>(resources.pods, 'default', 'kubia-b')!;
  b.status!.conditions = [
    { type: 'Ready', status: 'False', lastTransitionTime: '2024-01-01T00:02:00Z' },
  ];
  h.client.add(b);
  await h.settle();
  slices = slicesOf(h, 'kubia');
  assert.equal(slices.length, 1);
  const eb = slices[0]!.endpoints.find((e) => e.targetRef?.name === 'kubia-b');
  assert.deepEqual(eb?.conditions, { ready: false, serving: false, terminating: false });
  assert.equal(
    slices[0]!.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'],
    '2024-01-01T00:02:00Z',
  );

  // Someone deletes the slice: it comes back, once.
  h.client.remove(resources.endpointslices, 'default', slices[0]!.metadata.name ?? '');
  await h.settle();
  assert.equal(slicesOf(h, 'kubia').length, 1);
  assert.equal(slicesOf(h, 'kubia')[0]!.endpoints.length, 3);

  // The service loses its selector: our slices go (the user owns its endpoints now).
  const svc = service('kubia', { selector: undefined });
  h.client.add(svc);
  await h.settle();
  assert.equal(slicesOf(h, 'kubia').length, 0);
  assert.equal(h.errors.size, 0);
});

test("EndpointSliceController waits for a pod's node before publishing it", async (t) => {
  const h = harness({
    objects: [service('web'), pod('web-a', { ip: '10.244.1.2', node: 'late-node' })],
  });
  t.after(() => h.stop());
  await h.start(new EndpointSliceController(h.ctx));
  await h.settle();
  assert.deepEqual(slicesOf(h, 'web')[0]?.endpoints, []);
  h.client.add(node('late-node', { zone: 'z1' }));
  await h.settle();
  assert.equal(slicesOf(h, 'web')[0]?.endpoints[0]?.zone, 'z1');
});

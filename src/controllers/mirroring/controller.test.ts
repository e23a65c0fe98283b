import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../api/scheme.js';
import type { Endpoints } from '../../api/types/core.js';
import type { EndpointSlice } from '../../api/types/discovery.js';
import { service } from '../common/fixtures.js';
import { harness } from '../common/testing.js';
import { MirroringController } from './controller.js';

// Address plan: user endpoints in 10.1.2.0/24 (EP-07).

test('MirroringController mirrors, follows updates and deletes with the Endpoints (EP-07)', async (t) => {
  const ep: Endpoints = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'example-custom-endpoints', namespace: 'default' },
    subsets: [
      { addresses: [{ ip: '10.1.2.3' }], ports: [{ name: 'example', port: 80, protocol: 'TCP' }] },
    ],
  };
  const h = harness({
    objects: [service('example-custom-endpoints', { selector: undefined }), ep],
  });
  t.after(() => h.stop());
  await h.start(new MirroringController(h.ctx));
  await h.settle();
  const mirrored = () => h.client.objects<EndpointSlice>(resources.endpointslices);
  assert.equal(mirrored().length, 1);
  assert.equal(
    mirrored()[0]!.metadata.labels?.['endpointslice.kubernetes.io/managed-by'],
    'endpointslicemirroring-controller.k8s.io',
  );
  assert.deepEqual(mirrored()[0]!.endpoints[0]!.addresses, ['10.1.2.3']);

  const updated = h.client.peek<Endpoints>(
    resources.endpoints,
    'default',
    'example-custom-endpoints',
  )!;
  updated.subsets = [
    { addresses: [{ ip: '10.1.2.4' }], ports: [{ name: 'example', port: 8080, protocol: 'TCP' }] },
  ];
  h.client.add(updated);
  await h.settle();
  assert.equal(mirrored().length, 1);
  assert.deepEqual(mirrored()[0]!.endpoints[0]!.addresses, ['10.1.2.4']);
  assert.equal(mirrored()[0]!.ports?.[0]?.port, 8080);

  h.client.remove(resources.endpoints, 'default', 'example-custom-endpoints');
  await h.settle();
  assert.equal(mirrored().length, 0);
});

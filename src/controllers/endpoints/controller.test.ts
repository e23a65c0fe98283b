import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../api/scheme.js';
import type { Endpoints } from '../../api/types/core.js';
import { pod, service } from '../common/fixtures.js';
import { harness } from '../common/testing.js';
import { EndpointsController } from './controller.js';

// Address plan: user endpoints 10.0.0.24 (as API-06), pods 10.244.1.0/24.

test('EndpointsController writes Endpoints for selector services only and cleans up its own', async (t) => {
  const userEp: Endpoints = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: 'testservice',
      namespace: 'default',
      labels: { 'test-endpoint-static': 'true' },
    },
    subsets: [
      { addresses: [{ ip: '10.0.0.24' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    ],
  };
  const h = harness({
    objects: [
      userEp,
      service('manual', { selector: undefined }),
      service('kubia'),
      pod('kubia-a', { ip: '10.244.1.2' }),
    ],
  });
  t.after(() => h.stop());
  await h.start(new EndpointsController(h.ctx));
  await h.settle();
  const ep = h.client.peek<Endpoints>(resources.endpoints, 'default', 'kubia');
  assert.deepEqual(
    ep?.subsets?.[0]?.addresses?.map((a) => a.ip),
    ['10.244.1.2'],
  );
  assert.equal(
    h.client.peek(resources.endpoints, 'default', 'manual'),
    undefined,
    'no Endpoints for a selector-less service',
  );
  assert.deepEqual(
    h.client.peek(resources.endpoints, 'default', 'testservice')?.metadata.labels,
    { 'test-endpoint-static': 'true' },
    'user Endpoints untouched',
  );

  // An edit to our Endpoints is reverted; deleting the service removes it.
  const edited = structuredClone(ep);
  edited.subsets = [];
  h.client.add(edited);
  await h.settle();
  assert.equal(
    h.client.peek<Endpoints>(resources.endpoints, 'default', 'kubia')?.subsets?.length,
    1,
  );
  h.client.remove(resources.services, 'default', 'kubia');
  await h.settle();
  assert.equal(h.client.peek(resources.endpoints, 'default', 'kubia'), undefined);
  assert.notEqual(h.client.peek(resources.endpoints, 'default', 'testservice'), undefined);
});

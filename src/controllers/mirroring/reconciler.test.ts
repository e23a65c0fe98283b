import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints } from '../../api/types/core.js';
import type { EndpointSlice } from '../../api/types/discovery.js';
import { service } from '../common/fixtures.js';
import { reconcileMirroring } from './reconciler.js';

// Address plan: user endpoints in 10.1.2.0/24 (as in the conformance case), 2001:db8::/32 for IPv6.

function userEndpoints(
  subsets: NonNullable<Endpoints['subsets']>,
  extra: Partial<Endpoints['metadata']> = {},
): Endpoints {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: 'example-custom-endpoints',
      namespace: 'default',
      uid: 'uid-ep',
      resourceVersion: '3',
      ...extra,
    },
    subsets,
  };
}
const selectorless = service('example-custom-endpoints', {
  selector: undefined,
  ports: [{ name: 'example', port: 80, protocol: 'TCP' }],
});

test("reconcileMirroring() mirrors a selector-less service's Endpoints into a slice (EP-07)", () => {
  const ep = userEndpoints(
    [{ addresses: [{ ip: '10.1.2.3' }], ports: [{ name: 'example', port: 80 }] }],
    {
      labels: { team: 'x' },
      annotations: { note: 'y', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
    },
  );
  const plan = reconcileMirroring({ endpoints: ep, service: selectorless, existing: [] });
  assert.equal(plan.create.length, 1);
  const s = plan.create[0]!;
  assert.equal(s.addressType, 'IPv4');
  assert.deepEqual(s.endpoints, [{ addresses: ['10.1.2.3'], conditions: { ready: true } }]);
  assert.deepEqual(s.ports, [{ name: 'example', port: 80, protocol: 'TCP' }]);
  assert.deepEqual(s.metadata.labels, {
    team: 'x',
    'kubernetes.io/service-name': 'example-custom-endpoints',
    'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io',
  });
  assert.deepEqual(s.metadata.annotations, { note: 'y' });
  assert.deepEqual(s.metadata.ownerReferences, [
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      name: 'example-custom-endpoints',
      uid: 'uid-ep',
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
});

test('reconcileMirroring() follows an update of the Endpoints in place', () => {
  const first = reconcileMirroring({
    endpoints: userEndpoints([
      { addresses: [{ ip: '10.1.2.3' }], ports: [{ name: 'example', port: 80 }] },
    ]),
    service: selectorless,
    existing: [],
  }).create[0]!;
  const stored: EndpointSlice = {
    ...first,
    metadata: { ...first.metadata, name: 'example-custom-endpoints-abcde', resourceVersion: '4' },
  };
  const plan = reconcileMirroring({
    endpoints: userEndpoints([
      {
        addresses: [{ ip: '10.1.2.4' }],
        notReadyAddresses: [{ ip: '10.1.2.5' }],
        ports: [{ name: 'example', port: 8080 }],
      },
    ]),
    service: selectorless,
    existing: [stored],
  });
  assert.equal(plan.create.length + plan.delete.length, 0);
  assert.equal(plan.update.length, 1);
  assert.equal(plan.update[0]!.metadata.name, 'example-custom-endpoints-abcde');
  assert.deepEqual(plan.update[0]!.ports, [{ name: 'example', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(plan.update[0]!.endpoints, [
    { addresses: ['10.1.2.4'], conditions: { ready: true } },
    { addresses: ['10.1.2.5'], conditions: { ready: false } },
  ]);
});

test('reconcileMirroring() deletes mirrored slices when the service gains a selector or goes away', () => {
  const existing: EndpointSlice[] = [
    { addressType: 'IPv4', endpoints: [], metadata: { name: 'x-1', namespace: 'default' } },
  ];
  const ep = userEndpoints([{ addresses: [{ ip: '10.1.2.3' }] }]);
  assert.equal(
    reconcileMirroring({ endpoints: ep, service: service('example-custom-endpoints'), existing })
      .delete.length,
    1,
  );
  assert.equal(
    reconcileMirroring({ endpoints: ep, service: undefined, existing }).delete.length,
    1,
  );
  const skip = userEndpoints([{ addresses: [{ ip: '10.1.2.3' }] }], {
    labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
  });
  assert.equal(
    reconcileMirroring({ endpoints: skip, service: selectorless, existing }).delete.length,
    1,
  );
});

test('reconcileMirroring() splits address families and skips non-IPs', () => {
  const plan = reconcileMirroring({
    endpoints: userEndpoints([
      {
        addresses: [{ ip: '10.1.2.3' }, { ip: '2001:db8::3' }, { ip: 'example.com' }],
        ports: [{ port: 80 }],
      },
    ]),
    service: selectorless,
    existing: [],
  });
  assert.deepEqual(plan.create.map((s) => s.addressType).sort(), ['IPv4', 'IPv6']);
  assert.equal(plan.skipped, 1);
  assert.deepEqual(plan.create[0]!.ports, [{ name: '', port: 80, protocol: 'TCP' }]);
});

test('reconcileMirroring() creates no slice for Endpoints without subsets', () => {
  const plan = reconcileMirroring({
    endpoints: userEndpoints([]),
    service: selectorless,
    existing: [],
  });
  assert.deepEqual(plan, { create: [], update: [], delete: [], skipped: 0 });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  aggregatedDiscovery,
  legacyApiGroupList,
  legacyResourceList,
  wantsAggregated,
} from './discovery.js';

test('wantsAggregated() reads kubectl 1.32 Accept headers', () => {
  const kubectl =
    'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
  assert.equal(wantsAggregated(kubectl), 'v2');
  assert.equal(
    wantsAggregated(
      'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
    ),
    'v2beta1',
  );
  assert.equal(wantsAggregated('application/json, */*'), undefined);
});

test('aggregatedDiscovery() lists core resources with short names, categories and subresources', () => {
  const doc = aggregatedDiscovery('api', 'v2') as {
    items: { metadata: { name: string }; versions: { resources: Record<string, unknown>[] }[] }[];
  };
  assert.equal(doc.items.length, 1);
  assert.equal(doc.items[0]?.metadata.name, '');
  const svc = doc.items[0]?.versions[0]?.resources.find((r) => r['resource'] === 'services');
  assert.deepEqual(svc?.['shortNames'], ['svc']);
  assert.deepEqual(svc?.['categories'], ['all']);
  assert.deepEqual(svc?.['responseKind'], { group: '', version: 'v1', kind: 'Service' });
  const rc = doc.items[0]?.versions[0]?.resources.find(
    (r) => r['resource'] === 'replicationcontrollers',
  );
  assert.deepEqual(
    (rc?.['subresources'] as { subresource: string; responseKind: unknown }[]).find(
      (s) => s.subresource === 'scale',
    )?.responseKind,
    {
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
    },
  );
  // core resources in alphabetical order: the order `kubectl get all` prints.
  const names = doc.items[0]?.versions[0]?.resources.map((r) => r['resource']) ?? [];
  assert.deepEqual(names, [...names].sort());
});

test('aggregatedDiscovery() serves extensions/v1beta1 ingresses after networking.k8s.io without short names', () => {
  const doc = aggregatedDiscovery('apis', 'v2') as {
    items: {
      metadata: { name: string };
      versions: { version: string; resources: Record<string, unknown>[] }[];
    }[];
  };
  const groups = doc.items.map((i) => i.metadata.name);
  assert.ok(groups.indexOf('extensions') > groups.indexOf('networking.k8s.io'));
  const ext = doc.items.find((i) => i.metadata.name === 'extensions');
  assert.equal(ext?.versions[0]?.version, 'v1beta1');
  assert.equal(ext?.versions[0]?.resources[0]?.['shortNames'], undefined);
});

test('legacy discovery lists groups and subresources', () => {
  const groups = (legacyApiGroupList()['groups'] as { name: string }[]).map((g) => g.name);
  assert.ok(groups.includes('apps') && groups.includes('discovery.k8s.io'));
  const core = legacyResourceList('', 'v1') as { resources: { name: string; group?: string }[] };
  assert.ok(core.resources.some((r) => r.name === 'services/status'));
  assert.equal(
    core.resources.find((r) => r.name === 'replicationcontrollers/scale')?.group,
    'autoscaling',
  );
  assert.equal(legacyResourceList('nope', 'v1'), undefined);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { namespaceConditions } from './conditions.js';

test('namespaceConditions() reports remaining content and finalizers in kube words', () => {
  const c = namespaceConditions(
    {
      deleteErrors: [],
      remaining: new Map([
        ['pods', 2],
        ['services', 0],
      ]),
      finalizers: new Map([['example.com/hold', 1]]),
    },
    [],
    '2024-01-01T00:00:00Z',
  );
  const byType = Object.fromEntries(c.map((x) => [x.type, [x.status, x.reason, x.message]]));
  assert.deepEqual(byType['NamespaceContentRemaining'], [
    'True',
    'SomeResourcesRemain',
    'Some resources are remaining: pods has 2 resource instances',
  ]);
  assert.deepEqual(byType['NamespaceFinalizersRemaining'], [
    'True',
    'SomeFinalizersRemain',
    'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances',
  ]);
  assert.deepEqual(byType['NamespaceDeletionDiscoveryFailure'], [
    'False',
    'ResourcesDiscovered',
    'All resources successfully discovered',
  ]);
  assert.deepEqual(byType['NamespaceDeletionContentFailure'], [
    'False',
    'ContentDeleted',
    'All content successfully deleted, may be waiting on finalization',
  ]);
});

test('namespaceConditions() keeps lastTransitionTime while a status holds', () => {
  const first = namespaceConditions(
    { deleteErrors: [], remaining: new Map(), finalizers: new Map() },
    [],
    '2024-01-01T00:00:00Z',
  );
  const again = namespaceConditions(
    { deleteErrors: [], remaining: new Map(), finalizers: new Map() },
    first,
    '2024-01-01T00:05:00Z',
  );
  assert.deepEqual(again, first);
  const failed = namespaceConditions(
    { discoveryError: 'boom', deleteErrors: [], remaining: new Map(), finalizers: new Map() },
    first,
    '2024-01-01T00:05:00Z',
  );
  const d = failed.find((x) => x.type === 'NamespaceDeletionDiscoveryFailure');
  assert.equal(d?.status, 'True');
  assert.equal(d?.lastTransitionTime, '2024-01-01T00:05:00Z');
});

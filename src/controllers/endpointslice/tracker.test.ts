import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/meta/types.js';
import { pod, service } from '../common/fixtures.js';
import { ResourceVersionTracker, StaleRetry } from './tracker.js';
import { TriggerTimeTracker } from './triggertime.js';

const obj = (uid: string, rv: string, deleting = false): KubeObject => ({
  metadata: { uid, resourceVersion: rv, ...(deleting ? { deletionTimestamp: 't' } : {}) },
});

test('ResourceVersionTracker.shouldSync() ignores our own writes and older events', () => {
  const t = new ResourceVersionTracker();
  assert.equal(t.shouldSync('ns/web', obj('a', '5')), true, 'untracked objects sync');
  t.update('ns/web', obj('a', '10'));
  assert.equal(t.shouldSync('ns/web', obj('a', '10')), false, 'the echo of our write');
  assert.equal(t.shouldSync('ns/web', obj('a', '9')), false, 'an older event');
  assert.equal(t.shouldSync('ns/web', obj('a', '11')), true, 'someone else wrote after us');
  t.expectDeletion('ns/web', obj('a', '10'));
  assert.equal(t.shouldSync('ns/web', obj('a', '12')), false, 'being deleted by us');
});

test('ResourceVersionTracker.stale() detects a cache older than our writes', () => {
  const t = new ResourceVersionTracker();
  assert.equal(t.stale('ns/web', []), false);
  t.update('ns/web', obj('a', '10'));
  assert.equal(t.stale('ns/web', []), true, 'created but not yet in the cache');
  assert.equal(t.stale('ns/web', [obj('a', '9')]), true, 'older version in the cache');
  assert.equal(t.stale('ns/web', [obj('a', '10')]), false);
  assert.equal(t.stale('ns/web', [obj('a', '12')]), false, 'newer is fine');
  t.expectDeletion('ns/web', obj('a', '10'));
  assert.equal(t.stale('ns/web', [obj('a', '10')]), true, 'deleted but still cached');
  assert.equal(t.stale('ns/web', [obj('a', '10', true)]), false, 'cached with deletionTimestamp');
  assert.equal(t.stale('ns/web', []), false);
});

test('ResourceVersionTracker.handleDeletion() says whether someone else deleted the object', () => {
  const t = new ResourceVersionTracker();
  t.update('ns/web', obj('a', '10'));
  t.update('ns/web', obj('b', '11'));
  t.expectDeletion('ns/web', obj('a', '10'));
  assert.equal(t.handleDeletion('ns/web', obj('a', '10')), false, 'our own delete');
  assert.equal(t.handleDeletion('ns/web', obj('b', '11')), true, 'a user deleted it');
  assert.equal(t.has('ns/web', obj('b', '11')), false);
});

test('TriggerTimeTracker.compute() returns the earliest change since the last sync', () => {
  const t = new TriggerTimeTracker();
  const svc = service('web');
  svc.metadata.creationTimestamp = '2024-01-01T00:00:00Z';
  const a = pod('a', { readySince: '2024-01-01T00:00:10Z' });
  const b = pod('b', { readySince: '2024-01-01T00:00:20Z' });
  assert.equal(
    t.compute('default/web', svc, [a, b]),
    '2024-01-01T00:00:00Z',
    'first sync: service creation',
  );
  assert.equal(t.compute('default/web', svc, [a, b]), undefined, 'nothing changed');
  const b2 = pod('b', { readySince: '2024-01-01T00:01:00Z', ready: false });
  assert.equal(t.compute('default/web', svc, [a, b2]), '2024-01-01T00:01:00Z');
  const c = pod('c', { readySince: '2024-01-01T00:00:30Z' });
  const a2 = pod('a', { readySince: '2024-01-01T00:02:00Z' });
  assert.equal(
    t.compute('default/web', svc, [a2, b2, c]),
    '2024-01-01T00:00:30Z',
    'earliest of two changes',
  );
});

test('StaleRetry backs off 10 ms doubling to 5 s and gives up after 20 tries in a row', () => {
  const r = new StaleRetry();
  const delays: (number | undefined)[] = [];
  for (let i = 0; i < 21; i++) delays.push(r.next('ns/web'));
  assert.deepEqual(delays.slice(0, 4), [10, 20, 40, 80]);
  assert.equal(delays[19], 5000);
  assert.equal(delays[20], undefined);
  assert.equal(r.next('ns/web'), 10, 'starts over after giving up');
  r.next('ns/web');
  r.reset('ns/web');
  assert.equal(r.next('ns/web'), 10);
});

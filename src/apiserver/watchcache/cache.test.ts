import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../api/scheme.js';
import type { KubeObject } from '../../api/meta/types.js';
import { ResourceCache } from './cache.js';
import { CachedObject, type CacheEvent, type WatchOutput } from './types.js';

const prefix = '/registry/core/services/';

function obj(
  ns: string,
  name: string,
  rv: number,
  labels: Record<string, string> = {},
): CachedObject {
  const o: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, resourceVersion: String(rv), labels },
  };
  return new CachedObject(`${prefix}${ns}/${name}`, o);
}

function added(o: CachedObject): CacheEvent {
  return { type: 'ADDED', revision: Number(o.obj.metadata.resourceVersion), key: o.key, object: o };
}
function modified(o: CachedObject, prev: CachedObject): CacheEvent {
  return {
    type: 'MODIFIED',
    revision: Number(o.obj.metadata.resourceVersion),
    key: o.key,
    object: o,
    prev,
  };
}
function deleted(prev: CachedObject, rev: number): CacheEvent {
  return {
    type: 'DELETED',
    revision: rev,
    key: prev.key,
    object: prev.withResourceVersion(rev),
    prev,
  };
}

async function take(it: AsyncIterable<WatchOutput>, n: number): Promise<WatchOutput[]> {
  const out: WatchOutput[] = [];
  for await (const o of it) {
    out.push(o);
    if (out.length === n) break;
  }
  return out;
}

const describe = (o: WatchOutput): string =>
  o.type === 'BOOKMARK'
    ? `BOOKMARK ${o.revision}`
    : o.type === 'ERROR'
      ? `ERROR ${o.status.code}`
      : `${o.type} ${o.object.obj.metadata.name ?? ''}@${o.object.obj.metadata.resourceVersion ?? ''}`;

test('ResourceCache.list() returns key order, honours the prefix, limit and startAfter', () => {
  const c = new ResourceCache(resources.services, prefix, 100);
  c.reset([obj('b', 'x', 3), obj('a', 'z', 2), obj('a', 'y', 1)], 3);
  assert.deepEqual(
    c.list({ prefix }).items.map((o) => o.key),
    [`${prefix}a/y`, `${prefix}a/z`, `${prefix}b/x`],
  );
  assert.deepEqual(
    c.list({ prefix: `${prefix}a/` }).items.map((o) => o.obj.metadata.name),
    ['y', 'z'],
  );
  const page = c.list({ prefix }, { limit: 2 });
  assert.equal(page.items.length, 2);
  assert.equal(page.remaining, 1);
  assert.equal(page.lastKey, `${prefix}a/z`);
  const next = c.list({ prefix }, { startAfter: page.lastKey ?? '' });
  assert.deepEqual(
    next.items.map((o) => o.obj.metadata.name),
    ['x'],
  );
});

test('a watch without resourceVersion gets the current objects as ADDED, then changes', async () => {
  const c = new ResourceCache(resources.services, prefix, 100);
  const a = obj('ns', 'a', 1);
  c.reset([a], 1);
  const w = c.watch({
    filter: { prefix },
    fromRevision: undefined,
    currentRevision: 1,
    signal: new AbortController().signal,
    maxQueue: 100,
  });
  c.apply(added(obj('ns', 'b', 2)));
  c.apply(modified(obj('ns', 'a', 3), a));
  assert.deepEqual((await take(w, 3)).map(describe), ['ADDED a@1', 'ADDED b@2', 'MODIFIED a@3']);
  w.close();
  assert.equal(c.watcherCount, 0);
});

test('a watch from a resourceVersion replays the history after it', async () => {
  const c = new ResourceCache(resources.services, prefix, 100);
  c.reset([], 10);
  const a = obj('ns', 'a', 11);
  c.apply(added(a));
  c.apply(added(obj('ns', 'b', 12)));
  c.apply(deleted(a, 13));
  const w = c.watch({
    filter: { prefix },
    fromRevision: 11,
    currentRevision: 13,
    signal: new AbortController().signal,
    maxQueue: 100,
  });
  assert.deepEqual((await take(w, 2)).map(describe), ['ADDED b@12', 'DELETED a@13']);
  w.close();
});

test('label filtering turns leaving the selection into DELETED and entering into ADDED', async () => {
  const c = new ResourceCache(resources.services, prefix, 100);
  const a1 = obj('ns', 'a', 1, { app: 'web' });
  c.reset([a1], 1);
  const matches = (o: KubeObject): boolean => o.metadata.labels?.['app'] === 'web';
  const w = c.watch({
    filter: { prefix, matches },
    fromRevision: 1,
    currentRevision: 1,
    signal: new AbortController().signal,
    maxQueue: 100,
  });
  const a2 = obj('ns', 'a', 2, { app: 'db' });
  c.apply(modified(a2, a1));
  c.apply(modified(obj('ns', 'a', 3, {}), a2)); // still out: nothing
  c.apply(modified(obj('ns', 'a', 4, { app: 'web' }), obj('ns', 'a', 3, {})));
  const got = await take(w, 2);
  assert.deepEqual(got.map(describe), ['DELETED a@2', 'ADDED a@4']);
  // The DELETED event carries the object as it was while it matched.
  const first = got[0];
  assert.ok(first && first.type === 'DELETED');
  assert.equal(first.object.obj.metadata.labels?.['app'], 'web');
  w.close();
});

test('the history ring raises the floor as it drops events', () => {
  const c = new ResourceCache(resources.services, prefix, 2);
  c.reset([], 5);
  assert.equal(c.floor, 5);
  c.apply(added(obj('ns', 'a', 6)));
  c.apply(added(obj('ns', 'b', 7)));
  assert.equal(c.floor, 5);
  c.apply(added(obj('ns', 'c', 8)));
  assert.equal(c.floor, 6);
});

test('a watcher that falls too far behind is closed, others are not', async () => {
  const c = new ResourceCache(resources.services, prefix, 100);
  c.reset([], 0);
  const slow = c.watch({
    filter: { prefix },
    fromRevision: 0,
    currentRevision: 0,
    signal: new AbortController().signal,
    maxQueue: 2,
  });
  const fast = c.watch({
    filter: { prefix },
    fromRevision: 0,
    currentRevision: 0,
    signal: new AbortController().signal,
    maxQueue: 100,
  });
  for (let i = 1; i <= 3; i++) c.apply(added(obj('ns', `o${i}`, i)));
  assert.equal(slow.closed, true);
  assert.equal(fast.closed, false);
  assert.deepEqual((await take(slow, 10)).map(describe), ['ADDED o1@1', 'ADDED o2@2']);
  fast.close();
});

test('aborting the signal ends the iteration', async () => {
  const c = new ResourceCache(resources.services, prefix, 100);
  c.reset([], 0);
  const ac = new AbortController();
  const w = c.watch({
    filter: { prefix },
    fromRevision: 0,
    currentRevision: 0,
    signal: ac.signal,
    maxQueue: 100,
  });
  const done = take(w, 10);
  ac.abort();
  assert.deepEqual(await done, []);
  assert.equal(c.watcherCount, 0);
});

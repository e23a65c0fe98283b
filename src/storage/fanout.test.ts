import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fanout, watchStream } from './fanout.js';
import { CompactedError, WatchClosedError } from './store.js';
import type { StoreEvent } from './store.js';

function created(key: string, revision: number): StoreEvent {
  return {
    type: 'create',
    kv: { key, value: new Uint8Array(), createRevision: revision, modRevision: revision },
  };
}

function revisionsOf(batch: readonly StoreEvent[]): number[] {
  return batch.map((e) => (e.type === 'delete' ? e.revision : e.kv.modRevision));
}

test('Fanout closes a watcher whose buffer overflows without affecting the others', async () => {
  const fanout = new Fanout(0, { bufferSize: 3 });
  const slow = fanout.subscribe('/', 0);
  const fast = fanout.subscribe('/', 0);
  const signal = new AbortController().signal;
  const fastSeen: number[] = [];
  for (let rev = 1; rev <= 5; rev++) {
    fanout.publish([created(`/k${rev}`, rev)]);
    const batch = await fast.take(signal);
    fastSeen.push(...(batch ?? []).map((e) => (e.type === 'create' ? e.kv.modRevision : 0)));
  }
  assert.deepEqual(fastSeen, [1, 2, 3, 4, 5]);
  await assert.rejects(slow.take(signal), WatchClosedError);
  assert.equal(slow.pending, 0, 'the closed watcher frees its buffer');
  assert.equal(fanout.size, 1, 'only the fast watcher stays registered');
});

test('Fanout delivers only the watcher prefix and only revisions above its start', async () => {
  const fanout = new Fanout(10);
  const sub = fanout.subscribe('/a/', 11);
  fanout.publish([created('/a/x', 11), created('/b/y', 12), created('/a/z', 13)]);
  const batch = await sub.take(new AbortController().signal);
  assert.deepEqual(
    batch?.map((e) => (e.type === 'create' ? e.kv.key : '')),
    ['/a/z'],
  );
});

test('Subscription.take() returns undefined when the signal aborts while waiting', async () => {
  const fanout = new Fanout(0);
  const sub = fanout.subscribe('/', 0);
  const ac = new AbortController();
  const pending = sub.take(ac.signal);
  ac.abort();
  assert.equal(await pending, undefined);
});

test('watchStream() replays history up to the subscription, then streams live events', async () => {
  const fanout = new Fanout(2);
  const ac = new AbortController();
  const history = [created('/a', 1), created('/b', 2)];
  const stream = watchStream({
    fanout,
    prefix: '/',
    afterRevision: 0,
    signal: ac.signal,
    compactRevision: () => 0,
    replay: (after, upTo) => [
      history.filter(
        (e) => e.type === 'create' && e.kv.modRevision > after && e.kv.modRevision <= upTo,
      ),
    ],
  });
  const revisions: number[] = [];
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done === true) assert.fail('the stream ended before replaying');
  revisions.push(...revisionsOf(first.value));
  fanout.publish([created('/c', 3)]);
  const second = await it.next();
  if (second.done === true) assert.fail('the stream ended before the live event');
  revisions.push(...revisionsOf(second.value));
  ac.abort();
  assert.deepEqual(revisions, [1, 2, 3]);
  assert.equal((await it.next()).done, true);
  assert.equal(fanout.size, 0, 'the ended stream unsubscribes');
});

test('watchStream() throws CompactedError on first iteration for a compacted revision', async () => {
  const stream = watchStream({
    fanout: new Fanout(10),
    prefix: '/',
    afterRevision: 3,
    signal: new AbortController().signal,
    compactRevision: () => 5,
    replay: () => [],
  });
  await assert.rejects(stream[Symbol.asyncIterator]().next(), (err: unknown) => {
    assert.ok(err instanceof CompactedError);
    assert.equal(err.compactRevision, 5);
    return true;
  });
});

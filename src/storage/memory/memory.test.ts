import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from './store.js';
import { CompactedError, ConflictError, KeyExistsError } from '../store.js';
import type { StoreEvent } from '../store.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

test('MemoryStore create/update/delete assign increasing revisions and enforce CAS', async () => {
  const store = new MemoryStore();
  const a = await store.create('/a', enc('1'));
  assert.equal(a.modRevision, 1);
  await assert.rejects(store.create('/a', enc('x')), KeyExistsError);
  const a2 = await store.update('/a', enc('2'), a.modRevision);
  assert.equal(a2.createRevision, 1);
  assert.equal(a2.modRevision, 2);
  const err = await store.update('/a', enc('3'), 1).catch((e: unknown) => e);
  assert.ok(err instanceof ConflictError);
  assert.equal(dec(err.current.value), '2');
  const del = await store.delete('/a', 2);
  assert.equal(del.revision, 3);
  assert.equal((await store.get('/a')).kv, undefined);
  const old = await store.list('/', { revision: 2 });
  assert.deepEqual(
    old.items.map((kv) => dec(kv.value)),
    ['2'],
  );
});

test('MemoryStore watch replays history then live events, and fails after compaction', async () => {
  const store = new MemoryStore();
  await store.create('/p/a', enc('1'));
  await store.create('/q/b', enc('1'));
  const ac = new AbortController();
  const seen: StoreEvent[] = [];
  const done = (async () => {
    for await (const batch of store.watch('/p/', 0, ac.signal)) {
      seen.push(...batch);
      if (seen.length === 2) ac.abort();
    }
  })();
  await store.update('/p/a', enc('2'), 1);
  await done;
  assert.deepEqual(
    seen.map((e) => e.type),
    ['create', 'update'],
  );
  await store.compact(3);
  const it = store.watch('/', 1, new AbortController().signal)[Symbol.asyncIterator]();
  await assert.rejects(it.next(), CompactedError);
});

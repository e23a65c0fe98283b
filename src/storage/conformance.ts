/**
 * The behavioural suite every Store backend runs (memory.test.ts, sqlite.test.ts, etcd.test.ts).
 * It states the contract of store.ts as tests: revisions, CAS, paging, reads in the past,
 * watch replay and live delivery, compaction, slow watchers and concurrent writers.
 *
 * Every test works under its own random key prefix and asserts only relative revisions, so a
 * backend may hand out one shared server (etcd) or a fresh store per test.
 */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CompactedError,
  ConflictError,
  KeyExistsError,
  KeyNotFoundError,
  WatchClosedError,
} from './store.js';
import type { KeyValue, Store, StoreEvent, StoreWatch } from './store.js';

/** What a backend's `open` must honour for the suite. */
export interface SuiteStoreOptions {
  /** Most events a watcher may have waiting before it is closed. */
  readonly watchBufferSize?: number;
}

export interface StoreSuiteOptions {
  /** Shown in the test names: `sqlite store: ...`. */
  readonly name: string;
  /** Opens a store for one test; the suite closes it at the end of that test. */
  readonly open: (options: SuiteStoreOptions) => Promise<Store>;
  /** When set, every test is reported as skipped with this reason (e.g. a missing binary). */
  readonly skip?: string;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** An event in a form deepEqual can compare and a failure message can show. */
type Plain =
  | { type: 'create'; key: string; value: string; rev: number; created: number }
  | { type: 'update'; key: string; value: string; rev: number; prev: string; prevRev: number }
  | { type: 'delete'; key: string; rev: number; prev: string; prevRev: number };

function plain(e: StoreEvent): Plain {
  switch (e.type) {
    case 'create':
      return {
        type: 'create',
        key: e.kv.key,
        value: dec(e.kv.value),
        rev: e.kv.modRevision,
        created: e.kv.createRevision,
      };
    case 'update':
      return {
        type: 'update',
        key: e.kv.key,
        value: dec(e.kv.value),
        rev: e.kv.modRevision,
        prev: dec(e.prev.value),
        prevRev: e.prev.modRevision,
      };
    case 'delete':
      return {
        type: 'delete',
        key: e.prev.key,
        rev: e.revision,
        prev: dec(e.prev.value),
        prevRev: e.prev.modRevision,
      };
  }
}

/** Takes events from a watch until `until` holds for the collected list. */
async function collect(
  it: AsyncIterator<readonly StoreEvent[]>,
  until: (events: readonly Plain[]) => boolean,
): Promise<Plain[]> {
  const out: Plain[] = [];
  while (!until(out)) {
    const r = await it.next();
    if (r.done === true) assert.fail(`watch ended after ${JSON.stringify(out)}`);
    out.push(...r.value.map(plain));
  }
  return out;
}

const iter = (w: StoreWatch): AsyncIterator<readonly StoreEvent[]> => w[Symbol.asyncIterator]();
const keysOf = (items: readonly KeyValue[]): string[] => items.map((kv) => kv.key);

/**
 * Registers the conformance tests for one backend.
 * @example
 * runStoreSuite({ name: 'memory', open: (o) => Promise.resolve(new MemoryStore(o)) });
 */
export function runStoreSuite(suite: StoreSuiteOptions): void {
  /** Runs `body` with a fresh store and a unique prefix; always closes the store. */
  const withStore =
    (body: (store: Store, p: string) => Promise<void>, options: SuiteStoreOptions = {}) =>
    async (): Promise<void> => {
      const store = await suite.open(options);
      try {
        await body(store, `/conformance/${randomUUID()}/`);
      } finally {
        await store.close();
      }
    };
  const opts = { timeout: 60_000 };

  void describe(`${suite.name} store conformance`, { skip: suite.skip ?? false }, () => {
    void test(
      'get() returns the value and the store revision; a missing key is undefined',
      opts,
      withStore(async (store, p) => {
        const missing = await store.get(`${p}nope`);
        assert.equal(missing.kv, undefined);
        const kv = await store.create(`${p}a`, enc('one'));
        const got = await store.get(`${p}a`);
        assert.equal(dec(got.kv?.value ?? new Uint8Array()), 'one');
        assert.equal(got.kv?.modRevision, kv.modRevision);
        assert.equal(got.kv?.createRevision, kv.modRevision);
        assert.ok(got.revision >= kv.modRevision);
      }),
    );

    void test(
      'values are opaque bytes: binary and empty values round-trip unchanged',
      opts,
      withStore(async (store, p) => {
        const bytes = Uint8Array.from([0, 255, 10, 0, 128, 13, 0]);
        await store.create(`${p}bin`, bytes);
        await store.create(`${p}empty`, new Uint8Array());
        assert.deepEqual([...((await store.get(`${p}bin`)).kv?.value ?? [])], [...bytes]);
        assert.equal((await store.get(`${p}empty`)).kv?.value.length, 0);
        bytes[0] = 99;
        assert.equal((await store.get(`${p}bin`)).kv?.value[0], 0, 'the store keeps its own copy');
      }),
    );

    void test(
      'create() on an existing key throws KeyExistsError; after delete it creates anew',
      opts,
      withStore(async (store, p) => {
        const first = await store.create(`${p}a`, enc('1'));
        await assert.rejects(store.create(`${p}a`, enc('2')), (err: unknown) => {
          assert.ok(err instanceof KeyExistsError);
          assert.equal(err.key, `${p}a`);
          return true;
        });
        assert.equal(dec((await store.get(`${p}a`)).kv?.value ?? new Uint8Array()), '1');
        await store.delete(`${p}a`);
        const again = await store.create(`${p}a`, enc('3'));
        assert.ok(again.createRevision > first.createRevision);
        assert.equal(again.createRevision, again.modRevision);
      }),
    );

    void test(
      'update() is compare-and-swap on modRevision; ConflictError carries the current value',
      opts,
      withStore(async (store, p) => {
        const v1 = await store.create(`${p}a`, enc('1'));
        const v2 = await store.update(`${p}a`, enc('2'), v1.modRevision);
        assert.ok(v2.modRevision > v1.modRevision);
        assert.equal(v2.createRevision, v1.createRevision);
        await assert.rejects(
          store.update(`${p}a`, enc('stale'), v1.modRevision),
          (err: unknown) => {
            assert.ok(err instanceof ConflictError);
            assert.equal(err.current.modRevision, v2.modRevision);
            assert.equal(dec(err.current.value), '2');
            return true;
          },
        );
        await assert.rejects(store.update(`${p}missing`, enc('x'), 1), KeyNotFoundError);
        assert.equal(dec((await store.get(`${p}a`)).kv?.value ?? new Uint8Array()), '2');
      }),
    );

    void test(
      'delete() with and without an expected revision',
      opts,
      withStore(async (store, p) => {
        const a = await store.create(`${p}a`, enc('a'));
        const b = await store.create(`${p}b`, enc('b'));
        await assert.rejects(store.delete(`${p}a`, a.modRevision - 1), (err: unknown) => {
          assert.ok(err instanceof ConflictError);
          assert.equal(err.current.modRevision, a.modRevision);
          return true;
        });
        const da = await store.delete(`${p}a`, a.modRevision);
        assert.ok(da.revision > b.modRevision);
        assert.equal(dec(da.prev.value), 'a');
        assert.equal(da.prev.modRevision, a.modRevision);
        const db = await store.delete(`${p}b`);
        assert.ok(db.revision > da.revision);
        assert.equal(db.prev.modRevision, b.modRevision);
        await assert.rejects(store.delete(`${p}a`), KeyNotFoundError);
        await assert.rejects(store.delete(`${p}b`, b.modRevision), KeyNotFoundError);
        assert.equal((await store.get(`${p}a`)).kv, undefined);
        assert.equal(await store.currentRevision(), db.revision);
      }),
    );

    void test(
      'revisions increase strictly across keys; currentRevision() follows every write',
      opts,
      withStore(async (store, p) => {
        const start = await store.currentRevision();
        const seen: number[] = [];
        for (let i = 0; i < 5; i++) {
          const kv = await store.create(`${p}k${i}`, enc(String(i)));
          seen.push(kv.modRevision);
          assert.equal(await store.currentRevision(), kv.modRevision);
        }
        const up = await store.update(`${p}k0`, enc('x'), seen[0] ?? 0);
        seen.push(up.modRevision);
        const del = await store.delete(`${p}k1`);
        seen.push(del.revision);
        assert.ok((seen[0] ?? 0) > start);
        for (let i = 1; i < seen.length; i++)
          assert.ok((seen[i] ?? 0) > (seen[i - 1] ?? 0), seen.join(','));
        assert.equal(await store.currentRevision(), del.revision);
      }),
    );

    void test(
      'list() returns live keys under the prefix in key order with the observed revision',
      opts,
      withStore(async (store, p) => {
        for (const k of ['b', 'a', 'c/x', 'c/y']) await store.create(`${p}${k}`, enc(k));
        await store.create(`${p.slice(0, -1)}x/sibling`, enc('outside'));
        await store.delete(`${p}c/x`);
        const all = await store.list(p);
        assert.deepEqual(keysOf(all.items), [`${p}a`, `${p}b`, `${p}c/y`]);
        assert.equal(all.remaining, 0);
        assert.equal(all.revision, await store.currentRevision());
        const sub = await store.list(`${p}c/`);
        assert.deepEqual(keysOf(sub.items), [`${p}c/y`]);
        assert.equal((await store.list(`${p}zzz/`)).items.length, 0);
      }),
    );

    void test(
      'list() pages with limit and startAfter, reporting what remains',
      opts,
      withStore(async (store, p) => {
        const keys = Array.from({ length: 7 }, (_, i) => `${p}k${i}`);
        for (const k of keys) await store.create(k, enc(k));
        const page1 = await store.list(p, { limit: 3 });
        assert.deepEqual(keysOf(page1.items), keys.slice(0, 3));
        assert.equal(page1.remaining, 4);
        const page2 = await store.list(p, {
          limit: 3,
          startAfter: `${p}k2`,
          revision: page1.revision,
        });
        assert.deepEqual(keysOf(page2.items), keys.slice(3, 6));
        assert.equal(page2.remaining, 1);
        const page3 = await store.list(p, { limit: 3, startAfter: `${p}k5` });
        assert.deepEqual(keysOf(page3.items), keys.slice(6));
        assert.equal(page3.remaining, 0);
        const exact = await store.list(p, { limit: 7 });
        assert.equal(exact.items.length, 7);
        assert.equal(exact.remaining, 0);
        const before = await store.list(p, { startAfter: p });
        assert.equal(before.items.length, 7, 'a startAfter before the prefix is harmless');
      }),
    );

    void test(
      'list() of more keys than one backend read returns them all, in order, with limits',
      opts,
      withStore(async (store, p) => {
        const n = 1200; // above etcd's 1,000-key read chunk
        const keys = Array.from({ length: n }, (_, i) => `${p}${String(i).padStart(5, '0')}`);
        for (let i = 0; i < n; i += 100) {
          await Promise.all(keys.slice(i, i + 100).map((k) => store.create(k, enc(k))));
        }
        const all = await store.list(p);
        assert.equal(all.items.length, n);
        assert.deepEqual(keysOf(all.items), keys);
        assert.equal(all.remaining, 0);
        const page = await store.list(p, { limit: 1100, startAfter: keys[49] ?? '' });
        assert.deepEqual(keysOf(page.items), keys.slice(50, 1150));
        assert.equal(page.remaining, n - 1150);
        assert.equal(dec(page.items[0]?.value ?? new Uint8Array()), keys[50]);
      }),
    );

    void test(
      'list() at a past revision sees the store as it was then (consistent paging)',
      opts,
      withStore(async (store, p) => {
        const a = await store.create(`${p}a`, enc('a1'));
        await store.create(`${p}b`, enc('b1'));
        const then = await store.list(p, { limit: 1 });
        await store.update(`${p}a`, enc('a2'), a.modRevision);
        await store.delete(`${p}b`);
        await store.create(`${p}c`, enc('c1'));
        const rest = await store.list(p, { startAfter: `${p}a`, revision: then.revision });
        assert.equal(rest.revision, then.revision);
        assert.deepEqual(
          rest.items.map((kv) => dec(kv.value)),
          ['b1'],
        );
        const old = await store.list(p, { revision: then.revision });
        assert.deepEqual(
          old.items.map((kv) => dec(kv.value)),
          ['a1', 'b1'],
        );
        const now = await store.list(p);
        assert.deepEqual(
          now.items.map((kv) => dec(kv.value)),
          ['a2', 'c1'],
        );
      }),
    );

    void test(
      'watch() from a past revision delivers every later event in order, with prev values',
      opts,
      withStore(async (store, p) => {
        const start = await store.currentRevision();
        const a = await store.create(`${p}a`, enc('1'));
        const a2 = await store.update(`${p}a`, enc('2'), a.modRevision);
        const del = await store.delete(`${p}a`);
        const b = await store.create(`${p}b`, enc('b'));
        const ac = new AbortController();
        const events = await collect(iter(store.watch(p, start, ac.signal)), (e) => e.length >= 4);
        ac.abort();
        assert.deepEqual(events, [
          { type: 'create', key: `${p}a`, value: '1', rev: a.modRevision, created: a.modRevision },
          {
            type: 'update',
            key: `${p}a`,
            value: '2',
            rev: a2.modRevision,
            prev: '1',
            prevRev: a.modRevision,
          },
          { type: 'delete', key: `${p}a`, rev: del.revision, prev: '2', prevRev: a2.modRevision },
          { type: 'create', key: `${p}b`, value: 'b', rev: b.modRevision, created: b.modRevision },
        ]);
        const ac2 = new AbortController();
        const later = await collect(
          iter(store.watch(p, a2.modRevision, ac2.signal)),
          (e) => e.length >= 2,
        );
        ac2.abort();
        assert.deepEqual(
          later.map((e) => e.rev),
          [del.revision, b.modRevision],
        );
      }),
    );

    void test(
      'watch() streams live events in order and only under its prefix',
      opts,
      withStore(async (store, p) => {
        const start = await store.currentRevision();
        const ac = new AbortController();
        const it = iter(store.watch(`${p}in/`, start, ac.signal));
        const first = it.next();
        const written: number[] = [];
        for (let i = 0; i < 10; i++) {
          written.push((await store.create(`${p}in/${i}`, enc(String(i)))).modRevision);
          await store.create(`${p}out/${i}`, enc(String(i)));
          await store.create(`${p}in-not/${i}`, enc(String(i)));
        }
        const r = await first;
        if (r.done === true) assert.fail('watch ended');
        const rest = await collect(it, (e) => e.length + r.value.length >= 10);
        const events = [...r.value.map(plain), ...rest];
        assert.deepEqual(
          events.map((e) => e.rev),
          written,
        );
        assert.ok(events.every((e) => e.type === 'create' && e.key.startsWith(`${p}in/`)));
        ac.abort();
        assert.equal((await it.next()).done, true, 'the watch ends when its signal aborts');
      }),
    );

    void test(
      'watch() ends when the signal aborts while it waits, and at once if already aborted',
      opts,
      withStore(async (store, p) => {
        const ac = new AbortController();
        const it = iter(store.watch(p, await store.currentRevision(), ac.signal));
        const pending = it.next();
        ac.abort();
        assert.equal((await pending).done, true);
        const aborted = AbortSignal.abort();
        const it2 = iter(store.watch(p, await store.currentRevision(), aborted));
        assert.equal((await it2.next()).done, true);
      }),
    );

    void test(
      'compact() makes older reads and watches throw CompactedError; newer ones still work',
      opts,
      withStore(async (store, p) => {
        const a = await store.create(`${p}a`, enc('1'));
        const a2 = await store.update(`${p}a`, enc('2'), a.modRevision);
        await store.create(`${p}gone`, enc('x'));
        await store.delete(`${p}gone`);
        const b = await store.create(`${p}b`, enc('b'));
        await store.compact(a2.modRevision);
        await store.compact(a.modRevision); // compacting an older revision is a no-op
        await assert.rejects(store.list(p, { revision: a.modRevision }), (err: unknown) => {
          assert.ok(err instanceof CompactedError);
          assert.ok(err.compactRevision >= a2.modRevision);
          return true;
        });
        const at = await store.list(p, { revision: a2.modRevision });
        assert.deepEqual(
          at.items.map((kv) => dec(kv.value)),
          ['2'],
        );
        const ac = new AbortController();
        const old = iter(store.watch(p, a.modRevision, ac.signal));
        await assert.rejects(old.next(), CompactedError);
        const fresh = await collect(iter(store.watch(p, a2.modRevision, ac.signal)), (e) =>
          e.some((x) => x.rev === b.modRevision),
        );
        ac.abort();
        assert.deepEqual(
          fresh.map((e) => e.type),
          ['create', 'delete', 'create'],
        );
        const now = await store.list(p);
        assert.deepEqual(keysOf(now.items), [`${p}a`, `${p}b`]);
      }),
    );

    void test(
      'a watcher that falls behind is closed with WatchClosedError; others are unaffected',
      opts,
      withStore(
        async (store, p) => {
          const start = await store.currentRevision();
          const ac = new AbortController();
          const slow = iter(store.watch(`${p}slow/`, start, ac.signal));
          const fast = iter(store.watch(p, start, ac.signal));
          const slowFirst = slow.next();
          const fastFirst = fast.next();
          await store.create(`${p}slow/0`, enc('0'));
          const s0 = await slowFirst;
          const f0 = await fastFirst;
          if (s0.done === true || f0.done === true) assert.fail('a watch ended early');
          // Both watches are live. The fast one keeps reading while the slow one reads nothing.
          // (Match the sentinel by key: a watch may deliver it before create() resolves.)
          const fastSeen = collect(fast, (e) => e.some((x) => x.key === `${p}sentinel`));
          for (let i = 1; i <= 40; i++) {
            await store.create(`${p}slow/${i}`, enc(String(i)));
            await new Promise((resolve) => setImmediate(resolve)); // let the reader run
          }
          await store.create(`${p}sentinel`, enc('end'));
          const rest = await fastSeen;
          assert.equal(rest.length, 41, 'the fast watcher saw every event');
          await assert.rejects(slow.next(), WatchClosedError);
          const after = await store.create(`${p}after`, enc('x'));
          const more = await collect(fast, (e) => e.length >= 1);
          assert.equal(more[0]?.rev, after.modRevision, 'the fast watcher carries on');
          ac.abort();
        },
        { watchBufferSize: 8 },
      ),
    );

    void test(
      'concurrent writers: CAS retries lose no update and same-key creates have one winner',
      opts,
      withStore(async (store, p) => {
        await store.create(`${p}counter`, enc('0'));
        const increment = async (): Promise<void> => {
          for (;;) {
            const { kv } = await store.get(`${p}counter`);
            assert.ok(kv);
            try {
              await store.update(
                `${p}counter`,
                enc(String(Number(dec(kv.value)) + 1)),
                kv.modRevision,
              );
              return;
            } catch (err) {
              if (!(err instanceof ConflictError)) throw err;
            }
          }
        };
        await Promise.all(Array.from({ length: 40 }, increment));
        assert.equal(dec((await store.get(`${p}counter`)).kv?.value ?? new Uint8Array()), '40');

        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => store.create(`${p}race`, enc(String(i)))),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results) {
          if (r.status === 'rejected') assert.ok(r.reason instanceof KeyExistsError);
        }

        const created = await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.create(`${p}many/${i}`, enc(String(i)))),
        );
        const revs = created.map((kv) => kv.modRevision);
        assert.equal(new Set(revs).size, 50, 'every write got its own revision');
        assert.equal((await store.list(`${p}many/`)).items.length, 50);
      }),
    );
  });
}

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { runStoreSuite } from '../conformance.js';
import { CompactedError } from '../store.js';
import { SqliteStore } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'ptest-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

runStoreSuite({
  name: 'sqlite',
  open: (options) =>
    Promise.resolve(
      new SqliteStore({
        path: join(dir, `store-${n++}.db`),
        compaction: false,
        ...(options.watchBufferSize === undefined
          ? {}
          : { watchBufferSize: options.watchBufferSize }),
      }),
    ),
});

test('SqliteStore: every acknowledged write survives kill -9 of the writing process', async (t) => {
  const path = join(dir, 'kill9.db');
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('./writer-child.js', import.meta.url)), path],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const acked = new Map<string, number>();
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const [word, rev, key] = line.split(' ');
    if (word === 'ack' && rev !== undefined && key !== undefined) acked.set(key, Number(rev));
    if (acked.size >= 400) break;
  }
  assert.ok(child.pid !== undefined);
  process.kill(child.pid, 'SIGKILL');
  const [, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, 'SIGKILL', 'the writer died by SIGKILL, not by finishing');

  const store = new SqliteStore({ path, compaction: false });
  try {
    for (const [key, rev] of acked) {
      const { kv } = await store.get(key);
      assert.equal(kv?.modRevision, rev, `acknowledged write ${key}@${rev} is present`);
    }
    const top = Math.max(...acked.values());
    assert.ok((await store.currentRevision()) >= top);
    const next = await store.create('/kill9/after', new Uint8Array([1]));
    assert.ok(
      next.modRevision > top,
      'the reopened store continues above every acknowledged revision',
    );
    const listed = await store.list('/kill9/');
    assert.ok(listed.items.length >= acked.size + 1);
  } finally {
    await store.close();
  }
});

test('SqliteStore: data, revisions and the compact revision persist across reopen', async () => {
  const path = join(dir, 'reopen.db');
  const a = new SqliteStore({ path, compaction: false });
  const v1 = await a.create('/r/a', new TextEncoder().encode('1'));
  const v2 = await a.update('/r/a', new TextEncoder().encode('2'), v1.modRevision);
  await a.compact(v2.modRevision);
  await a.close();
  const b = new SqliteStore({ path, compaction: false });
  try {
    assert.equal(await b.currentRevision(), v2.modRevision);
    assert.equal((await b.get('/r/a')).kv?.modRevision, v2.modRevision);
    await assert.rejects(b.list('/r/', { revision: v1.modRevision }), CompactedError);
    const v3 = await b.create('/r/b', new Uint8Array());
    assert.equal(v3.modRevision, v2.modRevision + 1);
  } finally {
    await b.close();
  }
});

test('SqliteStore: a watcher sees rows another process wrote, through the poll fallback', async () => {
  const path = join(dir, 'shared.db');
  const watcher = new SqliteStore({ path, compaction: false, pollIntervalMs: 20 });
  const other = new SqliteStore({ path, compaction: false, pollIntervalMs: 0 });
  try {
    const ac = new AbortController();
    const watch = watcher.watch('/shared/', await watcher.currentRevision(), ac.signal);
    const it = watch[Symbol.asyncIterator]();
    const first = it.next();
    const kv = await other.create('/shared/x', new TextEncoder().encode('hi'));
    const r = await first;
    if (r.done === true) assert.fail('the watch ended');
    const events = r.value;
    assert.equal(events[0]?.type, 'create');
    assert.equal(events[0]?.type === 'create' ? events[0].kv.modRevision : 0, kv.modRevision);
    const mine = await watcher.create('/shared/y', new Uint8Array());
    assert.equal(
      mine.modRevision,
      kv.modRevision + 1,
      'the watcher process writes above the outside row',
    );
    ac.abort();
  } finally {
    await other.close();
    await watcher.close();
  }
});

test('SqliteStore: compaction keeps exactly what reads at or after the compact revision need', async () => {
  const path = join(dir, 'compact.db');
  const store = new SqliteStore({ path, compaction: false });
  try {
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    const a1 = await store.create('/c/a', enc('a1'));
    const a2 = await store.update('/c/a', enc('a2'), a1.modRevision);
    const b1 = await store.create('/c/b', enc('b1'));
    const bDel = await store.delete('/c/b');
    const b2 = await store.create('/c/b', enc('b2'));
    const a3 = await store.update('/c/a', enc('a3'), a2.modRevision);
    await store.compact(b2.modRevision);
    const rows = new Database(path, { readonly: true })
      .prepare('SELECT id FROM kine ORDER BY id')
      .all() as { id: number }[];
    assert.deepEqual(
      rows.map((r) => r.id),
      [a2.modRevision, b2.modRevision, a3.modRevision],
      `superseded rows ${a1.modRevision}, ${b1.modRevision} and tombstone ${bDel.revision} are gone`,
    );
    const at = await store.list('/c/', { revision: b2.modRevision });
    assert.deepEqual(
      at.items.map((kv) => new TextDecoder().decode(kv.value)),
      ['a2', 'b2'],
    );
  } finally {
    await store.close();
  }
});

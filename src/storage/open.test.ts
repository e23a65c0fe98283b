import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MemoryStore } from './memory/store.js';
import { StoreUriError, openStore } from './open.js';
import { SqliteStore } from './sqlite/store.js';

const dir = mkdtempSync(join(tmpdir(), 'ptest-open-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('openStore("memory://") opens a MemoryStore', async () => {
  const store = await openStore('memory://');
  assert.ok(store instanceof MemoryStore);
  await store.close();
});

test('openStore("sqlite:///abs/path") creates the directory and an owner-only file', async () => {
  const path = join(dir, 'nested', 'state.db');
  const store = await openStore(`sqlite://${path}`, { compaction: false });
  try {
    assert.ok(store instanceof SqliteStore);
    await store.create('/k', new Uint8Array([1]));
    assert.equal(statSync(path).mode & 0o777, 0o600);
  } finally {
    await store.close();
  }
  const again = await openStore(path, { compaction: false }); // a plain path is sqlite too
  try {
    assert.equal((await again.get('/k')).kv?.value[0], 1);
  } finally {
    await again.close();
  }
});

test('openStore() rejects unknown schemes and malformed URIs with StoreUriError', async () => {
  for (const uri of [
    'mysql://x',
    '',
    'memory://extra',
    'etcd://',
    'etcd://nohostport',
    'sqlite://',
  ]) {
    await assert.rejects(openStore(uri), StoreUriError, uri);
  }
});

test('openStore("etcd://...") fails with a clear error when nothing listens there', async () => {
  // A port that was free a moment ago: connections to it are refused.
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  assert.ok(address !== null && typeof address !== 'string');
  await assert.rejects(
    openStore(`etcd://127.0.0.1:${address.port}`, { compaction: false }),
    (err: unknown) => {
      assert.ok(err instanceof StoreUriError);
      assert.match(err.message, /cannot reach etcd/);
      return true;
    },
  );
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runStoreSuite } from '../conformance.js';
import { EtcdStore } from './store.js';
import { findEtcd, startTestEtcd } from './testserver.js';
import type { TestEtcd } from './testserver.js';

const binary = findEtcd();
let etcd: TestEtcd | undefined;

if (binary === undefined) {
  process.stdout.write(
    '# etcd store tests skipped: the etcd binary is not on PATH (apt-get install etcd-server)\n',
  );
} else {
  before(async () => {
    etcd = await startTestEtcd({ binary });
  });
  after(async () => {
    await etcd?.stop();
  });
}

runStoreSuite({
  name: 'etcd',
  ...(binary === undefined ? { skip: 'the etcd binary is not on PATH' } : {}),
  open: (options) => {
    if (etcd === undefined) throw new Error('etcd did not start');
    return Promise.resolve(
      new EtcdStore({
        endpoints: [etcd.endpoint],
        compaction: false,
        ...(options.watchBufferSize === undefined
          ? {}
          : { watchBufferSize: options.watchBufferSize }),
      }),
    );
  },
});

test(
  'EtcdStore: a watch resumes where it was after etcd is killed and restarted',
  { skip: binary === undefined ? 'the etcd binary is not on PATH' : false, timeout: 60_000 },
  async () => {
    const server = etcd;
    assert.ok(server);
    const store = new EtcdStore({ endpoints: [server.endpoint], compaction: false });
    try {
      const ac = new AbortController();
      const watch = store.watch('/restart/', await store.currentRevision(), ac.signal);
      const it = watch[Symbol.asyncIterator]();
      const first = it.next();
      const a = await store.create('/restart/a', new TextEncoder().encode('a'));
      const r1 = await first;
      assert.equal(r1.done, false);
      await server.restart();
      // The client reconnects on its own; poll (with a deadline) until etcd answers again.
      const deadline = Date.now() + 30_000;
      while (
        !(await store.currentRevision().then(
          () => true,
          () => false,
        ))
      ) {
        assert.ok(Date.now() < deadline, 'etcd came back within 30s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const b = await store.create('/restart/b', new TextEncoder().encode('b'));
      const r2 = await it.next();
      if (r2.done === true) assert.fail('the watch ended');
      assert.deepEqual(
        r2.value.map((e) => (e.type === 'create' ? e.kv.key : e.type)),
        ['/restart/b'],
      );
      assert.ok(b.modRevision > a.modRevision);
      ac.abort();
    } finally {
      await store.close();
    }
  },
);

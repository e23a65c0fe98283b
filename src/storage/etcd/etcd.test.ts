import { after, before } from 'node:test';
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

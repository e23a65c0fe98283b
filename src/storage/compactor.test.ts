import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Clock } from '../lib/clock.js';
import { discardLogger } from '../lib/log/logger.js';
import { compactionTarget, runCompactor } from './compactor.js';
import { MemoryStore } from './memory/store.js';
import { CompactedError } from './store.js';

test('compactionTarget() keeps one interval and at least minRetain revisions', () => {
  assert.equal(compactionTarget(100, undefined, 10, 0), undefined, 'nothing on the first tick');
  assert.equal(compactionTarget(100, 50, 10, 0), 50, 'the previous tick bounds it');
  assert.equal(compactionTarget(100, 95, 10, 0), 90, 'minRetain bounds it');
  assert.equal(compactionTarget(100, 50, 10, 50), undefined, 'already compacted there');
  assert.equal(compactionTarget(5, 3, 10, 0), undefined, 'too young to compact');
});

test('runCompactor() compacts to the revision of the previous tick', async () => {
  const store = new MemoryStore();
  const ac = new AbortController();
  let n = 0;
  const writeTen = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) await store.create(`/k${n++}`, new Uint8Array());
  };
  // Each "sleep" is one interval passing while ten writes happen; the fourth ends the run.
  const steps = [writeTen, writeTen, writeTen];
  const clock: Clock = {
    now: () => 0,
    sleep: async () => {
      const step = steps.shift();
      if (step === undefined) ac.abort();
      else await step();
    },
  };
  await runCompactor({
    store,
    clock,
    logger: discardLogger,
    signal: ac.signal,
    policy: { intervalMs: 1, minRetainRevisions: 5 },
  });
  // Ticks saw revisions 10, 20, 30: compactions to 10, then to 20.
  await assert.rejects(store.list('/', { revision: 19 }), CompactedError);
  assert.equal((await store.list('/', { revision: 20 })).items.length, 20);
  await store.close();
});

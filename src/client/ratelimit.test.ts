import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from './ratelimit.js';
import { FakeClock } from '../lib/fakeclock.js';
import { isAbortError } from '../lib/errors.js';

test('TokenBucket lets a burst through, then spaces requests at 1/qps in arrival order', async () => {
  const clock = new FakeClock({ now: 0 });
  const b = new TokenBucket({ qps: 10, burst: 3, clock });
  const started: string[] = [];
  const go = (name: string) => b.wait().then(() => started.push(`${name}@${clock.now()}`));
  const all = ['a', 'b', 'c', 'd', 'e'].map(go);
  await clock.advance(0);
  assert.deepEqual(started, ['a@0', 'b@0', 'c@0']);
  await clock.advance(100);
  assert.deepEqual(started.slice(3), ['d@100']);
  await clock.advance(100);
  await Promise.all(all);
  assert.deepEqual(started.slice(4), ['e@200']);
  assert.equal(b.tryAccept(), false, 'the bucket is empty right after');
  await clock.advance(1000);
  assert.equal(b.tryAccept(), true);
});

test('TokenBucket refills no further than burst and gives the token back on abort', async () => {
  const clock = new FakeClock({ now: 0 });
  const b = new TokenBucket({ qps: 1, burst: 2, clock });
  await clock.advance(60_000);
  assert.equal(b.tryAccept(), true);
  assert.equal(b.tryAccept(), true);
  assert.equal(b.tryAccept(), false);
  const ac = new AbortController();
  const waiting = b.wait(ac.signal);
  ac.abort();
  await assert.rejects(waiting, (e) => isAbortError(e));
  await clock.advance(1000);
  assert.equal(b.tryAccept(), true, 'the aborted waiter did not keep its token');
});

test('TokenBucket with qps 0 never waits', async () => {
  const clock = new FakeClock();
  const b = new TokenBucket({ qps: 0, burst: 1, clock });
  for (let i = 0; i < 100; i++) await b.wait();
  assert.equal(clock.pending(), 0);
});

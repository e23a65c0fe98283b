import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../lib/fakeclock.js';
import { goDuration, KeyedBackoff } from './backoff.js';

test('KeyedBackoff: 10 s doubling to 5 min, reset after twice the maximum', () => {
  const clock = new FakeClock({ now: 0 });
  const b = new KeyedBackoff({ initialMs: 10_000, maxMs: 300_000, clock });
  // first crash: no entry yet, so no backoff; then the entry starts at 10 s
  assert.equal(b.inBackoffSince('c', 0), false);
  b.next('c', 0);
  assert.equal(b.get('c'), 10_000);
  const delays: number[] = [];
  let t = 0;
  for (let i = 0; i < 8; i++) {
    t += 1000; // the container crashes a second after its restart
    delays.push(b.get('c'));
    b.next('c', t);
  }
  assert.deepEqual(delays, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  // a container that ran for more than 10 minutes starts over
  b.next('c', t + 600_001);
  assert.equal(b.get('c'), 10_000);
});

test('KeyedBackoff.inBackoffSince() follows the clock', async () => {
  const clock = new FakeClock({ now: 1_000_000 });
  const b = new KeyedBackoff({ initialMs: 10_000, maxMs: 300_000, clock });
  b.next('k', 1_000_000);
  assert.equal(b.inBackoffSince('k', 1_000_000), true);
  assert.equal(b.remaining('k', 1_000_000), 10_000);
  await clock.advance(9_999);
  assert.equal(b.inBackoffSince('k', 1_000_000), true);
  await clock.advance(1);
  assert.equal(b.inBackoffSince('k', 1_000_000), false);
  assert.equal(b.inBackoffSinceUpdate('k'), false);
});

test('goDuration() prints like Go', () => {
  assert.equal(goDuration(10_000), '10s');
  assert.equal(goDuration(80_000), '1m20s');
  assert.equal(goDuration(300_000), '5m0s');
});

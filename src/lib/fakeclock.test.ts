import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './fakeclock.js';
import { isAbortError } from './errors.js';

test('FakeClock.advance() wakes sleeps in deadline order and only once their time has come', async () => {
  const clock = new FakeClock({ now: 1000 });
  const woke: string[] = [];
  void clock.sleep(300).then(() => woke.push(`b@${clock.now()}`));
  void clock.sleep(100).then(() => woke.push(`a@${clock.now()}`));
  await clock.advance(99);
  assert.deepEqual(woke, []);
  await clock.advance(200);
  assert.deepEqual(woke, ['a@1100']);
  await clock.advance(1);
  assert.deepEqual(woke, ['a@1100', 'b@1300']);
  assert.equal(clock.now(), 1300);
});

test('FakeClock.advance() runs sleeps chained by the woken code within the same advance', async () => {
  const clock = new FakeClock({ now: 0 });
  const ticks: number[] = [];
  const loop = async () => {
    for (let i = 0; i < 3; i++) {
      await clock.sleep(10);
      ticks.push(clock.now());
    }
  };
  const done = loop();
  await clock.advance(25);
  assert.deepEqual(ticks, [10, 20]);
  await clock.advance(10);
  await done;
  assert.deepEqual(ticks, [10, 20, 30]);
});

test('FakeClock.sleep() rejects with an AbortError when the signal fires', async () => {
  const clock = new FakeClock();
  const ac = new AbortController();
  const p = clock.sleep(1000, ac.signal);
  assert.equal(clock.pending(), 1);
  ac.abort();
  await assert.rejects(p, (e) => isAbortError(e));
  assert.equal(clock.pending(), 0);
  await assert.rejects(clock.sleep(1, ac.signal), (e) => isAbortError(e));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimitedQueue } from './workqueue.js';
import { FakeClock } from '../lib/fakeclock.js';
import { Registry } from '../lib/metrics.js';

const settle = () => new Promise((r) => setImmediate(r));

test('RateLimitedQueue hands out keys in order, each once however often it was added', async () => {
  const q = new RateLimitedQueue({ name: 't', clock: new FakeClock() });
  for (const k of ['a', 'b', 'a', 'c', 'b']) q.add(k);
  assert.equal(q.len(), 3);
  assert.deepEqual([await q.get(), await q.get(), await q.get()], ['a', 'b', 'c']);
  assert.equal(q.len(), 0);
});

test('RateLimitedQueue never gives a key to two workers: re-added while processing, it returns after done', async () => {
  const q = new RateLimitedQueue({ name: 't', clock: new FakeClock() });
  q.add('a');
  const first = await q.get();
  assert.equal(first, 'a');
  q.add('a');
  q.add('a');
  assert.equal(q.len(), 0, 'not queued while a worker holds it');
  let second: string | undefined;
  void q.get().then((k) => (second = k));
  await settle();
  assert.equal(second, undefined);
  q.done('a');
  await settle();
  assert.equal(second, 'a', 'queued once, after done');
  q.done('a');
  assert.equal(q.len(), 0);
});

test('RateLimitedQueue.get() waits for an add and resolves undefined after shutDown drains the queue', async () => {
  const q = new RateLimitedQueue({ name: 't', clock: new FakeClock() });
  const waiting = q.get();
  q.add('x');
  assert.equal(await waiting, 'x');
  q.add('y');
  q.shutDown();
  q.add('ignored');
  assert.equal(await q.get(), 'y', 'queued keys are still handed out');
  assert.equal(await q.get(), undefined);
  const idle = q.idle();
  let isIdle = false;
  void idle.then(() => (isIdle = true));
  await settle();
  assert.equal(isIdle, false, 'x and y are still being processed');
  q.done('x');
  q.done('y');
  await idle;
});

test('RateLimitedQueue.addAfter() adds when the delay has passed, the earliest request winning', async () => {
  const clock = new FakeClock();
  const q = new RateLimitedQueue({ name: 't', clock });
  q.addAfter('a', 1000);
  q.addAfter('a', 300);
  q.addAfter('a', 5000);
  q.addAfter('now', 0);
  assert.equal(q.len(), 1);
  assert.equal(await q.get(), 'now');
  await clock.advance(299);
  assert.equal(q.len(), 0);
  await clock.advance(1);
  assert.equal(q.len(), 1);
  assert.equal(await q.get(), 'a');
  q.done('a');
  await clock.advance(10_000);
  assert.equal(q.len(), 0, 'the superseded timers add nothing');
  q.addAfter('late', 100);
  q.shutDown();
  await clock.advance(1000);
  assert.equal(q.len(), 0);
  assert.equal(clock.pending(), 0, 'shutDown cancels timers');
});

test('RateLimitedQueue.addRateLimited() backs off per key 5, 10, 20 ms … up to the cap; forget resets', async () => {
  const clock = new FakeClock();
  const q = new RateLimitedQueue({ name: 't', clock, maxDelayMs: 60_000, retryQps: 0 });
  const delays: number[] = [];
  for (let i = 0; i < 16; i++) delays.push(q.when('k'));
  assert.deepEqual(delays.slice(0, 5), [5, 10, 20, 40, 80]);
  assert.equal(delays[13], 40_960);
  assert.equal(delays[14], 60_000);
  assert.equal(q.numRequeues('k'), 16);
  assert.equal(q.when('other'), 5, 'per key');
  q.forget('k');
  assert.equal(q.numRequeues('k'), 0);

  q.addRateLimited('k');
  q.addRateLimited('k');
  assert.equal(q.len(), 0);
  await clock.advance(5);
  assert.equal(q.len(), 1, 'the earlier of the two delays (5 ms, 10 ms) wins');
  assert.equal(await q.get(), 'k');
});

test('RateLimitedQueue limits retries overall with a token bucket (10/s, burst 100 by default)', () => {
  const q = new RateLimitedQueue({
    name: 't',
    clock: new FakeClock(),
    retryQps: 10,
    retryBurst: 2,
  });
  assert.deepEqual(
    ['a', 'b', 'c', 'd'].map((k) => q.when(k)),
    [5, 5, 100, 200],
  );
});

test('RateLimitedQueue exports depth, adds and retries per queue name', async () => {
  const metrics = new Registry();
  const q = new RateLimitedQueue({ name: 'eps', clock: new FakeClock(), metrics });
  q.add('a');
  q.add('b');
  q.add('b');
  q.addRateLimited('c');
  const text = () => metrics.expose();
  assert.match(text(), /^portico_workqueue_depth\{name="eps"\} 2$/m);
  assert.match(text(), /^portico_workqueue_adds_total\{name="eps"\} 2$/m);
  assert.match(text(), /^portico_workqueue_retries_total\{name="eps"\} 1$/m);
  await q.get();
  assert.match(text(), /^portico_workqueue_depth\{name="eps"\} 1$/m);
});

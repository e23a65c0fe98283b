import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, settle } from './fakeclock.js';
import { BoundedFrequencyRunner } from './runner.js';

function start(options: { min: number; max: number; burst: number; fail?: () => boolean }): {
  clock: FakeClock;
  runner: BoundedFrequencyRunner;
  times: number[];
  stop: () => Promise<void>;
} {
  const clock = new FakeClock(0);
  const times: number[] = [];
  const runner: BoundedFrequencyRunner = new BoundedFrequencyRunner({
    name: 'test',
    clock,
    minIntervalMs: options.min,
    maxIntervalMs: options.max,
    burst: options.burst,
    fn: () => {
      times.push(clock.now());
      if (options.fail?.() === true) runner.retryAfter(5_000);
      return Promise.resolve();
    },
  });
  const ac = new AbortController();
  const done = runner.loop(ac.signal);
  return {
    clock,
    runner,
    times,
    stop: async () => {
      ac.abort();
      await done;
    },
  };
}

describe('BoundedFrequencyRunner', () => {
  it('runs at once for a burst, then at most once per minimum interval', async () => {
    const { clock, runner, times, stop } = start({ min: 1_000, max: 60_000, burst: 2 });
    runner.run();
    await clock.advance(100);
    runner.run();
    await clock.advance(100);
    runner.run();
    await clock.advance(100);
    runner.run();
    await clock.advance(2_000);
    assert.deepEqual(times, [0, 100, 1_000]);
    await stop();
  });

  it('coalesces many requests into one run', async () => {
    const { clock, runner, times, stop } = start({ min: 1_000, max: 60_000, burst: 1 });
    runner.run();
    await clock.advance(10);
    for (let i = 0; i < 50; i++) runner.run();
    await clock.advance(5_000);
    assert.deepEqual(times, [0, 1_000]);
    await stop();
  });

  it('runs periodically without requests', async () => {
    const { clock, times, stop } = start({ min: 1_000, max: 30_000, burst: 2 });
    await clock.advance(95_000);
    assert.deepEqual(times, [30_000, 60_000, 90_000]);
    await stop();
  });

  it('retries after a failed run', async () => {
    let failures = 1;
    const { clock, runner, times, stop } = start({
      min: 1_000,
      max: 60_000,
      burst: 2,
      fail: () => failures-- > 0,
    });
    runner.run();
    await clock.advance(10_000);
    assert.deepEqual(times, [0, 5_000]);
    await stop();
  });

  it('stops when the signal aborts', async () => {
    const { clock, runner, stop } = start({ min: 1_000, max: 60_000, burst: 2 });
    await stop();
    runner.run();
    await settle();
    assert.equal(clock.waiting, 0);
    assert.equal(runner.runs, 0);
  });
});

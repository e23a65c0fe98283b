import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createController, type Reconciler } from './runner.js';
import { FakeClient } from '../client/fake.js';
import { SharedInformer } from '../client/informer.js';
import { objectKey } from '../client/keys.js';
import type { WorkQueue } from '../client/types.js';
import { resources } from '../api/scheme.js';
import { conflict } from '../api/meta/status.js';
import type { Service } from '../api/types/core.js';
import { FakeClock } from '../lib/fakeclock.js';
import { createLogger } from '../lib/log/logger.js';
import { Registry } from '../lib/metrics.js';

const svc = (name: string): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
});

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** A reconciler that records syncs; `behaviour` decides what each sync does. */
class Recorder implements Reconciler {
  readonly name = 'test';
  readonly informers: SharedInformer<Service>[];
  readonly syncs: string[] = [];
  active = 0;
  maxActive = 0;
  overlapping = false;
  readonly #inFlight = new Set<string>();
  behaviour: (key: string, signal: AbortSignal) => Promise<void> = () => Promise.resolve();
  constructor(informer: SharedInformer<Service>) {
    this.informers = [informer];
  }
  register(queue: WorkQueue): void {
    const inf = this.informers[0];
    inf?.addHandlers({
      onAdd: (o) => queue.add(objectKey(o)),
      onUpdate: (_o, n) => queue.add(objectKey(n)),
      onDelete: (o) => queue.add(objectKey(o)),
    });
  }
  async sync(key: string, signal: AbortSignal): Promise<void> {
    if (this.#inFlight.has(key)) this.overlapping = true;
    this.#inFlight.add(key);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    this.syncs.push(key);
    try {
      await this.behaviour(key, signal);
    } finally {
      this.active--;
      this.#inFlight.delete(key);
    }
  }
}

function setup(t: TestContext, objects: Service[], opts: { maxRetries?: number } = {}) {
  const clock = new FakeClock();
  const fake = new FakeClient({ clock, objects });
  const informer = new SharedInformer<Service>({
    client: fake,
    resource: resources.services,
    clock,
  });
  const rec = new Recorder(informer);
  const logs: Record<string, unknown>[] = [];
  const metrics = new Registry();
  const controller = createController({
    reconciler: rec,
    clock,
    metrics,
    logger: createLogger({
      write: (l) => logs.push(JSON.parse(l) as Record<string, unknown>),
      verbosity: 2,
    }),
    ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}),
  });
  const ac = new AbortController();
  let informerRun: Promise<void> | undefined;
  const startInformer = () => (informerRun = informer.run(ac.signal));
  let controllerRun: Promise<void> | undefined;
  const startController = (workers: number) => (controllerRun = controller.run(ac.signal, workers));
  const stop = async () => {
    ac.abort();
    await Promise.all([informerRun, controllerRun]);
  };
  t.after(stop);
  return {
    clock,
    fake,
    informer,
    rec,
    logs,
    metrics,
    controller,
    startInformer,
    startController,
    stop,
  };
}

test('Controller syncs nothing before its informers have listed, then each key once per change', async (t) => {
  const h = setup(t, [svc('a'), svc('b')]);
  h.startController(2);
  await until('the controller start line', () =>
    h.logs.some((l) => l['msg'] === 'Starting controller'),
  );
  assert.deepEqual(h.rec.syncs, [], 'the informer has not listed');
  h.startInformer();
  await until('two syncs', () => h.rec.syncs.length === 2);
  assert.deepEqual([...h.rec.syncs].sort(), ['default/a', 'default/b']);
  await h.fake.create(resources.services, svc('c'));
  await until('c', () => h.rec.syncs.includes('default/c'));
  assert.equal(h.logs[0]?.['controller'], 'test');
});

test('Controller runs up to N workers in parallel and never one key on two workers', async (t) => {
  const names = ['a', 'b', 'c', 'd', 'e', 'f'];
  const h = setup(t, names.map(svc));
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  h.rec.behaviour = () => gate;
  h.startInformer();
  h.startController(3);
  await until('three syncs in flight', () => h.rec.active === 3);
  // Changes to keys in flight are queued behind them, not run beside them.
  for (const n of names)
    h.fake.add({ ...svc(n), metadata: { ...svc(n).metadata, labels: { v: '2' } } });
  await new Promise((r) => setImmediate(r));
  assert.equal(h.rec.maxActive, 3);
  release();
  // a, b, c were in flight: each runs once more; d, e, f were still queued: the change folds in.
  await until('nine syncs', () => h.rec.syncs.length === 9);
  await new Promise((r) => setImmediate(r));
  assert.equal(h.rec.syncs.length, 9);
  assert.deepEqual(h.rec.syncs.slice(6).sort(), ['default/a', 'default/b', 'default/c']);
  assert.equal(h.rec.overlapping, false);
  assert.equal(h.rec.maxActive, 3);
});

test('Controller retries a failing key with backoff (5 ms, 10 ms …) and forgets it after success', async (t) => {
  const h = setup(t, [svc('a')]);
  let failures = 2;
  h.rec.behaviour = () => {
    if (failures-- > 0) return Promise.reject(new Error('boom'));
    return Promise.resolve();
  };
  h.startInformer();
  h.startController(1);
  await until('the first failure', () => h.rec.syncs.length === 1);
  await h.clock.advance(4);
  assert.equal(h.rec.syncs.length, 1, 'not before 5 ms');
  await h.clock.advance(1);
  await until('the second attempt', () => h.rec.syncs.length === 2);
  await h.clock.advance(9);
  assert.equal(h.rec.syncs.length, 2, 'not before 10 ms more');
  await h.clock.advance(1);
  await until('the third attempt', () => h.rec.syncs.length === 3);
  const warns = h.logs.filter((l) => l['msg'] === 'Sync failed, retrying');
  assert.deepEqual(
    warns.map((l) => [l['controller'], l['key'], l['attempt'], l['err']]),
    [
      ['test', 'default/a', 1, 'boom'],
      ['test', 'default/a', 2, 'boom'],
    ],
  );
  // Success forgot the failures: the next failure starts again at 5 ms.
  failures = 1;
  h.fake.add({ ...svc('a'), metadata: { ...svc('a').metadata, labels: { x: 'y' } } });
  await until('the fourth attempt', () => h.rec.syncs.length === 4);
  await h.clock.advance(5);
  await until('a retry 5 ms later', () => h.rec.syncs.length === 5);
  assert.match(h.metrics.expose(), /^portico_controller_retries_total\{controller="test"\} 3$/m);
  assert.match(
    h.metrics.expose(),
    /^portico_controller_sync_duration_seconds_count\{controller="test",result="error"\} 3$/m,
  );
  assert.match(h.metrics.expose(), /^portico_workqueue_depth\{name="test"\} 0$/m);
});

test('Controller drops a key after maxRetries with an error line; conflicts log quietly', async (t) => {
  const h = setup(t, [svc('a')], { maxRetries: 2 });
  h.rec.behaviour = () =>
    Promise.reject(
      conflict({ group: '', resource: 'services' }, 'a', 'the object has been modified'),
    );
  h.startInformer();
  h.startController(1);
  await until('the first attempt', () => h.rec.syncs.length === 1);
  await h.clock.advance(5);
  await until('the second attempt', () => h.rec.syncs.length === 2);
  await h.clock.advance(10);
  await until('the third attempt', () => h.rec.syncs.length === 3);
  await until('the drop', () =>
    h.logs.some((l) => l['msg'] === 'Sync failed too many times, dropping key'),
  );
  await h.clock.advance(10_000);
  assert.equal(h.rec.syncs.length, 3, 'dropped: no fourth attempt');
  const drop = h.logs.find((l) => l['msg'] === 'Sync failed too many times, dropping key');
  assert.equal(drop?.['level'], 'error');
  assert.equal(drop?.['key'], 'default/a');
  assert.equal(drop?.['attempts'], 3);
  assert.equal(h.logs.filter((l) => l['msg'] === 'Sync conflicted, retrying').length, 2);
  assert.equal(h.logs.filter((l) => l['level'] === 'warn').length, 0);
  assert.match(h.metrics.expose(), /^portico_controller_dropped_total\{controller="test"\} 1$/m);
});

test('Controller.run() resolves after abort; the sync in flight sees its signal fire', async (t) => {
  const h = setup(t, [svc('a'), svc('b')]);
  let sawAbort = false;
  h.rec.behaviour = (_key, signal) =>
    new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => {
        sawAbort = true;
        resolve();
      });
    });
  h.startInformer();
  h.startController(1);
  await until('a sync in flight', () => h.rec.active === 1);
  await h.stop();
  assert.equal(sawAbort, true);
  assert.equal(h.rec.syncs.length, 1, 'the queued key is abandoned');
  assert.ok(h.logs.some((l) => l['msg'] === 'Stopped controller'));
  await assert.rejects(
    (async () => {
      const ac = new AbortController();
      const p = h.controller.run(ac.signal, 1);
      const again = h.controller.run(ac.signal, 1);
      ac.abort();
      await p;
      await again;
    })(),
    /already running/,
  );
});

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from './fake.js';
import { SharedInformer } from './informer.js';
import { InformerFactory } from './factory.js';
import { ClientError } from './errors.js';
import { resources } from '../api/scheme.js';
import { parseLabelSelector } from '../api/meta/labels.js';
import type { Service } from '../api/types/core.js';
import { FakeClock } from '../lib/fakeclock.js';
import { createLogger } from '../lib/log/logger.js';

const svc = (name: string, ns = 'default', labels: Record<string, string> = {}): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns, labels },
  spec: { ports: [{ port: 80 }] },
});

/** Polls (no sleeping: yields to the event loop) until `cond` holds. */
async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

interface Harness {
  fake: FakeClient;
  clock: FakeClock;
  informer: SharedInformer<Service>;
  events: string[];
  logs: string[];
  stop: () => Promise<void>;
}

function start(
  t: TestContext,
  opts: { objects?: Service[]; resyncPeriodMs?: number; pageSize?: number } = {},
): Harness {
  const clock = new FakeClock();
  const fake = new FakeClient({ clock, objects: opts.objects ?? [] });
  const logs: string[] = [];
  const informer = new SharedInformer<Service>({
    client: fake,
    resource: resources.services,
    clock,
    resyncPeriodMs: opts.resyncPeriodMs,
    pageSize: opts.pageSize ?? 500,
    logger: createLogger({ write: (l) => logs.push(l) }),
  });
  const events: string[] = [];
  informer.addHandlers({
    onAdd: (o) => events.push(`add ${o.metadata.name ?? ''}@${o.metadata.resourceVersion ?? ''}`),
    onUpdate: (a, b) =>
      events.push(
        `update ${b.metadata.name ?? ''}@${a.metadata.resourceVersion ?? ''}->${b.metadata.resourceVersion ?? ''}`,
      ),
    onDelete: (o) => events.push(`delete ${o.metadata.name ?? ''}`),
  });
  const ac = new AbortController();
  const run = informer.run(ac.signal);
  const stop = async () => {
    ac.abort();
    await run;
  };
  t.after(stop);
  return { fake, clock, informer, events, logs, stop };
}

test('SharedInformer lists in pages, then delivers watch events to handlers in order', async (t) => {
  const h = start(t, { objects: [svc('a'), svc('b'), svc('c', 'other')], pageSize: 2 });
  assert.equal(h.informer.hasSynced(), false);
  assert.equal(await h.informer.waitForSync(AbortSignal.timeout(5000)), true);
  assert.deepEqual(h.events, ['add a@1', 'add b@2', 'add c@3']);
  assert.deepEqual(
    h.fake.actions.filter((a) => a.verb === 'list').map((a) => a.listOptions?.continue ?? 'first'),
    ['first', 'fake-1'],
    'two pages of two',
  );
  assert.equal(h.informer.lastSyncResourceVersion(), '3');
  await until('the watch', () => h.fake.openWatches() === 1);
  const watch = h.fake.actions.find((a) => a.verb === 'watch');
  assert.equal(watch?.listOptions?.resourceVersion, '3');
  assert.equal((watch?.listOptions as { allowWatchBookmarks?: boolean }).allowWatchBookmarks, true);

  await h.fake.create(resources.services, svc('d'));
  const b = h.informer.lister.get('default', 'b');
  assert.ok(b);
  await h.fake.update(resources.services, {
    ...b,
    metadata: { ...b.metadata, labels: { x: 'y' } },
  });
  await h.fake.delete(resources.services, 'default', 'a');
  await until('three events', () => h.events.length === 6);
  assert.deepEqual(h.events.slice(3), ['add d@4', 'update b@2->5', 'delete a']);
  assert.equal(h.informer.lastSyncResourceVersion(), '6');
  assert.deepEqual(
    h.informer.lister.list('default').map((s) => s.metadata.name),
    ['b', 'd'],
  );
  assert.deepEqual(
    h.informer.lister.list(undefined, parseLabelSelector('x=y')).map((s) => s.metadata.name),
    ['b'],
  );
  assert.deepEqual(
    h.informer.lister.byIndex('namespace', 'other').map((s) => s.metadata.name),
    ['c'],
  );
  assert.equal(h.informer.lister.get('default', 'a'), undefined);

  h.fake.bookmark();
  await until(
    'the bookmark',
    () => h.informer.lastSyncResourceVersion() === h.fake.resourceVersion(),
  );
});

test('SharedInformer relists on 410 Expired and turns objects missing from the new list into onDelete', async (t) => {
  const h = start(t, { objects: [svc('a'), svc('b'), svc('c')] });
  await h.informer.waitForSync(AbortSignal.timeout(5000));
  await until('the watch', () => h.fake.openWatches() === 1);
  // While the informer is disconnected: a deleted, b changed, c untouched, d created; and the
  // server forgets the history, so only a relist can tell. (The watch has been open a while: a
  // watch that ends within a second with no event would be backed off.)
  await h.clock.advance(5000);
  h.fake.closeWatches();
  h.fake.remove(resources.services, 'default', 'a');
  h.fake.add(svc('b', 'default', { v: '2' }));
  h.fake.add(svc('d'));
  h.fake.compact();
  await until('the relist', () => h.events.length === 6);
  assert.deepEqual(h.events.slice(3), ['update b@2->5', 'add d@6', 'delete a']);
  assert.equal(
    h.fake.actions.filter((a) => a.verb === 'list').length,
    2,
    'one relist; c (resourceVersion unchanged) produced no update',
  );
  assert.equal(h.informer.lastSyncResourceVersion(), '6');
});

test('SharedInformer rewatches from the last resourceVersion when the server closes the watch', async (t) => {
  const h = start(t, { objects: [svc('a')] });
  await h.informer.waitForSync(AbortSignal.timeout(5000));
  await until('the watch', () => h.fake.openWatches() === 1);
  await h.fake.create(resources.services, svc('b'));
  await until('b', () => h.events.length === 2);
  h.fake.closeWatches();
  await h.fake.create(resources.services, svc('c'));
  await until('the rewatch', () => h.events.length === 3);
  const watches = h.fake.actions
    .filter((a) => a.verb === 'watch')
    .map((a) => a.listOptions?.resourceVersion);
  assert.deepEqual(
    watches,
    ['1', '2'],
    'the second watch resumes after b, with no backoff and no relist',
  );
  assert.deepEqual(h.events, ['add a@1', 'add b@2', 'add c@3']);
  assert.equal(h.fake.actions.filter((a) => a.verb === 'list').length, 1);
});

test('SharedInformer backs off 1 s, 2 s, 4 s between failed watches and recovers', async (t) => {
  const h = start(t, { objects: [svc('a')] });
  await h.informer.waitForSync(AbortSignal.timeout(5000));
  await until('the watch', () => h.fake.openWatches() === 1);
  const down = () => new ClientError('E_CLIENT_UNREACHABLE', 'cannot reach the API server');
  let failures = 0;
  h.fake.prependReactor('watch', 'services', () => {
    if (failures >= 3) return undefined;
    failures++;
    throw down();
  });
  const watchCount = () => h.fake.actions.filter((a) => a.verb === 'watch').length;
  await h.clock.advance(5000);
  h.fake.closeWatches();
  await until('the first failed rewatch', () => failures === 1);
  // Delays are 1 s, 2 s, 4 s, each ±10 %: the informer's sleep is the clock's only timer.
  for (const [n, delay] of [
    [2, 1000],
    [3, 2000],
    [4, 4000],
  ] as const) {
    const wait = (h.clock.nextDeadline() ?? 0) - h.clock.now();
    assert.ok(
      wait >= delay * 0.9 && wait <= delay * 1.1,
      `backoff ${wait} ms, want ${delay} ms ±10 %`,
    );
    await h.clock.advance(wait - 1);
    assert.equal(watchCount(), n, `no retry before ${wait} ms`);
    await h.clock.advance(1);
    await until(`watch attempt ${n + 1}`, () => watchCount() === n + 1);
  }
  await until('the watch is open again', () => h.fake.openWatches() === 1);
  await h.fake.create(resources.services, svc('b'));
  await until('b', () => h.events.includes('add b@2'));
  assert.equal(h.logs.filter((l) => l.includes('Watch failed, reconnecting')).length, 3);
  assert.equal(
    h.fake.actions.filter((a) => a.verb === 'list').length,
    1,
    'no relist for a failed watch',
  );
});

test('SharedInformer retries a failed list with backoff and is not synced until it succeeds', async (t) => {
  const clock = new FakeClock();
  const fake = new FakeClient({ clock, objects: [svc('a')] });
  fake.failNext('list', 'services', new ClientError('E_CLIENT_UNREACHABLE', 'down'));
  const inf = new SharedInformer<Service>({ client: fake, resource: resources.services, clock });
  const ac = new AbortController();
  const run = inf.run(ac.signal);
  t.after(async () => {
    ac.abort();
    await run;
  });
  await until('the failed list', () => fake.actions.length === 1);
  assert.equal(inf.hasSynced(), false);
  await clock.advance(1200);
  assert.equal(await inf.waitForSync(AbortSignal.timeout(5000)), true);
  assert.equal(inf.lister.list().length, 1);
});

test('SharedInformer resync re-delivers onUpdate with the same object; late handlers get the cache as onAdd', async (t) => {
  const h = start(t, { objects: [svc('a'), svc('b')], resyncPeriodMs: 60_000 });
  await h.informer.waitForSync(AbortSignal.timeout(5000));
  await h.clock.advance(60_000);
  assert.deepEqual(h.events.slice(2), ['update a@1->1', 'update b@2->2']);
  const late: string[] = [];
  let calls = 0;
  h.informer.addHandlers({
    onAdd: () => {
      calls++;
      throw new Error('handler bug');
    },
  });
  h.informer.addHandlers({ onAdd: (o) => late.push(o.metadata.name ?? '') });
  assert.deepEqual(late, ['a', 'b']);
  await h.fake.create(resources.services, svc('c'));
  await until('c', () => late.length === 3);
  assert.equal(calls, 3, 'a throwing handler keeps getting events');
  assert.ok(h.logs.some((l) => l.includes('Event handler failed') && l.includes('handler bug')));
  h.informer.addIndex('byLabel', (o) => Object.keys(o.metadata.labels ?? {}));
  assert.deepEqual(h.informer.lister.byIndex('byLabel', 'none'), []);
});

test('SharedInformer.run() resolves after abort and closes its watch; waitForSync resolves false on abort', async (t) => {
  const h = start(t, { objects: [svc('a')] });
  await until('the watch', () => h.fake.openWatches() === 1);
  await h.stop();
  assert.equal(h.fake.openWatches(), 0);
  const never = new SharedInformer<Service>({
    client: new FakeClient(),
    resource: resources.services,
  });
  const ac = new AbortController();
  const waiting = never.waitForSync(ac.signal);
  ac.abort();
  assert.equal(await waiting, false);
  await assert.rejects(
    (async () => {
      const ac2 = new AbortController();
      const r = h.informer.run(ac2.signal);
      ac2.abort();
      await r;
      await h.informer.run(ac2.signal);
    })(),
    /already running/,
  );
});

test('InformerFactory shares one informer per resource and filter, and starts late ones', async (t) => {
  const clock = new FakeClock();
  const fake = new FakeClient({ clock, objects: [svc('a'), svc('b', 'kube-system')] });
  const factory = new InformerFactory({ client: fake, clock });
  const one = factory.informerFor<Service>(resources.services);
  assert.equal(factory.informerFor<Service>(resources.services), one);
  const sys = factory.informerFor<Service>(resources.services, { namespace: 'kube-system' });
  assert.notEqual(sys, one);
  const ac = new AbortController();
  t.after(async () => {
    ac.abort();
    await factory.stopped();
  });
  factory.start(ac.signal);
  assert.equal(await factory.waitForSync(AbortSignal.timeout(5000)), true);
  assert.equal(one.lister.list().length, 2);
  assert.deepEqual(
    sys.lister.list().map((s) => s.metadata.name),
    ['b'],
  );
  const nodes = factory.informerFor(resources.nodes, { namespace: 'ignored' });
  assert.equal(
    await nodes.waitForSync(AbortSignal.timeout(5000)),
    true,
    'made after start, started at once',
  );
  assert.equal(factory.hasSynced(), true);
  assert.equal(fake.actions.filter((a) => a.verb === 'list').length, 3);
});

test('SharedInformer applies its transform before caching and delivering', async (t) => {
  const clock = new FakeClock();
  const fake = new FakeClient({
    clock,
    objects: [
      { ...svc('a'), metadata: { ...svc('a').metadata, managedFields: [{ manager: 'kubectl' }] } },
    ],
  });
  const inf = new SharedInformer<Service>({
    client: fake,
    resource: resources.services,
    clock,
    transform: (o) => {
      delete o.metadata.managedFields;
      return o;
    },
  });
  const seen: unknown[] = [];
  inf.addHandlers({ onAdd: (o) => seen.push(o.metadata.managedFields) });
  const ac = new AbortController();
  const run = inf.run(ac.signal);
  t.after(async () => {
    ac.abort();
    await run;
  });
  await inf.waitForSync(AbortSignal.timeout(5000));
  assert.deepEqual(seen, [undefined]);
  assert.equal(inf.lister.get('default', 'a')?.metadata.managedFields, undefined);
});

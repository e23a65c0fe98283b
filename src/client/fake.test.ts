import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from './fake.js';
import { resources } from '../api/scheme.js';
import { conflict, isApiError } from '../api/meta/status.js';
import type { KubeObject, Status, WatchEvent } from '../api/meta/types.js';
import type { Pod, Service } from '../api/types/core.js';
import type { Deployment } from '../api/types/apps.js';
import { FakeClock } from '../lib/fakeclock.js';

const svc = (name: string, labels: Record<string, string> = {}, ns = 'default'): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns, labels },
  spec: { ports: [{ port: 80 }], selector: { app: name } },
});

const iter = <T>(s: AsyncIterable<T>): AsyncIterator<T> => s[Symbol.asyncIterator]();

/** Collects watch events until `n` have arrived (or the stream ends). */
async function take<T extends KubeObject>(
  stream: AsyncIterable<WatchEvent<T>>,
  n: number,
): Promise<WatchEvent<T>[]> {
  const out: WatchEvent<T>[] = [];
  if (n === 0) return out;
  for await (const ev of stream) {
    out.push(ev);
    if (out.length >= n) break;
  }
  return out;
}

const brief = (evs: readonly WatchEvent[]) =>
  evs.map(
    (e) => `${e.type} ${e.object.metadata.name ?? ''}@${e.object.metadata.resourceVersion ?? ''}`,
  );

test('FakeClient create/get: server-set fields, AlreadyExists, NotFound with Kubernetes messages', async () => {
  const clock = new FakeClock({ now: Date.UTC(2024, 4, 1, 12, 0, 0, 500) });
  const c = new FakeClient({ clock });
  const created = await c.create(resources.services, svc('web'));
  assert.equal(created.metadata.resourceVersion, '1');
  assert.equal(created.metadata.creationTimestamp, '2024-05-01T12:00:00Z');
  assert.equal(created.metadata.generation, 1);
  assert.match(created.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
  assert.deepEqual((await c.get<Service>(resources.services, 'default', 'web')).spec, created.spec);

  await assert.rejects(c.create(resources.services, svc('web')), (e) => {
    assert.ok(isApiError(e, 'AlreadyExists'));
    assert.equal(e.httpStatus, 409);
    assert.equal(e.message, 'services "web" already exists');
    return true;
  });
  await assert.rejects(c.get(resources.deployments, 'default', 'nope'), (e) => {
    assert.ok(isApiError(e, 'NotFound'));
    assert.equal(e.message, 'deployments.apps "nope" not found');
    return true;
  });
  await assert.rejects(c.create(resources.services, { metadata: { name: 'x' } }), (e) =>
    isApiError(e, 'BadRequest'),
  );
});

test('FakeClient returns copies: mutating a result does not change the stored object', async () => {
  const c = new FakeClient();
  const created = await c.create(resources.services, svc('web'));
  created.metadata.labels = { mutated: 'yes' };
  const got = await c.get<Service>(resources.services, 'default', 'web');
  assert.deepEqual(got.metadata.labels, {});
});

test('FakeClient generateName gives distinct names; dryRun stores nothing', async () => {
  const c = new FakeClient();
  const a = await c.create<Pod>(resources.pods, {
    metadata: { generateName: 'web-', namespace: 'ns' },
  });
  const b = await c.create<Pod>(resources.pods, {
    metadata: { generateName: 'web-', namespace: 'ns' },
  });
  assert.match(a.metadata.name ?? '', /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.notEqual(a.metadata.name, b.metadata.name);
  await c.create(resources.pods, { metadata: { name: 'dry', namespace: 'ns' } }, { dryRun: true });
  assert.equal(c.peek(resources.pods, 'ns', 'dry'), undefined);
  assert.equal(c.objects(resources.pods).length, 2);
});

test('FakeClient update: stale resourceVersion is a Conflict; unconditional update works; generation bumps on spec change', async () => {
  const c = new FakeClient();
  const v1 = await c.create(resources.services, svc('web'));
  const v2 = await c.update(resources.services, {
    ...v1,
    metadata: { ...v1.metadata, labels: { a: 'b' } },
  });
  assert.equal(v2.metadata.resourceVersion, '2');
  assert.equal(v2.metadata.generation, 1, 'a label change is not a spec change');
  await assert.rejects(c.update(resources.services, v1), (e) => {
    assert.ok(isApiError(e, 'Conflict'));
    assert.equal(
      e.message,
      'Operation cannot be fulfilled on services "web": the object has been modified; please apply your changes to the latest version and try again',
    );
    return true;
  });
  const noRv = svc('web');
  noRv.spec = { ports: [{ port: 8080 }] };
  const v3 = await c.update(resources.services, noRv);
  assert.equal(v3.metadata.generation, 2);
  assert.equal(v3.metadata.uid, v1.metadata.uid, 'uid is kept');
  await assert.rejects(c.update(resources.services, svc('other')), (e) =>
    isApiError(e, 'NotFound'),
  );
});

test('FakeClient status subresource: update keeps status, updateStatus changes only status', async () => {
  const c = new FakeClient();
  const d: Deployment = {
    metadata: { name: 'd', namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { a: 'b' } },
      template: { metadata: {}, spec: { containers: [] } },
    },
  };
  const created = await c.create(resources.deployments, d);
  const withStatus = await c.updateStatus(resources.deployments, {
    ...created,
    spec: { ...created.spec, replicas: 5 },
    status: { replicas: 1, observedGeneration: 1 },
  });
  assert.equal(withStatus.spec?.replicas, 1, 'spec is not changed through status');
  assert.equal(withStatus.status?.replicas, 1);
  const updated = await c.update(resources.deployments, {
    ...withStatus,
    spec: { ...withStatus.spec, replicas: 3 },
    status: { replicas: 99 },
  } as Deployment);
  assert.equal(updated.spec?.replicas, 3);
  assert.equal(updated.status?.replicas, 1, 'status is not changed through the main resource');
  assert.equal(updated.metadata.generation, 2);
  await assert.rejects(
    c.updateStatus(resources.configmaps, { metadata: { name: 'x', namespace: 'default' } }),
    (e) => isApiError(e, 'NotFound'),
  );
});

test('FakeClient list: namespace, label and field selectors, sorted by key, list resourceVersion', async () => {
  const c = new FakeClient({
    objects: [
      svc('b', { tier: 'web' }),
      svc('a', { tier: 'db' }),
      svc('c', { tier: 'web' }, 'other'),
    ],
  });
  const all = await c.list<Service>(resources.services);
  assert.deepEqual(
    all.items.map((s) => `${s.metadata.namespace}/${s.metadata.name}`),
    ['default/a', 'default/b', 'other/c'],
  );
  assert.equal(all.kind, 'ServiceList');
  assert.equal(all.apiVersion, 'v1');
  assert.equal(all.metadata.resourceVersion, '3');
  const names = async (o: Parameters<FakeClient['list']>[1]) =>
    (await c.list(resources.services, o)).items.map((s) => s.metadata.name);
  assert.deepEqual(await names({ namespace: 'default' }), ['a', 'b']);
  assert.deepEqual(await names({ labelSelector: 'tier=web' }), ['b', 'c']);
  assert.deepEqual(await names({ labelSelector: 'tier in (db),tier!=web' }), ['a']);
  assert.deepEqual(await names({ fieldSelector: 'metadata.name!=b,metadata.namespace=default' }), [
    'a',
  ]);
  assert.deepEqual(await names({ fieldSelector: 'spec.selector.app=c' }), ['c']);
  await assert.rejects(names({ labelSelector: 'a in (b' }), (e) => isApiError(e, 'BadRequest'));
});

test('FakeClient list pages with limit and continue over a consistent snapshot', async () => {
  const c = new FakeClient();
  for (const n of ['a', 'b', 'c', 'd', 'e']) c.add(svc(n));
  const p1 = await c.list(resources.services, { limit: 2 });
  assert.deepEqual(
    p1.items.map((s) => s.metadata.name),
    ['a', 'b'],
  );
  assert.equal(p1.metadata.remainingItemCount, 3);
  c.remove(resources.services, 'default', 'c');
  const p2 = await c.list(resources.services, { limit: 2, continue: p1.metadata.continue ?? '' });
  assert.deepEqual(
    p2.items.map((s) => s.metadata.name),
    ['c', 'd'],
    'the snapshot still has c',
  );
  assert.equal(p2.metadata.resourceVersion, p1.metadata.resourceVersion);
  const p3 = await c.list(resources.services, { limit: 2, continue: p2.metadata.continue ?? '' });
  assert.deepEqual(
    p3.items.map((s) => s.metadata.name),
    ['e'],
  );
  assert.equal(p3.metadata.continue, undefined);
  await assert.rejects(c.list(resources.services, { continue: 'bogus' }), (e) =>
    isApiError(e, 'Expired'),
  );
});

test('FakeClient watch without resourceVersion: synthetic ADDED for current objects, then later changes', async () => {
  const c = new FakeClient({ objects: [svc('a')] });
  const ac = new AbortController();
  const it = iter(c.watch(resources.services, {}, ac.signal));
  const first = await it.next();
  assert.equal(first.done, false);
  await c.create(resources.services, svc('b'));
  await c.delete(resources.services, 'default', 'a');
  const rest = [await it.next(), await it.next()].map((r) => r.value as WatchEvent);
  assert.deepEqual(brief([first.value, ...rest]), ['ADDED a@1', 'ADDED b@2', 'DELETED a@3']);
  ac.abort();
  assert.equal((await it.next()).done, true, 'the stream ends on abort');
  assert.equal(c.openWatches(), 0);
});

test('FakeClient watch from a resourceVersion replays what came after it, filtered by namespace', async () => {
  const c = new FakeClient();
  await c.create(resources.services, svc('a'));
  const list = await c.list(resources.services);
  await c.create(resources.services, svc('b'));
  await c.create(resources.services, svc('x', {}, 'other'));
  const v = await c.get<Service>(resources.services, 'default', 'b');
  await c.update(resources.services, { ...v, metadata: { ...v.metadata, labels: { l: '1' } } });
  const ac = new AbortController();
  const evs = await take(
    c.watch(
      resources.services,
      { namespace: 'default', resourceVersion: list.metadata.resourceVersion ?? '' },
      ac.signal,
    ),
    2,
  );
  assert.deepEqual(brief(evs), ['ADDED b@2', 'MODIFIED b@4']);
});

test('FakeClient watch with a label selector turns selector transitions into ADDED and DELETED', async () => {
  const c = new FakeClient();
  const ac = new AbortController();
  const it = iter(
    c.watch(resources.services, { labelSelector: 'on=yes', resourceVersion: '0' }, ac.signal),
  );
  const pending = it.next();
  c.add(svc('a', { on: 'no' }));
  c.add(svc('a', { on: 'yes' }));
  c.add(svc('a', { on: 'yes', x: '1' }));
  c.add(svc('a', { on: 'no' }));
  const evs = [
    (await pending).value,
    (await it.next()).value,
    (await it.next()).value,
  ] as WatchEvent[];
  assert.deepEqual(brief(evs), ['ADDED a@2', 'MODIFIED a@3', 'DELETED a@4']);
  ac.abort();
});

test('FakeClient watch from a compacted resourceVersion yields a 410 Expired ERROR event and ends', async () => {
  const c = new FakeClient();
  for (const n of ['a', 'b', 'c']) await c.create(resources.services, svc(n));
  c.compact();
  const evs = await take(
    c.watch(resources.services, { resourceVersion: '1' }, new AbortController().signal),
    5,
  );
  assert.equal(evs.length, 1);
  assert.equal(evs[0]?.type, 'ERROR');
  const status = evs[0]?.object as unknown as Status;
  assert.equal(status.code, 410);
  assert.equal(status.reason, 'Expired');
  assert.equal(status.message, 'too old resource version: 1 (3)');
});

test('FakeClient bookmarks go only to watches that asked; closeWatches ends streams; timeoutSeconds uses the clock', async () => {
  const clock = new FakeClock();
  const c = new FakeClient({ clock });
  await c.create(resources.services, svc('a'));
  const ac = new AbortController();
  const withBm = iter(
    c.watch(resources.services, { resourceVersion: '1', allowWatchBookmarks: true }, ac.signal),
  );
  const without = iter(c.watch(resources.services, { resourceVersion: '1' }, ac.signal));
  const p1 = withBm.next();
  const p2 = without.next();
  await new Promise((r) => setImmediate(r));
  c.bookmark();
  const bm = (await p1).value as WatchEvent;
  assert.equal(bm.type, 'BOOKMARK');
  assert.equal(bm.object.metadata.resourceVersion, '1');
  c.closeWatches();
  assert.equal((await p2).done, true);
  assert.equal((await withBm.next()).done, true);

  const timed = iter(
    c.watch(resources.services, { resourceVersion: '1', timeoutSeconds: 30 }, ac.signal),
  );
  const p3 = timed.next();
  await clock.advance(29_000);
  assert.equal(c.openWatches(), 1);
  await clock.advance(1_000);
  assert.equal((await p3).done, true);
});

test('FakeClient delete: preconditions, finalizers hold the object until the last one is removed', async () => {
  const c = new FakeClient();
  const created = await c.create<KubeObject>(resources.configmaps, {
    metadata: { name: 'cm', namespace: 'default', finalizers: ['example.com/hold'] },
  });
  await assert.rejects(
    c.delete(resources.configmaps, 'default', 'cm', { preconditions: { uid: 'other' } }),
    (e) => isApiError(e, 'Conflict'),
  );
  const ac = new AbortController();
  const it = iter(
    c.watch(
      resources.configmaps,
      { resourceVersion: created.metadata.resourceVersion ?? '' },
      ac.signal,
    ),
  );
  const terminating = await c.delete(resources.configmaps, 'default', 'cm');
  assert.ok(terminating?.metadata.deletionTimestamp);
  const still = await c.get(resources.configmaps, 'default', 'cm');
  assert.deepEqual(still.metadata.finalizers, ['example.com/hold']);
  await c.patch(resources.configmaps, 'default', 'cm', 'merge', { metadata: { finalizers: null } });
  await assert.rejects(c.get(resources.configmaps, 'default', 'cm'), (e) =>
    isApiError(e, 'NotFound'),
  );
  const evs = [(await it.next()).value, (await it.next()).value] as WatchEvent[];
  assert.deepEqual(
    evs.map((e) => e.type),
    ['MODIFIED', 'DELETED'],
  );
  ac.abort();
  await assert.rejects(c.delete(resources.configmaps, 'default', 'cm'), (e) =>
    isApiError(e, 'NotFound'),
  );
});

test('FakeClient patch: merge, json, strategic and apply, status subresource, resourceVersion precondition', async () => {
  const c = new FakeClient();
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'default', labels: { a: '1', b: '2' } },
    spec: {
      containers: [
        { name: 'app', image: 'busybox' },
        { name: 'side', image: 'x' },
      ],
    },
  };
  await c.create(resources.pods, pod);
  let p = await c.patch<Pod>(resources.pods, 'default', 'p', 'merge', {
    metadata: { labels: { b: null, c: '3' } },
  });
  assert.deepEqual(p.metadata.labels, { a: '1', c: '3' });
  p = await c.patch<Pod>(resources.pods, 'default', 'p', 'json', [
    { op: 'test', path: '/metadata/labels/a', value: '1' },
    { op: 'replace', path: '/metadata/labels/a', value: 'one' },
  ]);
  assert.equal(p.metadata.labels?.['a'], 'one');
  await assert.rejects(
    c.patch(resources.pods, 'default', 'p', 'json', [
      { op: 'test', path: '/metadata/labels/a', value: 'x' },
    ]),
    (e) => isApiError(e, 'Invalid'),
  );
  p = await c.patch<Pod>(resources.pods, 'default', 'p', 'strategic', {
    spec: { containers: [{ name: 'app', image: 'kubia' }] },
  });
  assert.deepEqual(
    p.spec?.containers.map((x) => `${x.name}=${x.image ?? ''}`),
    ['app=kubia', 'side=x'],
  );
  p = await c.patch<Pod>(
    resources.pods,
    'default',
    'p',
    'merge',
    { status: { phase: 'Running' } },
    { subresource: 'status' },
  );
  assert.equal(p.status?.phase, 'Running');
  p = await c.patch<Pod>(resources.pods, 'default', 'p', 'merge', { status: { phase: 'Failed' } });
  assert.equal(p.status?.phase, 'Running', 'status is not patched through the main resource');
  await assert.rejects(
    c.patch(resources.pods, 'default', 'p', 'merge', { metadata: { resourceVersion: '1' } }),
    (e) => isApiError(e, 'Conflict'),
  );
  const applied = await c.patch<Service>(
    resources.services,
    'default',
    'new',
    'apply',
    svc('new'),
    { fieldManager: 't' },
  );
  assert.equal(applied.metadata.name, 'new');
  const reapplied = await c.patch<Service>(resources.services, 'default', 'new', 'apply', {
    metadata: { labels: { x: 'y' } },
  });
  assert.deepEqual(reapplied.metadata.labels, { x: 'y' });
});

test('FakeClient records actions with summaries; writeActions drops reads', async () => {
  const c = new FakeClient({ objects: [svc('a')] });
  await c.list(resources.services, { namespace: 'default' });
  await c.create(resources.endpoints, { metadata: { name: 'a', namespace: 'default' } });
  await c.patch(
    resources.services,
    'default',
    'a',
    'merge',
    { metadata: { labels: { x: 'y' } } },
    { subresource: 'status' },
  );
  await c.delete(resources.services, 'default', 'a', { propagationPolicy: 'Background' });
  assert.deepEqual(
    c.actions.map((a) => a.summary),
    [
      'list services default',
      'create endpoints default/a',
      'patch services/status default/a',
      'delete services default/a',
    ],
  );
  const writes = c.writeActions();
  assert.equal(writes.length, 3);
  assert.equal(writes[1]?.patchType, 'merge');
  assert.deepEqual(writes[1]?.patch, { metadata: { labels: { x: 'y' } } });
  assert.equal(writes[2]?.deleteOptions?.propagationPolicy, 'Background');
  assert.equal(writes[0]?.object?.metadata.name, 'a');
  c.clearActions();
  assert.equal(c.actions.length, 0);
});

test('FakeClient reactors inject errors and canned answers; failNext fails once', async () => {
  const c = new FakeClient({ objects: [svc('a')] });
  c.failNext('update', 'services', conflict({ group: '', resource: 'services' }, 'a', 'injected'));
  const a = await c.get<Service>(resources.services, 'default', 'a');
  await assert.rejects(c.update(resources.services, a), (e) => isApiError(e, 'Conflict'));
  await c.update(resources.services, a);
  c.prependReactor('get', 'services', (action) =>
    action.name === 'ghost' ? svc('ghost') : undefined,
  );
  assert.equal((await c.get(resources.services, 'default', 'ghost')).metadata.name, 'ghost');
  await assert.rejects(c.get(resources.services, 'default', 'other'), (e) =>
    isApiError(e, 'NotFound'),
  );
  await assert.rejects(c.request({ method: 'GET', path: '/healthz' }), (e) =>
    isApiError(e, 'NotFound'),
  );
  c.prependReactor('request', '/healthz', () => ({
    status: 200,
    headers: {},
    body: Buffer.from('ok'),
  }));
  assert.equal((await c.request({ method: 'GET', path: '/healthz' })).body.toString(), 'ok');
});

test('FakeClient seeds cluster-scoped objects without a namespace', async () => {
  const c = new FakeClient({
    objects: [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', namespace: 'x' } }],
  });
  const n = await c.get(resources.nodes, undefined, 'n1');
  assert.equal(n.metadata.namespace, undefined);
  assert.throws(
    () => c.add({ apiVersion: 'v9', kind: 'Nope', metadata: { name: 'x' } }),
    /no resource/,
  );
});

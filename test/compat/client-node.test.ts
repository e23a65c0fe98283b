// @kubernetes/client-node 1.4, a client we did not write, judges our API server: its typed API
// (create, list with selectors, patch, delete, errors), its Watch, and its informer, which must
// follow server-side watch closes and, restarted after a connection failure as its docs advise,
// relist on 410 and report what was deleted meanwhile.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's model
   types are classes, yet its API takes plain objects, as its own examples write them. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  Watch,
  makeInformer,
  setHeaderOptions,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../../src/testing/apiserver.js';
import { waitFor } from '../../src/testing/wait.js';
import { startCuttableProxy } from '../helpers/tcpproxy.js';

let api: TestApiServer;
let kc: KubeConfig;
let core: CoreV1Api;
let n = 0;

before(async () => {
  // Watches are closed by the server after 1–2 s, so the informer's re-watch is exercised.
  api = await startTestApiServer(undefined, { server: { minWatchTimeoutSeconds: 1 } });
  kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
});
after(async () => {
  await api.stop();
});

async function namespace(): Promise<string> {
  const name = `cn-${++n}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

const cm = (name: string, labels: Record<string, string> = {}): V1ConfigMap => ({
  metadata: { name, labels },
  data: { k: name },
});

/** A KubeConfig like `base` whose cluster server is `server`. */
function pointedAt(base: KubeConfig, server: string): KubeConfig {
  const cluster = base.getCurrentCluster();
  assert.ok(cluster);
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: [{ ...cluster, server }],
    users: base.users,
    contexts: base.contexts,
    currentContext: base.currentContext,
  });
  return out;
}

describe('client-node CoreV1Api', () => {
  test('creates, lists with a label selector, patches and deletes ConfigMaps', async () => {
    const ns = await namespace();
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('a', { app: 'web' }) });
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('b', { app: 'db' }) });
    const web = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'app=web' });
    assert.deepEqual(
      web.items.map((c) => c.metadata?.name),
      ['a'],
    );
    assert.ok(web.metadata?.resourceVersion);
    const patched = await core.patchNamespacedConfigMap(
      { name: 'a', namespace: ns, body: { data: { extra: 'yes' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.deepEqual(patched.data, { k: 'a', extra: 'yes' });
    await core.deleteNamespacedConfigMap({ name: 'b', namespace: ns });
    const all = await core.listNamespacedConfigMap({ namespace: ns });
    assert.deepEqual(
      all.items.map((c) => c.metadata?.name),
      ['a'],
    );
  });

  test('gets the Status of a 404 and a 409 as ApiException', async () => {
    const ns = await namespace();
    await assert.rejects(core.readNamespacedConfigMap({ name: 'nope', namespace: ns }), (e) => {
      assert.ok(e instanceof ApiException);
      assert.equal(e.code, 404);
      assert.match(String(e.body), /configmaps \\?"nope\\?" not found/);
      return true;
    });
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('dup') });
    await assert.rejects(
      core.createNamespacedConfigMap({ namespace: ns, body: cm('dup') }),
      (e) => {
        assert.ok(e instanceof ApiException);
        assert.equal(e.code, 409);
        assert.match(String(e.body), /AlreadyExists/);
        return true;
      },
    );
  });
});

describe('client-node Watch', () => {
  test('streams ADDED, MODIFIED and DELETED after a list resourceVersion, then closes on abort', async () => {
    const ns = await namespace();
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    const seen: string[] = [];
    let doneErr: unknown = 'not called';
    const controller = await new Watch(kc).watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { resourceVersion: list.metadata?.resourceVersion },
      (type: string, obj: V1ConfigMap) => seen.push(`${type} ${obj.metadata?.name ?? ''}`),
      (err: unknown) => (doneErr = err),
    );
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('w') });
    await core.patchNamespacedConfigMap(
      { name: 'w', namespace: ns, body: { data: { v: '2' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ name: 'w', namespace: ns });
    await waitFor(() => seen.length >= 3, { what: 'three watch events' });
    assert.deepEqual(seen.slice(0, 3), ['ADDED w', 'MODIFIED w', 'DELETED w']);
    controller.abort();
    await waitFor(() => doneErr !== 'not called', { what: 'the done callback' });
  });
});

describe('client-node informer', () => {
  test('lists, follows changes, and keeps following across server-side watch closes', async (t) => {
    const ns = await namespace();
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('first') });
    const informer = makeInformer(kc, `/api/v1/namespaces/${ns}/configmaps`, () =>
      core.listNamespacedConfigMap({ namespace: ns }),
    );
    const seen: string[] = [];
    const errors: unknown[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name ?? ''}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name ?? ''}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name ?? ''}`));
    informer.on('error', (e) => errors.push(e));
    let connects = 0;
    informer.on('connect', () => connects++);
    await informer.start();
    t.after(() => informer.stop());
    await waitFor(() => seen.includes('add first'), { what: 'the initial list' });
    // Outlive two server-side closes (minWatchTimeoutSeconds 1 → closes within 1–2 s).
    await waitFor(() => connects >= 3, { what: 'two re-watches', timeoutMs: 10_000 });
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('second') });
    await core.patchNamespacedConfigMap(
      { name: 'first', namespace: ns, body: { data: { v: '2' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ name: 'second', namespace: ns });
    await waitFor(() => seen.includes('delete second'), { what: 'the delete' });
    assert.deepEqual(seen, ['add first', 'add second', 'update first', 'delete second']);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      informer.list(ns).map((c) => c.metadata?.name),
      ['first'],
    );
  });

  test('restarted after a connection failure, it relists on 410 and reports the deletion it missed', async (t) => {
    const small = await startTestApiServer(t, { server: { watchCacheSize: 10 } });
    const direct = new KubeConfig();
    direct.loadFromFile(small.kubeconfig);
    const directApi = direct.makeApiClient(CoreV1Api);
    const proxy = await startCuttableProxy(t, small.port);
    const viaProxy = pointedAt(direct, proxy.url);
    const proxiedApi = viaProxy.makeApiClient(CoreV1Api);
    for (const name of ['keep', 'gone'])
      await directApi.createNamespacedConfigMap({ namespace: 'default', body: cm(name) });
    const informer = makeInformer(viaProxy, '/api/v1/namespaces/default/configmaps', () =>
      proxiedApi.listNamespacedConfigMap({ namespace: 'default' }),
    );
    const seen: string[] = [];
    let errors = 0;
    let stopped = false;
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name ?? ''}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name ?? ''}`));
    // client-node's informer stops on an error; its documentation restarts it after a pause.
    informer.on('error', () => {
      errors++;
      setTimeout(() => {
        if (!stopped) void informer.start();
      }, 100);
    });
    await informer.start();
    t.after(async () => {
      stopped = true;
      await informer.stop();
    });
    await waitFor(() => seen.length === 2, { what: 'the initial list' });

    proxy.refuse(true);
    proxy.cut();
    await directApi.deleteNamespacedConfigMap({ name: 'gone', namespace: 'default' });
    for (let i = 0; i < 15; i++)
      await directApi.createNamespacedConfigMap({ namespace: 'default', body: cm(`churn-${i}`) });
    await waitFor(() => errors > 0, { what: 'the informer to notice the failure' });
    proxy.refuse(false);
    await waitFor(() => seen.includes('delete gone') && seen.includes('add churn-14'), {
      what: 'the relist after 410',
      timeoutMs: 15_000,
    });
    assert.equal(seen.filter((s) => s === 'add keep').length, 1);
    assert.equal(informer.get('gone', 'default'), undefined);
  });
});

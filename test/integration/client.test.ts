// src/client against the real API server over HTTPS (admin kubeconfig, client certificates):
// every verb and patch type, the Status errors, paging, and informers that survive dropped
// connections and a history that moved on (410 → relist) through a TCP proxy the test cuts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApiServer, type TestApiServer } from '../../src/testing/apiserver.js';
import { waitFor } from '../../src/testing/wait.js';
import { startCuttableProxy } from '../helpers/tcpproxy.js';
import { loadRestConfig, type RestConfig } from '../../src/client/kubeconfig.js';
import { HttpClient } from '../../src/client/http.js';
import { SharedInformer } from '../../src/client/informer.js';
import { InformerFactory } from '../../src/client/factory.js';
import { ApiEventRecorder } from '../../src/client/events.js';
import { isApiError } from '../../src/client/errors.js';
import { createController, type Reconciler } from '../../src/controllers/runner.js';
import { objectKey, splitKey } from '../../src/client/keys.js';
import type { WorkQueue } from '../../src/client/types.js';
import { resources } from '../../src/api/scheme.js';
import type { ConfigMap, Event, Namespace, Pod, Service } from '../../src/api/types/core.js';
import type { Deployment } from '../../src/api/types/apps.js';
import { createLogger } from '../../src/lib/log/logger.js';

let api: TestApiServer;
let config: RestConfig;
let client: HttpClient;
let n = 0;

before(async () => {
  api = await startTestApiServer(undefined);
  config = loadRestConfig({ kubeconfig: api.kubeconfig, env: {} });
  client = new HttpClient({ config, userAgent: 'portico-client-test' });
});
after(async () => {
  client.close();
  await api.stop();
});

async function namespace(): Promise<string> {
  const name = `client-${++n}`;
  await client.create<Namespace>(resources.namespaces, { metadata: { name } });
  return name;
}

const cm = (ns: string, name: string, labels: Record<string, string> = {}): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, labels },
  data: { k: name },
});

describe('HttpClient against the API server', () => {
  test('the admin kubeconfig loads with its CA and client certificate', () => {
    assert.equal(config.server, api.url);
    assert.ok(config.caData && config.certData && config.keyData);
  });

  test('create, get, update with a stale resourceVersion (Conflict), updateStatus, delete', async () => {
    const ns = await namespace();
    const created = await client.create<Service>(resources.services, {
      metadata: { name: 'web', namespace: ns },
      spec: {
        type: 'LoadBalancer',
        selector: { app: 'web' },
        ports: [{ port: 80, targetPort: 8080 }],
      },
    });
    assert.match(created.spec?.clusterIP ?? '', /^10\.\d+\.\d+\.\d+$/);
    const got = await client.get<Service>(resources.services, ns, 'web');
    assert.equal(got.metadata.uid, created.metadata.uid);
    const updated = await client.update<Service>(resources.services, {
      ...got,
      metadata: { ...got.metadata, labels: { tier: 'front' } },
    });
    assert.notEqual(updated.metadata.resourceVersion, got.metadata.resourceVersion);
    await assert.rejects(client.update(resources.services, got), (e) => {
      assert.ok(isApiError(e, 'Conflict'));
      assert.match(e.message, /the object has been modified/);
      return true;
    });
    const withStatus = await client.updateStatus<Service>(resources.services, {
      ...updated,
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } },
    });
    assert.equal(withStatus.status?.loadBalancer?.ingress?.[0]?.ip, '192.0.2.10');
    await client.delete(resources.services, ns, 'web');
    await assert.rejects(client.get(resources.services, ns, 'web'), (e) =>
      isApiError(e, 'NotFound'),
    );
    await assert.rejects(client.delete(resources.services, ns, 'web'), (e) =>
      isApiError(e, 'NotFound'),
    );
  });

  test('the four patch types, on the object and on its status subresource', async () => {
    const ns = await namespace();
    await client.create(resources.configmaps, cm(ns, 'p'));
    let p = await client.patch<ConfigMap>(resources.configmaps, ns, 'p', 'merge', {
      data: { a: '1' },
    });
    assert.deepEqual(p.data, { k: 'p', a: '1' });
    p = await client.patch<ConfigMap>(resources.configmaps, ns, 'p', 'json', [
      { op: 'remove', path: '/data/k' },
    ]);
    assert.deepEqual(p.data, { a: '1' });
    p = await client.patch<ConfigMap>(resources.configmaps, ns, 'p', 'strategic', {
      metadata: { labels: { s: 'y' } },
    });
    assert.deepEqual(p.metadata.labels, { s: 'y' });
    p = await client.patch<ConfigMap>(
      resources.configmaps,
      ns,
      'p',
      'apply',
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'p', namespace: ns },
        data: { b: '2' },
      },
      { fieldManager: 'client-test', force: true },
    );
    assert.equal(p.data?.['b'], '2');
    assert.ok(p.metadata.managedFields?.some((f) => f.manager === 'client-test'));

    await client.create<Pod>(resources.pods, {
      metadata: { name: 'pod', namespace: ns },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    const pod = await client.patch<Pod>(
      resources.pods,
      ns,
      'pod',
      'merge',
      { status: { phase: 'Running', podIP: '10.244.0.9' } },
      { subresource: 'status' },
    );
    assert.equal(pod.status?.podIP, '10.244.0.9');
  });

  test('Invalid and AlreadyExists come back as ApiError with the server Status', async () => {
    const ns = await namespace();
    await assert.rejects(
      client.create<Deployment>(resources.deployments, {
        metadata: { name: 'bad', namespace: ns },
        spec: {
          selector: { matchLabels: { a: 'b' } },
          template: { metadata: { labels: { a: 'c' } }, spec: { containers: [] } },
        },
      }),
      (e) => {
        assert.ok(isApiError(e, 'Invalid'));
        assert.equal(e.httpStatus, 422);
        assert.ok((e.status.details?.causes ?? []).length > 0, 'causes name the fields');
        return true;
      },
    );
    await client.create(resources.configmaps, cm(ns, 'dup'));
    await assert.rejects(client.create(resources.configmaps, cm(ns, 'dup')), (e) =>
      isApiError(e, 'AlreadyExists'),
    );
  });

  test('list pages with limit and continue, and honours label and field selectors', async () => {
    const ns = await namespace();
    for (let i = 0; i < 7; i++)
      await client.create(
        resources.configmaps,
        cm(ns, `cm-${i}`, { parity: i % 2 ? 'odd' : 'even' }),
      );
    const names: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const page = await client.list<ConfigMap>(resources.configmaps, {
        namespace: ns,
        limit: 3,
        ...(cont ? { continue: cont } : {}),
      });
      pages++;
      names.push(...page.items.map((c) => c.metadata.name ?? ''));
      cont = page.metadata.continue || undefined;
    } while (cont);
    assert.equal(pages, 3);
    assert.deepEqual(names, ['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6']);
    const odd = await client.list(resources.configmaps, {
      namespace: ns,
      labelSelector: 'parity=odd',
    });
    assert.deepEqual(
      odd.items.map((c) => c.metadata.name),
      ['cm-1', 'cm-3', 'cm-5'],
    );
    const one = await client.list(resources.configmaps, {
      namespace: ns,
      fieldSelector: 'metadata.name=cm-4',
    });
    assert.deepEqual(
      one.items.map((c) => c.metadata.name),
      ['cm-4'],
    );
  });

  test('watch streams the changes after a list', async () => {
    const ns = await namespace();
    const list = await client.list(resources.configmaps, { namespace: ns });
    const ac = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const ev of client.watch(
        resources.configmaps,
        { namespace: ns, resourceVersion: list.metadata.resourceVersion ?? '' },
        ac.signal,
      )) {
        seen.push(`${ev.type} ${ev.object.metadata.name ?? ''}`);
        if (seen.length === 3) ac.abort();
      }
    })();
    await client.create(resources.configmaps, cm(ns, 'w'));
    await client.patch(resources.configmaps, ns, 'w', 'merge', { data: { x: 'y' } });
    await client.delete(resources.configmaps, ns, 'w');
    await done;
    assert.deepEqual(seen, ['ADDED w', 'MODIFIED w', 'DELETED w']);
  });

  test('events are written, and a repeat patches count on the same Event', async () => {
    const ns = await namespace();
    const obj = await client.create(resources.configmaps, cm(ns, 'ev'));
    const rec = new ApiEventRecorder({ client, component: 'client-test' });
    rec.event(obj, 'Warning', 'Broken', 'it broke');
    rec.event(obj, 'Warning', 'Broken', 'it broke');
    rec.event(obj, 'Normal', 'Fixed', 'all good');
    await rec.flush();
    const evs = await client.list<Event>(resources.events, {
      namespace: ns,
      fieldSelector: `involvedObject.name=ev,involvedObject.namespace=${ns}`,
    });
    const summary = evs.items
      .map((e) => `${e.type ?? ''} ${e.reason ?? ''} x${e.count ?? 0} ${e.source?.component ?? ''}`)
      .sort();
    assert.deepEqual(summary, ['Normal Fixed x1 client-test', 'Warning Broken x2 client-test']);
    const r = await api.kubectl(['get', 'events', '-n', ns]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Warning\s+Broken\s+configmap\/ev\s+it broke/);
  });
});

describe('informers against the API server', () => {
  test('sync, then add/update/delete in order, with the lister following', async (t) => {
    const ns = await namespace();
    await client.create(resources.configmaps, cm(ns, 'a'));
    const inf = new SharedInformer<ConfigMap>({
      client,
      resource: resources.configmaps,
      namespace: ns,
    });
    const seen: string[] = [];
    inf.addHandlers({
      onAdd: (o) => seen.push(`add ${o.metadata.name ?? ''}`),
      onUpdate: (_a, b) => seen.push(`update ${b.metadata.name ?? ''}`),
      onDelete: (o) => seen.push(`delete ${o.metadata.name ?? ''}`),
    });
    const ac = new AbortController();
    const run = inf.run(ac.signal);
    t.after(async () => {
      ac.abort();
      await run;
    });
    assert.equal(await inf.waitForSync(AbortSignal.timeout(10_000)), true);
    await client.create(resources.configmaps, cm(ns, 'b'));
    await client.patch(resources.configmaps, ns, 'a', 'merge', { data: { v: '2' } });
    await client.delete(resources.configmaps, ns, 'b');
    await waitFor(() => seen.length === 4, { what: 'four handler calls' });
    assert.deepEqual(seen, ['add a', 'add b', 'update a', 'delete b']);
    assert.deepEqual(
      inf.lister.list(ns).map((c) => c.data?.['v']),
      ['2'],
    );
  });

  test('a dropped connection is rewatched from the last resourceVersion; a lost history is relisted', async (t) => {
    const small = await startTestApiServer(t, { server: { watchCacheSize: 10 } });
    const proxy = await startCuttableProxy(t, small.port);
    const direct = new HttpClient({
      config: loadRestConfig({ kubeconfig: small.kubeconfig, env: {} }),
    });
    const viaProxy = new HttpClient({
      config: { ...loadRestConfig({ kubeconfig: small.kubeconfig, env: {} }), server: proxy.url },
    });
    t.after(() => {
      direct.close();
      viaProxy.close();
    });
    const ns = 'default';
    for (const name of ['keep', 'gone']) await direct.create(resources.configmaps, cm(ns, name));
    const logs: string[] = [];
    const inf = new SharedInformer<ConfigMap>({
      client: viaProxy,
      resource: resources.configmaps,
      namespace: ns,
      backoff: { baseMs: 50, capMs: 200 },
      logger: createLogger({ write: (l) => logs.push(l), verbosity: 2 }),
    });
    const seen: string[] = [];
    inf.addHandlers({
      onAdd: (o) => seen.push(`add ${o.metadata.name ?? ''}`),
      onUpdate: (_a, b) => seen.push(`update ${b.metadata.name ?? ''}`),
      onDelete: (o) => seen.push(`delete ${o.metadata.name ?? ''}`),
    });
    const ac = new AbortController();
    const run = inf.run(ac.signal);
    t.after(async () => {
      ac.abort();
      await run;
    });
    await inf.waitForSync(AbortSignal.timeout(10_000));

    // 1. A short outage: the watch resumes where it was and nothing is relisted.
    proxy.refuse(true);
    proxy.cut();
    await direct.create(resources.configmaps, cm(ns, 'during'));
    proxy.refuse(false);
    await waitFor(() => seen.includes('add during'), { what: 'the change made during the outage' });
    assert.ok(logs.some((l) => l.includes('Watch failed, reconnecting')));
    assert.ok(!logs.some((l) => l.includes('relisting')));

    // 2. A long outage: more changes than the server's watch history holds → 410 → relist, and
    //    the deletion made meanwhile reaches onDelete.
    proxy.refuse(true);
    proxy.cut();
    await direct.delete(resources.configmaps, ns, 'gone');
    for (let i = 0; i < 15; i++) await direct.create(resources.configmaps, cm(ns, `churn-${i}`));
    proxy.refuse(false);
    await waitFor(() => seen.includes('delete gone') && seen.includes('add churn-14'), {
      what: 'the relist after 410',
      timeoutMs: 15_000,
    });
    assert.ok(logs.some((l) => l.includes('Watch expired, relisting')));
    assert.equal(inf.lister.get(ns, 'gone'), undefined);
    assert.ok(inf.lister.get(ns, 'keep'));
    assert.equal(seen.filter((s) => s === 'add keep').length, 1, 'keep was not re-added');
  });

  test('a Reconciler run by the shared runner over a shared informer converges', async (t) => {
    const ns = await namespace();
    const factory = new InformerFactory({ client });
    const informer = factory.informerFor<ConfigMap>(resources.configmaps, { namespace: ns });
    // Copies data.k into the label `copied`, the smallest level-triggered controller.
    const reconciler: Reconciler = {
      name: 'copy-label',
      informers: [informer],
      register(queue: WorkQueue) {
        informer.addHandlers({
          onAdd: (o) => queue.add(objectKey(o)),
          onUpdate: (_o, o) => queue.add(objectKey(o)),
        });
      },
      async sync(key) {
        const { namespace: kns, name } = splitKey(key);
        const obj = informer.lister.get(kns, name);
        if (!obj || obj.metadata.labels?.['copied'] === obj.data?.['k']) return;
        await client.patch(resources.configmaps, kns, name, 'merge', {
          metadata: { labels: { copied: obj.data?.['k'] ?? '' } },
        });
      },
    };
    const ac = new AbortController();
    factory.start(ac.signal);
    const run = createController({ reconciler }).run(ac.signal, 2);
    t.after(async () => {
      ac.abort();
      await run;
      await factory.stopped();
    });
    await client.create(resources.configmaps, cm(ns, 'x'));
    await client.create(resources.configmaps, cm(ns, 'y'));
    await waitFor(
      async () =>
        (
          await client.list<ConfigMap>(resources.configmaps, {
            namespace: ns,
            labelSelector: 'copied',
          })
        ).items.length === 2,
      { what: 'both ConfigMaps labelled' },
    );
  });
});

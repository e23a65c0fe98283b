// Lists and watches over real HTTPS: selectors, pagination, resourceVersion semantics, Table
// output, watch framing, enter/leave filtering, 410 on a too-old resourceVersion, bookmarks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiRequest,
  apiWatch,
  startTestApiServer,
  type TestApiServer,
  type WatchEventJson,
} from '../../src/testing/apiserver.js';

let api: TestApiServer;
let n = 0;
const tableAccept =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

before(async () => {
  api = await startTestApiServer(undefined, {
    server: { watchCacheSize: 20, bookmarkIntervalMs: 200 },
  });
});
after(async () => {
  await api.stop();
});

async function namespace(): Promise<string> {
  const name = `lw-${++n}`;
  const r = await apiRequest(api, {
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
  });
  assert.equal(r.status, 201, r.text);
  return name;
}

async function createCM(
  ns: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<string> {
  const r = await apiRequest(api, {
    method: 'POST',
    path: `/api/v1/namespaces/${ns}/configmaps`,
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { k: name } },
  });
  assert.equal(r.status, 201, r.text);
  return (r.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
}

interface List {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: { metadata: { name: string } }[];
}

async function list(path: string): Promise<List> {
  const r = await apiRequest(api, { path });
  assert.equal(r.status, 200, r.text);
  return r.json as List;
}

/** Collects events until `done` says so (or the timeout aborts the watch). */
async function collect(
  path: string,
  done: (events: WatchEventJson[]) => boolean,
  action?: () => Promise<void>,
  headers?: Record<string, string>,
): Promise<WatchEventJson[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 5000);
  const events: WatchEventJson[] = [];
  const it = apiWatch(api, path, ac.signal, headers);
  const first = it.next();
  if (action) await action();
  try {
    let r = await first;
    while (!r.done) {
      events.push(r.value);
      if (done(events)) break;
      r = await it.next();
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return events;
}

const names = (events: WatchEventJson[]): string[] =>
  events.map((e) => `${e.type} ${e.object.metadata?.['name'] as string}`);

describe('list', () => {
  test('a list has kind, apiVersion, resourceVersion and items with their kind', async () => {
    const ns = await namespace();
    await createCM(ns, 'a');
    const l = await list(`/api/v1/namespaces/${ns}/configmaps`);
    assert.equal(l.kind, 'ConfigMapList');
    assert.equal(l.apiVersion, 'v1');
    assert.match(l.metadata.resourceVersion, /^\d+$/);
    assert.deepEqual(
      l.items.map((i) => i.metadata.name),
      ['a'],
    );
    assert.equal((l.items[0] as unknown as { kind: string }).kind, 'ConfigMap');
  });

  test('label and field selectors', async () => {
    const ns = await namespace();
    await createCM(ns, 'a', { app: 'web', tier: 'front' });
    await createCM(ns, 'b', { app: 'web' });
    await createCM(ns, 'c', { app: 'db' });
    const q = async (s: string): Promise<string[]> =>
      (await list(`/api/v1/namespaces/${ns}/configmaps?${s}`)).items.map((i) => i.metadata.name);
    assert.deepEqual(await q('labelSelector=app%3Dweb'), ['a', 'b']);
    assert.deepEqual(await q('labelSelector=app%3Dweb%2Ctier!%3Dfront'), ['b']);
    assert.deepEqual(await q('labelSelector=app+in+(db%2Cx)'), ['c']);
    assert.deepEqual(await q('fieldSelector=metadata.name%3Db'), ['b']);
    assert.deepEqual(await q('fieldSelector=metadata.namespace!%3D' + ns), []);
    const bad = await apiRequest(api, {
      path: `/api/v1/namespaces/${ns}/configmaps?labelSelector=a%3D%3D%3D`,
    });
    assert.equal(bad.status, 400);
  });

  test('a cluster-wide list covers every namespace', async () => {
    const ns1 = await namespace();
    const ns2 = await namespace();
    await createCM(ns1, 'x', { wide: ns1 });
    await createCM(ns2, 'x', { wide: ns1 });
    const l = await list(`/api/v1/configmaps?labelSelector=wide%3D${ns1}`);
    assert.equal(l.items.length, 2);
  });

  test('limit and continue page through in order, at one resourceVersion', async () => {
    const ns = await namespace();
    for (const x of ['a', 'b', 'c', 'd', 'e']) await createCM(ns, x);
    const p1 = await list(`/api/v1/namespaces/${ns}/configmaps?limit=2`);
    assert.deepEqual(
      p1.items.map((i) => i.metadata.name),
      ['a', 'b'],
    );
    assert.equal(p1.metadata.remainingItemCount, 3);
    assert.ok(p1.metadata.continue);
    // A change after the first page does not show in later pages (consistent snapshot).
    await createCM(ns, 'f');
    const p2 = await list(
      `/api/v1/namespaces/${ns}/configmaps?limit=2&continue=${p1.metadata.continue}`,
    );
    assert.deepEqual(
      p2.items.map((i) => i.metadata.name),
      ['c', 'd'],
    );
    assert.equal(p2.metadata.resourceVersion, p1.metadata.resourceVersion);
    const p3 = await list(
      `/api/v1/namespaces/${ns}/configmaps?limit=2&continue=${p2.metadata.continue ?? ''}`,
    );
    assert.deepEqual(
      p3.items.map((i) => i.metadata.name),
      ['e'],
    );
    assert.equal(p3.metadata.continue, undefined);
  });

  test('resourceVersionMatch=Exact reads the past; a bad continue token is 400', async () => {
    const ns = await namespace();
    const rv = await createCM(ns, 'a');
    await createCM(ns, 'b');
    const past = await list(
      `/api/v1/namespaces/${ns}/configmaps?resourceVersion=${rv}&resourceVersionMatch=Exact`,
    );
    assert.deepEqual(
      past.items.map((i) => i.metadata.name),
      ['a'],
    );
    assert.equal(past.metadata.resourceVersion, rv);
    const bad = await apiRequest(api, {
      path: `/api/v1/namespaces/${ns}/configmaps?continue=garbage`,
    });
    assert.equal(bad.status, 400);
    const noRV = await apiRequest(api, {
      path: `/api/v1/namespaces/${ns}/configmaps?resourceVersionMatch=Exact`,
    });
    assert.equal(noRV.status, 400);
  });

  test('the Table Accept header answers a Table with PartialObjectMetadata rows', async () => {
    const ns = await namespace();
    await createCM(ns, 'a', { app: 'x' });
    const r = await apiRequest(api, {
      path: `/api/v1/namespaces/${ns}/configmaps`,
      headers: { accept: tableAccept },
    });
    const t = r.json as {
      kind: string;
      columnDefinitions: { name: string }[];
      rows: {
        cells: unknown[];
        object: { kind: string; metadata: { labels: unknown; namespace: string } };
      }[];
    };
    assert.equal(t.kind, 'Table');
    assert.equal(t.columnDefinitions[0]?.name, 'Name');
    assert.equal(t.rows[0]?.cells[0], 'a');
    assert.equal(t.rows[0]?.object.kind, 'PartialObjectMetadata');
    assert.deepEqual(t.rows[0]?.object.metadata.labels, { app: 'x' });
    assert.equal(t.rows[0]?.object.metadata.namespace, ns);
    const one = await apiRequest(api, {
      path: `/api/v1/namespaces/${ns}/configmaps/a`,
      headers: { accept: tableAccept },
    });
    assert.equal((one.json as { rows: unknown[] }).rows.length, 1);
  });
});

describe('watch', () => {
  test('from a list resourceVersion: the changes after it, newline-delimited', async () => {
    const ns = await namespace();
    await createCM(ns, 'before');
    const l = await list(`/api/v1/namespaces/${ns}/configmaps`);
    const events = await collect(
      `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${l.metadata.resourceVersion}`,
      (ev) => ev.length >= 3,
      async () => {
        await createCM(ns, 'x');
        await apiRequest(api, {
          method: 'PATCH',
          path: `/api/v1/namespaces/${ns}/configmaps/x`,
          body: { data: { k: 'changed' } },
          headers: { 'content-type': 'application/merge-patch+json' },
        });
        await apiRequest(api, { method: 'DELETE', path: `/api/v1/namespaces/${ns}/configmaps/x` });
      },
    );
    assert.deepEqual(names(events), ['ADDED x', 'MODIFIED x', 'DELETED x']);
    assert.equal(events[0]?.object['kind'], 'ConfigMap');
  });

  test('without resourceVersion, or "0": the current objects as ADDED first', async () => {
    const ns = await namespace();
    await createCM(ns, 'a');
    await createCM(ns, 'b');
    for (const rv of ['', '&resourceVersion=0']) {
      const events = await collect(
        `/api/v1/namespaces/${ns}/configmaps?watch=1${rv}`,
        (ev) => ev.length >= 2,
      );
      assert.deepEqual(names(events).sort(), ['ADDED a', 'ADDED b']);
    }
  });

  test('a label-selected watch sees objects enter (ADDED) and leave (DELETED)', async () => {
    const ns = await namespace();
    const rv = await createCM(ns, 'a', { app: 'db' });
    const patch = async (app: string): Promise<void> => {
      const r = await apiRequest(api, {
        method: 'PATCH',
        path: `/api/v1/namespaces/${ns}/configmaps/a`,
        body: { metadata: { labels: { app } } },
        headers: { 'content-type': 'application/merge-patch+json' },
      });
      assert.equal(r.status, 200);
    };
    const events = await collect(
      `/api/v1/namespaces/${ns}/configmaps?watch=true&labelSelector=app%3Dweb&resourceVersion=${rv}`,
      (ev) => ev.length >= 2,
      async () => {
        await patch('web');
        await patch('db');
      },
    );
    assert.deepEqual(names(events), ['ADDED a', 'DELETED a']);
  });

  test('a watch of one name (delete --wait) sees only that object', async () => {
    const ns = await namespace();
    const rv = await createCM(ns, 'other');
    await createCM(ns, 'mine');
    const events = await collect(
      `/api/v1/namespaces/${ns}/configmaps?watch=true&fieldSelector=metadata.name%3Dmine&resourceVersion=${rv}`,
      (ev) => ev.some((e) => e.type === 'DELETED'),
      async () => {
        await apiRequest(api, {
          method: 'DELETE',
          path: `/api/v1/namespaces/${ns}/configmaps/other`,
        });
        await apiRequest(api, {
          method: 'DELETE',
          path: `/api/v1/namespaces/${ns}/configmaps/mine`,
        });
      },
    );
    assert.deepEqual(names(events), ['ADDED mine', 'DELETED mine']);
  });

  test('a resourceVersion older than the history is one ERROR 410 Expired event', async () => {
    const ns = await namespace();
    const old = await createCM(ns, 'first');
    for (let i = 0; i < 30; i++) await createCM(ns, `fill-${i}`);
    const events = await collect(
      `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${old}`,
      () => false,
    );
    assert.equal(events.length, 1);
    assert.equal(events[0]?.type, 'ERROR');
    assert.equal(events[0]?.object['code'], 410);
    assert.equal(events[0]?.object['reason'], 'Expired');
  });

  test('allowWatchBookmarks brings BOOKMARK events with the current resourceVersion', async () => {
    const ns = await namespace();
    const rv = await createCM(ns, 'a');
    const events = await collect(
      `/api/v1/namespaces/${ns}/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}`,
      (ev) => ev.some((e) => e.type === 'BOOKMARK'),
    );
    const bm = events.find((e) => e.type === 'BOOKMARK');
    assert.ok(bm);
    assert.equal(bm.object['kind'], 'ConfigMap');
    assert.ok(Number(bm.object.metadata?.['resourceVersion']) >= Number(rv));
  });

  test('sendInitialEvents: the current objects, a BOOKMARK marking their end, then changes', async () => {
    const ns = await namespace();
    await createCM(ns, 'a');
    const events = await collect(
      `/api/v1/namespaces/${ns}/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
      (ev) => ev.some((e) => e.type === 'ADDED' && e.object.metadata?.['name'] === 'b'),
      async () => {
        await createCM(ns, 'b');
      },
    );
    const end = events.findIndex(
      (e) =>
        e.type === 'BOOKMARK' &&
        (e.object.metadata?.['annotations'] as Record<string, string> | undefined)?.[
          'k8s.io/initial-events-end'
        ] === 'true',
    );
    assert.ok(end >= 1, names(events).join(', '));
    assert.deepEqual(names(events.slice(0, end)), ['ADDED a']);
    assert.deepEqual(names(events.slice(end + 1).filter((e) => e.type !== 'BOOKMARK')), [
      'ADDED b',
    ]);
    const bad = await apiRequest(api, {
      path: `/api/v1/namespaces/${ns}/configmaps?watch=true&sendInitialEvents=true`,
    });
    assert.equal(bad.status, 400);
  });

  test('timeoutSeconds ends the stream', async () => {
    const ns = await namespace();
    const started = Date.now();
    const events = await collect(
      `/api/v1/namespaces/${ns}/configmaps?watch=true&timeoutSeconds=1`,
      () => false,
    );
    assert.deepEqual(events, []);
    assert.ok(Date.now() - started < 4500, 'ended by the server, not the test timeout');
  });

  test('with the Table Accept header each event carries a one-row Table', async () => {
    const ns = await namespace();
    const l = await list(`/api/v1/namespaces/${ns}/configmaps`);
    const events = await collect(
      `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${l.metadata.resourceVersion}`,
      (ev) => ev.length >= 1,
      async () => {
        await createCM(ns, 't');
      },
      { accept: tableAccept },
    );
    const obj = events[0]?.object as { kind: string; rows: { cells: unknown[] }[] };
    assert.equal(obj.kind, 'Table');
    assert.equal(obj.rows.length, 1);
    assert.equal(obj.rows[0]?.cells[0], 't');
  });
});

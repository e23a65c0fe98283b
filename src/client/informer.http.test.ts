/**
 * SharedInformer over HttpClient against a real HTTP server on 127.0.0.1:0 (miniapi.ts): the
 * edge cases that only show on a wire — 410 as an ERROR event and as an HTTP answer, dropped
 * connections, clean server-side closes, bookmarks, deletions while disconnected.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { HttpClient } from './http.js';
import { SharedInformer } from './informer.js';
import { startMiniApiServer, type MiniApiServer } from './miniapi.js';
import { resources } from '../api/scheme.js';
import type { Service } from '../api/types/core.js';
import { createLogger } from '../lib/log/logger.js';

const svc = (name: string, labels: Record<string, string> = {}): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', labels },
  spec: { ports: [{ port: 80 }] },
});

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function start(t: TestContext, seed: string[] = []) {
  const api = await startMiniApiServer(t);
  for (const n of seed) api.put(svc(n));
  const client = new HttpClient({ config: api.http.config, qps: 0 });
  const logs: string[] = [];
  const informer = new SharedInformer<Service>({
    client,
    resource: resources.services,
    pageSize: 2,
    backoff: { baseMs: 20, capMs: 200 },
    logger: createLogger({ write: (l) => logs.push(l), verbosity: 2 }),
  });
  const events: string[] = [];
  informer.addHandlers({
    onAdd: (o) => events.push(`add ${o.metadata.name ?? ''}`),
    onUpdate: (_a, b) =>
      events.push(`update ${b.metadata.name ?? ''}@${b.metadata.resourceVersion ?? ''}`),
    onDelete: (o) => events.push(`delete ${o.metadata.name ?? ''}`),
  });
  const ac = new AbortController();
  const run = informer.run(ac.signal);
  t.after(async () => {
    ac.abort();
    await run;
    client.close();
  });
  assert.equal(await informer.waitForSync(AbortSignal.timeout(5000)), true);
  await until('the watch', () => api.openWatches() === 1);
  return { api, informer, events, logs, requests: () => describe(api) };
}

function describe(api: MiniApiServer): string[] {
  return api.http.requests.map((r) =>
    r.query.get('watch') === 'true'
      ? `watch@${r.query.get('resourceVersion') ?? ''}`
      : `list${r.query.get('continue') ? '+' : ''}`,
  );
}

for (const expiredAs of ['event', 'http'] as const) {
  test(`SharedInformer over HTTP relists after 410 (${expiredAs === 'event' ? 'ERROR event' : 'HTTP 410'}) and reports deletions made while it was away`, async (t) => {
    const h = await start(t, ['a', 'b', 'c']);
    assert.deepEqual(
      h.requests(),
      ['list', 'list+', 'watch@3'],
      'paged list, then watch from its resourceVersion',
    );
    assert.equal(h.informer.lister.list()[0]?.kind, 'Service', 'list items get their kind back');
    h.api.expiredAs = expiredAs;
    h.api.failNext = 1; // the watch reconnect below first meets a dead connection
    h.api.http.dropConnections();
    h.api.remove('default', 'a');
    h.api.put(svc('b', { v: '2' }));
    h.api.compact();
    await until('the relist', () => h.events.length === 5);
    assert.deepEqual(h.events.slice(3), ['update b@5', 'delete a']);
    assert.deepEqual(
      h.informer.lister.list().map((s) => s.metadata.name),
      ['b', 'c'],
    );
    await until('the new watch', () => h.requests().length === 7 && h.api.openWatches() === 1);
    assert.deepEqual(h.requests().slice(3), ['watch@3', 'watch@3', 'list', 'watch@5']);
    h.api.put(svc('d'));
    await until('d', () => h.events.includes('add d'));
  });
}

test('SharedInformer over HTTP rewatches from the last resourceVersion after a dropped connection, without relisting', async (t) => {
  const h = await start(t, ['a']);
  h.api.put(svc('b'));
  await until('b', () => h.events.length === 2);
  h.api.failNext = 2;
  h.api.http.dropConnections();
  h.api.put(svc('c'));
  h.api.remove('default', 'a');
  await until('the catch-up', () => h.events.length === 4);
  assert.deepEqual(h.events, ['add a', 'add b', 'add c', 'delete a']);
  assert.deepEqual(h.requests(), ['list', 'watch@1', 'watch@2', 'watch@2', 'watch@2']);
  assert.equal(h.logs.filter((l) => l.includes('Watch failed, reconnecting')).length, 3);
  assert.equal(h.informer.lastSyncResourceVersion(), '4');
});

test('SharedInformer over HTTP follows bookmarks and resumes after a clean server-side close', async (t) => {
  const h = await start(t, ['a']);
  // Changes the informer does not see (another namespace's would be filtered; here the watch is
  // simply told the resourceVersion moved on).
  h.api.bookmark();
  h.api.put(svc('b'));
  h.api.bookmark();
  await until('the bookmark', () => h.informer.lastSyncResourceVersion() === '2');
  await new Promise((r) => setTimeout(r, 1100)); // let the watch outlive client-go's 1 s "very short watch"
  h.api.endWatches();
  await until('the rewatch', () => h.requests().length === 3);
  assert.deepEqual(h.requests(), ['list', 'watch@1', 'watch@2']);
  assert.ok(
    !h.logs.some((l) => l.includes('backing off')),
    'a clean close after a while is not a failure',
  );
});

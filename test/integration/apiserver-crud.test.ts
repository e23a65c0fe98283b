// The API server engine over real HTTPS: authentication, create/get/update/patch/delete, the
// error forms of each, dry runs, body limits and content types. One server for the file, one
// namespace per test.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiRequest, startTestApiServer, type TestApiServer } from '../../src/testing/apiserver.js';

let api: TestApiServer;
let n = 0;

before(async () => {
  api = await startTestApiServer(undefined);
});
after(async () => {
  await api.stop();
});

async function namespace(): Promise<string> {
  const name = `ns-${++n}`;
  const r = await apiRequest(api, {
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
  });
  assert.equal(r.status, 201, r.text);
  return name;
}

const cm = (name: string, data: Record<string, string> = { a: '1' }): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

interface Obj {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion: string;
    uid: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

describe('authentication', () => {
  test('anonymous requests get 401 Status, except health and version', async () => {
    const r = await apiRequest(api, { path: '/api/v1/namespaces', as: 'anonymous' });
    assert.equal(r.status, 401);
    assert.deepEqual(
      { kind: (r.json as { kind: string }).kind, reason: (r.json as { reason: string }).reason },
      { kind: 'Status', reason: 'Unauthorized' },
    );
    for (const p of ['/healthz', '/livez', '/readyz', '/version']) {
      const ok = await apiRequest(api, { path: p, as: 'anonymous' });
      assert.equal(ok.status, 200, p);
    }
    const v = await apiRequest(api, { path: '/version', as: 'anonymous' });
    assert.match((v.json as { gitVersion: string }).gitVersion, /^v1\.32\./);
  });

  test('the admin token from the token file authenticates', async () => {
    const r = await apiRequest(api, { path: '/api/v1/namespaces/default', as: 'token' });
    assert.equal(r.status, 200, r.text);
  });

  test('a wrong token is 401', async () => {
    const r = await apiRequest(api, {
      path: '/api/v1/namespaces/default',
      as: 'anonymous',
      headers: { authorization: 'Bearer nope' },
    });
    assert.equal(r.status, 401);
  });
});

describe('create and get', () => {
  test('create answers 201 with uid, creationTimestamp and resourceVersion; get returns it', async () => {
    const ns = await namespace();
    const r = await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: cm('a'),
    });
    assert.equal(r.status, 201, r.text);
    const o = r.json as Obj;
    assert.match(o.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(String(o.metadata['creationTimestamp']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(o.metadata.resourceVersion, /^\d+$/);
    assert.equal(o.metadata.namespace, ns);
    const g = await apiRequest(api, { path: `/api/v1/namespaces/${ns}/configmaps/a` });
    assert.equal(g.status, 200);
    assert.deepEqual((g.json as Obj).metadata.uid, o.metadata.uid);
  });

  test('creating an existing object is 409 AlreadyExists with kube message', async () => {
    const ns = await namespace();
    await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: cm('a'),
    });
    const r = await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: cm('a'),
    });
    assert.equal(r.status, 409);
    const s = r.json as {
      reason: string;
      message: string;
      details: { name: string; kind: string };
    };
    assert.equal(s.reason, 'AlreadyExists');
    assert.equal(s.message, 'configmaps "a" already exists');
    assert.deepEqual(s.details, { name: 'a', group: '', kind: 'configmaps' });
  });

  test('get of a missing object is 404 NotFound', async () => {
    const ns = await namespace();
    const r = await apiRequest(api, { path: `/api/v1/namespaces/${ns}/services/nosuch` });
    assert.equal(r.status, 404);
    assert.equal((r.json as { message: string }).message, 'services "nosuch" not found');
  });

  test('generateName gets 5 random characters', async () => {
    const ns = await namespace();
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } };
    const r = await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body,
    });
    assert.equal(r.status, 201, r.text);
    assert.match((r.json as Obj).metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  test('a body namespace other than the URL one is 400', async () => {
    const ns = await namespace();
    const body = { ...cm('a'), metadata: { name: 'a', namespace: 'other' } };
    const r = await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body,
    });
    assert.equal(r.status, 400);
    assert.equal(
      (r.json as { message: string }).message,
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  });

  test('creating in a missing namespace is 404 namespaces "x" not found', async () => {
    const r = await apiRequest(api, {
      method: 'POST',
      path: '/api/v1/namespaces/nosuch/configmaps',
      body: cm('a'),
    });
    assert.equal(r.status, 404);
    assert.equal((r.json as { message: string }).message, 'namespaces "nosuch" not found');
  });

  test('a name is required', async () => {
    const ns = await namespace();
    const r = await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} },
    });
    assert.equal(r.status, 422);
    const s = r.json as {
      reason: string;
      details: { causes: { field: string; reason: string }[] };
    };
    assert.equal(s.reason, 'Invalid');
    assert.deepEqual(
      s.details.causes.map((c) => [c.field, c.reason]),
      [['metadata.name', 'FieldValueRequired']],
    );
  });

  test('dryRun=All validates and answers without storing', async () => {
    const ns = await namespace();
    const r = await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/configmaps?dryRun=All`,
      body: cm('dry'),
    });
    assert.equal(r.status, 201, r.text);
    const g = await apiRequest(api, { path: `/api/v1/namespaces/${ns}/configmaps/dry` });
    assert.equal(g.status, 404);
  });

  test('a wrong kind or apiVersion in the body is 400', async () => {
    const ns = await namespace();
    const r = await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: { apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'x' } },
    });
    assert.equal(r.status, 400);
    assert.match(
      (r.json as { message: string }).message,
      /does not match the expected API version/,
    );
  });

  test('strict field validation rejects unknown fields; warn accepts with a Warning header', async () => {
    const ns = await namespace();
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'bad' },
      spec: { ports: [{ port: 80 }], portz: 1 },
    };
    const strict = await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/services?fieldValidation=Strict`,
      body: svc,
    });
    assert.equal(strict.status, 400);
    assert.equal(
      (strict.json as { message: string }).message,
      'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.portz"',
    );
    const warn = await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/services?fieldValidation=Warn`,
      body: svc,
    });
    assert.ok(warn.status === 201 || warn.status === 422, warn.text);
    assert.equal(warn.headers['warning'], '299 - "unknown field \\"spec.portz\\""');
  });
});

describe('update, patch, delete', () => {
  test('PUT with a stale resourceVersion is 409 Conflict with the exact message; without one it applies', async () => {
    const ns = await namespace();
    const c = await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: cm('a'),
    });
    const first = c.json as Obj;
    const u1 = await apiRequest(api, {
      method: 'PUT',
      path: `/api/v1/namespaces/${ns}/configmaps/a`,
      body: { ...first, data: { a: '2' } },
    });
    assert.equal(u1.status, 200, u1.text);
    const stale = await apiRequest(api, {
      method: 'PUT',
      path: `/api/v1/namespaces/${ns}/configmaps/a`,
      body: { ...first, data: { a: '3' } },
    });
    assert.equal(stale.status, 409);
    assert.equal(
      (stale.json as { message: string }).message,
      'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again',
    );
    const unconditional = await apiRequest(api, {
      method: 'PUT',
      path: `/api/v1/namespaces/${ns}/configmaps/a`,
      body: cm('a', { a: '4' }),
    });
    assert.equal(unconditional.status, 200, unconditional.text);
    assert.deepEqual((unconditional.json as { data: unknown }).data, { a: '4' });
    assert.equal((unconditional.json as Obj).metadata.uid, first.metadata.uid);
  });

  test('an update that changes nothing keeps the resourceVersion', async () => {
    const ns = await namespace();
    const c = (
      await apiRequest(api, {
        method: 'POST',
        path: `/api/v1/namespaces/${ns}/configmaps`,
        body: cm('a'),
      })
    ).json as Obj;
    const u = await apiRequest(api, {
      method: 'PUT',
      path: `/api/v1/namespaces/${ns}/configmaps/a`,
      body: c,
    });
    assert.equal((u.json as Obj).metadata.resourceVersion, c.metadata.resourceVersion);
  });

  test('the URL name must match the body name', async () => {
    const ns = await namespace();
    await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: cm('a'),
    });
    const r = await apiRequest(api, {
      method: 'PUT',
      path: `/api/v1/namespaces/${ns}/configmaps/a`,
      body: cm('b'),
    });
    assert.equal(r.status, 400);
    assert.match((r.json as { message: string }).message, /does not match the name on the URL/);
  });

  test('merge patch; patch of a missing object is 404; unknown patch type is 415', async () => {
    const ns = await namespace();
    await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: cm('a'),
    });
    const p = await apiRequest(api, {
      method: 'PATCH',
      path: `/api/v1/namespaces/${ns}/configmaps/a`,
      body: { metadata: { labels: { env: 'prod' } } },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    assert.equal(p.status, 200, p.text);
    assert.deepEqual((p.json as Obj).metadata['labels'], { env: 'prod' });
    const missing = await apiRequest(api, {
      method: 'PATCH',
      path: `/api/v1/namespaces/${ns}/configmaps/nosuch`,
      body: {},
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    assert.equal(missing.status, 404);
    const bad = await apiRequest(api, {
      method: 'PATCH',
      path: `/api/v1/namespaces/${ns}/configmaps/a`,
      body: {},
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(bad.status, 415);
  });

  test('server-side apply creates (201), then updates (200)', async () => {
    const ns = await namespace();
    const path = `/api/v1/namespaces/${ns}/configmaps/applied?fieldManager=test`;
    const headers = { 'content-type': 'application/apply-patch+yaml' };
    const created = await apiRequest(api, { method: 'PATCH', path, body: cm('applied'), headers });
    assert.equal(created.status, 201, created.text);
    const updated = await apiRequest(api, {
      method: 'PATCH',
      path,
      body: cm('applied', { a: '9' }),
      headers,
    });
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual((updated.json as { data: unknown }).data, { a: '9' });
  });

  test('delete answers a Success Status; a second delete is 404', async () => {
    const ns = await namespace();
    const c = (
      await apiRequest(api, {
        method: 'POST',
        path: `/api/v1/namespaces/${ns}/configmaps`,
        body: cm('a'),
      })
    ).json as Obj;
    const d = await apiRequest(api, {
      method: 'DELETE',
      path: `/api/v1/namespaces/${ns}/configmaps/a`,
      body: { propagationPolicy: 'Background' },
    });
    assert.equal(d.status, 200, d.text);
    assert.deepEqual(d.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      code: 200,
      details: { name: 'a', group: '', kind: 'configmaps', uid: c.metadata.uid },
    });
    const again = await apiRequest(api, {
      method: 'DELETE',
      path: `/api/v1/namespaces/${ns}/configmaps/a`,
    });
    assert.equal(again.status, 404);
  });

  test('delete preconditions on uid are 409', async () => {
    const ns = await namespace();
    await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: cm('a'),
    });
    const d = await apiRequest(api, {
      method: 'DELETE',
      path: `/api/v1/namespaces/${ns}/configmaps/a`,
      body: { preconditions: { uid: 'not-it' } },
    });
    assert.equal(d.status, 409);
    assert.match(
      (d.json as { message: string }).message,
      /Precondition failed: UID in precondition: not-it/,
    );
  });

  test('finalizers keep an object with deletionTimestamp until an update removes them', async () => {
    const ns = await namespace();
    const body = { ...cm('fin'), metadata: { name: 'fin', finalizers: ['example.com/hold'] } };
    await apiRequest(api, { method: 'POST', path: `/api/v1/namespaces/${ns}/configmaps`, body });
    const d = await apiRequest(api, {
      method: 'DELETE',
      path: `/api/v1/namespaces/${ns}/configmaps/fin`,
    });
    assert.equal(d.status, 200);
    const held = d.json as Obj;
    assert.ok(held.metadata['deletionTimestamp'], 'deletionTimestamp set');
    const g = await apiRequest(api, { path: `/api/v1/namespaces/${ns}/configmaps/fin` });
    assert.equal(g.status, 200);
    const p = await apiRequest(api, {
      method: 'PATCH',
      path: `/api/v1/namespaces/${ns}/configmaps/fin`,
      body: { metadata: { finalizers: null } },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    assert.equal(p.status, 200, p.text);
    const gone = await apiRequest(api, { path: `/api/v1/namespaces/${ns}/configmaps/fin` });
    assert.equal(gone.status, 404);
  });

  test('propagationPolicy Orphan adds the orphan finalizer', async () => {
    const ns = await namespace();
    await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: cm('o'),
    });
    const d = await apiRequest(api, {
      method: 'DELETE',
      path: `/api/v1/namespaces/${ns}/configmaps/o`,
      body: { propagationPolicy: 'Orphan' },
    });
    assert.deepEqual((d.json as Obj).metadata['finalizers'], ['orphan']);
  });

  test('a bound pod is deleted gracefully and goes when deleted with grace 0; an unbound one goes at once', async () => {
    const ns = await namespace();
    const pod = (name: string, nodeName?: string): Record<string, unknown> => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { containers: [{ name: 'c', image: 'busybox' }], ...(nodeName ? { nodeName } : {}) },
    });
    await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/pods`,
      body: pod('bound', 'n1'),
    });
    await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/pods`,
      body: pod('free'),
    });
    const d = await apiRequest(api, {
      method: 'DELETE',
      path: `/api/v1/namespaces/${ns}/pods/bound`,
    });
    const o = d.json as Obj;
    assert.equal(o.metadata['deletionGracePeriodSeconds'], 30);
    assert.ok(o.metadata['deletionTimestamp']);
    assert.equal(
      (await apiRequest(api, { path: `/api/v1/namespaces/${ns}/pods/bound` })).status,
      200,
    );
    const d0 = await apiRequest(api, {
      method: 'DELETE',
      path: `/api/v1/namespaces/${ns}/pods/bound`,
      body: { gracePeriodSeconds: 0 },
    });
    assert.equal((d0.json as { kind: string }).kind, 'Status');
    assert.equal(
      (await apiRequest(api, { path: `/api/v1/namespaces/${ns}/pods/bound` })).status,
      404,
    );
    const df = await apiRequest(api, {
      method: 'DELETE',
      path: `/api/v1/namespaces/${ns}/pods/free`,
    });
    assert.equal((df.json as { kind: string }).kind, 'Status');
  });

  test('deletecollection deletes what the label selector matches', async () => {
    const ns = await namespace();
    for (const [name, keep] of [
      ['a', 'no'],
      ['b', 'no'],
      ['c', 'yes'],
    ] as const) {
      await apiRequest(api, {
        method: 'POST',
        path: `/api/v1/namespaces/${ns}/configmaps`,
        body: { ...cm(name), metadata: { name, labels: { keep } } },
      });
    }
    const d = await apiRequest(api, {
      method: 'DELETE',
      path: `/api/v1/namespaces/${ns}/configmaps?labelSelector=keep%3Dno`,
    });
    assert.equal(d.status, 200, d.text);
    const l = await apiRequest(api, { path: `/api/v1/namespaces/${ns}/configmaps` });
    assert.deepEqual(
      (l.json as { items: Obj[] }).items.map((i) => i.metadata.name),
      ['c'],
    );
  });
});

describe('request limits and content types', () => {
  test('a body over 3 MiB is 413', async () => {
    const ns = await namespace();
    const r = await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: cm('big', { x: 'y'.repeat(3 * 1024 * 1024 + 10) }),
    });
    assert.equal(r.status, 413);
    assert.equal((r.json as { reason: string }).reason, 'RequestEntityTooLarge');
  });

  test('an unknown content type is 415', async () => {
    const ns = await namespace();
    const r = await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: 'a: b',
      headers: { 'content-type': 'text/csv' },
    });
    assert.equal(r.status, 415);
    assert.equal((r.json as { reason: string }).reason, 'UnsupportedMediaType');
  });

  test('an unknown resource is 404; a wrong method is 405', async () => {
    assert.equal((await apiRequest(api, { path: '/api/v1/widgets' })).status, 404);
    assert.equal(
      (await apiRequest(api, { method: 'POST', path: '/api/v1/pods', body: {} })).status,
      405,
    );
  });
});

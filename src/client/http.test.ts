import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { HttpClient } from './http.js';
import { connect } from './connect.js';
import { sendJson, startScriptedServer } from './httptest.js';
import { resources } from '../api/scheme.js';
import { conflict, isApiError } from '../api/meta/status.js';
import type { WatchEvent } from '../api/meta/types.js';
import type { Service } from '../api/types/core.js';
import { ClientError } from './errors.js';
import { FakeClock } from '../lib/fakeclock.js';
import { Registry } from '../lib/metrics.js';

const svc = (name: string): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', resourceVersion: '7' },
  spec: { ports: [{ port: 80 }] },
});

function client(t: TestContext, config: ConstructorParameters<typeof HttpClient>[0]) {
  const c = new HttpClient(config);
  t.after(() => c.close());
  return c;
}

test('HttpClient sends each verb to the resource URL with the right query, content type and body', async (t) => {
  const s = await startScriptedServer(t, (req, res) => {
    if (req.method === 'DELETE')
      return sendJson(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Success',
        code: 200,
        metadata: {},
      });
    if (req.path.endsWith('/services'))
      return req.method === 'GET'
        ? sendJson(res, 200, {
            kind: 'ServiceList',
            apiVersion: 'v1',
            metadata: { resourceVersion: '9', continue: 'c2' },
            items: [svc('a')],
          })
        : sendJson(res, 201, JSON.parse(req.body));
    if (req.method === 'PATCH') return sendJson(res, 200, svc('web'));
    sendJson(res, 200, req.body ? JSON.parse(req.body) : svc('web'));
  });
  const c = client(t, { config: s.config, userAgent: 'portico-test/1.0' });

  const list = await c.list<Service>(resources.services, {
    namespace: 'default',
    labelSelector: 'app=web,tier!=db',
    fieldSelector: 'metadata.name=a',
    limit: 500,
    continue: 'c1',
    resourceVersion: '0',
  });
  assert.equal(list.items[0]?.metadata.name, 'a');
  assert.equal(list.metadata.continue, 'c2');
  await c.get(resources.nodes, undefined, 'n1');
  await c.get(resources.deployments, 'prod', 'api');
  await c.create(resources.services, svc('web'), { fieldManager: 'me', dryRun: true });
  await c.update(resources.services, svc('web'), { fieldValidation: 'Strict' });
  await c.updateStatus(resources.services, svc('web'));
  for (const type of ['json', 'merge', 'strategic', 'apply'] as const)
    await c.patch(
      resources.services,
      'default',
      'web',
      type,
      type === 'json' ? [] : { metadata: {} },
      {
        ...(type === 'apply' ? { force: true } : {}),
      },
    );
  await c.patch(resources.pods, 'default', 'p', 'merge', { status: {} }, { subresource: 'status' });
  const deleted = await c.delete(resources.services, 'default', 'web', {
    propagationPolicy: 'Foreground',
  });
  assert.equal(deleted, undefined, 'a Status answer is undefined');

  const seen = s.requests.map(
    (r) => `${r.method} ${r.path}${r.query.size ? `?${r.query.toString()}` : ''}`,
  );
  assert.deepEqual(seen, [
    'GET /api/v1/namespaces/default/services?labelSelector=app%3Dweb%2Ctier%21%3Ddb&fieldSelector=metadata.name%3Da&limit=500&continue=c1&resourceVersion=0',
    'GET /api/v1/nodes/n1',
    'GET /apis/apps/v1/namespaces/prod/deployments/api',
    'POST /api/v1/namespaces/default/services?fieldManager=me&dryRun=All',
    'PUT /api/v1/namespaces/default/services/web?fieldValidation=Strict',
    'PUT /api/v1/namespaces/default/services/web/status',
    'PATCH /api/v1/namespaces/default/services/web',
    'PATCH /api/v1/namespaces/default/services/web',
    'PATCH /api/v1/namespaces/default/services/web',
    'PATCH /api/v1/namespaces/default/services/web?fieldManager=portico-test&force=true',
    'PATCH /api/v1/namespaces/default/pods/p/status',
    'DELETE /api/v1/namespaces/default/services/web',
  ]);
  const patches = s.requests
    .filter((r) => r.method === 'PATCH')
    .map((r) => r.headers['content-type']);
  assert.deepEqual(patches, [
    'application/json-patch+json',
    'application/merge-patch+json',
    'application/strategic-merge-patch+json',
    'application/apply-patch+yaml',
    'application/merge-patch+json',
  ]);
  assert.equal(s.requests[3]?.headers['content-type'], 'application/json');
  assert.equal((JSON.parse(s.requests[3]?.body ?? '') as Service).metadata.name, 'web');
  assert.equal(s.requests[0]?.headers['user-agent'], 'portico-test/1.0');
  assert.equal(s.requests[0]?.headers['accept'], 'application/json');
  assert.deepEqual(JSON.parse(s.requests.at(-1)?.body ?? ''), {
    kind: 'DeleteOptions',
    apiVersion: 'v1',
    propagationPolicy: 'Foreground',
  });
  assert.equal(
    new Set(s.requests.map((r) => r.remotePort)).size,
    1,
    'one keep-alive connection serves them all',
  );
});

test('HttpClient refuses requests it cannot address before sending anything', async (t) => {
  const s = await startScriptedServer(t, (_req, res) => sendJson(res, 200, {}));
  const c = client(t, { config: s.config });
  const reqErr = (e: unknown) => e instanceof ClientError && e.code === 'E_CLIENT_REQUEST';
  await assert.rejects(c.create(resources.services, { metadata: { name: 'x' } }), reqErr);
  await assert.rejects(
    c.update(resources.services, { metadata: { namespace: 'default' } }),
    reqErr,
  );
  await assert.rejects(c.get(resources.pods, undefined, 'p'), reqErr);
  assert.equal(s.requests.length, 0);
});

test('HttpClient turns Status bodies into ApiError and bare error answers into the generic Kubernetes ones', async (t) => {
  const s = await startScriptedServer(t, (req, res) => {
    if (req.path.endsWith('/conflict'))
      return sendJson(
        res,
        409,
        conflict({ group: '', resource: 'services' }, 'conflict', 'the object has been modified')
          .status,
      );
    if (req.path.endsWith('/plain')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      return res.end('404 page not found\n');
    }
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<html>');
  });
  const c = client(t, { config: s.config });
  await assert.rejects(c.get(resources.services, 'default', 'conflict'), (e) => {
    assert.ok(isApiError(e, 'Conflict'));
    assert.equal(e.httpStatus, 409);
    assert.match(e.message, /Operation cannot be fulfilled on services "conflict"/);
    return true;
  });
  await assert.rejects(c.get(resources.services, 'default', 'plain'), (e) => {
    assert.ok(isApiError(e, 'NotFound'));
    assert.equal(
      e.message,
      'the server could not find the requested resource (404 page not found)',
    );
    return true;
  });
  await assert.rejects(
    c.get(resources.services, 'default', 'html'),
    (e) => e instanceof ClientError && e.code === 'E_CLIENT_DECODE',
  );
});

test('HttpClient retries 429 with Retry-After, then gives up after maxRetries', async (t) => {
  let n = 0;
  const s = await startScriptedServer(t, (req, res) => {
    n++;
    if (req.path.endsWith('/always') || n < 3) {
      res.writeHead(429, { 'Retry-After': '0', 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          reason: 'TooManyRequests',
          message: 'slow down',
          code: 429,
        }),
      );
      return;
    }
    sendJson(res, 200, svc('web'));
  });
  const metrics = new Registry();
  const c = client(t, { config: s.config, maxRetries: 2, metrics });
  const got = await c.get<Service>(resources.services, 'default', 'web');
  assert.equal(got.metadata.name, 'web');
  assert.equal(s.requests.length, 3);
  await assert.rejects(c.get(resources.services, 'default', 'always'), (e) =>
    isApiError(e, 'TooManyRequests'),
  );
  assert.equal(s.requests.length, 6);
  assert.match(metrics.expose(), /portico_client_requests_total\{code="429",verb="GET"\} 5/);
});

test('HttpClient rate-limits with a token bucket (qps, burst) on the injected clock', async (t) => {
  const s = await startScriptedServer(t, (_req, res) => sendJson(res, 200, svc('web')));
  const clock = new FakeClock();
  const c = client(t, { config: s.config, qps: 2, burst: 1, clock });
  const done: number[] = [];
  const all = [0, 1, 2].map((i) =>
    c.get(resources.services, 'default', 'web').then(() => done.push(i)),
  );
  await all[0];
  await clock.advance(0);
  assert.deepEqual(done, [0]);
  assert.equal(s.requests.length, 1);
  await clock.advance(500);
  await all[1];
  assert.equal(s.requests.length, 2);
  await clock.advance(500);
  await Promise.all(all);
  assert.deepEqual(done, [0, 1, 2]);
});

test('HttpClient says which server it cannot reach, and times out a silent one', async (t) => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const down = client(t, {
    config: {
      server: `http://127.0.0.1:${port}`,
      insecureSkipTLSVerify: false,
      namespace: 'default',
      source: '/tmp/kc (context x)',
    },
  });
  await assert.rejects(down.get(resources.services, 'default', 'web'), (e) => {
    assert.ok(e instanceof ClientError);
    assert.equal(e.code, 'E_CLIENT_UNREACHABLE');
    assert.match(
      e.message,
      new RegExp(`cannot reach the API server at http://127.0.0.1:${port} \\(connect ECONNREFUSED`),
    );
    assert.match(e.message, /\/tmp\/kc \(context x\)/);
    return true;
  });
  const s = await startScriptedServer(t, () => undefined);
  const slow = client(t, { config: s.config, timeoutMs: 150 });
  await assert.rejects(
    slow.get(resources.services, 'default', 'web'),
    (e) =>
      e instanceof ClientError &&
      e.code === 'E_CLIENT_TIMEOUT' &&
      /no answer within 150 ms/.test(e.message),
  );
  const ac = new AbortController();
  const pending = slow.request({ method: 'GET', path: '/healthz', signal: ac.signal });
  ac.abort();
  await assert.rejects(pending, (e) => e instanceof Error && e.name === 'AbortError');
});

test('HttpClient.watch() parses events split at arbitrary chunk boundaries, yields ERROR events and ends when the server closes', async (t) => {
  const events = [
    {
      type: 'ADDED',
      object: {
        ...svc('a'),
        metadata: { ...svc('a').metadata, annotations: { note: 'žluťoučký 🐎' } },
      },
    },
    { type: 'MODIFIED', object: svc('a') },
    {
      type: 'BOOKMARK',
      object: { kind: 'Service', apiVersion: 'v1', metadata: { resourceVersion: '12' } },
    },
    {
      type: 'ERROR',
      object: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        reason: 'Expired',
        code: 410,
        message: 'too old',
      },
    },
  ];
  const bytes = Buffer.from(events.map((e) => JSON.stringify(e) + '\n').join(''));
  const s = await startScriptedServer(t, async (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    for (let i = 0; i < bytes.length; i += 7) {
      res.write(bytes.subarray(i, i + 7));
      await new Promise((r) => setImmediate(r));
    }
    res.end();
  });
  const c = client(t, { config: s.config });
  const got: WatchEvent[] = [];
  for await (const ev of c.watch(
    resources.services,
    { namespace: 'default', resourceVersion: '10', allowWatchBookmarks: true, timeoutSeconds: 300 },
    new AbortController().signal,
  ))
    got.push(ev);
  assert.deepEqual(
    got.map((e) => e.type),
    ['ADDED', 'MODIFIED', 'BOOKMARK', 'ERROR'],
  );
  assert.equal(got[0]?.object.metadata.annotations?.['note'], 'žluťoučký 🐎');
  assert.equal(
    s.requests[0]?.query.toString(),
    'resourceVersion=10&watch=true&allowWatchBookmarks=true&timeoutSeconds=300',
  );
});

test('HttpClient.watch() ends on abort and closes the connection; HTTP errors are thrown as ApiError', async (t) => {
  let closed = 0;
  const s = await startScriptedServer(t, (req, res, raw) => {
    if (req.query.get('resourceVersion') === '1')
      return sendJson(res, 410, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        reason: 'Expired',
        code: 410,
        message: 'too old resource version: 1 (5)',
      });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write(JSON.stringify({ type: 'ADDED', object: svc('a') }) + '\n');
    raw.socket.on('close', () => closed++);
  });
  const c = client(t, { config: s.config });
  const ac = new AbortController();
  const got: string[] = [];
  for await (const ev of c.watch(resources.services, {}, ac.signal)) {
    got.push(ev.type);
    ac.abort();
  }
  assert.deepEqual(got, ['ADDED']);
  for (let i = 0; i < 100 && closed === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(closed, 1, 'the server saw the watch connection close');
  const it = c.watch(resources.services, { resourceVersion: '1' }, new AbortController().signal);
  await assert.rejects(
    async () => {
      for await (const _ of it) assert.fail('no events expected');
    },
    (e) => isApiError(e, 'Expired'),
  );
});

test('HttpClient.watch() reports a connection dropped mid-stream as a transport error', async (t) => {
  const s = await startScriptedServer(t, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write(JSON.stringify({ type: 'ADDED', object: svc('a') }) + '\n');
    setImmediate(() => s.dropConnections());
  });
  const c = client(t, { config: s.config });
  const got: string[] = [];
  await assert.rejects(
    async () => {
      for await (const ev of c.watch(resources.services, {}, new AbortController().signal))
        got.push(ev.type);
    },
    (e) => e instanceof ClientError && e.code === 'E_CLIENT_TRANSPORT',
  );
  assert.deepEqual(got, ['ADDED']);
});

function makePki(
  t: TestContext,
): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'ptest-pki-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ossl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/CN=ptest-ca',
    '-days',
    '1',
  ]);
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    ossl([
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=ptest-${name}`,
    ]);
    writeFileSync(join(dir, `${name}.ext`), ext);
    ossl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    ]);
  }
  const read = (f: string) => readFileSync(join(dir, f));
  return {
    ca: read('ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
  };
}

test('HttpClient speaks mutual TLS with the kubeconfig CA and client certificate, and sends bearer tokens', async (t) => {
  const pki = makePki(t);
  const seen: { cn: string | undefined; auth: string | undefined }[] = [];
  const server = https.createServer(
    {
      key: pki.serverKey,
      cert: pki.serverCert,
      ca: pki.ca,
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const peer = (req.socket as unknown as TLSSocket).getPeerCertificate();
      seen.push({
        cn: typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined,
        auth: req.headers.authorization,
      });
      sendJson(res, 200, svc('web'));
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const base = { server: url, namespace: 'default', source: 'test' };
  const mtls = client(t, {
    config: {
      ...base,
      insecureSkipTLSVerify: false,
      caData: pki.ca,
      certData: pki.clientCert,
      keyData: pki.clientKey,
    },
  });
  await mtls.get(resources.services, 'default', 'web');
  const bearer = client(t, {
    config: { ...base, insecureSkipTLSVerify: false, caData: pki.ca, token: 's3cret' },
  });
  await bearer.get(resources.services, 'default', 'web');
  assert.deepEqual(seen, [
    { cn: 'ptest-client', auth: undefined },
    { cn: undefined, auth: 'Bearer s3cret' },
  ]);
  const untrusted = client(t, { config: { ...base, insecureSkipTLSVerify: false } });
  await assert.rejects(untrusted.get(resources.services, 'default', 'web'), (e) => {
    assert.ok(e instanceof ClientError);
    assert.equal(e.code, 'E_CLIENT_TRANSPORT');
    assert.match(e.message, /check certificate-authority/);
    return true;
  });
  const insecure = client(t, { config: { ...base, insecureSkipTLSVerify: true } });
  assert.equal((await insecure.get(resources.services, 'default', 'web')).metadata.name, 'web');
});

test('HttpClient resends a GET whose connection was reset before an answer, but never a POST', async (t) => {
  let resets = 1;
  const s = await startScriptedServer(t, (req, res) => {
    if (resets > 0) {
      resets--;
      res.socket?.destroy();
      return;
    }
    sendJson(res, req.method === 'POST' ? 201 : 200, svc('web'));
  });
  const c = client(t, { config: s.config });
  assert.equal((await c.get(resources.services, 'default', 'web')).metadata.name, 'web');
  assert.equal(s.requests.length, 2);
  resets = 1;
  await assert.rejects(
    c.create(resources.services, svc('web')),
    (e) => e instanceof ClientError && e.code === 'E_CLIENT_TRANSPORT',
  );
  assert.equal(s.requests.length, 3, 'the POST was not sent twice');
});

test('connect() builds an HttpClient from a kubeconfig file', async (t) => {
  const s = await startScriptedServer(t, (_req, res) => sendJson(res, 200, svc('web')));
  const dir = mkdtempSync(join(tmpdir(), 'ptest-connect-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const kc = join(dir, 'config');
  writeFileSync(
    kc,
    `current-context: c
clusters: [{ name: k, cluster: { server: "${s.url}" } }]
users: [{ name: u, user: { token: abc } }]
contexts: [{ name: c, context: { cluster: k, user: u, namespace: team } }]
`,
  );
  const { client: c, config } = connect({ kubeconfig: kc, env: {}, userAgent: 'portico-proxy' });
  t.after(() => c.close());
  assert.equal(config.namespace, 'team');
  await c.get(resources.services, 'default', 'web');
  assert.equal(s.requests[0]?.headers['authorization'], 'Bearer abc');
  assert.equal(s.requests[0]?.headers['user-agent'], 'portico-proxy');
});

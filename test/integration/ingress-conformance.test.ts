/**
 * `portico ingress` with real HAProxy against a real API server, checked with the real curl and
 * kubectl: the ingress-controller-conformance cases of conformance.md §14 (ING-01…31), status
 * addresses, IngressClass handling and TLS with SNI.
 *
 * Address plan: everything on 127.0.0.1. HAProxy listens on two free ports (HTTP, HTTPS); every
 * backend pod is a W-ECHO server on its own free port, published as an EndpointSlice of its
 * Service (one slice per port, since slice ports are per slice). Each case creates its Ingress
 * and deletes it after, so cases do not see each other's rules.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resources } from '../../src/api/scheme.js';
import type { Secret, Service } from '../../src/api/types/core.js';
import type { Ingress, IngressSpec } from '../../src/api/types/networking.js';
import { startTestApiServer, type TestApiServer } from '../../src/testing/apiserver.js';
import {
  curl,
  echo,
  putLoopbackSlices,
  startEchoBackend,
  startTestIngress,
  type CurlResult,
  type EchoBackend,
  type TestIngress,
} from '../../src/testing/ingress.js';
import { kubectlAvailable } from '../../src/testing/kubectl.js';
import { waitFor } from '../../src/testing/wait.js';

const skip =
  !kubectlAvailable() || !hasTool('haproxy') || !hasTool('curl') || !hasTool('openssl')
    ? 'needs kubectl, haproxy, curl and openssl'
    : undefined;

function hasTool(t: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('portico ingress: conformance cases (integration)', { skip }, () => {
  let api: TestApiServer;
  let ing: TestIngress;
  let tmp: string;
  const backends: EchoBackend[] = [];

  // Stopped in reverse order of start (the ingress before its API server).
  const cleanups: (() => unknown)[] = [];
  const hooks = { after: (fn: () => unknown) => cleanups.unshift(fn) };

  before(async () => {
    api = await startTestApiServer(hooks);
    ing = await startTestIngress(hooks, api);
    tmp = mkdtempSync(join(tmpdir(), 'ptest-ingress-certs-'));
    await ing.ingress.ready;
  });
  after(async () => {
    for (const fn of cleanups) await fn();
    await Promise.all(backends.map((b) => b.close()));
    rmSync(tmp, { recursive: true, force: true });
  });

  const http = (host: string | undefined, path: string, extra: string[] = []) =>
    curl([
      ...(host !== undefined ? ['-H', `Host: ${host}`] : []),
      ...extra,
      `http://127.0.0.1:${ing.httpPort}${path}`,
    ]);

  /** A Service `svc` (port 8080 → 3000, named when asked) with `pods` W-ECHO endpoints. */
  async function deploy(svc: string, o: { pods?: number; portName?: string } = {}) {
    await ing.client.create<Service>(resources.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: svc, namespace: 'default' },
      spec: {
        type: 'NodePort',
        selector: { app: svc },
        ports: [
          {
            ...(o.portName ? { name: o.portName } : {}),
            port: 8080,
            targetPort: 3000,
            protocol: 'TCP',
          },
        ],
      },
    });
    const mine: EchoBackend[] = [];
    for (let i = 0; i < (o.pods ?? 1); i++)
      mine.push(await startEchoBackend({ service: svc, pod: `${svc}-${i}` }));
    backends.push(...mine);
    await putLoopbackSlices(
      api,
      svc,
      mine.map((b) => ({ port: b.port })),
      o.portName ? { portName: o.portName } : {},
    );
    return mine;
  }

  async function createIngress(name: string, spec: IngressSpec): Promise<() => Promise<void>> {
    await ing.client.create<Ingress>(resources.ingresses, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, namespace: 'default' },
      spec,
    });
    await waitFor(() => ing.ingress.controller.table?.ingresses.includes(`default/${name}`), {
      what: `ingress ${name} served`,
      timeoutMs: 10_000,
    });
    return async () => {
      await ing.client.delete(resources.ingresses, 'default', name);
      await waitFor(() => !ing.ingress.controller.table?.ingresses.includes(`default/${name}`), {
        what: `ingress ${name} gone`,
        timeoutMs: 10_000,
      });
    };
  }

  /** Polls until the request gives `status` (endpoints reach HAProxy asynchronously). */
  async function until(
    req: () => Promise<CurlResult>,
    status: number,
    what: string,
  ): Promise<CurlResult> {
    let last: CurlResult | undefined;
    try {
      return await waitFor(
        async () => {
          last = await req();
          return last.status === status ? last : undefined;
        },
        { what, timeoutMs: 10_000, intervalMs: 100 },
      );
    } catch (e) {
      throw new Error(
        `${(e as Error).message}; last: ${last?.status} ${last?.body.slice(0, 200)} ${last?.stderr}`,
        { cause: e },
      );
    }
  }

  test('the IngressClass portico exists with our controller', async () => {
    const r = await api.kubectl([
      'get',
      'ingressclass',
      'portico',
      '-o',
      'jsonpath={.spec.controller}',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'portico.dev/ingress');
  });

  test('ING-01…06: the default backend receives every method, host and path', async () => {
    await deploy('echo-service');
    const remove = await createIngress('default-backend', {
      defaultBackend: { service: { name: 'echo-service', port: { number: 8080 } } },
    });
    const rows: [string, string, string | undefined, string][] = [
      ['ING-01', 'GET', 'my-host', ''],
      ['ING-02', 'GET', 'my-host', 'sub-path'],
      ['ING-03', 'POST', 'some-host', ''],
      ['ING-04', 'PUT', undefined, 'resource'],
      ['ING-05', 'DELETE', 'some-host', 'resource'],
      ['ING-06', 'PATCH', 'my-host', 'resource'],
    ];
    for (const [id, method, host, path] of rows) {
      const r = await until(
        () => http(host, `/${path}`, ['-X', method, '-A', 'Go-http-client/1.1']),
        200,
        `${id} 200`,
      );
      assert.equal(r.proto, 'HTTP/1.1', id);
      for (const h of ['content-length', 'content-type', 'date', 'server'])
        assert.ok(r.headers[h], `${id}: response header ${h} in ${JSON.stringify(r.headers)}`);
      const e = echo(r);
      assert.equal(e.service, 'echo-service', id);
      assert.equal(e.method, method, id);
      assert.equal(e.path, `/${path}`, id);
      assert.equal(e.proto, 'HTTP/1.1', id);
      assert.deepEqual(e.headers['User-Agent'], ['Go-http-client/1.1'], id);
      assert.ok(e.headers['X-Forwarded-For']?.[0]?.includes('127.0.0.1'), id);
    }
    // The Server header is added because the backend sends none; HAProxy's own says portico.
    const r = await http('my-host', '/');
    assert.equal(r.headers['server'], 'portico');
    await remove();
  });

  test('ING-07…12: host rules, one-label wildcards, TLS with SNI', async () => {
    // ICC's NewSelfSignedSecret: a certificate for foo.bar.com, as kubernetes.io/tls.
    const key = join(tmp, 'foo.key');
    const crt = join(tmp, 'foo.crt');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        crt,
        '-days',
        '2',
        '-subj',
        '/CN=foo.bar.com',
        '-addext',
        'subjectAltName=DNS:foo.bar.com',
      ],
      { stdio: 'ignore' },
    );
    const r0 = await api.kubectl([
      'create',
      'secret',
      'tls',
      'conformance-tls',
      `--cert=${crt}`,
      `--key=${key}`,
    ]);
    assert.equal(r0.code, 0, r0.stderr);
    await deploy('wildcard-foo-com');
    await deploy('foo-bar-com', { portName: 'http' });
    const remove = await createIngress('host-rules', {
      tls: [{ hosts: ['foo.bar.com'], secretName: 'conformance-tls' }],
      rules: [
        {
          host: '*.foo.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'wildcard-foo-com', port: { number: 8080 } } },
              },
            ],
          },
        },
        {
          host: 'foo.bar.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'foo-bar-com', port: { name: 'http' } } },
              },
            ],
          },
        },
      ],
    });
    const https = (host: string, extra: string[]) =>
      curl([
        '-v',
        '--resolve',
        `${host}:${ing.httpsPort}:127.0.0.1`,
        ...extra,
        `https://${host}:${ing.httpsPort}/`,
      ]);

    // ING-07: the Secret's certificate for SNI foo.bar.com, verified against itself as the CA.
    const t7 = await until(() => https('foo.bar.com', ['--cacert', crt]), 200, 'ING-07 over TLS');
    assert.match(t7.stderr, /subject: CN=foo\.bar\.com/);
    assert.equal(echo(t7).service, 'foo-bar-com');
    assert.equal(echo(t7).host, `foo.bar.com:${ing.httpsPort}`);
    assert.deepEqual(echo(t7).headers['X-Forwarded-Proto'], ['https']);
    // HTTP/1.1 to the backend even when the client speaks HTTP/2.
    assert.equal(t7.proto, 'HTTP/2');
    assert.equal(echo(t7).proto, 'HTTP/1.1');
    // Another SNI name gets the default certificate.
    const other = await https('bar.foo.com', ['-k']);
    assert.equal(other.status, 200);
    assert.match(other.stderr, /subject: CN=Portico Ingress Controller Fake Certificate/);
    assert.equal(echo(other).service, 'wildcard-foo-com');

    const t8 = await until(() => http('foo.bar.com', '/'), 200, 'ING-08');
    assert.equal(echo(t8).service, 'foo-bar-com');
    assert.equal(echo(t8).host, 'foo.bar.com');
    assert.equal((await http('subdomain.bar.com', '/')).status, 404, 'ING-09');
    const t10 = await http('bar.foo.com', '/');
    assert.equal(t10.status, 200, 'ING-10');
    assert.equal(echo(t10).service, 'wildcard-foo-com');
    assert.equal(echo(t10).host, 'bar.foo.com');
    assert.equal((await http('baz.bar.foo.com', '/')).status, 404, 'ING-11: one label only');
    assert.equal((await http('foo.com', '/')).status, 404, 'ING-12');
    await remove();
  });

  test('ING-13: Ingresses of a foreign or unknown class are ignored', async () => {
    await deploy('ingress-class-prefix');
    await ing.client.create(resources.ingressclasses, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'other' },
      spec: { controller: 'example.com/other' },
    });
    const rule = (host: string) => ({
      rules: [
        {
          host,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix' as const,
                backend: { service: { name: 'ingress-class-prefix', port: { number: 8080 } } },
              },
            ],
          },
        },
      ],
    });
    const foreign: [string, IngressSpec, Record<string, string>?][] = [
      [
        'test-ingress-class',
        { ingressClassName: 'some-invalid-class-name', ...rule('ingress-class') },
      ],
      ['other-class', { ingressClassName: 'other', ...rule('other-class') }],
      ['nginx-annotation', rule('nginx-annotation'), { 'kubernetes.io/ingress.class': 'nginx' }],
    ];
    for (const [name, spec, annotations] of foreign)
      await ing.client.create<Ingress>(resources.ingresses, {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
        spec,
      });
    // Controls: our class by name, and by the legacy annotation.
    const removeA = await createIngress('ours-by-class', {
      ingressClassName: 'portico',
      ...rule('ours-by-class'),
    });
    await ing.client.create<Ingress>(resources.ingresses, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: 'ours-by-annotation',
        namespace: 'default',
        annotations: { 'kubernetes.io/ingress.class': 'portico' },
      },
      spec: rule('ours-by-annotation'),
    });
    const address = async (name: string) =>
      (
        await api.kubectl([
          'get',
          'ingress',
          name,
          '-o',
          'jsonpath={.status.loadBalancer.ingress[*].ip}',
        ])
      ).stdout;
    await waitFor(async () => (await address('ours-by-class')) === '127.0.0.1', {
      what: 'control status',
      timeoutMs: 10_000,
    });
    await waitFor(async () => (await address('ours-by-annotation')) === '127.0.0.1', {
      what: 'annotation status',
      timeoutMs: 10_000,
    });
    assert.equal(
      (await until(() => http('ours-by-annotation', '/'), 200, 'annotation served')).status,
      200,
    );
    // A few more syncs happen (the Lease renews every second here); still nothing for the others.
    const syncsBefore = ing.ingress.metrics.expose();
    await waitFor(() => ing.ingress.metrics.expose() !== syncsBefore, {
      what: 'another sync',
      timeoutMs: 5000,
    });
    for (const [name] of foreign) {
      assert.equal(await address(name), '', `${name} must get no address`);
      assert.equal(
        (await http(name === 'test-ingress-class' ? 'ingress-class' : name, '/')).status,
        404,
        name,
      );
    }
    for (const [name] of foreign) await ing.client.delete(resources.ingresses, 'default', name);
    await ing.client.delete(resources.ingresses, 'default', 'ours-by-annotation');
    await removeA();
  });

  test('ING-14: requests are spread over all ten backend pods', async () => {
    const pods = await deploy('lb-echo', { pods: 10 });
    const remove = await createIngress('load-balancing', {
      defaultBackend: { service: { name: 'lb-echo', port: { number: 8080 } } },
    });
    await waitFor(
      () =>
        ing.ingress.controller.table?.backends.get('default_lb-echo_8080')?.endpoints.length === 10,
      {
        what: '10 endpoints',
      },
    );
    await until(() => http('load-balancing', '/'), 200, 'served');
    const seen = new Map<string, number>();
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(
        Array.from({ length: 10 }, () => http('load-balancing', '/', ['-H', 'Connection: close'])),
      );
      for (const r of results) {
        if (r.status !== 200) continue;
        const pod = echo(r).pod;
        seen.set(pod, (seen.get(pod) ?? 0) + 1);
      }
    }
    assert.equal(seen.size, 10, `pods seen: ${JSON.stringify([...seen])}`);
    assert.deepEqual([...seen.keys()].sort(), pods.map((p) => p.pod).sort());
    await remove();
  });

  test('ING-15…29: Exact, Prefix, longest match and trailing slashes', async () => {
    for (const s of [
      'foo-exact',
      'foo-prefix',
      'aaa-slash-bbb-prefix',
      'aaa-prefix',
      'aaa-slash-bbb-slash-prefix',
      'foo-slash-exact',
    ])
      await deploy(s);
    const p = (path: string, pathType: 'Exact' | 'Prefix', svc: string) => ({
      path,
      pathType,
      backend: { service: { name: svc, port: { number: 8080 } } },
    });
    const remove = await createIngress('path-rules', {
      rules: [
        { host: 'exact-path-rules', http: { paths: [p('/foo', 'Exact', 'foo-exact')] } },
        {
          host: 'prefix-path-rules',
          http: {
            paths: [
              p('/foo', 'Prefix', 'foo-prefix'),
              p('/aaa/bbb', 'Prefix', 'aaa-slash-bbb-prefix'),
              p('/aaa', 'Prefix', 'aaa-prefix'),
            ],
          },
        },
        {
          host: 'mixed-path-rules',
          http: { paths: [p('/foo', 'Prefix', 'foo-prefix'), p('/foo', 'Exact', 'foo-exact')] },
        },
        {
          host: 'trailing-slash-path-rules',
          http: {
            paths: [
              p('/aaa/bbb/', 'Prefix', 'aaa-slash-bbb-slash-prefix'),
              p('/foo/', 'Exact', 'foo-slash-exact'),
            ],
          },
        },
      ],
    });
    const cases: [string, string, string, string | 404][] = [
      ['ING-15', 'exact-path-rules', '/foo', 'foo-exact'],
      ['ING-16', 'exact-path-rules', '/foo/', 404],
      ['ING-17', 'exact-path-rules', '/FOO', 404],
      ['ING-18', 'exact-path-rules', '/bar', 404],
      ['ING-19', 'prefix-path-rules', '/foo', 'foo-prefix'],
      ['ING-20', 'prefix-path-rules', '/foo/', 'foo-prefix'],
      ['ING-21', 'prefix-path-rules', '/FOO', 404],
      ['ING-22', 'prefix-path-rules', '/aaa/bbb', 'aaa-slash-bbb-prefix'],
      ['ING-23', 'prefix-path-rules', '/aaa/bbbccc', 'aaa-prefix'],
      ['ING-24', 'prefix-path-rules', '/aaa/ccc', 'aaa-prefix'],
      ['ING-25', 'prefix-path-rules', '/aaa/bbb/ccc', 'aaa-slash-bbb-prefix'],
      ['ING-26', 'prefix-path-rules', '/foo/', 'foo-prefix'],
      ['ING-27', 'prefix-path-rules', '/foobar', 404],
      ['ING-28', 'trailing-slash-path-rules', '/aaa/bbb', 'aaa-slash-bbb-slash-prefix'],
      ['ING-29', 'trailing-slash-path-rules', '/aaa/bbb/', 'aaa-slash-bbb-slash-prefix'],
      ['ING-30', 'trailing-slash-path-rules', '/aaa/bbb/ccc', 'aaa-slash-bbb-slash-prefix'],
      ['mixed Exact', 'mixed-path-rules', '/foo', 'foo-exact'],
      ['mixed Prefix', 'mixed-path-rules', '/foo/', 'foo-prefix'],
      ['trailing Exact', 'trailing-slash-path-rules', '/foo/', 'foo-slash-exact'],
      ['query', 'exact-path-rules', '/foo?x=1', 'foo-exact'],
    ];
    await until(() => http('exact-path-rules', '/foo'), 200, 'path rules served');
    for (const [id, host, path, want] of cases) {
      const r = await http(host, path);
      if (want === 404)
        assert.equal(r.status, 404, `${id}: ${host}${path}: ${r.body.slice(0, 100)}`);
      else {
        assert.equal(r.status, 200, `${id}: ${host}${path}`);
        assert.equal(echo(r).service, want, `${id}: ${host}${path}`);
        assert.equal(echo(r).path, path, `${id}: the backend sees the path unchanged`);
      }
    }
    await remove();
  });

  test('ING-31: the default backend catches requests that match no rule', async () => {
    await deploy('svc-x');
    const remove = await createIngress('default-and-rule', {
      defaultBackend: { service: { name: 'echo-service', port: { number: 8080 } } },
      rules: [
        {
          host: 'a.example',
          http: {
            paths: [
              {
                path: '/x',
                pathType: 'Exact',
                backend: { service: { name: 'svc-x', port: { number: 8080 } } },
              },
            ],
          },
        },
      ],
    });
    assert.equal(echo(await until(() => http('a.example', '/x'), 200, 'rule')).service, 'svc-x');
    assert.equal(echo(await http('a.example', '/y')).service, 'echo-service');
    assert.equal(echo(await http('other', '/x')).service, 'echo-service');
    await remove();
  });

  test('a backend Service without ready endpoints answers 503; without the Service too', async () => {
    await ing.client.create<Service>(resources.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'empty', namespace: 'default' },
      spec: {
        selector: { app: 'none' },
        ports: [{ port: 8080, targetPort: 3000, protocol: 'TCP' }],
      },
    });
    const remove = await createIngress('unavailable', {
      rules: [
        {
          host: 'empty.example',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'empty', port: { number: 8080 } } },
              },
            ],
          },
        },
        {
          host: 'absent.example',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'absent', port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    });
    assert.equal((await http('empty.example', '/')).status, 503);
    assert.equal((await http('absent.example', '/')).status, 503);
    // The Ingress tells why (an Event), as ingress-nginx does.
    await waitFor(
      async () =>
        (
          await api.kubectl([
            'get',
            'events',
            '--field-selector',
            'involvedObject.name=unavailable',
            '-o',
            'jsonpath={.items[*].reason}',
          ])
        ).stdout.includes('Sync'),
      { what: 'Sync event', timeoutMs: 10_000 },
    );
    await remove();
  });

  test('status: kubectl get ingress shows the address; an Ingress that leaves our class loses it', async () => {
    const remove = await createIngress('status-check', {
      defaultBackend: { service: { name: 'echo-service', port: { number: 8080 } } },
    });
    const row = await waitFor(
      async () => {
        const r = await api.kubectl(['get', 'ingress', 'status-check']);
        return r.stdout.includes('127.0.0.1') ? r.stdout : undefined;
      },
      { what: 'ADDRESS column', timeoutMs: 10_000 },
    );
    assert.match(row, /status-check\s+portico|status-check\s+<none>/);
    const r = await api.kubectl([
      'patch',
      'ingress',
      'status-check',
      '--type=merge',
      '-p',
      '{"spec":{"ingressClassName":"other"}}',
    ]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(
      async () =>
        (
          await api.kubectl([
            'get',
            'ingress',
            'status-check',
            '-o',
            'jsonpath={.status.loadBalancer.ingress}',
          ])
        ).stdout === '',
      { what: 'address cleared', timeoutMs: 10_000 },
    );
    await remove().catch(() => undefined);
  });

  test('TLS: a rotated Secret is served without a reload; a deleted one falls back to the default', async () => {
    const mk = (cn: string) => {
      const key = join(tmp, `${cn}.key`);
      const crt = join(tmp, `${cn}.crt`);
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          key,
          '-out',
          crt,
          '-days',
          '2',
          '-subj',
          `/CN=${cn}`,
        ],
        { stdio: 'ignore' },
      );
      return { key, crt };
    };
    const first = mk('rotate.example');
    const r = await api.kubectl([
      'create',
      'secret',
      'tls',
      'rotating',
      `--cert=${first.crt}`,
      `--key=${first.key}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const remove = await createIngress('rotation', {
      tls: [{ hosts: ['rotate.example'], secretName: 'rotating' }],
      rules: [
        {
          host: 'rotate.example',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'echo-service', port: { number: 8080 } } },
              },
            ],
          },
        },
      ],
    });
    const serial = async () => {
      const res = await curl([
        '-v',
        '-k',
        '--resolve',
        `rotate.example:${ing.httpsPort}:127.0.0.1`,
        `https://rotate.example:${ing.httpsPort}/`,
      ]);
      return /subject: (.*)/.exec(res.stderr)?.[1] ?? '';
    };
    await waitFor(async () => (await serial()) === 'CN=rotate.example', {
      what: 'first certificate',
      timeoutMs: 10_000,
    });
    const reloads = ing.ingress.dataplane.stats.reloads;
    const worker = ing.ingress.dataplane.process.workerPid;
    // Rotate: same Secret, a certificate with another subject.
    const second = mk('rotated.example');
    const secret: Secret = await ing.client.get(resources.secrets, 'default', 'rotating');
    secret.data = {
      'tls.crt': Buffer.from(execFileSync('cat', [second.crt])).toString('base64'),
      'tls.key': Buffer.from(execFileSync('cat', [second.key])).toString('base64'),
    };
    await ing.client.update(resources.secrets, secret);
    await waitFor(async () => (await serial()) === 'CN=rotated.example', {
      what: 'rotated certificate',
      timeoutMs: 10_000,
    });
    assert.equal(ing.ingress.dataplane.stats.reloads, reloads, 'no reload for a rotation');
    assert.equal(ing.ingress.dataplane.process.workerPid, worker);
    // A bad Secret is reported and the default certificate serves.
    writeFileSync(join(tmp, 'garbage'), 'not a certificate');
    await ing.client.delete(resources.secrets, 'default', 'rotating');
    await waitFor(async () => (await serial()).includes('Fake Certificate'), {
      what: 'default certificate',
      timeoutMs: 10_000,
    });
    await remove();
  });
});

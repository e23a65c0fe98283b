/**
 * The HAProxy data plane of `portico ingress` under change, against a real API server: endpoint
 * changes through the runtime API without a reload and without dropping requests in flight,
 * route changes through map updates, seamless reloads under load, a killed HAProxy restarted, and
 * the seeds' Ingresses (extensions/v1beta1, TLS from `kubectl create secret tls`) verbatim.
 *
 * Address plan: everything on 127.0.0.1; HAProxy on two free ports, each backend pod a W-ECHO (or
 * kubia) server on its own free port, published as EndpointSlices of its Service.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resources } from '../../src/api/scheme.js';
import type { Service } from '../../src/api/types/core.js';
import type { Ingress, IngressSpec } from '../../src/api/types/networking.js';
import { startTestApiServer, type TestApiServer } from '../../src/testing/apiserver.js';
import {
  curl,
  echo,
  putLoopbackSlices,
  startEchoBackend,
  startTestIngress,
  type EchoBackend,
  type TestIngress,
} from '../../src/testing/ingress.js';
import { kubectlAvailable } from '../../src/testing/kubectl.js';
import { waitFor } from '../../src/testing/wait.js';
import { opensslSeedsPair } from '../../src/testing/tls.js';

function hasTool(t: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip =
  !kubectlAvailable() || !hasTool('haproxy') || !hasTool('curl') || !hasTool('openssl')
    ? 'needs kubectl, haproxy, curl and openssl'
    : undefined;

const root = process.env['PORTICO_ROOT'] ?? process.cwd();
const seed = (f: string) => join(root, 'test', 'fixtures', 'seeds', f);

/** GET through HAProxy with Node's client: keep-alive (an Agent) or a new connection each. */
function get(
  port: number,
  host: string,
  agent: Agent | false,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('portico ingress: data plane under change (integration)', { skip }, () => {
  let api: TestApiServer;
  let ing: TestIngress;
  let tmp: string;
  const backends: EchoBackend[] = [];
  const cleanups: (() => unknown)[] = [];
  const hooks = { after: (fn: () => unknown) => cleanups.unshift(fn) };

  before(async () => {
    api = await startTestApiServer(hooks);
    ing = await startTestIngress(hooks, api);
    tmp = mkdtempSync(join(tmpdir(), 'ptest-ingress-seeds-'));
    await ing.ingress.ready;
  });
  after(async () => {
    for (const fn of cleanups) await fn();
    await Promise.all(backends.map((b) => b.close()));
    rmSync(tmp, { recursive: true, force: true });
  });

  async function pods(
    svc: string,
    n: number,
    o: { kubia?: boolean; delayMs?: number; from?: number } = {},
  ) {
    const out: EchoBackend[] = [];
    for (let i = 0; i < n; i++)
      out.push(await startEchoBackend({ service: svc, pod: `${svc}-${(o.from ?? 0) + i}`, ...o }));
    backends.push(...out);
    return out;
  }

  async function service(name: string, port = 8080, portName?: string) {
    await ing.client.create<Service>(resources.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'default' },
      spec: {
        selector: { app: name },
        ports: [
          { ...(portName ? { name: portName } : {}), port, targetPort: 3000, protocol: 'TCP' },
        ],
      },
    });
  }

  async function ingress(name: string, spec: IngressSpec) {
    await ing.client.create<Ingress>(resources.ingresses, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, namespace: 'default' },
      spec,
    });
  }

  const http = (host: string, path = '/') =>
    curl(['-H', `Host: ${host}`, `http://127.0.0.1:${ing.httpPort}${path}`]);

  /** The pods that answer `host` over `n` new connections. */
  async function answering(host: string, n: number): Promise<Set<string>> {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const r = await get(ing.httpPort, host, false);
      if (r.status === 200) seen.add((JSON.parse(r.body) as { pod: string }).pod);
    }
    return seen;
  }

  test('endpoint changes go through the runtime API: no reload, and traffic follows', async () => {
    const [a, b, c] = await pods('churn', 3);
    if (!a || !b || !c) throw new Error('no pods');
    await service('churn');
    await putLoopbackSlices(api, 'churn', [{ port: a.port }, { port: b.port }]);
    await ingress('churn', {
      rules: [
        {
          host: 'churn.example',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'churn', port: { number: 8080 } } },
              },
            ],
          },
        },
      ],
    });
    await waitFor(async () => (await answering('churn.example', 4)).size === 2, {
      what: 'two pods answer',
      timeoutMs: 10_000,
    });
    // The sync that served the Ingress has finished (its reload is counted).
    await waitFor(() => ing.ingress.controller.table?.ingresses.includes('default/churn'), {
      what: 'churn synced',
    });
    const stats = { ...ing.ingress.dataplane.stats };
    const worker = ing.ingress.dataplane.process.workerPid;

    // Replace a with c, then mark b unready.
    await putLoopbackSlices(api, 'churn', [{ port: b.port }, { port: c.port }]);
    await waitFor(
      async () => {
        const s = await answering('churn.example', 6);
        return s.size === 2 && s.has('churn-1') && s.has('churn-2');
      },
      { what: 'b and c answer, a does not', timeoutMs: 10_000 },
    );
    await putLoopbackSlices(api, 'churn', [{ port: b.port, ready: false }, { port: c.port }]);
    await waitFor(
      async () => {
        const s = await answering('churn.example', 6);
        return s.size === 1 && s.has('churn-2');
      },
      { what: 'only c answers', timeoutMs: 10_000 },
    );

    assert.equal(ing.ingress.dataplane.stats.reloads, stats.reloads, 'no reload');
    assert.equal(ing.ingress.dataplane.stats.starts, stats.starts, 'no restart');
    assert.ok(ing.ingress.dataplane.stats.runtimeUpdates > stats.runtimeUpdates);
    assert.equal(ing.ingress.dataplane.process.workerPid, worker, 'the same HAProxy worker');
    // What HAProxy runs: c in a slot and enabled; a and b in maintenance.
    const servers = await ing.ingress.dataplane.process.runtime.servers('default_churn_8080');
    const enabled = [...servers.values()].filter((s) => s.enabled).map((s) => s.port);
    assert.deepEqual(enabled, [c.port]);

    // All endpoints gone: 503 from HAProxy, still without a reload.
    await putLoopbackSlices(api, 'churn', []);
    await waitFor(async () => (await http('churn.example')).status === 503, {
      what: '503',
      timeoutMs: 10_000,
    });
    assert.equal(ing.ingress.dataplane.stats.reloads, stats.reloads);
  });

  test('a request in flight finishes when its endpoint is removed', async () => {
    const [slow] = await pods('slow', 1, { delayMs: 1500 });
    const [fast] = await pods('slow', 1, { from: 1 });
    if (!slow || !fast) throw new Error('no pods');
    await service('slow');
    await putLoopbackSlices(api, 'slow', [{ port: slow.port }]);
    await ingress('slow', {
      rules: [
        {
          host: 'slow.example',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'slow', port: { number: 8080 } } },
              },
            ],
          },
        },
      ],
    });
    await waitFor(async () => (await http('slow.example')).status === 200, {
      what: 'slow served',
      timeoutMs: 10_000,
    });
    await waitFor(() => ing.ingress.controller.table?.ingresses.includes('default/slow'), {
      what: 'slow synced',
    });
    const reloads = ing.ingress.dataplane.stats.reloads;
    const served = slow.served();
    const inFlight = http('slow.example');
    await waitFor(() => slow.served() > served, { what: 'the request reached the slow pod' });
    await putLoopbackSlices(api, 'slow', [{ port: fast.port }]);
    await waitFor(async () => echo(await http('slow.example')).pod === 'slow-1', {
      what: 'the new pod answers',
      timeoutMs: 10_000,
    });
    const r = await inFlight;
    assert.equal(r.status, 200, r.stderr);
    assert.equal(echo(r).pod, 'slow-0', 'the old pod answered the request it had');
    assert.equal(ing.ingress.dataplane.stats.reloads, reloads);
  });

  test('route changes between existing backends are map updates, not reloads', async () => {
    const [x] = await pods('route-x', 1);
    const [y] = await pods('route-y', 1);
    if (!x || !y) throw new Error('no pods');
    await service('route-x');
    await service('route-y');
    await putLoopbackSlices(api, 'route-x', [{ port: x.port }]);
    await putLoopbackSlices(api, 'route-y', [{ port: y.port }]);
    const backend = (s: string) => ({ service: { name: s, port: { number: 8080 } } });
    await ingress('routes', {
      rules: [
        {
          host: 'routes.example',
          http: {
            paths: [
              { path: '/x', pathType: 'Prefix', backend: backend('route-x') },
              { path: '/y', pathType: 'Prefix', backend: backend('route-y') },
            ],
          },
        },
      ],
    });
    await waitFor(async () => (await http('routes.example', '/y')).status === 200, {
      what: 'routes served',
      timeoutMs: 10_000,
    });
    await waitFor(() => ing.ingress.controller.table?.ingresses.includes('default/routes'), {
      what: 'routes synced',
    });
    const reloads = ing.ingress.dataplane.stats.reloads;
    // Swap the paths and add a host: the same two backends.
    const cur = await ing.client.get<Ingress>(resources.ingresses, 'default', 'routes');
    cur.spec = {
      rules: [
        {
          host: 'routes.example',
          http: {
            paths: [
              { path: '/x', pathType: 'Prefix', backend: backend('route-y') },
              { path: '/y', pathType: 'Exact', backend: backend('route-x') },
            ],
          },
        },
        {
          host: 'more.example',
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('route-x') }] },
        },
      ],
    };
    await ing.client.update(resources.ingresses, cur);
    await waitFor(
      async () => {
        const r = await http('routes.example', '/x/1');
        return r.status === 200 && echo(r).service === 'route-y';
      },
      { what: 'swapped routes', timeoutMs: 10_000 },
    );
    assert.equal(echo(await http('routes.example', '/y')).service, 'route-x');
    assert.equal((await http('routes.example', '/y/1')).status, 404, 'now Exact');
    assert.equal(echo(await http('more.example', '/z')).service, 'route-x');
    assert.equal(ing.ingress.dataplane.stats.reloads, reloads, 'no reload');
  });

  test('a reload (more endpoints than slots) under load drops no request', async () => {
    const first = await pods('grow', 2);
    await service('grow');
    await putLoopbackSlices(
      api,
      'grow',
      first.map((p) => ({ port: p.port })),
    );
    await ingress('grow', {
      defaultBackend: { service: { name: 'grow', port: { number: 8080 } } },
      rules: [
        {
          host: 'grow.example',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'grow', port: { number: 8080 } } },
              },
            ],
          },
        },
      ],
    });
    await waitFor(async () => (await http('grow.example')).status === 200, {
      what: 'grow served',
      timeoutMs: 10_000,
    });
    const slots = (await ing.ingress.dataplane.process.runtime.servers('default_grow_8080')).size;
    const more = await pods('grow', slots + 2, { from: 2 });
    const reloads = ing.ingress.dataplane.stats.reloads;

    const keepAlive = new Agent({ keepAlive: true, maxSockets: 8 });
    let stop = false;
    const failures: string[] = [];
    let ok = 0;
    const load = async (agent: Agent | false) => {
      while (!stop) {
        try {
          const r = await get(ing.httpPort, 'grow.example', agent);
          if (r.status === 200) ok++;
          else failures.push(String(r.status));
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    };
    const workers = [
      ...Array.from({ length: 4 }, () => load(keepAlive)),
      ...Array.from({ length: 4 }, () => load(false)),
    ];
    try {
      await putLoopbackSlices(
        api,
        'grow',
        [...first, ...more].map((p) => ({ port: p.port })),
      );
      await waitFor(() => ing.ingress.dataplane.stats.reloads > reloads, {
        what: 'a reload',
        timeoutMs: 10_000,
      });
      const total = first.length + more.length;
      await waitFor(async () => (await answering('grow.example', 3 * total)).size === total, {
        what: 'the new pods answer',
        timeoutMs: 10_000,
      });
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    keepAlive.destroy();
    assert.ok(ok > 50, `requests served during the test: ${ok}`);
    assert.deepEqual(failures, [], `${failures.length} of ${ok + failures.length} requests failed`);
    assert.ok(
      (await ing.ingress.dataplane.process.runtime.servers('default_grow_8080')).size > slots,
    );
  });

  test('a killed HAProxy is started again and serves the same routes', async () => {
    await waitFor(async () => (await http('grow.example')).status === 200, {
      what: 'serving',
      timeoutMs: 10_000,
    });
    const pid = ing.ingress.dataplane.process.pid;
    assert.ok(pid);
    const starts = ing.ingress.dataplane.stats.starts;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => ing.ingress.dataplane.stats.starts > starts, {
      what: 'a new start',
      timeoutMs: 20_000,
    });
    const r = await waitFor(
      async () => {
        const x = await http('grow.example');
        return x.status === 200 ? x : undefined;
      },
      { what: 'serving again', timeoutMs: 10_000 },
    );
    assert.equal(echo(r).service, 'grow');
  });

  test('the seeds: kubia-ingress.yaml (extensions/v1beta1) and its TLS version, verbatim', async () => {
    const kubia = await pods('kubia-nodeport', 3, { kubia: true });
    let r = await api.kubectl(['apply', '-f', seed('kubia-svc-nodeport.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    const svc = await ing.client.get<Service>(resources.services, 'default', 'kubia-nodeport');
    await putLoopbackSlices(
      api,
      'kubia-nodeport',
      kubia.map((p) => ({ port: p.port })),
      { portName: svc.spec?.ports?.[0]?.name ?? '' },
    );
    r = await api.kubectl(['apply', '-f', seed('kubia-ingress.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    // kubectl get ingresses: ADDRESS is ours.
    const row = await waitFor(
      async () => {
        const g = await api.kubectl(['get', 'ingresses', 'kubia']);
        return g.stdout.includes('127.0.0.1') ? g.stdout : undefined;
      },
      { what: 'ADDRESS of kubia', timeoutMs: 10_000 },
    );
    assert.match(row, /kubia\s+\S+\s+kubia\.example\.com\s+127\.0\.0\.1\s+80\s/);
    const hit = await waitFor(
      async () => {
        const x = await http('kubia.example.com');
        return x.status === 200 ? x : undefined;
      },
      { what: 'kubia through the ingress', timeoutMs: 10_000 },
    );
    assert.match(hit.body, /^You've hit kubia-nodeport-\d\n$/);

    // §4.2 TLS: the book's openssl commands, kubectl create secret tls, the TLS Ingress.
    const { certFile: cert, keyFile: key } = opensslSeedsPair(tmp, 'kubia.example.com');
    r = await api.kubectl([
      'create',
      'secret',
      'tls',
      'tls-secret',
      `--cert=${cert}`,
      `--key=${key}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /secret\/tls-secret created/);
    r = await api.kubectl(['apply', '-f', seed('kubia-ingress-tls.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    const tls = await waitFor(
      async () => {
        const x = await curl([
          '-k',
          '-v',
          '--resolve',
          `kubia.example.com:${ing.httpsPort}:127.0.0.1`,
          `https://kubia.example.com:${ing.httpsPort}/`,
        ]);
        return x.status === 200 && /subject: CN=kubia\.example\.com/.test(x.stderr) ? x : undefined;
      },
      { what: 'kubia over TLS with the Secret certificate', timeoutMs: 10_000 },
    );
    assert.match(tls.body, /^You've hit kubia-nodeport-\d\n$/);
    // The served certificate is the one the user made.
    const served = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(
      execFileSync('sh', [
        '-c',
        `openssl s_client -connect 127.0.0.1:${ing.httpsPort} -servername kubia.example.com </dev/null 2>/dev/null`,
      ]).toString(),
    )?.[0];
    assert.equal(served?.replace(/\s/g, ''), readFileSync(cert, 'utf8').trim().replace(/\s/g, ''));
    // Plain HTTP keeps working (no forced redirect).
    assert.equal((await http('kubia.example.com')).status, 200);
    const ports = await api.kubectl(['get', 'ingress', 'kubia']);
    assert.match(ports.stdout, /80, 443/);
  });
});

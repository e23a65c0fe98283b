/**
 * `portico ingress` end to end in a two-node sandbox (portico sandbox): the seeds' kubia RC,
 * kubia-nodeport Service and kubia-ingress.yaml verbatim, reached from the outside `client`
 * host through either node's address, both addresses in the Ingress status; then the seeds' TLS
 * flow (openssl, `kubectl create secret tls`, kubia-ingress-tls.yaml) with SNI; and an echoserver
 * Deployment (the conformance suite's W-ECHO) showing what the backend sees.
 *
 * Address plan: sandbox LAN 198.18.<free index>.0/24 (RFC 2544): nodes .11/.12, client .100;
 * pods 10.244.<n>.0/24 — all inside network namespaces this test creates; nothing routes out.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Ingress } from '../../src/api/types/networking.js';
import { sandboxSkipReason, startSandbox, type TestSandbox } from '../../src/testing/sandbox.js';
import { waitFor } from '../../src/testing/wait.js';
import { opensslSeedsPair } from '../../src/testing/tls.js';

function skipReason(): string | undefined {
  const s = sandboxSkipReason();
  if (s) return s;
  for (const tool of ['haproxy', 'openssl'])
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  return undefined;
}

const seeds = join(process.env['PORTICO_ROOT'] ?? process.cwd(), 'test', 'fixtures', 'seeds');

describe('portico ingress (e2e, sandbox with 2 nodes)', { skip: skipReason() }, () => {
  let sb: TestSandbox;
  let tmp: string;
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const f of cleanups) await f();
    rmSync(tmp, { recursive: true, force: true });
  });

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'ptest-ingress-e2e-'));
    sb = await startSandbox({ after: (fn) => cleanups.push(fn) }, { nodes: 2 });
  });

  async function k(args: string[], input?: string): Promise<string> {
    const r = await sb.kubectl(args, input !== undefined ? { input } : {});
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}\n${sb.logs(15)}`);
    return r.stdout;
  }

  /** curl from the outside client host. */
  async function curl(
    args: string[],
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return sb.exec('client', ['curl', '-sS', '--max-time', '5', ...args]);
  }

  it('the seeds: kubia-ingress.yaml reaches kubia pods through either node; status has both', async () => {
    await k(['create', '-f', join(seeds, 'kubia-rc.yaml')]);
    await k(['create', '-f', join(seeds, 'kubia-svc-nodeport.yaml')]);
    await k(['create', '-f', join(seeds, 'kubia-ingress.yaml')]);
    const nodeIPs = sb.nodes.map((n) => sb.ip(n)).sort();
    const ing = await waitFor(
      async () => {
        const i = JSON.parse(await k(['get', 'ingress', 'kubia', '-o', 'json'])) as Ingress;
        const ips = (i.status?.loadBalancer?.ingress ?? []).map((e) => e.ip ?? '').sort();
        return ips.join(',') === nodeIPs.join(',') ? i : undefined;
      },
      {
        what: `the kubia Ingress to show ${nodeIPs.join(',')}\n${sb.logs(10)}`,
        timeoutMs: 90_000,
        intervalMs: 500,
      },
    );
    assert.equal(ing.spec?.ingressClassName, undefined, 'no default class: the seeds name none');
    assert.match(
      await k(['get', 'ingresses']),
      new RegExp(
        `kubia\\s+<none>\\s+kubia\\.example\\.com\\s+${nodeIPs.join(',').replace(/\./g, '\\.')}\\s+80\\s`,
      ),
    );

    for (const ip of nodeIPs) {
      const r = await waitFor(
        async () => {
          const x = await curl(['-H', 'Host: kubia.example.com', `http://${ip}/`]);
          return /^You've hit kubia-/.test(x.stdout) ? x : undefined;
        },
        { what: `kubia through ${ip}\n${sb.logs(10)}`, timeoutMs: 90_000, intervalMs: 500 },
      );
      assert.match(r.stdout, /^You've hit kubia-[a-z0-9]{5}\n$/);
    }
    // Every replica answers (round robin over the ready endpoints, a new connection each).
    const pods = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const x = await curl(['-H', 'Host: kubia.example.com', `http://${nodeIPs[0] ?? ''}/`]);
      pods.add(x.stdout.trim());
    }
    assert.equal(pods.size, 3, [...pods].join(' | '));
    // Another host is not routed.
    const miss = await curl([
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-H',
      'Host: other.example.com',
      `http://${nodeIPs[0] ?? ''}/`,
    ]);
    assert.equal(miss.stdout, '404');
  });

  it('the seeds §4.2: TLS from a Secret made with openssl and kubectl create secret tls', async () => {
    const { certFile: cert, keyFile: key } = opensslSeedsPair(tmp, 'kubia.example.com');
    assert.match(
      await k(['create', 'secret', 'tls', 'tls-secret', `--cert=${cert}`, `--key=${key}`]),
      /secret\/tls-secret created/,
    );
    await k(['apply', '-f', join(seeds, 'kubia-ingress-tls.yaml')]);
    const ip = sb.ip(sb.nodes[1] ?? 'node2');
    const r = await waitFor(
      async () => {
        const x = await curl([
          '-k',
          '-v',
          '--resolve',
          `kubia.example.com:443:${ip}`,
          'https://kubia.example.com/',
        ]);
        return /subject: CN=kubia\.example\.com/.test(x.stderr) &&
          /^You've hit kubia-/.test(x.stdout)
          ? x
          : undefined;
      },
      { what: `kubia over TLS through ${ip}\n${sb.logs(10)}`, timeoutMs: 60_000, intervalMs: 500 },
    );
    assert.match(r.stdout, /^You've hit kubia-[a-z0-9]{5}\n$/);
    assert.match(await k(['get', 'ingress', 'kubia']), /80, 443/);
  });

  it('ING-01 with the echoserver image: the backend sees HTTP/1.1, the client UA and a Host', async () => {
    await k([
      'create',
      'deployment',
      'echo-service',
      '--image=registry.k8s.io/ingressconformance/echoserver:v0.0.1',
      '--replicas=2',
    ]);
    await k(['set', 'env', 'deployment/echo-service', 'SERVICE_NAME=echo-service']);
    await k([
      'expose',
      'deployment',
      'echo-service',
      '--type=NodePort',
      '--port=8080',
      '--target-port=3000',
    ]);
    await k(
      ['apply', '-f', '-'],
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: echo
spec:
  rules:
  - host: my-host
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: echo-service
            port:
              number: 8080
`,
    );
    const ip = sb.ip(sb.nodes[0] ?? 'node1');
    const r = await waitFor(
      async () => {
        const x = await curl([
          '-i',
          '-X',
          'PATCH',
          '-A',
          'Go-http-client/1.1',
          '-H',
          'Host: my-host',
          `http://${ip}/resource`,
        ]);
        return /^HTTP\/1\.1 200/.test(x.stdout) && x.stdout.includes('"service": "echo-service"')
          ? x
          : undefined;
      },
      { what: `the echoserver through ${ip}\n${sb.logs(10)}`, timeoutMs: 90_000, intervalMs: 500 },
    );
    const [head = '', body = ''] = r.stdout.split(/\r\n\r\n/);
    for (const h of ['content-length', 'content-type', 'date', 'server'])
      assert.match(head, new RegExp(`^${h}:`, 'im'), head);
    const echo = JSON.parse(body) as {
      method: string;
      path: string;
      proto: string;
      headers: Record<string, string[]>;
    };
    assert.equal(echo.method, 'PATCH');
    assert.equal(echo.path, '/resource');
    assert.equal(echo.proto, 'HTTP/1.1');
    assert.deepEqual(echo.headers['User-Agent'], ['Go-http-client/1.1']);
  });
});

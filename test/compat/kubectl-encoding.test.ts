/**
 * The encoding paths end to end, real kubectl 1.32 against a real Portico API server: protobuf
 * bodies of `kubectl create <generator>`, default validation (OpenAPI v3, server-side Strict),
 * client-side apply (strategic merge patches), server-side apply with conflicts, the three
 * `kubectl patch` types, managedFields, `explain`, `kind: List` files (OpenAPI v2) and the
 * legacy extensions/v1beta1 Ingress.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubectlAvailable } from '../../src/testing/kubectl.js';
import { startTestApiServer, type TestApiServer } from '../../src/testing/apiserver.js';

const skip = kubectlAvailable() ? false : 'kubectl is not installed';
const seeds = join(process.env['PORTICO_ROOT'] ?? process.cwd(), 'test', 'fixtures', 'seeds');

describe('kubectl 1.32 against the API server: bodies, patches, apply, OpenAPI', { skip }, () => {
  let api: TestApiServer;
  let dir: string;
  const k = async (args: string[], input?: string) => {
    const r = await api.kubectl(args, input !== undefined ? { input } : {});
    return { code: r.code, out: r.stdout, err: r.stderr };
  };
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await k(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.err}`);
    return r.out;
  };
  const json = async <T>(args: string[]): Promise<T> =>
    JSON.parse(await ok([...args, '-o', 'json'])) as T;
  const ns = async (name: string): Promise<string> => {
    await ok(['create', 'namespace', name]);
    return name;
  };

  before(async () => {
    api = await startTestApiServer(undefined);
    dir = mkdtempSync(join(tmpdir(), 'ptest-encoding-'));
  });
  after(async () => {
    await api?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl create <generator> sends protobuf and the objects arrive whole', async () => {
    const n = await ns('ptest-gen');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=kubia.example.com',
        '-keyout',
        join(dir, 'tls.key'),
        '-out',
        join(dir, 'tls.cert'),
      ],
      { stdio: 'ignore' },
    );
    assert.match(
      await ok([
        '-n',
        n,
        'create',
        'secret',
        'tls',
        'tls-secret',
        `--cert=${join(dir, 'tls.cert')}`,
        `--key=${join(dir, 'tls.key')}`,
      ]),
      /secret\/tls-secret created/,
    );
    const secret = await json<{ type: string; data: Record<string, string> }>([
      '-n',
      n,
      'get',
      'secret',
      'tls-secret',
    ]);
    assert.equal(secret.type, 'kubernetes.io/tls');
    assert.equal(
      Buffer.from(secret.data['tls.crt'] ?? '', 'base64').toString(),
      readFileSync(join(dir, 'tls.cert'), 'utf8'),
    );
    assert.match(
      await ok(['-n', n, 'get', 'secret', 'tls-secret']),
      /tls-secret\s+kubernetes.io\/tls\s+2/,
    );

    await ok(['-n', n, 'create', 'service', 'nodeport', 'mysvc', '--tcp=80:8080']);
    const svc = await json<{
      spec: {
        type: string;
        ports: { port: number; targetPort: number; nodePort: number; name: string }[];
      };
    }>(['-n', n, 'get', 'svc', 'mysvc']);
    assert.equal(svc.spec.type, 'NodePort');
    assert.equal(svc.spec.ports[0]?.name, '80-8080');
    assert.equal(svc.spec.ports[0]?.targetPort, 8080);
    assert.ok(
      (svc.spec.ports[0]?.nodePort ?? 0) >= 30000,
      'nodePort allocated (the zero from protobuf was unset)',
    );

    await ok([
      '-n',
      n,
      'create',
      'deployment',
      'kubia-dep',
      '--image=luksa/kubia',
      '--port=8080',
      '--replicas=2',
    ]);
    const dep = await json<{
      spec: {
        replicas: number;
        template: {
          spec: { containers: { ports: { containerPort: number; protocol: string }[] }[] };
        };
      };
    }>(['-n', n, 'get', 'deploy', 'kubia-dep']);
    assert.equal(dep.spec.replicas, 2);
    assert.deepEqual(dep.spec.template.spec.containers[0]?.ports, [
      { containerPort: 8080, protocol: 'TCP' },
    ]);

    await ok(['-n', n, 'create', 'configmap', 'cfg', '--from-literal=k=v']);
    await ok(['-n', n, 'create', 'ingress', 'ing', '--rule=kubia.example.com/*=mysvc:80']);
    assert.match(await ok(['-n', n, 'get', 'ing', 'ing']), /kubia.example.com/);
  });

  it('default validation: the seeds are created; an unknown field is refused, or warned about', async () => {
    const n = await ns('ptest-validate');
    for (const f of [
      'kubia-svc.yaml',
      'kubia-rc.yaml',
      'kubia-svc-nodeport.yaml',
      'external-service-endpoints.yaml',
    ]) {
      assert.match(await ok(['-n', n, 'create', '-f', join(seeds, f)]), / created/);
    }
    const bad = join(dir, 'bad-field.yaml');
    writeFileSync(
      bad,
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  ports:\n  - port: 80\n  portz:\n  - port: 80\n',
    );
    const refused = await k(['-n', n, 'create', '-f', bad]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.err,
      /Error from server \(BadRequest\): error when creating ".*bad-field.yaml": Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.portz"/,
    );
    const warned = await k(['-n', n, 'create', '-f', bad, '--validate=warn']);
    assert.equal(warned.code, 0, warned.err);
    assert.match(warned.err, /Warning: unknown field "spec.portz"/);
  });

  it('the legacy extensions/v1beta1 ingress of the seeds is accepted', async () => {
    const n = await ns('ptest-legacy-ing');
    assert.match(
      await ok(['-n', n, 'create', '-f', join(seeds, 'kubia-ingress.yaml')]),
      /ingress.* created/,
    );
    const ing = await json<{
      apiVersion: string;
      spec: { rules: { http: { paths: { pathType: string; backend: unknown }[] } }[] };
    }>(['-n', n, 'get', 'ingresses.networking.k8s.io', 'kubia']);
    assert.equal(ing.apiVersion, 'networking.k8s.io/v1');
    assert.deepEqual(ing.spec.rules[0]?.http.paths[0], {
      path: '/',
      pathType: 'ImplementationSpecific',
      backend: { service: { name: 'kubia-nodeport', port: { number: 80 } } },
    });
  });

  it('client-side apply: created, unchanged, configured with both ports; managedFields show the applier', async () => {
    const n = await ns('ptest-csa');
    const file = join(dir, 'svc.yaml');
    const v1 =
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n  selector: {app: web}\n  ports:\n  - {name: http, port: 80, targetPort: 8080}\n';
    writeFileSync(file, v1);
    assert.match(await ok(['-n', n, 'apply', '-f', file]), /service\/web created/);
    assert.match(await ok(['-n', n, 'apply', '-f', file]), /service\/web unchanged/);
    writeFileSync(file, `${v1}  - {name: https, port: 443, targetPort: 8443}\n`);
    assert.match(await ok(['-n', n, 'apply', '-f', file]), /service\/web configured/);
    const svc = await json<{
      spec: { clusterIP: string; ports: { name: string; nodePort: number }[] };
      metadata: { annotations: Record<string, string> };
    }>(['-n', n, 'get', 'svc', 'web']);
    assert.deepEqual(
      svc.spec.ports.map((p) => p.name),
      ['http', 'https'],
    );
    assert.ok(svc.spec.ports.every((p) => p.nodePort >= 30000));
    assert.match(
      svc.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] ?? '',
      /"https"/,
    );
    const shown = await ok(['-n', n, 'get', 'svc', 'web', '-o', 'yaml', '--show-managed-fields']);
    assert.match(shown, /manager: kubectl-client-side-apply\n\s+operation: Update/);
    assert.match(shown, /k:\{"port":443,"protocol":"TCP"\}:/);
  });

  it('server-side apply: a conflict with the client-side applier, then --force-conflicts', async () => {
    const n = await ns('ptest-ssa');
    const file = join(dir, 'ssa.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: kubia\nspec:\n  selector: {app: kubia}\n  ports:\n  - {port: 80, targetPort: 8080}\n',
    );
    await ok(['-n', n, 'apply', '-f', file]);
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: kubia\nspec:\n  sessionAffinity: ClientIP\n  selector: {app: kubia}\n  ports:\n  - {port: 80, targetPort: 8080}\n',
    );
    const conflict = await k([
      '-n',
      n,
      'apply',
      '--server-side',
      '--field-manager=other',
      '-f',
      file,
    ]);
    assert.equal(conflict.code, 1);
    assert.match(
      conflict.err,
      /Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: \.spec\.sessionAffinity/,
    );
    assert.match(
      await ok([
        '-n',
        n,
        'apply',
        '--server-side',
        '--field-manager=other',
        '--force-conflicts',
        '-f',
        file,
      ]),
      /serverside-applied/,
    );
    const svc = await json<{
      spec: { sessionAffinity: string };
      metadata: { managedFields: { manager: string; operation: string }[] };
    }>(['-n', n, 'get', 'svc', 'kubia', '--show-managed-fields']);
    assert.equal(svc.spec.sessionAffinity, 'ClientIP');
    assert.ok(
      svc.metadata.managedFields.some((m) => m.manager === 'other' && m.operation === 'Apply'),
    );
    // kubectl's own manager takes over from its client-side apply without a conflict.
    assert.match(
      await ok([
        '-n',
        n,
        'apply',
        '--server-side',
        '-f',
        join(seeds, 'kubia-svc-loadbalancer.yaml'),
      ]),
      /serverside-applied/,
    );
  });

  it('kubectl patch: strategic, merge and json patches, and a failed json test', async () => {
    const n = await ns('ptest-patch');
    await ok(['-n', n, 'create', '-f', join(seeds, 'kubia-multiport-svc.yaml')]);
    await ok([
      '-n',
      n,
      'patch',
      'svc',
      'kubia-multiport-svc',
      '-p',
      '{"spec":{"ports":[{"port":443,"targetPort":9443}]}}',
    ]);
    await ok([
      '-n',
      n,
      'patch',
      'svc',
      'kubia-multiport-svc',
      '--type=merge',
      '-p',
      '{"metadata":{"labels":{"tier":"web"}}}',
    ]);
    await ok([
      '-n',
      n,
      'patch',
      'svc',
      'kubia-multiport-svc',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/sessionAffinity","value":"ClientIP"}]',
    ]);
    const svc = await json<{
      metadata: { labels: Record<string, string> };
      spec: { sessionAffinity: string; ports: { port: number; targetPort: number }[] };
    }>(['-n', n, 'get', 'svc', 'kubia-multiport-svc']);
    assert.deepEqual(
      svc.spec.ports.map((p) => [p.port, p.targetPort]),
      [
        [80, 8080],
        [443, 9443],
      ],
      'the SMP merged port 443 by its key',
    );
    assert.equal(svc.metadata.labels['tier'], 'web');
    assert.equal(svc.spec.sessionAffinity, 'ClientIP');
    const failed = await k([
      '-n',
      n,
      'patch',
      'svc',
      'kubia-multiport-svc',
      '--type=json',
      '-p',
      '[{"op":"test","path":"/spec/type","value":"NodePort"}]',
    ]);
    assert.equal(failed.code, 1);
    assert.match(
      failed.err,
      /The request is invalid: patch: testing value \/spec\/type failed: test failed/,
    );
    // kubectl patch sends no fieldValidation: the default, Warn, drops the field with a warning.
    const warned = await k([
      '-n',
      n,
      'patch',
      'svc',
      'kubia-multiport-svc',
      '-p',
      '{"spec":{"portz":1}}',
    ]);
    assert.equal(warned.code, 0, warned.err);
    assert.match(warned.err, /Warning: unknown field "spec.portz"/);
  });

  it('explain and kind: List files work from our OpenAPI documents', async () => {
    const explained = await ok(['explain', 'svc.spec.ports']);
    assert.match(explained, /FIELD: ports <\[\]ServicePort>/);
    assert.match(explained, /port\s+<integer> -required-/);
    const n = await ns('ptest-list');
    const list = join(dir, 'list.yaml');
    writeFileSync(
      list,
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n  data: {k: v}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: b}\n  spec: {ports: [{port: 80}]}\n',
    );
    assert.match(
      await ok(['-n', n, 'apply', '-f', list]),
      /configmap\/a created\nservice\/b created/,
    );
  });
});

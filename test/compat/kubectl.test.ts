// Real kubectl 1.32 against the API server: the rows of kubectl-compat §12 that need only the
// API server (the ones needing controllers or agents come with those). The seeds' manifests are
// applied verbatim. Output is compared after collapsing runs of spaces; ages, IPs and generated
// suffixes are patterns.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterCA } from '../../src/apiserver/auth/pki.js';
import { startTestApiServer, type TestApiServer } from '../../src/testing/apiserver.js';
import { kubectl, kubectlAvailable, type KubectlResult } from '../../src/testing/kubectl.js';
import { waitFor } from '../../src/testing/wait.js';

const skip = kubectlAvailable() ? false : 'kubectl is not installed';
const seeds = join(process.env['PORTICO_ROOT'] ?? process.cwd(), 'test', 'fixtures', 'seeds');
const seed = (f: string): string => join(seeds, f);

let api: TestApiServer;
const k = (args: string[], input?: string): Promise<KubectlResult> =>
  api.kubectl(args, input === undefined ? {} : { input });

/** Lines with runs of spaces collapsed. */
const lines = (s: string): string[] =>
  s
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter((l) => l !== '');

function ok(r: KubectlResult): string {
  assert.equal(r.code, 0, `kubectl failed: ${r.stderr}`);
  return r.stdout;
}

const age = '\\d+[smhd]';
const ip = '\\d+\\.\\d+\\.\\d+\\.\\d+';

describe('kubectl against portico apiserver', { skip }, () => {
  before(async () => {
    api = await startTestApiServer(undefined);
  });
  after(async () => {
    await api?.stop();
  });

  test('1: version reports v1.32', async () => {
    const v = JSON.parse(ok(await k(['version', '-o', 'json']))) as {
      serverVersion: { gitVersion: string };
    };
    assert.match(v.serverVersion.gitVersion, /^v1\.32\./);
  });

  test('2: api-resources lists the kinds with short names and groups', async () => {
    const out = lines(ok(await k(['api-resources'])));
    for (const row of [
      'services svc v1 true Service',
      'endpoints ep v1 true Endpoints',
      'replicationcontrollers rc v1 true ReplicationController',
      'endpointslices discovery.k8s.io/v1 true EndpointSlice',
      'ingresses ing networking.k8s.io/v1 true Ingress',
    ])
      assert.ok(out.includes(row), `missing row "${row}" in:\n${out.join('\n')}`);
  });

  test('3: get on an empty namespace prints nothing and says so on stderr', async () => {
    ok(await k(['create', 'namespace', 'empty']));
    const r = await k(['get', 'svc', '-n', 'empty']);
    assert.equal(ok(r), '');
    assert.equal(r.stderr.trim(), 'No resources found in empty namespace.');
  });

  test('8–11, 16: create a Service from the seed; get, wide, jsonpath; AlreadyExists on a second create', async () => {
    assert.equal(
      ok(await k(['create', '-f', seed('kubia-svc.yaml')])).trim(),
      'service/kubia created',
    );
    const out = lines(ok(await k(['get', 'svc', 'kubia'])));
    assert.equal(out[0], 'NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE');
    assert.match(out[1] ?? '', new RegExp(`^kubia ClusterIP (${ip}) <none> 80/TCP ${age}$`));
    const clusterIP = /ClusterIP (\S+)/.exec(out[1] ?? '')?.[1];
    const wide = lines(ok(await k(['get', 'svc', 'kubia', '-o', 'wide'])));
    assert.match(wide[1] ?? '', / app=kubia$/);
    assert.equal(
      ok(await k(['get', 'svc', 'kubia', '-o', 'jsonpath={.spec.clusterIP}'])),
      clusterIP,
    );
    const again = await k(['create', '-f', seed('kubia-svc.yaml')]);
    assert.equal(again.code, 1);
    assert.equal(
      again.stderr.trim(),
      `Error from server (AlreadyExists): error when creating "${seed('kubia-svc.yaml')}": services "kubia" already exists`,
    );
  });

  test('14: describe svc has the selector, ports and no panic', async () => {
    const out = lines(ok(await k(['describe', 'svc', 'kubia'])));
    for (const want of [
      'Selector: app=kubia',
      'Type: ClusterIP',
      'Port: <unset> 80/TCP',
      'TargetPort: 8080/TCP',
      'Session Affinity: None',
    ])
      assert.ok(out.includes(want), `missing "${want}" in:\n${out.join('\n')}`);
  });

  test('17, 18: strict validation rejects spec.portz; --validate=warn creates with a warning', async () => {
    const bad =
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: bad-field\nspec:\n  portz: 1\n  ports:\n  - port: 80\n';
    const r = await k(['create', '-f', '-'], bad);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.trim(),
      'Error from server (BadRequest): error when creating "STDIN": Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.portz"',
    );
    const w = await k(['create', '-f', '-', '--validate=warn'], bad);
    assert.equal(ok(w).trim(), 'service/bad-field created');
    assert.match(w.stderr, /Warning: unknown field "spec\.portz"/);
  });

  test('19–21: apply creates, is unchanged the second time, configures a change', async () => {
    assert.equal(
      ok(await k(['apply', '-f', seed('kubia-svc-nodeport.yaml')])).trim(),
      'service/kubia-nodeport created',
    );
    assert.match(
      lines(ok(await k(['get', 'svc', 'kubia-nodeport'])))[1] ?? '',
      / NodePort \S+ <none> 80:30123\/TCP /,
    );
    assert.equal(
      ok(await k(['apply', '-f', seed('kubia-svc-nodeport.yaml')])).trim(),
      'service/kubia-nodeport unchanged',
    );
    const changed = readFileSync(seed('kubia-svc-nodeport.yaml'), 'utf8')
      .replace('  - port: 80\n', '  - name: http\n    port: 80\n')
      .replace('  selector:', '  - name: https\n    port: 443\n    targetPort: 8443\n  selector:');
    assert.equal(
      ok(await k(['apply', '-f', '-'], changed)).trim(),
      'service/kubia-nodeport configured',
    );
    const svc = JSON.parse(ok(await k(['get', 'svc', 'kubia-nodeport', '-o', 'json']))) as {
      metadata: { annotations: Record<string, string> };
      spec: { ports: { name: string; port: number; nodePort: number }[] };
    };
    assert.deepEqual(
      svc.spec.ports.map((p) => [p.name, p.port]),
      [
        ['http', 80],
        ['https', 443],
      ],
    );
    assert.equal(svc.spec.ports[0]?.nodePort, 30123);
    assert.match(
      svc.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] ?? '',
      /"https"/,
    );
  });

  test('22: apply --server-side creates a LoadBalancer with a pending external IP', async () => {
    assert.equal(
      ok(await k(['apply', '--server-side', '-f', seed('kubia-svc-loadbalancer.yaml')])).trim(),
      'service/kubia-loadbalancer serverside-applied',
    );
    assert.match(
      lines(ok(await k(['get', 'svc', 'kubia-loadbalancer'])))[1] ?? '',
      new RegExp(`^kubia-loadbalancer LoadBalancer ${ip} <pending> 80:3\\d{4}/TCP ${age}$`),
    );
  });

  test('4, 23, 24: create the RC, expose it, scale it', async () => {
    assert.equal(
      ok(await k(['create', '-f', seed('kubia-rc.yaml')])).trim(),
      'replicationcontroller/kubia created',
    );
    assert.equal(
      ok(
        await k([
          'expose',
          'rc',
          'kubia',
          '--type=NodePort',
          '--name',
          'kubia-http',
          '--port',
          '80',
          '--target-port',
          '8080',
        ]),
      ).trim(),
      'service/kubia-http exposed',
    );
    assert.match(
      lines(ok(await k(['get', 'svc', 'kubia-http'])))[1] ?? '',
      / NodePort \S+ <none> 80:3\d{4}\/TCP /,
    );
    assert.equal(
      ok(await k(['scale', 'rc', 'kubia', '--replicas=5'])).trim(),
      'replicationcontroller/kubia scaled',
    );
    const rc = lines(ok(await k(['get', 'rc', 'kubia', '-o', 'wide'])));
    assert.equal(rc[0], 'NAME DESIRED CURRENT READY AGE CONTAINERS IMAGES SELECTOR');
    assert.match(rc[1] ?? '', new RegExp(`^kubia 5 \\d+ \\d+ ${age} kubia luksa/kubia app=kubia$`));
    assert.equal(
      ok(await k(['scale', 'rc', 'kubia', '--current-replicas=5', '--replicas=3'])).trim(),
      'replicationcontroller/kubia scaled',
    );
  });

  test('25, 26, 29: run a pod, label it, refuse relabel without --overwrite', async () => {
    assert.equal(
      ok(
        await k([
          'run',
          'dnsutils',
          '--image=tutum/dnsutils',
          '--command',
          '--',
          'sleep',
          'infinity',
        ]),
      ).trim(),
      'pod/dnsutils created',
    );
    assert.equal(
      ok(await k(['label', 'pod', 'dnsutils', 'env=prod'])).trim(),
      'pod/dnsutils labeled',
    );
    const shown = lines(ok(await k(['get', 'pods', '--show-labels'])));
    assert.match(shown.find((l) => l.startsWith('dnsutils')) ?? '', /env=prod/);
    const r = await k(['label', 'pod', 'dnsutils', 'run=foo']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.trim(),
      "error: 'run' already has a value (dnsutils), and --overwrite is false",
    );
  });

  test('27: create secret tls (a protobuf body)', async () => {
    const ca = await ClusterCA.create('tls-test');
    const pair = await ca.issueServing({
      commonName: 'kubia.example.com',
      dnsNames: ['kubia.example.com'],
      ips: [],
    });
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const dir = mkdtempSync(join(api.dataDir, 'tls-'));
    writeFileSync(join(dir, 'tls.cert'), pair.cert);
    writeFileSync(join(dir, 'tls.key'), pair.key);
    assert.equal(
      ok(
        await k([
          'create',
          'secret',
          'tls',
          'tls-secret',
          `--cert=${join(dir, 'tls.cert')}`,
          `--key=${join(dir, 'tls.key')}`,
        ]),
      ).trim(),
      'secret/tls-secret created',
    );
    assert.match(
      lines(ok(await k(['get', 'secret', 'tls-secret'])))[1] ?? '',
      new RegExp(`^tls-secret kubernetes.io/tls 2 ${age}$`),
    );
  });

  test('28: the seed`s extensions/v1beta1 Ingress', async () => {
    assert.equal(
      ok(await k(['create', '-f', seed('kubia-ingress.yaml')])).trim(),
      'ingress.extensions/kubia created',
    );
    const out = lines(ok(await k(['get', 'ing'])));
    assert.equal(out[0], 'NAME CLASS HOSTS ADDRESS PORTS AGE');
    assert.match(out[1] ?? '', new RegExp(`^kubia <none> kubia.example.com 80 ${age}$`));
  });

  test('34, 35: get -w sees later changes, with --output-watch-events', async () => {
    let seen = '';
    const stop = new AbortController();
    const w = api.kubectl(['get', 'svc', '-w', '--output-watch-events'], {
      timeoutMs: 30_000,
      signal: stop.signal,
      onStdout: (s) => (seen = s),
    });
    await waitFor(() => seen.includes('kubia '), {
      what: 'the initial list of get -w',
      timeoutMs: 10_000,
    });
    ok(await k(['create', 'service', 'clusterip', 'watched', '--tcp=80:8080']));
    ok(await k(['delete', 'svc', 'watched']));
    await waitFor(() => /DELETED\s+watched/.test(seen), {
      what: 'the DELETED row of get -w',
      timeoutMs: 10_000,
    });
    stop.abort();
    const r = await w;
    assert.ok(r.timedOut, 'get -w runs until stopped');
    const out = lines(r.stdout);
    assert.equal(out[0], 'EVENT NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE');
    assert.ok(
      out.some((l) => /^ADDED kubia ClusterIP /.test(l)),
      out.join('\n'),
    );
    assert.ok(
      out.some((l) => /^ADDED watched ClusterIP /.test(l)),
      out.join('\n'),
    );
    assert.ok(
      out.some((l) => /^DELETED watched ClusterIP /.test(l)),
      out.join('\n'),
    );
  });

  test('36, 38: delete a service; get after is NotFound; delete -f', async () => {
    assert.equal(
      ok(await k(['delete', 'svc', 'kubia-http'])).trim(),
      'service "kubia-http" deleted',
    );
    const r = await k(['get', 'svc', 'kubia-http']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'Error from server (NotFound): services "kubia-http" not found');
    assert.equal(
      ok(await k(['delete', '-f', seed('kubia-svc-nodeport.yaml')])).trim(),
      'service "kubia-nodeport" deleted',
    );
  });

  test('39: get pods -A fills the NAMESPACE column', async () => {
    const out = lines(ok(await k(['get', 'pods', '-A'])));
    assert.equal(out[0], 'NAMESPACE NAME READY STATUS RESTARTS AGE');
    assert.match(out.find((l) => l.includes('dnsutils')) ?? '', /^default dnsutils /);
  });

  test('15: get all prints the kinds of category all', async () => {
    const out = ok(await k(['get', 'all']));
    assert.match(out, /^pod\/dnsutils /m);
    assert.match(out, /^service\/kubernetes /m);
    assert.match(out, /^replicationcontroller\/kubia /m);
  });

  test('41: get ev prints no short-name warning', async () => {
    const r = await k(['get', 'ev']);
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.stderr, /could also match/);
  });

  test('42: cluster-info names the control plane URL', async () => {
    assert.match(
      ok(await k(['cluster-info'])),
      new RegExp(`Kubernetes control plane.* is running at .*https://127\\.0\\.0\\.1:${api.port}`),
    );
  });

  test('43: the kubectl dispatcher picks its built-in 1.32 for our server', async () => {
    const r = await kubectl(['version'], {
      kubeconfig: api.kubeconfig,
      binary: '/usr/bin/kubectl',
    });
    assert.match(ok(r), /Client Version: v1\.32\.\d+-dispatcher/);
    assert.match(r.stdout, /Server Version: v1\.32\.\d+/);
  });
});

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inClusterConfig, loadRestConfig } from './kubeconfig.js';
import { ClientError } from './errors.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'ptest-kubeconfig-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

const configError = (re: RegExp) => (e: unknown) =>
  e instanceof ClientError && e.code === 'E_CLIENT_CONFIG' && re.test(e.message);

test('loadRestConfig() reads inline data, the current context and its namespace', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'config');
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
current-context: portico
clusters:
- name: portico
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: ${b64('CA PEM')}
    tls-server-name: kubernetes
users:
- name: admin
  user:
    client-certificate-data: ${b64('CERT PEM')}
    client-key-data: ${b64('KEY PEM')}
contexts:
- name: portico
  context: { cluster: portico, user: admin, namespace: kube-system }
- name: other
  context: { cluster: portico, user: admin }
`,
  );
  const c = loadRestConfig({ kubeconfig: path, env: {} });
  assert.equal(c.server, 'https://127.0.0.1:6443');
  assert.equal(c.caData?.toString(), 'CA PEM');
  assert.equal(c.certData?.toString(), 'CERT PEM');
  assert.equal(c.keyData?.toString(), 'KEY PEM');
  assert.equal(c.tlsServerName, 'kubernetes');
  assert.equal(c.namespace, 'kube-system');
  assert.equal(c.insecureSkipTLSVerify, false);
  assert.equal(c.source, `${path} (context portico)`);
  const other = loadRestConfig({ kubeconfig: path, context: 'other', env: {} });
  assert.equal(other.namespace, 'default');
  assert.throws(
    () => loadRestConfig({ kubeconfig: path, context: 'nope', env: {} }),
    configError(/context "nope" not found/),
  );
});

test('loadRestConfig() resolves file paths relative to the kubeconfig and reads token files', (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'pki'));
  writeFileSync(join(dir, 'pki', 'ca.crt'), 'CA FILE');
  writeFileSync(join(dir, 'token'), 'secret-token\n');
  const path = join(dir, 'config');
  writeFileSync(
    path,
    `current-context: c
clusters: [{ name: k, cluster: { server: "https://10.0.0.1", certificate-authority: pki/ca.crt, insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { tokenFile: token } }]
contexts: [{ name: c, context: { cluster: k, user: u } }]
`,
  );
  const c = loadRestConfig({ kubeconfig: path, env: {} });
  assert.equal(c.caData?.toString(), 'CA FILE');
  assert.equal(c.token, 'secret-token');
  assert.equal(c.tokenFile, join(dir, 'token'));
  assert.equal(c.insecureSkipTLSVerify, true);
});

test('loadRestConfig() merges $KUBECONFIG files: the first definition and current-context win', (t) => {
  const dir = tempDir(t);
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  writeFileSync(
    a,
    `current-context: from-b
users: [{ name: u, user: { token: first } }]
`,
  );
  writeFileSync(
    b,
    `current-context: ignored
clusters: [{ name: k, cluster: { server: "http://127.0.0.1:8080" } }]
users: [{ name: u, user: { token: second } }]
contexts: [{ name: from-b, context: { cluster: k, user: u } }]
`,
  );
  const c = loadRestConfig({ env: { KUBECONFIG: `${a}:${join(dir, 'missing')}:${b}`, HOME: dir } });
  assert.equal(c.server, 'http://127.0.0.1:8080');
  assert.equal(c.token, 'first');
  assert.equal(c.source, `${a}:${b} (context from-b)`);
});

test('loadRestConfig() falls back to ~/.kube/config, then in-cluster, then explains what to do', (t) => {
  const home = tempDir(t);
  const sa = tempDir(t);
  writeFileSync(join(sa, 'token'), 'sa-token');
  writeFileSync(join(sa, 'ca.crt'), 'SA CA');
  writeFileSync(join(sa, 'namespace'), 'kube-system\n');
  const inCluster = {
    KUBERNETES_SERVICE_HOST: 'fd00::1',
    KUBERNETES_SERVICE_PORT: '443',
    HOME: home,
  };
  const c = loadRestConfig({ env: inCluster, serviceAccountDir: sa });
  assert.equal(c.server, 'https://[fd00::1]:443');
  assert.equal(c.token, 'sa-token');
  assert.equal(c.tokenFile, join(sa, 'token'));
  assert.equal(c.caData?.toString(), 'SA CA');
  assert.equal(c.namespace, 'kube-system');
  assert.equal(c.source, 'in-cluster');

  mkdirSync(join(home, '.kube'));
  writeFileSync(
    join(home, '.kube', 'config'),
    `current-context: c
clusters: [{ name: k, cluster: { server: "https://127.0.0.1:1" } }]
contexts: [{ name: c, context: { cluster: k } }]
`,
  );
  assert.equal(
    loadRestConfig({ env: inCluster, serviceAccountDir: sa }).server,
    'https://127.0.0.1:1',
  );
  assert.equal(inClusterConfig({ env: { HOME: home } }), undefined);
  assert.throws(
    () => loadRestConfig({ env: { HOME: tempDir(t) } }),
    configError(/no API server configured: pass --kubeconfig/),
  );
});

test('loadRestConfig() rejects broken and unsupported kubeconfigs with a clear message', (t) => {
  const dir = tempDir(t);
  const write = (body: string) => {
    const p = join(dir, `c${Math.random()}`);
    writeFileSync(p, body);
    return p;
  };
  const cases: { name: string; body: string; want: RegExp }[] = [
    { name: 'not a mapping', body: '- a\n- b\n', want: /is not a YAML mapping/ },
    { name: 'no context', body: 'clusters: []\n', want: /no current-context/ },
    {
      name: 'missing cluster',
      body: 'current-context: c\ncontexts: [{ name: c, context: { cluster: k } }]\n',
      want: /names cluster "k", which is not in/,
    },
    {
      name: 'exec plugin',
      body: `current-context: c
clusters: [{ name: k, cluster: { server: "https://x" } }]
users: [{ name: u, user: { exec: { command: aws } } }]
contexts: [{ name: c, context: { cluster: k, user: u } }]
`,
      want: /exec plugin/,
    },
    {
      name: 'cert without key',
      body: `current-context: c
clusters: [{ name: k, cluster: { server: "https://x" } }]
users: [{ name: u, user: { client-certificate-data: QQ== } }]
contexts: [{ name: c, context: { cluster: k, user: u } }]
`,
      want: /both a client certificate and a client key/,
    },
    {
      name: 'bad server',
      body: `current-context: c
clusters: [{ name: k, cluster: { server: "ftp://x" } }]
contexts: [{ name: c, context: { cluster: k } }]
`,
      want: /only https:\/\/ and http:\/\//,
    },
    {
      name: 'missing CA file',
      body: `current-context: c
clusters: [{ name: k, cluster: { server: "https://x", certificate-authority: /nonexistent/ca.crt } }]
contexts: [{ name: c, context: { cluster: k } }]
`,
      want: /cannot read certificate authority \/nonexistent\/ca.crt/,
    },
  ];
  for (const c of cases)
    assert.throws(
      () => loadRestConfig({ kubeconfig: write(c.body), env: {} }),
      configError(c.want),
      c.name,
    );
  assert.throws(
    () => loadRestConfig({ kubeconfig: join(dir, 'absent'), env: {} }),
    configError(/does not exist/),
  );
});

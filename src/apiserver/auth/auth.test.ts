import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Authenticator, formatTokenFile, isPublicPath, parseTokenFile } from './authn.js';
import { ensureCredentials, issueKubeconfig, writeKubeconfigs } from './credentials.js';
import { ClusterCA, needsRenewal } from './pki.js';

test('parseTokenFile() reads kube static token lines with quoted groups', () => {
  const entries = parseTokenFile('# comment\nabc,admin,admin,"system:masters,x"\n\ndef,bob,bob\n');
  assert.deepEqual(entries, [
    { token: 'abc', user: { name: 'admin', groups: ['system:masters', 'x'] } },
    { token: 'def', user: { name: 'bob', groups: [] } },
  ]);
  assert.deepEqual(parseTokenFile(formatTokenFile(entries)), entries);
});

test('Authenticator: verified certificates and known tokens authenticate, others do not', () => {
  const a = new Authenticator([
    { token: 'secret', user: { name: 'admin', groups: ['system:masters'] } },
  ]);
  const cert = { authorized: true, commonName: 'system:node:n1', organizations: ['system:nodes'] };
  assert.deepEqual(a.authenticate({ headers: {}, clientCertificate: cert }), {
    name: 'system:node:n1',
    groups: ['system:nodes', 'system:authenticated'],
  });
  assert.equal(
    a.authenticate({ headers: {}, clientCertificate: { ...cert, authorized: false } }),
    undefined,
  );
  assert.equal(a.authenticate({ headers: { authorization: 'Bearer secret' } })?.name, 'admin');
  assert.equal(a.authenticate({ headers: { authorization: 'Bearer secreT' } }), undefined);
  assert.equal(a.authenticate({ headers: {} }), undefined);
});

test('isPublicPath(): health and version only', () => {
  for (const p of ['/healthz', '/livez', '/readyz', '/readyz/ping', '/version'])
    assert.ok(isPublicPath(p), p);
  for (const p of ['/api', '/apis', '/metrics', '/openapi/v3', '/version/x'])
    assert.ok(!isPublicPath(p), p);
});

test('ClusterCA issues serving and client certificates that chain to it', async () => {
  const ca = await ClusterCA.create('unit');
  const serving = await ca.issueServing({
    commonName: 's',
    dnsNames: ['kubernetes.default.svc'],
    ips: ['10.96.0.1'],
  });
  const cert = new X509Certificate(serving.cert);
  assert.ok(cert.verify(new X509Certificate(ca.certPem).publicKey));
  assert.equal(cert.checkHost('kubernetes.default.svc'), 'kubernetes.default.svc');
  assert.equal(cert.checkIP('10.96.0.1'), '10.96.0.1');
  assert.equal(
    needsRenewal(serving.cert, {
      days: 30,
      dnsNames: ['kubernetes.default.svc'],
      ips: ['10.96.0.1'],
      ca: ca.certPem,
    }),
    false,
  );
  assert.equal(
    needsRenewal(serving.cert, { days: 30, ips: ['192.0.2.7'] }),
    true,
    'a new IP needs a new certificate',
  );
  assert.equal(needsRenewal(serving.cert, { days: 400 }), true, 'expiring within the window');
  const client = new X509Certificate(
    (await ca.issueClient({ commonName: 'alice', organizations: ['devs'] })).cert,
  );
  assert.match(client.subject, /CN=alice/);
  assert.match(client.subject, /O=devs/);
});

test('ensureCredentials() creates everything once, reuses it, and re-issues the serving cert for new names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ptest-creds-'));
  try {
    const o = {
      dataDir: dir,
      servingDnsNames: ['localhost'],
      servingIps: ['127.0.0.1'],
      nodeName: 'n1',
    };
    const a = await ensureCredentials(o);
    writeKubeconfigs(a, 'https://127.0.0.1:6443');
    assert.equal(statSync(join(dir, 'tls', 'ca.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'kubeconfig')).mode & 0o777, 0o600);
    const agent = new X509Certificate(a.components.agent.cert);
    assert.match(agent.subject, /CN=system:node:n1/);
    const b = await ensureCredentials(o);
    assert.equal(b.caPem, a.caPem);
    assert.equal(b.serving.cert, a.serving.cert);
    assert.equal(b.adminToken, a.adminToken);
    const c = await ensureCredentials({ ...o, servingIps: ['127.0.0.1', '192.0.2.9'] });
    assert.notEqual(c.serving.cert, a.serving.cert);
    assert.equal(c.caPem, a.caPem);
    const kc = parse(
      await issueKubeconfig({ dataDir: dir, user: 'bob', groups: ['g'], server: 'https://x:1' }),
    ) as {
      clusters: { cluster: { server: string } }[];
      users: { name: string; user: { 'client-certificate-data': string } }[];
    };
    assert.equal(kc.clusters[0]?.cluster.server, 'https://x:1');
    const bob = new X509Certificate(
      Buffer.from(kc.users[0]?.user['client-certificate-data'] ?? '', 'base64'),
    );
    assert.match(bob.subject, /CN=bob/);
    assert.ok(readFileSync(join(dir, 'tokens.csv'), 'utf8').includes('system:node-join'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

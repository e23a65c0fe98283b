import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { opensslSeedsPair } from '../testing/tls.js';
import { tlsSecret } from './fixtures.js';
import { defaultCertificateCN, selfSignedBundle, tlsBundle, validBundle } from './tls.js';

const haveOpenssl = spawnSync('sh', ['-c', 'command -v openssl']).status === 0;
const haveHaproxy = spawnSync('sh', ['-c', 'command -v haproxy']).status === 0;

/** The seeds' flow: `openssl genrsa` + `openssl req -new -x509 … -subj /CN=…` (no SAN). */
function seedsPair(cn: string): { cert: string; key: string } {
  const d = mkdtempSync(join(tmpdir(), 'ptest-tls-'));
  try {
    const { certFile, keyFile } = opensslSeedsPair(d, cn);
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

test(
  'tlsBundle: the seeds certificate makes a bundle of chain then key, names from the CN',
  { skip: haveOpenssl ? undefined : 'needs openssl' },
  () => {
    const { cert, key } = seedsPair('kubia.example.com');
    const b = tlsBundle(tlsSecret('tls-secret', cert.replace(/\n/g, '\r\n') + '\n\n', key));
    assert.ok(!('error' in b), JSON.stringify(b));
    assert.deepEqual(b.names, ['kubia.example.com']);
    assert.match(
      b.pem,
      /^-----BEGIN CERTIFICATE-----\n[\s\S]*-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n[\s\S]*-----END PRIVATE KEY-----\n$/,
    );
    assert.doesNotMatch(
      b.pem,
      /\r|\n\n/,
      'no CR and no blank line (the runtime API payload ends at one)',
    );
  },
);

test(
  'tlsBundle: missing keys, garbage and a key of another certificate are errors',
  { skip: haveOpenssl ? undefined : 'needs openssl' },
  () => {
    const a = seedsPair('a.example');
    const b = seedsPair('b.example');
    const cases: [string, ReturnType<typeof tlsSecret>, RegExp][] = [
      [
        'no key',
        {
          ...tlsSecret('s', a.cert, a.key),
          data: { 'tls.crt': Buffer.from(a.cert).toString('base64') },
        },
        /has no tls\.key/,
      ],
      [
        'no cert',
        {
          ...tlsSecret('s', a.cert, a.key),
          data: { 'tls.key': Buffer.from(a.key).toString('base64') },
        },
        /has no tls\.crt/,
      ],
      ['garbage cert', tlsSecret('s', 'hello', a.key), /holds no PEM certificate/],
      ['garbage key', tlsSecret('s', a.cert, 'hello'), /holds no PEM private key/],
      ['mismatch', tlsSecret('s', a.cert, b.key), /does not match/],
    ];
    for (const [name, secret, want] of cases) {
      const r = tlsBundle(secret);
      assert.ok('error' in r, name);
      assert.match(r.error, want, name);
    }
  },
);

test(
  'tlsBundle: EC P-256 keys, PKCS#8 and SEC1 (with its EC PARAMETERS block), make bundles HAProxy loads',
  { skip: haveOpenssl ? undefined : 'needs openssl' },
  () => {
    const d = mkdtempSync(join(tmpdir(), 'ptest-tls-'));
    try {
      const openssl = (...args: string[]) => {
        const r = spawnSync('openssl', args, { cwd: d, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
      };
      // What `openssl req -newkey ec` writes (bench/ingress, ingress-nginx docs): PKCS#8.
      openssl(
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'p8.key',
        '-out',
        'p8.crt',
        '-days',
        '2',
        '-subj',
        '/CN=p8.example',
      );
      // What `openssl ecparam -genkey` writes: EC PARAMETERS, then EC PRIVATE KEY (SEC1).
      openssl('ecparam', '-name', 'prime256v1', '-genkey', '-out', 'sec1.key');
      openssl(
        'req',
        '-new',
        '-x509',
        '-key',
        'sec1.key',
        '-out',
        'sec1.crt',
        '-days',
        '2',
        '-subj',
        '/CN=sec1.example',
      );
      const cases: [string, RegExp][] = [
        ['p8', /-----BEGIN PRIVATE KEY-----/],
        ['sec1', /-----BEGIN EC PRIVATE KEY-----/],
      ];
      for (const [name, keyLabel] of cases) {
        const cert = readFileSync(join(d, `${name}.crt`), 'utf8');
        const key = readFileSync(join(d, `${name}.key`), 'utf8');
        const b = tlsBundle(tlsSecret('s', cert, key));
        assert.ok(!('error' in b), `${name}: ${JSON.stringify(b)}`);
        assert.deepEqual(b.names, [`${name}.example`]);
        assert.match(b.pem, keyLabel, name);
        assert.doesNotMatch(b.pem, /EC PARAMETERS/, name);
        assert.ok(validBundle(b.pem), name);
        if (!haveHaproxy) continue;
        // HAProxy parses the bundle as `ssl crt` (configuration check only, nothing binds).
        const pem = join(d, `${name}.pem`);
        writeFileSync(pem, b.pem);
        const cfg = join(d, `${name}.cfg`);
        writeFileSync(
          cfg,
          `defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n` +
            `frontend f\n  bind 127.0.0.1:1 ssl crt ${pem}\n`,
        );
        const r = spawnSync('haproxy', ['-c', '-q', '-f', cfg], { encoding: 'utf8' });
        assert.equal(r.status, 0, `${name}: haproxy -c: ${r.stderr}${r.stdout}`);
      }
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  },
);

test('selfSignedBundle: a valid ECDSA certificate with the fake-certificate CN', async () => {
  const pem = await selfSignedBundle();
  assert.ok(validBundle(pem));
  const cert = new X509Certificate(pem);
  assert.match(cert.subject, new RegExp(`CN=${defaultCertificateCN}`));
  assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
  assert.ok(new Date(cert.validTo).getTime() > Date.now() + 3000 * 24 * 3600_000);
  assert.equal(validBundle('nonsense'), false);
});

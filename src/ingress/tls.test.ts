import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { opensslSeedsPair } from '../testing/tls.js';
import { tlsSecret } from './fixtures.js';
import { defaultCertificateCN, selfSignedBundle, tlsBundle, validBundle } from './tls.js';

const haveOpenssl = spawnSync('sh', ['-c', 'command -v openssl']).status === 0;

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

test('selfSignedBundle: a valid ECDSA certificate with the fake-certificate CN', async () => {
  const pem = await selfSignedBundle();
  assert.ok(validBundle(pem));
  const cert = new X509Certificate(pem);
  assert.match(cert.subject, new RegExp(`CN=${defaultCertificateCN}`));
  assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
  assert.ok(new Date(cert.validTo).getTime() > Date.now() + 3000 * 24 * 3600_000);
  assert.equal(validBundle('nonsense'), false);
});

/**
 * Certificates for TLS termination: the PEM bundle HAProxy loads (chain, then key) from a
 * `kubernetes.io/tls` Secret (keys `tls.crt` and `tls.key`, as `kubectl create secret tls` writes
 * them), checked before it reaches HAProxy, and the self-signed default certificate served to SNI
 * names no Secret covers (ingress-nginx's "Fake Certificate").
 */
import 'reflect-metadata';
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { Secret } from '../api/types/core.js';

x509.cryptoProvider.set(webcrypto as never);

const pemBlock = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** The PEM blocks of a text, each ending in a newline, without blank lines or CRs. */
function blocks(text: string): { label: string; pem: string }[] {
  const out: { label: string; pem: string }[] = [];
  for (const m of text.replace(/\r/g, '').matchAll(pemBlock)) {
    const pem = m[0]
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .join('\n');
    out.push({ label: m[1] ?? '', pem: pem + '\n' });
  }
  return out;
}

function decode(secret: Secret, key: string): string | undefined {
  const b64 = secret.data?.[key];
  if (b64 !== undefined) return Buffer.from(b64, 'base64').toString('utf8');
  return secret.stringData?.[key];
}

export type BundleResult =
  | { readonly pem: string; readonly names: readonly string[]; readonly notAfter: string }
  | { readonly error: string };

/**
 * The HAProxy bundle of a TLS Secret: its certificates (leaf first, as written) then its key.
 * Checks that there is a certificate and a key and that they belong together, so a bad Secret
 * never makes HAProxy refuse its configuration.
 */
export function tlsBundle(secret: Secret): BundleResult {
  const crt = decode(secret, 'tls.crt');
  const key = decode(secret, 'tls.key');
  if (crt === undefined || crt.trim() === '') return { error: 'has no tls.crt' };
  if (key === undefined || key.trim() === '') return { error: 'has no tls.key' };
  const certs = blocks(crt).filter((b) => b.label === 'CERTIFICATE');
  const keys = blocks(key).filter((b) => /PRIVATE KEY$/.test(b.label));
  const leafPem = certs[0]?.pem;
  const keyPem = keys[0]?.pem;
  if (leafPem === undefined) return { error: 'tls.crt holds no PEM certificate' };
  if (keyPem === undefined) return { error: 'tls.key holds no PEM private key' };
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafPem);
  } catch (e) {
    return { error: `tls.crt is not a valid certificate: ${(e as Error).message}` };
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(keyPem)))
      return { error: 'tls.key does not match the certificate in tls.crt' };
  } catch (e) {
    return { error: `tls.key is not a valid private key: ${(e as Error).message}` };
  }
  return {
    pem: certs.map((c) => c.pem).join('') + keyPem,
    names: certificateNames(leaf),
    notAfter: new Date(leaf.validTo).toISOString(),
  };
}

/** The DNS names a certificate covers: its SANs, else its CN. */
export function certificateNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (san) {
    const names = san
      .split(', ')
      .filter((s) => s.startsWith('DNS:'))
      .map((s) => s.slice(4).toLowerCase());
    if (names.length > 0) return names;
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

/** The subject CN of the default certificate (ingress-nginx's is "Kubernetes Ingress Controller Fake Certificate"). */
export const defaultCertificateCN = 'Portico Ingress Controller Fake Certificate';

/**
 * A new self-signed certificate (ECDSA P-256, ten years) as a HAProxy bundle: what clients get for
 * SNI names no Secret covers, and without SNI.
 */
export async function selfSignedBundle(cn = defaultCertificateCN): Promise<string> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256' } as const;
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const now = Date.now();
  const serial = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '7');
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial,
    name: `CN=${cn}`,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 3650 * 24 * 3600_000),
    keys: keys as never,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'ingress.local' }], false),
    ],
  });
  const key = x509.PemConverter.encode(
    await webcrypto.subtle.exportKey('pkcs8', keys.privateKey),
    'PRIVATE KEY',
  );
  return cert.toString('pem').trim() + '\n' + key.trim() + '\n';
}

/** True when a bundle parses as a certificate and a matching key (a default cert read from disk). */
export function validBundle(pem: string): boolean {
  const certs = blocks(pem).filter((b) => b.label === 'CERTIFICATE');
  const keys = blocks(pem).filter((b) => /PRIVATE KEY$/.test(b.label));
  if (!certs[0] || !keys[0]) return false;
  try {
    const cert = new X509Certificate(certs[0].pem);
    return (
      cert.checkPrivateKey(createPrivateKey(keys[0].pem)) &&
      new Date(cert.validTo).getTime() > Date.now()
    );
  } catch {
    return false;
  }
}

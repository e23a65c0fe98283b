/**
 * The agent's serving certificate: self-signed (ECDSA P-256), valid for the node's name and IPs,
 * made once in `<data dir>/agent/tls/kubelet.{crt,key}` as kubelet does in /var/lib/kubelet/pki
 * (the API server does not verify it, as kube-apiserver does not by default). Renewed when it
 * expires within 30 days or no longer names the node's addresses.
 */
import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

const dayMs = 24 * 3600 * 1000;

function pem(der: ArrayBuffer, label: string): string {
  return x509.PemConverter.encode(der, label) + '\n';
}

function covers(certPem: string, names: readonly string[]): boolean {
  try {
    const c = new X509Certificate(certPem);
    if (Date.parse(c.validTo) - Date.now() < 30 * dayMs) return false;
    const san = c.subjectAltName ?? '';
    return names.every((n) => san.includes(isIP(n) ? `IP Address:${n}` : `DNS:${n}`));
  } catch {
    return false;
  }
}

/** Loads or makes the serving pair for `names` (DNS names and IPs). */
export async function ensureServingCert(
  dir: string,
  names: readonly string[],
): Promise<{ cert: string; key: string }> {
  const certPath = join(dir, 'kubelet.crt');
  const keyPath = join(dir, 'kubelet.key');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const cert = readFileSync(certPath, 'utf8');
    if (covers(cert, names)) return { cert, key: readFileSync(keyPath, 'utf8') };
  }
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const now = Date.now();
  const cn = names.find((n) => !isIP(n)) ?? names[0] ?? 'portico-agent';
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: `CN=${cn}@${Math.floor(now / 1000)}`,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 365 * dayMs),
    signingAlgorithm: alg,
    keys: keys as never,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((n) =>
          isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n },
        ),
      ),
    ],
  });
  const key = pem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyPath, key, { mode: 0o600 });
  writeFileSync(certPath, cert.toString('pem') + '\n');
  return { cert: cert.toString('pem') + '\n', key };
}

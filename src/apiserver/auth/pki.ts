/**
 * The cluster's certificates: a CA made on first start, the API server's serving certificate,
 * and client certificates (CN = user, O = groups) for the admin and every component. ECDSA P-256
 * keys and SHA-256 signatures through WebCrypto (fast to generate, accepted by Go's TLS stack,
 * hence by kubectl). PEM files, keys readable by the owner only.
 */
import 'reflect-metadata';
import { webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

const algorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signing = { name: 'ECDSA', hash: 'SHA-256' } as const;
const dayMs = 24 * 3600 * 1000;

/**
 * Node's WebCrypto types. @peculiar/x509 declares its parameters with the DOM lib's types, which
 * are not in our tsconfig; values cross into it as `never` (Node's objects are the same thing).
 */
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as never);

/** A certificate and its private key, PEM-encoded. */
export interface CertKeyPem {
  readonly cert: string;
  readonly key: string;
}

export interface ClientIdentity {
  /** The user name (certificate CN). */
  readonly commonName: string;
  /** Groups (certificate O). */
  readonly organizations?: readonly string[];
}

export interface ServingIdentity {
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ips: readonly string[];
}

function toPem(der: ArrayBuffer, label: string): string {
  return x509.PemConverter.encode(der, label) + '\n';
}

async function exportKey(key: CryptoKey): Promise<string> {
  return toPem(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

function escapeRdn(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1');
}

function subjectOf(cn: string, orgs: readonly string[] = []): string {
  return [...orgs.map((o) => `O=${escapeRdn(o)}`), `CN=${escapeRdn(cn)}`].join(', ');
}

async function newKeys(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '7');
}

/** The cluster certificate authority. */
export class ClusterCA {
  readonly certPem: string;
  readonly #cert: x509.X509Certificate;
  readonly #key: CryptoKey;

  private constructor(certPem: string, cert: x509.X509Certificate, key: CryptoKey) {
    this.certPem = certPem;
    this.#cert = cert;
    this.#key = key;
  }

  /** A new self-signed CA valid for ten years. */
  static async create(name = 'portico-ca'): Promise<ClusterCA & { keyPem: string }> {
    const keys = await newKeys();
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=${escapeRdn(`${name}@${Math.floor(now / 1000)}`)}`,
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(now + 3650 * dayMs),
      keys: keys as never,
      signingAlgorithm: signing,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign |
            x509.KeyUsageFlags.cRLSign |
            x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const ca = new ClusterCA(cert.toString('pem') + '\n', cert, keys.privateKey);
    return Object.assign(ca, { keyPem: await exportKey(keys.privateKey) });
  }

  /** A CA from its PEM files. */
  static async load(certPem: string, keyPem: string): Promise<ClusterCA> {
    const cert = new x509.X509Certificate(certPem);
    const der = x509.PemConverter.decodeFirst(keyPem);
    const key = await webcrypto.subtle.importKey('pkcs8', der, algorithm, true, ['sign']);
    return new ClusterCA(certPem, cert, key);
  }

  async #issue(subject: string, extensions: x509.Extension[], days: number): Promise<CertKeyPem> {
    const keys = await newKeys();
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject,
      issuer: this.#cert.subject,
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(now + days * dayMs),
      publicKey: keys.publicKey as never,
      signingKey: this.#key as never,
      signingAlgorithm: signing,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        await x509.AuthorityKeyIdentifierExtension.create(this.#cert, false),
        ...extensions,
      ],
    });
    return { cert: cert.toString('pem') + '\n', key: await exportKey(keys.privateKey) };
  }

  /** A client certificate: CN is the user, O the groups. */
  issueClient(id: ClientIdentity, days = 365): Promise<CertKeyPem> {
    return this.#issue(
      subjectOf(id.commonName, id.organizations),
      [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
      ],
      days,
    );
  }

  /** A serving certificate for the given DNS names and IP addresses. */
  issueServing(id: ServingIdentity, days = 365): Promise<CertKeyPem> {
    const names: x509.JsonGeneralNames = [
      ...id.dnsNames.map((d) => ({ type: 'dns' as const, value: d })),
      ...id.ips.map((ip) => ({ type: 'ip' as const, value: ip })),
    ];
    return this.#issue(
      subjectOf(id.commonName),
      [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension(names, false),
      ],
      days,
    );
  }
}

/** True when a PEM certificate expires within `days` or does not cover every name and IP. */
export function needsRenewal(
  certPem: string,
  options: { days: number; dnsNames?: readonly string[]; ips?: readonly string[]; ca?: string },
): boolean {
  let cert: NodeX509;
  try {
    cert = new NodeX509(certPem);
  } catch {
    return true;
  }
  if (new Date(cert.validTo).getTime() - Date.now() < options.days * dayMs) return true;
  if (options.ca !== undefined) {
    try {
      if (!cert.verify(new NodeX509(options.ca).publicKey)) return true;
    } catch {
      return true;
    }
  }
  for (const d of options.dnsNames ?? [])
    if (cert.checkHost(d, { wildcards: false }) === undefined) return true;
  for (const ip of options.ips ?? []) if (cert.checkIP(ip) === undefined) return true;
  return false;
}

/** Writes a file readable by its owner only (keys, kubeconfigs, token files). */
export function writePrivate(path: string, data: string): void {
  writeFileSync(path, data, { mode: 0o600 });
}

/** The files of one certificate in a directory: `<name>.crt` and `<name>.key`. */
export function certPaths(dir: string, name: string): { cert: string; key: string } {
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

export function readPair(dir: string, name: string): CertKeyPem | undefined {
  const p = certPaths(dir, name);
  if (!existsSync(p.cert) || !existsSync(p.key)) return undefined;
  return { cert: readFileSync(p.cert, 'utf8'), key: readFileSync(p.key, 'utf8') };
}

export function writePair(dir: string, name: string, pair: CertKeyPem): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const p = certPaths(dir, name);
  writeFileSync(p.cert, pair.cert, { mode: 0o644 });
  writePrivate(p.key, pair.key);
}

/** Splits SAN entries into IP addresses and DNS names. */
export function splitSans(sans: readonly string[]): { dnsNames: string[]; ips: string[] } {
  const dnsNames: string[] = [];
  const ips: string[] = [];
  for (const s of sans) {
    if (s === '') continue;
    if (isIP(s)) ips.push(s);
    else dnsNames.push(s);
  }
  return { dnsNames: [...new Set(dnsNames)], ips: [...new Set(ips)] };
}

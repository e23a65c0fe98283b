/**
 * Everything the cluster's security rests on, made on first start in the data dir and reused
 * afterwards:
 *
 *   <data-dir>/tls/ca.{crt,key}                the cluster CA
 *   <data-dir>/tls/serving.{crt,key}           the API server's serving certificate
 *   <data-dir>/tls/client-<name>.{crt,key}     client certificates (admin, components, kubelet-client)
 *   <data-dir>/tokens.csv                      bearer tokens: admin, node join
 *   <data-dir>/kubeconfig                      the admin kubeconfig (writeKubeconfigs)
 *   <data-dir>/kubeconfigs/<component>.kubeconfig
 *
 * Leaf certificates are re-issued when they expire within 90 days or, for the serving
 * certificate, when the wanted names changed (a new --tls-san, a new node address).
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { formatTokenFile, parseTokenFile, type TokenEntry } from './authn.js';
import { buildKubeconfig } from './kubeconfig.js';
import {
  ClusterCA,
  needsRenewal,
  readPair,
  writePair,
  writePrivate,
  type CertKeyPem,
  type ClientIdentity,
} from './pki.js';

/** The components that get their own client certificate and kubeconfig. */
export type ComponentName = 'controllers' | 'agent' | 'proxy' | 'dns' | 'ingress';
export const componentNames: readonly ComponentName[] = [
  'controllers',
  'agent',
  'proxy',
  'dns',
  'ingress',
];

/** Who each component is (CN and O, as kube names its components). */
export function componentIdentity(
  name: ComponentName | 'admin' | 'kubelet-client',
  nodeName: string,
): ClientIdentity {
  switch (name) {
    case 'admin':
      return { commonName: 'admin', organizations: ['system:masters'] };
    case 'controllers':
      return { commonName: 'system:kube-controller-manager' };
    case 'agent':
      return { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] };
    case 'proxy':
      return { commonName: 'system:kube-proxy', organizations: ['system:node-proxier'] };
    case 'dns':
      return { commonName: 'system:portico-dns' };
    case 'ingress':
      return { commonName: 'system:portico-ingress' };
    case 'kubelet-client':
      return { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'] };
  }
}

export interface CredentialsOptions {
  readonly dataDir: string;
  /** DNS names and IPs the serving certificate must cover. */
  readonly servingDnsNames: readonly string[];
  readonly servingIps: readonly string[];
  /** This machine's node name (the agent's certificate). */
  readonly nodeName?: string;
}

export interface ClusterCredentials {
  readonly caPem: string;
  readonly ca: ClusterCA;
  readonly serving: CertKeyPem;
  /** The API server's identity towards node agents. */
  readonly kubeletClient: CertKeyPem;
  readonly admin: CertKeyPem;
  readonly tokens: readonly TokenEntry[];
  readonly adminToken: string;
  readonly nodeJoinToken: string;
  /** Client certificates of the components (their kubeconfigs use them). */
  readonly components: Readonly<Record<ComponentName, CertKeyPem>>;
  readonly paths: {
    readonly tlsDir: string;
    readonly tokenFile: string;
    readonly adminKubeconfig: string;
    readonly kubeconfigDir: string;
  };
}

const renewWithinDays = 90;

/** The CA of a data dir, created when missing. */
export async function loadOrCreateCA(tlsDir: string): Promise<{ ca: ClusterCA; caPem: string }> {
  const existing = readPair(tlsDir, 'ca');
  if (existing)
    return { ca: await ClusterCA.load(existing.cert, existing.key), caPem: existing.cert };
  const created = await ClusterCA.create();
  writePair(tlsDir, 'ca', { cert: created.certPem, key: created.keyPem });
  return { ca: created, caPem: created.certPem };
}

async function ensureClient(
  ca: ClusterCA,
  caPem: string,
  tlsDir: string,
  name: string,
  id: ClientIdentity,
): Promise<CertKeyPem> {
  const file = `client-${name}`;
  const existing = readPair(tlsDir, file);
  if (existing && !needsRenewal(existing.cert, { days: renewWithinDays, ca: caPem })) {
    // Re-issue when the identity changed (e.g. the node got another name).
    const want = `CN=${id.commonName}`;
    if (new X509Certificate(existing.cert).subject.split('\n').includes(want)) return existing;
  }
  const pair = await ca.issueClient(id);
  writePair(tlsDir, file, pair);
  return pair;
}

function token(): string {
  return randomBytes(24).toString('base64url');
}

/** Creates (or loads and renews) the cluster's credentials in a data dir. */
export async function ensureCredentials(o: CredentialsOptions): Promise<ClusterCredentials> {
  const tlsDir = join(o.dataDir, 'tls');
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  const { ca, caPem } = await loadOrCreateCA(tlsDir);
  const nodeName = o.nodeName ?? hostname().toLowerCase();

  let serving = readPair(tlsDir, 'serving');
  if (
    !serving ||
    needsRenewal(serving.cert, {
      days: renewWithinDays,
      dnsNames: o.servingDnsNames,
      ips: o.servingIps,
      ca: caPem,
    })
  ) {
    serving = await ca.issueServing({
      commonName: 'kube-apiserver',
      dnsNames: o.servingDnsNames,
      ips: o.servingIps,
    });
    writePair(tlsDir, 'serving', serving);
  }

  const admin = await ensureClient(
    ca,
    caPem,
    tlsDir,
    'admin',
    componentIdentity('admin', nodeName),
  );
  const kubeletClient = await ensureClient(
    ca,
    caPem,
    tlsDir,
    'kubelet-client',
    componentIdentity('kubelet-client', nodeName),
  );

  const tokenFile = join(o.dataDir, 'tokens.csv');
  let tokens = existsSync(tokenFile) ? parseTokenFile(readFileSync(tokenFile, 'utf8')) : [];
  if (!tokens.some((t) => t.user.name === 'admin'))
    tokens = [...tokens, { token: token(), user: { name: 'admin', groups: ['system:masters'] } }];
  if (!tokens.some((t) => t.user.name === 'system:node-join'))
    tokens = [
      ...tokens,
      {
        token: token(),
        user: { name: 'system:node-join', groups: ['system:nodes', 'system:bootstrappers'] },
      },
    ];
  writePrivate(tokenFile, formatTokenFile(tokens));

  const components = {} as Record<ComponentName, CertKeyPem>;
  for (const c of componentNames)
    components[c] = await ensureClient(ca, caPem, tlsDir, c, componentIdentity(c, nodeName));
  const adminToken = tokens.find((t) => t.user.name === 'admin')?.token ?? '';
  const nodeJoinToken = tokens.find((t) => t.user.name === 'system:node-join')?.token ?? '';
  return {
    caPem,
    ca,
    serving,
    kubeletClient,
    admin,
    tokens,
    adminToken,
    nodeJoinToken,
    components,
    paths: {
      tlsDir,
      tokenFile,
      adminKubeconfig: join(o.dataDir, 'kubeconfig'),
      kubeconfigDir: join(o.dataDir, 'kubeconfigs'),
    },
  };
}

/**
 * Writes `<data-dir>/kubeconfig` (admin) and `<data-dir>/kubeconfigs/<component>.kubeconfig`,
 * all pointing at `server`.
 */
export function writeKubeconfigs(creds: ClusterCredentials, server: string): void {
  const { caPem } = creds;
  writePrivate(
    creds.paths.adminKubeconfig,
    buildKubeconfig({
      server,
      caPem,
      user: 'admin',
      clientCertPem: creds.admin.cert,
      clientKeyPem: creds.admin.key,
    }),
  );
  mkdirSync(creds.paths.kubeconfigDir, { recursive: true, mode: 0o700 });
  for (const c of componentNames) {
    const pair = creds.components[c];
    writePrivate(
      join(creds.paths.kubeconfigDir, `${c}.kubeconfig`),
      buildKubeconfig({ server, caPem, user: c, clientCertPem: pair.cert, clientKeyPem: pair.key }),
    );
  }
}

/**
 * Issues a client certificate for a user and returns a kubeconfig for it (agents joining later,
 * `portico kubeconfig --user`). Needs the CA key of the data dir.
 */
export async function issueKubeconfig(o: {
  readonly dataDir: string;
  readonly user: string;
  readonly groups?: readonly string[];
  readonly server: string;
}): Promise<string> {
  const tlsDir = join(o.dataDir, 'tls');
  const pair = readPair(tlsDir, 'ca');
  if (!pair)
    throw new Error(
      `no cluster CA in ${tlsDir}: start \`portico apiserver\` with this data dir first`,
    );
  const ca = await ClusterCA.load(pair.cert, pair.key);
  const client = await ca.issueClient({ commonName: o.user, organizations: o.groups ?? [] });
  return buildKubeconfig({
    server: o.server,
    caPem: pair.cert,
    user: o.user,
    clientCertPem: client.cert,
    clientKeyPem: client.key,
  });
}

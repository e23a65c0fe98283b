/**
 * Where a component finds its API server and credentials, in kubectl's order:
 *   1. an explicit path (`--kubeconfig`),
 *   2. `$KUBECONFIG` (a `:`-separated list, merged: the first file to define a name wins, and the
 *      first `current-context` set wins, as clientcmd merges them),
 *   3. `~/.kube/config` when it exists,
 *   4. in-cluster: `KUBERNETES_SERVICE_HOST`/`_PORT` and the service account files under
 *      /var/run/secrets/kubernetes.io/serviceaccount (token, ca.crt, namespace).
 * Relative file paths inside a kubeconfig are relative to the file that names them.
 * Exec credential plugins and auth-provider entries are not supported and say so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ClientError } from './errors.js';

/** What a Client needs to reach and authenticate to one API server. */
export interface RestConfig {
  /** Base URL, no trailing slash: `https://127.0.0.1:6443`. */
  readonly server: string;
  /** PEM bundle to verify the server with; the system roots when absent. */
  readonly caData?: Buffer;
  /** PEM client certificate and key (mutual TLS). */
  readonly certData?: Buffer;
  readonly keyData?: Buffer;
  /** Bearer token. */
  readonly token?: string;
  /** Bearer token file, re-read periodically (projected service-account tokens rotate). */
  readonly tokenFile?: string;
  readonly username?: string;
  readonly password?: string;
  readonly insecureSkipTLSVerify: boolean;
  /** SNI and certificate name to expect when it differs from the server's host. */
  readonly tlsServerName?: string;
  /** The namespace of the current context, `default` when unset. */
  readonly namespace: string;
  /** Where this came from, for log lines: `/root/.kube/config (context portico)` or `in-cluster`. */
  readonly source: string;
}

export interface LoadConfigOptions {
  /** `--kubeconfig`: used alone when set. */
  readonly kubeconfig?: string | undefined;
  /** `--context`: overrides current-context. */
  readonly context?: string | undefined;
  /** `--server`: overrides the cluster's server URL. */
  readonly server?: string | undefined;
  /** `--namespace`: overrides the context's namespace. */
  readonly namespace?: string | undefined;
  /** Environment to read KUBECONFIG, HOME and KUBERNETES_SERVICE_* from (process.env by default). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The service-account directory, for tests. */
  readonly serviceAccountDir?: string;
}

export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

type Dict = Record<string, unknown>;

function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function configError(message: string, cause?: unknown): ClientError {
  return new ClientError('E_CLIENT_CONFIG', message, cause === undefined ? undefined : { cause });
}

/** A named entry list (`clusters`, `users`, `contexts`) of one file, with the file's directory. */
interface Named {
  readonly value: Dict;
  readonly dir: string;
}

interface Merged {
  currentContext: string | undefined;
  clusters: Map<string, Named>;
  users: Map<string, Named>;
  contexts: Map<string, Named>;
  files: string[];
}

function readKubeconfig(path: string, into: Merged): void {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw configError(`cannot read kubeconfig ${path}: ${(e as Error).message}`, e);
  }
  if (doc === null || doc === undefined) return;
  if (!isDict(doc)) throw configError(`kubeconfig ${path} is not a YAML mapping`);
  into.files.push(path);
  const dir = dirname(resolve(path));
  const cc = doc['current-context'];
  if (into.currentContext === undefined && typeof cc === 'string' && cc !== '')
    into.currentContext = cc;
  const section = (key: 'clusters' | 'users' | 'contexts', inner: string): void => {
    const list = doc[key];
    if (list === undefined || list === null) return;
    if (!Array.isArray(list)) throw configError(`kubeconfig ${path}: ${key} must be a list`);
    for (const item of list) {
      if (!isDict(item) || typeof item['name'] !== 'string')
        throw configError(`kubeconfig ${path}: every entry of ${key} needs a name`);
      const value = item[inner];
      const map = into[key];
      if (!map.has(item['name'])) map.set(item['name'], { value: isDict(value) ? value : {}, dir });
    }
  };
  section('clusters', 'cluster');
  section('users', 'user');
  section('contexts', 'context');
}

function str(d: Dict, key: string): string | undefined {
  const v = d[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function fileIn(n: Named, key: string): string | undefined {
  const p = str(n.value, key);
  return p === undefined ? undefined : isAbsolute(p) ? p : join(n.dir, p);
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw configError(`cannot read ${what} ${path}: ${(e as Error).message}`, e);
  }
}

/** `<key>-data` (base64) or `<key>` (a file path), as kubeconfig spells certificate fields. */
function pem(n: Named, key: string, what: string): Buffer | undefined {
  const data = str(n.value, `${key}-data`);
  if (data !== undefined) return Buffer.from(data, 'base64');
  const file = fileIn(n, key);
  return file === undefined ? undefined : readFile(file, what);
}

function fromMerged(m: Merged, options: LoadConfigOptions): RestConfig {
  const contextName = options.context ?? m.currentContext;
  if (contextName === undefined)
    throw configError(
      `no current-context in ${m.files.join(', ')}: pass --context or run \`kubectl config use-context <name>\``,
    );
  const ctx = m.contexts.get(contextName);
  if (!ctx) throw configError(`context "${contextName}" not found in ${m.files.join(', ')}`);
  const clusterName = str(ctx.value, 'cluster');
  const cluster = clusterName === undefined ? undefined : m.clusters.get(clusterName);
  if (!cluster)
    throw configError(
      `context "${contextName}" names cluster "${clusterName ?? ''}", which is not in ${m.files.join(', ')}`,
    );
  const userName = str(ctx.value, 'user');
  const user = userName === undefined ? undefined : m.users.get(userName);
  if (userName !== undefined && !user)
    throw configError(`context "${contextName}" names user "${userName}", which is not defined`);
  const server = options.server ?? str(cluster.value, 'server');
  if (server === undefined) throw configError(`cluster "${clusterName ?? ''}" has no server URL`);
  if (user && (isDict(user.value['exec']) || isDict(user.value['auth-provider'])))
    throw configError(
      `user "${userName ?? ''}" authenticates with an exec plugin or auth-provider, which Portico does not run: use a token, a token file or a client certificate`,
    );
  const out: {
    -readonly [K in keyof RestConfig]: RestConfig[K];
  } = {
    server: normaliseServer(server),
    insecureSkipTLSVerify: cluster.value['insecure-skip-tls-verify'] === true,
    namespace: options.namespace ?? str(ctx.value, 'namespace') ?? 'default',
    source: `${m.files.join(':')} (context ${contextName})`,
  };
  const ca = pem(cluster, 'certificate-authority', 'certificate authority');
  if (ca) out.caData = ca;
  const sni = str(cluster.value, 'tls-server-name');
  if (sni !== undefined) out.tlsServerName = sni;
  if (user) {
    const cert = pem(user, 'client-certificate', 'client certificate');
    const key = pem(user, 'client-key', 'client key');
    if ((cert === undefined) !== (key === undefined))
      throw configError(
        `user "${userName ?? ''}" needs both a client certificate and a client key`,
      );
    if (cert && key) {
      out.certData = cert;
      out.keyData = key;
    }
    const token = str(user.value, 'token');
    if (token !== undefined) out.token = token;
    const tokenFile = fileIn(user, 'tokenFile');
    if (tokenFile !== undefined) {
      out.tokenFile = tokenFile;
      out.token ??= readFile(tokenFile, 'token file').toString('utf8').trim();
    }
    const username = str(user.value, 'username');
    const password = str(user.value, 'password');
    if (username !== undefined) out.username = username;
    if (password !== undefined) out.password = password;
  }
  return out;
}

function normaliseServer(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch (e) {
    throw configError(`server ${JSON.stringify(server)} is not a URL`, e);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw configError(`server ${server}: only https:// and http:// are supported`);
  return server.replace(/\/+$/, '');
}

/**
 * The in-cluster configuration of a pod, or undefined when not in a cluster.
 * @throws ClientError E_CLIENT_CONFIG when the environment says in-cluster but files are missing.
 */
export function inClusterConfig(options: LoadConfigOptions = {}): RestConfig | undefined {
  const env = options.env ?? process.env;
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) return undefined;
  const dir = options.serviceAccountDir ?? serviceAccountDir;
  const tokenFile = join(dir, 'token');
  const token = readFile(tokenFile, 'service account token').toString('utf8').trim();
  const caFile = join(dir, 'ca.crt');
  const nsFile = join(dir, 'namespace');
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const out: { -readonly [K in keyof RestConfig]: RestConfig[K] } = {
    server: options.server ?? `https://${hostPart}:${port}`,
    token,
    tokenFile,
    insecureSkipTLSVerify: false,
    namespace:
      options.namespace ??
      (existsSync(nsFile) ? readFile(nsFile, 'namespace').toString('utf8').trim() : 'default'),
    source: 'in-cluster',
  };
  if (existsSync(caFile)) out.caData = readFile(caFile, 'service account CA');
  return out;
}

/**
 * Finds and loads the configuration (see the file comment for the order).
 * @throws ClientError E_CLIENT_CONFIG with what to do when nothing usable is found.
 */
export function loadRestConfig(options: LoadConfigOptions = {}): RestConfig {
  const env = options.env ?? process.env;
  const merged = (paths: readonly string[]): RestConfig => {
    const m: Merged = {
      currentContext: undefined,
      clusters: new Map(),
      users: new Map(),
      contexts: new Map(),
      files: [],
    };
    for (const p of paths) readKubeconfig(p, m);
    if (m.files.length === 0) throw configError(`kubeconfig ${paths.join(delimiter)} is empty`);
    return fromMerged(m, options);
  };
  if (options.kubeconfig) {
    if (!existsSync(options.kubeconfig))
      throw configError(`kubeconfig ${options.kubeconfig} does not exist`);
    return merged([options.kubeconfig]);
  }
  const fromEnv = (env['KUBECONFIG'] ?? '')
    .split(delimiter)
    .filter((p) => p !== '' && existsSync(p));
  if (fromEnv.length > 0) return merged(fromEnv);
  const home = env['HOME'] ?? homedir();
  const defaultPath = join(home, '.kube', 'config');
  if (existsSync(defaultPath)) return merged([defaultPath]);
  const inCluster = inClusterConfig(options);
  if (inCluster) return inCluster;
  throw configError(
    'no API server configured: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config (`portico kubeconfig`), or run in a cluster',
  );
}

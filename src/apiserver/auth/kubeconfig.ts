/**
 * kubeconfig files (the format kubectl and client-go read), with the certificates inlined so
 * that a kubeconfig is one self-contained file.
 */
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  /** `https://127.0.0.1:6443`. */
  readonly server: string;
  readonly caPem: string;
  /** The user entry's name (also used for the context). */
  readonly user: string;
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
  readonly token?: string;
  readonly clusterName?: string;
  readonly namespace?: string;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** A kubeconfig document as YAML text. */
export function buildKubeconfig(o: KubeconfigOptions): string {
  const cluster = o.clusterName ?? 'portico';
  const user: Record<string, string> = {};
  if (o.clientCertPem !== undefined) user['client-certificate-data'] = b64(o.clientCertPem);
  if (o.clientKeyPem !== undefined) user['client-key-data'] = b64(o.clientKeyPem);
  if (o.token !== undefined) user['token'] = o.token;
  const contextName = `${o.user}@${cluster}`;
  const context: Record<string, string> = { cluster, user: o.user };
  if (o.namespace !== undefined) context['namespace'] = o.namespace;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: cluster, cluster: { server: o.server, 'certificate-authority-data': b64(o.caPem) } },
    ],
    users: [{ name: o.user, user }],
    contexts: [{ name: contextName, context }],
    'current-context': contextName,
    preferences: {},
  });
}

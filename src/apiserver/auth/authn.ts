/**
 * Authentication: a client certificate that verifies against the cluster CA (user = CN,
 * groups = O), or a bearer token from the token file. Anonymous requests are refused (401)
 * except on the health and version paths. There is no authorization: every authenticated user
 * may do everything (as a `system:masters` member may on Kubernetes).
 */
import { readFileSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import type { ApiRequest, UserInfo } from '../request.js';
import { header } from '../request.js';

/** Paths that answer without credentials (kube's system:public-info-viewer role). */
export const publicPaths = new Set(['/healthz', '/livez', '/readyz', '/version']);

export function isPublicPath(path: string): boolean {
  if (publicPaths.has(path)) return true;
  return /^\/(healthz|livez|readyz)\/[^/]+$/.test(path);
}

export interface TokenEntry {
  readonly token: string;
  readonly user: UserInfo;
}

/**
 * Parses kube's static token file format: `token,user,uid,"group1,group2"` per line; `#`
 * starts a comment.
 */
export function parseTokenFile(text: string): TokenEntry[] {
  const out: TokenEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields: string[] = [];
    let cur = '';
    let quoted = false;
    for (const ch of line) {
      if (ch === '"') quoted = !quoted;
      else if (ch === ',' && !quoted) {
        fields.push(cur);
        cur = '';
      } else cur += ch;
    }
    fields.push(cur);
    const [token = '', name = '', , groups = ''] = fields.map((f) => f.trim());
    if (token === '' || name === '') continue;
    out.push({
      token,
      user: {
        name,
        groups: groups
          .split(',')
          .map((g) => g.trim())
          .filter((g) => g !== ''),
      },
    });
  }
  return out;
}

/** The token file text for entries. */
export function formatTokenFile(entries: readonly TokenEntry[]): string {
  return (
    '# token,user,uid,"groups" (kube-apiserver --token-auth-file format)\n' +
    entries
      .map((e) => `${e.token},${e.user.name},${e.user.name},"${e.user.groups.join(',')}"`)
      .join('\n') +
    '\n'
  );
}

export class Authenticator {
  #tokens: TokenEntry[];

  constructor(tokens: readonly TokenEntry[]) {
    this.#tokens = [...tokens];
  }

  static fromFile(path: string): Authenticator {
    return new Authenticator(parseTokenFile(readFileSync(path, 'utf8')));
  }

  /** The user a request authenticates as, or undefined (anonymous). */
  authenticate(req: Pick<ApiRequest, 'headers' | 'clientCertificate'>): UserInfo | undefined {
    const cert = req.clientCertificate;
    if (cert?.authorized && cert.commonName !== '')
      return { name: cert.commonName, groups: [...cert.organizations, 'system:authenticated'] };
    const auth = header(req, 'authorization');
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (m?.[1]) {
        const got = Buffer.from(m[1]);
        for (const t of this.#tokens) {
          const want = Buffer.from(t.token);
          if (want.length === got.length && timingSafeEqual(want, got))
            return { name: t.user.name, groups: [...t.user.groups, 'system:authenticated'] };
        }
      }
    }
    return undefined;
  }
}

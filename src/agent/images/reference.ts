/**
 * Image references, normalised the way Docker and containerd do (distribution/reference's
 * `ParseNormalizedNamed`): a name without a registry is on `docker.io`, a one-part Docker Hub name
 * is in `library/`, and a missing tag is `latest`. So `busybox`, `busybox:latest`,
 * `library/busybox` and `docker.io/library/busybox:latest` all name one image.
 */
import { InvalidReferenceError } from './errors.js';

export interface Reference {
  /** `docker.io`, `registry.k8s.io`, `localhost:5000`. */
  readonly domain: string;
  /** `library/busybox`, `e2e-test-images/agnhost`. */
  readonly path: string;
  /** Undefined when the reference carried only a digest. */
  readonly tag: string | undefined;
  /** `sha256:<64 hex>` when given. */
  readonly digest: string | undefined;
}

const defaultDomain = 'docker.io';
const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagRule = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const digestRule = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;
const domainRule = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/;

/**
 * Parses and normalises a reference.
 * @throws InvalidReferenceError
 * @example parseReference('luksa/kubia') // { domain: 'docker.io', path: 'luksa/kubia', tag: 'latest' }
 */
export function parseReference(input: string): Reference {
  const ref = input.trim();
  if (ref === '') throw new InvalidReferenceError(input, 'it is empty');
  if (ref.length > 4096) throw new InvalidReferenceError(input, 'it is too long');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestRule.test(digest)) throw new InvalidReferenceError(input, 'malformed digest');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagRule.test(tag)) throw new InvalidReferenceError(input, `malformed tag ${tag}`);
  }
  const parts = rest.split('/');
  let domain = defaultDomain;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!domainRule.test(first)) throw new InvalidReferenceError(input, `malformed registry ${first}`);
    domain = first.toLowerCase();
    parts.shift();
  }
  if (domain === 'index.docker.io') domain = defaultDomain;
  if (parts.length === 0) throw new InvalidReferenceError(input, 'no repository name');
  for (const p of parts) {
    if (!pathComponent.test(p)) {
      const why = p !== p.toLowerCase() ? 'repository names must be lowercase' : `bad name part ${JSON.stringify(p)}`;
      throw new InvalidReferenceError(input, why);
    }
  }
  if (domain === defaultDomain && parts.length === 1) parts.unshift('library');
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { domain, path: parts.join('/'), tag, digest };
}

/** `docker.io/library/busybox` */
export function repository(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The canonical spelling: `docker.io/library/busybox:latest`, with `@digest` when there is one. */
export function formatReference(ref: Reference): string {
  return (
    repository(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '')
  );
}

/** Normalises a reference string: `busybox` → `docker.io/library/busybox:latest`. */
export function normalizeReference(input: string): string {
  return formatReference(parseReference(input));
}

/** The short form people type: `busybox:latest`, `luksa/kubia:latest`, `registry.k8s.io/pause:3.9`. */
export function familiarName(ref: Reference): string {
  let name = repository(ref);
  if (ref.domain === defaultDomain) {
    name = ref.path.startsWith('library/') ? ref.path.slice('library/'.length) : ref.path;
  }
  return name + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '');
}

/** True when the string looks like an image id or id prefix (`sha256:ab12…` or ≥ 12 hex). */
export function looksLikeId(input: string): boolean {
  return /^sha256:[a-f0-9]{6,64}$/.test(input) || /^[a-f0-9]{12,64}$/.test(input);
}

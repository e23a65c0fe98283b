/**
 * What form a response takes, from the Accept header: a plain object (JSON — also when the client
 * prefers protobuf, which kubectl accepts), a meta.k8s.io Table (`kubectl get`), or
 * PartialObjectMetadata (metadata-only clients such as the garbage collector). Clients list
 * their choices in order of preference and kube takes the first it can serve.
 */
import { notAcceptable } from '../api/meta/status.js';

export type ResponseForm = 'object' | 'table' | 'metadata';

interface MediaRange {
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
}

function parseAccept(accept: string): MediaRange[] {
  return accept
    .split(',')
    .map((part) => {
      const [type = '', ...rest] = part.split(';').map((s) => s.trim());
      const params = new Map<string, string>();
      for (const p of rest) {
        const eq = p.indexOf('=');
        if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
      }
      return { type: type.toLowerCase(), params };
    })
    .filter((m) => m.type !== '');
}

const objectTypes = new Set([
  'application/json',
  'application/*',
  '*/*',
  'application/vnd.kubernetes.protobuf',
  'application/yaml',
]);

/**
 * The response form an Accept header asks for. `allowTable` is false where kube serves no
 * tables (subresources other than status). @throws ApiError 406 when nothing acceptable is listed.
 */
export function negotiate(accept: string | undefined, allowTable = true): ResponseForm {
  if (accept === undefined || accept.trim() === '') return 'object';
  for (const m of parseAccept(accept)) {
    if (!objectTypes.has(m.type)) continue;
    const as = m.params.get('as');
    if (as === undefined) return 'object';
    if (m.params.get('g') !== 'meta.k8s.io') continue;
    const v = m.params.get('v');
    if (v !== 'v1' && v !== 'v1beta1') continue;
    if (as === 'Table' && allowTable) return 'table';
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return 'metadata';
  }
  throw notAcceptable(
    `only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf, application/json;as=Table;v=v1;g=meta.k8s.io`,
  );
}

/** `?includeObject=` of a Table request. */
export function includeObjectOf(query: URLSearchParams): 'None' | 'Metadata' | 'Object' {
  const v = query.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

/**
 * URL → what a request is about: a resource request (group, version, resource, namespace, name,
 * subresource, verb), a discovery document, or one of the non-resource paths. Mirrors
 * kube-apiserver's RequestInfoFactory, including the deprecated `/watch/` prefix.
 */
import { allResources, type ResourceType } from '../api/scheme.js';

export type Verb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection'
  /** A subresource that is not an object (log, exec, attach, portforward, proxy). */
  | 'connect';

export interface ResourceRoute {
  readonly type: 'resource';
  readonly rt: ResourceType;
  readonly verb: Verb;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
  /** The raw rest of the path after `…/proxy` (proxy subresources): `` or `/a/b`. */
  readonly subpath?: string;
}

export type Route =
  | ResourceRoute
  /** /api, /apis, /apis/{g}, /api/v1, /apis/{g}/{v}. */
  | {
      readonly type: 'discovery';
      readonly group?: string;
      readonly version?: string;
      readonly core: boolean;
    }
  | { readonly type: 'version' }
  | {
      readonly type: 'health';
      readonly check: 'healthz' | 'livez' | 'readyz';
      readonly sub?: string;
    }
  | { readonly type: 'openapi'; readonly version: 'v2' | 'v3'; readonly key?: string }
  | { readonly type: 'metrics' }
  /** A path that names no route: 404. */
  | { readonly type: 'notFound' }
  /** A group/version/resource that is not served: 404 with kube's message. */
  | {
      readonly type: 'unknownResource';
      readonly group: string;
      readonly version: string;
      readonly resource: string;
    };

/** Resources by `group/version/resource`. */
const byGVR = new Map<string, ResourceType>(
  allResources.map((r) => [`${r.group}/${r.version}/${r.resource}`, r]),
);

/** The served resource for a group, version and plural name. */
export function lookupResource(
  group: string,
  version: string,
  resource: string,
): ResourceType | undefined {
  return byGVR.get(`${group}/${version}/${resource}`);
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function isWatch(query: URLSearchParams): boolean {
  const w = query.get('watch');
  return w === 'true' || w === '1';
}

/** Subresources whose requests are streams or proxies rather than objects. */
const connectSubresources = new Set(['log', 'exec', 'attach', 'portforward', 'proxy']);

function verbFor(
  method: string,
  hasName: boolean,
  subresource: string | undefined,
  watch: boolean,
): Verb | undefined {
  if (subresource !== undefined && connectSubresources.has(subresource)) return 'connect';
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch) return 'watch';
      return hasName ? 'get' : 'list';
    case 'POST':
      // POST to a named object's subresource (binding, eviction) creates the subresource.
      return hasName && subresource === undefined ? undefined : 'create';
    case 'PUT':
      return hasName ? 'update' : undefined;
    case 'PATCH':
      return hasName ? 'patch' : undefined;
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return undefined;
  }
}

/** The verb is undefined when the method is not allowed on the path (405). */
export type ParsedRoute =
  Route | (Omit<ResourceRoute, 'verb'> & { readonly verb: Verb | undefined });

/** Parses a request path (percent-encoded, no query). */
export function parseRoute(method: string, rawPath: string, query: URLSearchParams): ParsedRoute {
  const parts = rawPath.split('/').filter((p) => p !== '');
  const [head] = parts;
  switch (head) {
    case undefined:
      return { type: 'notFound' };
    case 'version':
      return parts.length === 1 ? { type: 'version' } : { type: 'notFound' };
    case 'healthz':
    case 'livez':
    case 'readyz': {
      const sub = parts.slice(1).join('/');
      return sub === '' ? { type: 'health', check: head } : { type: 'health', check: head, sub };
    }
    case 'metrics':
      return parts.length === 1 ? { type: 'metrics' } : { type: 'notFound' };
    case 'openapi': {
      const v = parts[1];
      if (v === 'v2' && parts.length === 2) return { type: 'openapi', version: 'v2' };
      if (v === 'v3') {
        const key = parts.slice(2).join('/');
        return key === ''
          ? { type: 'openapi', version: 'v3' }
          : { type: 'openapi', version: 'v3', key };
      }
      return { type: 'notFound' };
    }
    case 'api':
    case 'apis':
      break;
    default:
      return { type: 'notFound' };
  }

  const core = head === 'api';
  let i = 1;
  let group = '';
  if (!core) {
    if (parts.length === 1) return { type: 'discovery', core: false };
    group = decodeSegment(parts[1] ?? '');
    i = 2;
    if (parts.length === 2) return { type: 'discovery', core: false, group };
  } else if (parts.length === 1) {
    return { type: 'discovery', core: true };
  }
  const version = decodeSegment(parts[i] ?? '');
  i++;
  if (parts.length === i) return { type: 'discovery', core, group, version };

  let rest = parts.slice(i).map(decodeSegment);
  let watch = isWatch(query);
  // Deprecated form: /api/v1/watch/namespaces/x/pods
  if (rest[0] === 'watch') {
    watch = true;
    rest = rest.slice(1);
  }

  let namespace: string | undefined;
  // /namespaces/{ns}/{resource}…; but /namespaces/{ns} and /namespaces/{ns}/{status|finalize}
  // are the namespace object itself.
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    rest[2] !== 'status' &&
    rest[2] !== 'finalize'
  ) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource, ...subpathParts] = rest;
  if (resource === undefined) return { type: 'notFound' };
  const rt = lookupResource(group, version, resource);
  if (!rt) return { type: 'unknownResource', group, version, resource };
  if (namespace !== undefined && !rt.namespaced) return { type: 'notFound' };
  if (name === '' || (subresource === undefined && subpathParts.length > 0))
    return { type: 'notFound' };
  if (subresource !== undefined && subresource !== 'proxy' && subpathParts.length > 0)
    return { type: 'notFound' };

  const verb = verbFor(method, name !== undefined, subresource, watch);
  // A collection request on a namespaced resource without a namespace lists across namespaces;
  // anything else there (create, deletecollection) is not served by kube-apiserver either.
  const route: Omit<ResourceRoute, 'verb'> & { verb: Verb | undefined } = {
    type: 'resource',
    rt,
    verb:
      rt.namespaced &&
      namespace === undefined &&
      name === undefined &&
      verb !== 'list' &&
      verb !== 'watch'
        ? undefined
        : verb,
  };
  const out: Record<string, unknown> = route;
  if (namespace !== undefined) out['namespace'] = namespace;
  if (name !== undefined) out['name'] = name;
  if (subresource !== undefined) out['subresource'] = subresource;
  if (subresource === 'proxy') {
    // The raw (still encoded) rest after `…/proxy`: '' when the path ends there, else '/…'.
    const prefix = '/' + parts.slice(0, parts.length - subpathParts.length).join('/');
    out['subpath'] = rawPath.startsWith(prefix) ? rawPath.slice(prefix.length) : '';
  }
  return route;
}

/**
 * Storage keys: `/registry/<group-or-core>/<resource>/<namespace>/<name>` for namespaced objects,
 * `/registry/<group-or-core>/<resource>/<name>` for cluster-scoped ones. Key order is list order
 * (namespace, then name), as in kube-apiserver over etcd.
 */
import type { ResourceType } from '../../api/scheme.js';

/** Everything the API server stores lives under this prefix. */
export const registryPrefix = '/registry/';

/** `/registry/core/services/`: the prefix of every object of a resource. */
export function resourcePrefix(rt: Pick<ResourceType, 'group' | 'resource'>): string {
  return `${registryPrefix}${rt.group === '' ? 'core' : rt.group}/${rt.resource}/`;
}

/** The prefix a list reads: the resource, or one namespace of it. */
export function listPrefix(rt: ResourceType, namespace: string | undefined): string {
  const p = resourcePrefix(rt);
  return rt.namespaced && namespace !== undefined ? `${p}${namespace}/` : p;
}

/** The key of one object. */
export function objectKey(rt: ResourceType, namespace: string | undefined, name: string): string {
  const p = resourcePrefix(rt);
  return rt.namespaced ? `${p}${namespace ?? ''}/${name}` : `${p}${name}`;
}

/** `ns/name` or `name` from a key under `prefix` (the resource prefix). */
export function keySuffix(key: string, prefix: string): string {
  return key.slice(prefix.length);
}

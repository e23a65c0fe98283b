/**
 * Object keys as client-go's MetaNamespaceKeyFunc writes them: `namespace/name` for namespaced
 * objects, `name` for cluster-scoped ones. Work queues, caches and logs all use this form.
 */
import type { KubeObject } from '../api/meta/types.js';

/** `namespace/name`, or `name` when the object has no namespace. */
export function objectKey(obj: KubeObject): string {
  return namespacedKey(obj.metadata.namespace, obj.metadata.name ?? '');
}

export function namespacedKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** Splits a key back; the namespace is undefined for a cluster-scoped key. */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0
    ? { namespace: undefined, name: key }
    : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

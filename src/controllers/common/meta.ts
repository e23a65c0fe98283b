/**
 * Small helpers over object metadata: controller references, resourceVersion comparison
 * and a structural equality that treats a missing field like an undefined one.
 */
import type { KubeObject, OwnerReference } from '../../api/meta/types.js';

/** The ownerReference with `controller: true`, if any. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** A controller reference to `owner` (kube's NewControllerRef: controller and blockOwnerDeletion set). */
export function newControllerRef(
  owner: KubeObject,
  apiVersion: string,
  kind: string,
): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * Orders two resourceVersions. Kubernetes calls them opaque, but both kube-apiserver (etcd
 * revisions) and Portico (store revisions) issue increasing integers, which client-go's own
 * watch cache relies on too. Returns undefined when either is not an integer.
 */
export function compareResourceVersions(a: string, b: string): -1 | 0 | 1 | undefined {
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return a === b ? 0 : undefined;
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Deep equality of JSON values where a key holding undefined equals a missing key (the way two
 * objects compare after a round trip through the API).
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of keys) if (!jsonEqual(ra[k], rb[k])) return false;
  return true;
}

/** A deep copy of a JSON value (API objects are plain JSON). */
export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Formats a time as RFC 3339 with seconds (the API's metav1.Time form). */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Formats a time as Go's RFC3339Nano does (fraction without trailing zeros): trigger times. */
export function rfc3339Nano(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits === '' ? 'Z' : `.${digits}Z`));
}

/** A copy of a string map without the given keys. */
export function omitKeys(
  rec: Readonly<Record<string, string>> | undefined,
  ...keys: string[]
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec ?? {})) if (!keys.includes(k)) out[k] = v;
  return out;
}

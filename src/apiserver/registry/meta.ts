/**
 * Generic metadata rules every resource shares (kube's rest.BeforeCreate / BeforeUpdate and
 * ValidateObjectMeta basics); the per-kind rules live in the strategies.
 */
import { randomInt } from 'node:crypto';
import * as field from '../../api/meta/fielderrors.js';
import type { FieldError } from '../../api/meta/fielderrors.js';
import { badRequest, forbidden, invalid, notFound } from '../../api/meta/status.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { ResourceType } from '../../api/scheme.js';
import type { Namespace } from '../../api/types/core.js';
import { groupResource, namespacesResource, type RegistryContext } from './context.js';
import { objectKey } from './keys.js';

/** apimachinery's name-generation alphabet: no vowels (no words), no look-alikes. */
const alphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** `generateName` plus 5 random characters. */
export function generateName(base: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += alphabet.charAt(randomInt(alphabet.length));
  // Names are at most 253 characters; kube trims the base to leave room for the suffix.
  return `${base.slice(0, 253 - 5)}${suffix}`;
}

/** A JSON value as text for messages: strings as they are, anything else as JSON ('' when absent). */
export function jsonText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** True when the value is a plain object (a decoded JSON object). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks a decoded body is an object of the resource: `kind`/`apiVersion` when present must be
 * the resource's (kube: "… cannot be handled as a …"). Fills them in when absent.
 */
export function checkBodyType(rt: ResourceType, body: unknown): KubeObject {
  const gv = rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
  if (!isObject(body)) throw badRequest(`the body of the request was not a ${rt.kind} object`);
  const kind = jsonText(body['kind']);
  const apiVersion = jsonText(body['apiVersion']);
  if (kind !== '' && kind !== rt.kind)
    throw badRequest(
      `${kind} in version "${apiVersion || gv}" cannot be handled as a ${rt.kind}: the object provided is unrecognized (must be of type ${rt.kind})`,
    );
  if (apiVersion !== '' && apiVersion !== gv)
    throw badRequest(
      `the API version in the data (${apiVersion}) does not match the expected API version (${gv})`,
    );
  const meta = body['metadata'];
  if (meta !== undefined && meta !== null && !isObject(meta))
    throw badRequest(
      `${rt.kind} in version "${gv}" cannot be handled as a ${rt.kind}: metadata must be an object`,
    );
  const obj = body as unknown as KubeObject;
  obj.metadata = meta ?? {};
  obj.kind = rt.kind;
  obj.apiVersion = gv;
  return obj;
}

/** The namespace of the request applied to the object: 400 when the body names another. */
export function applyRequestNamespace(
  rt: ResourceType,
  obj: KubeObject,
  namespace: string | undefined,
): void {
  if (!rt.namespaced) {
    delete obj.metadata.namespace;
    return;
  }
  const own = obj.metadata.namespace;
  if (own !== undefined && own !== '' && namespace !== undefined && own !== namespace)
    throw badRequest(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  if (namespace !== undefined) obj.metadata.namespace = namespace;
}

/** apimachinery's ValidatePathSegmentName: names become URL path segments and storage keys. */
export function validatePathSegmentName(name: string, prefix: boolean): string[] {
  if (!prefix && (name === '.' || name === '..')) return [`may not be '${name}'`];
  const out: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) out.push(`may not contain '${bad}'`);
  return out;
}

/** Name presence and path-segment rules, for create. */
export function validateNewName(rt: ResourceType, obj: KubeObject): void {
  const errs: FieldError[] = [];
  const name = obj.metadata.name ?? '';
  const gen = obj.metadata.generateName ?? '';
  if (name === '' && gen === '')
    errs.push(field.required('metadata.name', 'name or generateName is required'));
  if (name !== '')
    for (const m of validatePathSegmentName(name, false))
      errs.push(field.invalid('metadata.name', name, m));
  if (gen !== '')
    for (const m of validatePathSegmentName(gen, true))
      errs.push(field.invalid('metadata.generateName', gen, m));
  if (rt.namespaced && (obj.metadata.namespace ?? '') === '')
    errs.push(field.required('metadata.namespace'));
  if (errs.length > 0) throw invalid(rt.group, rt.kind, name || gen, errs);
}

/**
 * The namespace of a new object must exist and not be terminating (kube's NamespaceLifecycle
 * admission): 404 `namespaces "x" not found`, 403 for a terminating one.
 */
export async function checkNamespaceForCreate(
  ctx: RegistryContext,
  rt: ResourceType,
  namespace: string,
  name: string,
): Promise<void> {
  const nsKey = objectKey(namespacesResource, undefined, namespace);
  let ns = ctx.caches.for(namespacesResource).get(nsKey)?.obj as Namespace | undefined;
  if (!ns) {
    // The cache may not have seen a namespace created a moment ago: ask the store.
    const { kv } = await ctx.store.get(nsKey);
    if (kv) ns = JSON.parse(new TextDecoder().decode(kv.value)) as Namespace;
  }
  if (!ns) throw notFound(groupResource(namespacesResource), namespace);
  if (ns.status?.phase === 'Terminating' || ns.metadata.deletionTimestamp !== undefined)
    throw forbidden(
      groupResource(rt),
      name,
      `unable to create new content in namespace ${namespace} because it is being terminated`,
    );
}

/** Whether two objects are the same apart from resourceVersion and managedFields. */
export function sameObject(a: KubeObject, b: KubeObject): boolean {
  return canonical(strip(a)) === canonical(strip(b));
}

function strip(o: KubeObject): KubeObject {
  const { resourceVersion: _rv, managedFields: _mf, ...metadata } = o.metadata;
  return { ...o, metadata };
}

/** JSON with sorted keys, so that key order does not count as a change. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (!isObject(val)) return val;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(val).sort()) out[k] = val[k];
    return out;
  });
}

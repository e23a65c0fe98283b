/**
 * Objects to stored bytes and back. Stored values are the JSON of the object without
 * `metadata.resourceVersion`: the resourceVersion is the key's modRevision, set on every read,
 * so a value never contradicts the revision it was written at.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { KeyValue } from '../../storage/store.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The stored form of an object. */
export function encodeObject(obj: KubeObject): Uint8Array {
  const { resourceVersion: _rv, selfLink: _sl, ...metadata } = obj.metadata;
  return encoder.encode(JSON.stringify({ ...obj, metadata }));
}

/** A fresh, mutable object from a stored value, with resourceVersion = modRevision. */
export function decodeObject(kv: Pick<KeyValue, 'value' | 'modRevision'>): KubeObject {
  const obj = JSON.parse(decoder.decode(kv.value)) as KubeObject;
  obj.metadata = { ...obj.metadata, resourceVersion: String(kv.modRevision) };
  return obj;
}

/**
 * The object just written, as a read would return it: the caller's own copy (no JSON round trip)
 * with resourceVersion = the write's revision.
 */
export function asStored(obj: KubeObject, kv: Pick<KeyValue, 'modRevision'>): KubeObject {
  delete obj.metadata.selfLink;
  obj.metadata.resourceVersion = String(kv.modRevision);
  return obj;
}

/** A deep copy of a JSON value. */
export function clone<T>(v: T): T {
  return structuredClone(v);
}

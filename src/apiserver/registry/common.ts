/**
 * Building blocks of the per-kind strategies: what happens to status, generation and system
 * metadata on create, update and status writes (kube's rest.BeforeCreate/BeforeUpdate plus the
 * PrepareFor* of each registry).
 */
import type { FieldError } from '../../api/meta/fielderrors.js';
import type { KubeObject } from '../../api/meta/types.js';
import { semanticEqual } from '../../api/validation/equality.js';
import { dedupeErrors } from '../../api/validation/meta.js';

/** Top-level fields that are not the object's desired state. */
const nonSpecFields = new Set(['apiVersion', 'kind', 'metadata', 'status']);

type Loose = Record<string, unknown>;

/** The object's desired state: everything but type, metadata and status (spec, data, subsets...). */
export function desiredState(obj: KubeObject): Loose {
  const out: Loose = {};
  for (const [k, v] of Object.entries(obj as unknown as Loose))
    if (!nonSpecFields.has(k)) out[k] = v;
  return out;
}

/** Replaces the desired state of `obj` with that of `old` (status writes may not change it). */
export function copyDesiredState(obj: KubeObject, old: KubeObject): void {
  const o = obj as unknown as Loose;
  for (const k of Object.keys(o)) if (!nonSpecFields.has(k)) Reflect.deleteProperty(o, k);
  for (const [k, v] of Object.entries(old as unknown as Loose)) {
    if (!nonSpecFields.has(k)) o[k] = structuredClone(v);
  }
}

/** Sets (or clears) the status of `obj`. */
export function setStatus(obj: KubeObject, status: unknown): void {
  const o = obj as unknown as Loose;
  if (status === undefined) delete o['status'];
  else o['status'] = structuredClone(status);
}

export function statusOf(obj: KubeObject): unknown {
  return (obj as unknown as Loose)['status'];
}

export interface CreateRules {
  /** The status a new object starts with; undefined: no status. */
  readonly initialStatus?: (obj: KubeObject) => unknown;
  /** Whether the kind keeps a client-sent status on create (Nodes do: kubelets register with one). */
  readonly keepStatus?: boolean;
  /** Kinds with metadata.generation (RC, RS, Deployment, Ingress, IngressClass, EndpointSlice). */
  readonly generation?: boolean;
}

/** PrepareForCreate: status reset, generation 1 (or none). */
export function prepareCreate(obj: KubeObject, rules: CreateRules): void {
  if (!rules.keepStatus) setStatus(obj, rules.initialStatus?.(obj));
  if (rules.generation) obj.metadata.generation = 1;
  else delete obj.metadata.generation;
  delete obj.metadata.deletionTimestamp;
  delete obj.metadata.deletionGracePeriodSeconds;
}

export interface UpdateRules {
  /** Kinds with metadata.generation bump it when this says the spec changed. */
  readonly generation?: boolean;
  /** Spec-change test; the desired state by default. */
  readonly specChanged?: (obj: KubeObject, old: KubeObject) => boolean;
  /** Main-resource writes keep the stored status (false only for kinds without one). */
  readonly keepStatus?: boolean;
}

/**
 * PrepareForUpdate of the main resource: status comes from the stored object, system metadata
 * (uid, creationTimestamp, deletion fields) cannot be changed by the body, generation moves on
 * when the spec changed.
 */
export function prepareUpdate(obj: KubeObject, old: KubeObject, rules: UpdateRules): void {
  if (rules.keepStatus !== false) setStatus(obj, statusOf(old));
  keepSystemMetadata(obj, old);
  const oldGen = old.metadata.generation;
  if (rules.generation) {
    const changed = rules.specChanged
      ? rules.specChanged(obj, old)
      : !semanticEqual(desiredState(obj), desiredState(old));
    obj.metadata.generation = (oldGen ?? 0) + (changed ? 1 : 0);
    if (obj.metadata.generation === 0) obj.metadata.generation = 1;
  } else if (oldGen === undefined) delete obj.metadata.generation;
  else obj.metadata.generation = oldGen;
}

/** Fields a write can never change, taken from the stored object when the body lacks them. */
export function keepSystemMetadata(obj: KubeObject, old: KubeObject): void {
  const m = obj.metadata;
  const o = old.metadata;
  if (!m.uid && o.uid) m.uid = o.uid;
  if (o.creationTimestamp) m.creationTimestamp = o.creationTimestamp;
  if (o.deletionTimestamp) m.deletionTimestamp = o.deletionTimestamp;
  else delete m.deletionTimestamp;
  if (o.deletionGracePeriodSeconds !== undefined)
    m.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
  else delete m.deletionGracePeriodSeconds;
}

export interface StatusRules {
  /** Deployments and ReplicaSets keep their labels on status writes (kube's status strategies). */
  readonly keepLabels?: boolean;
}

/**
 * PrepareForUpdate of the status subresource: only status (and metadata such as labels and
 * annotations, as kube allows) changes; the desired state stays as stored.
 */
export function prepareStatusUpdate(
  obj: KubeObject,
  old: KubeObject,
  rules: StatusRules = {},
): void {
  copyDesiredState(obj, old);
  keepSystemMetadata(obj, old);
  const oldGen = old.metadata.generation;
  if (oldGen === undefined) delete obj.metadata.generation;
  else obj.metadata.generation = oldGen;
  if (rules.keepLabels) {
    if (old.metadata.labels === undefined) delete obj.metadata.labels;
    else obj.metadata.labels = structuredClone(old.metadata.labels);
  }
}

/** Validation results as the engine reports them: duplicates folded. */
export function errorsOf(...lists: readonly (readonly FieldError[])[]): FieldError[] {
  return dedupeErrors(lists.flat());
}

/** `"true"` / `"false"` as field selectors compare booleans. */
export const boolField = (v: boolean | undefined): string => (v ? 'true' : 'false');

/** Runs `f` and returns its result as a promise, turning a synchronous throw into a rejection. */
export function settle<T>(f: () => T): Promise<T> {
  try {
    return Promise.resolve(f());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

/**
 * The slice packer shared by the EndpointSlice and mirroring controllers: given the endpoints
 * wanted per (address type, port set) and the slices that exist, decide which slices to create,
 * update and delete. A pure function; the controllers apply the plan.
 *
 * It follows the Kubernetes reconciler (staging/src/k8s.io/endpointslice/reconciler.go) so that
 * churn is minimal:
 * 1. in each existing slice keep the endpoints still wanted (replacing changed ones) and drop
 *    the rest; a slice left empty is deleted, a changed one updated, an untouched one kept;
 * 2. top up the slices already being updated, fullest first, to `maxEndpointsPerSlice`;
 * 3. put what remains into the one untouched slice it fits best, else into new slices;
 * 4. with nothing left for an address type, keep (or create) exactly one empty placeholder slice;
 * 5. turn each create paired with a delete of the same address type into an update of the
 *    doomed slice, reusing its name.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { Endpoint, EndpointSlice, EndpointSlicePort } from '../../api/types/discovery.js';
import { annotationLastChangeTriggerTime } from '../../api/types/discovery.js';
import { clone, jsonEqual, omitKeys } from '../common/meta.js';
import { endpointKey, endpointsEqual, portMapKey, type AddressType } from './endpoint.js';

/** The endpoints wanted for one address type and port set. */
export interface DesiredGroup {
  readonly addressType: AddressType;
  readonly ports: readonly EndpointSlicePort[];
  /** Unique by endpointKey; order is kept where new slices are filled. */
  readonly endpoints: readonly Endpoint[];
}

/** The desired endpoints and the existing slices of one owner. */
export interface PackInput {
  readonly addressTypes: readonly AddressType[];
  readonly desired: readonly DesiredGroup[];
  /** Slices of this owner (listed by the service-name and managed-by labels). */
  readonly existing: readonly EndpointSlice[];
  readonly maxEndpointsPerSlice: number;
  /** Labels every slice must carry, exactly. */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * Annotations every slice must carry, exactly, besides the trigger time (mirroring copies
   * those of the Endpoints); undefined = leave annotations alone.
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Whether a slice is owned by the current owner (a same-named predecessor's are deleted). */
  readonly owned: (slice: EndpointSlice) => boolean;
  /** A new, empty slice for an address type and port set (metadata filled in, no name). */
  readonly newSlice: (addressType: AddressType, ports: EndpointSlicePort[]) => EndpointSlice;
  /** Keep one empty slice when an address type has no endpoints (the EndpointSlice controller). */
  readonly placeholder: boolean;
  /** False while the owner is being deleted: plan no creates. */
  readonly allowCreate: boolean;
  /** RFC 3339 time of the change this sync answers; written on every created or updated slice. */
  readonly triggerTime?: string | undefined;
}

/** Slices to create (generateName), update (PUT with their resourceVersion) and delete. */
export interface SlicePlan {
  readonly create: EndpointSlice[];
  readonly update: EndpointSlice[];
  readonly delete: EndpointSlice[];
}

/** Plans creates, updates and deletes. Never mutates its input. */
export function planSlices(input: PackInput): SlicePlan {
  const create: EndpointSlice[] = [];
  const update: EndpointSlice[] = [];
  const del: EndpointSlice[] = [];
  const supported = new Set(input.addressTypes);
  for (const slice of input.existing) {
    if (!supported.has(slice.addressType as AddressType)) del.push(slice);
  }
  for (const addressType of input.addressTypes) {
    const existing = input.existing.filter((s) => s.addressType === addressType);
    const groups = input.desired.filter((g) => g.addressType === addressType);
    const plan = planAddressType(input, addressType, existing, groups);
    create.push(...plan.create);
    update.push(...plan.update);
    del.push(...plan.delete);
  }
  for (const s of [...create, ...update]) setTriggerTime(s, input.triggerTime);
  return { create: input.allowCreate ? create : [], update, delete: del };
}

function planAddressType(
  input: PackInput,
  addressType: AddressType,
  existing: readonly EndpointSlice[],
  groups: readonly DesiredGroup[],
): SlicePlan {
  let create: EndpointSlice[] = [];
  const update: EndpointSlice[] = [];
  const del: EndpointSlice[] = [];
  const byPorts = new Map<string, EndpointSlice[]>();
  for (const slice of existing) {
    if (!input.owned(slice)) {
      del.push(slice);
      continue;
    }
    const k = portMapKey(slice.ports);
    byPorts.set(k, [...(byPorts.get(k) ?? []), slice]);
  }
  const wantedKeys = new Set<string>();
  for (const g of groups) {
    const k = portMapKey(g.ports);
    wantedKeys.add(k);
    const p = planPortGroup(input, g, byPorts.get(k) ?? []);
    create.push(...p.create);
    update.push(...p.update);
    del.push(...p.delete);
  }
  for (const [k, slices] of byPorts) if (!wantedKeys.has(k)) del.push(...slices);

  if (input.placeholder && existing.length === del.length && create.length === 0) {
    const placeholder = input.newSlice(addressType, []);
    placeholder.metadata.labels = { ...input.labels };
    const only = del.length === 1 ? del[0] : undefined;
    if (only !== undefined && isSamePlaceholder(only, placeholder)) del.length = 0;
    else create.push(placeholder);
  }

  // Reuse slices that would be deleted for slices that would be created.
  for (let i = 0; i < del.length && create.length > 0;) {
    const doomed = del[i] as EndpointSlice;
    if (doomed.addressType === addressType && input.owned(doomed)) {
      const fresh = create[create.length - 1] as EndpointSlice;
      create = create.slice(0, -1);
      update.push(reuse(doomed, fresh));
      del.splice(i, 1);
    } else i++;
  }
  return { create, update, delete: del };
}

/** The doomed slice's identity (name, resourceVersion for optimistic concurrency) with the new content. */
function reuse(doomed: EndpointSlice, fresh: EndpointSlice): EndpointSlice {
  const out = clone(fresh);
  const meta = { ...doomed.metadata, ...out.metadata };
  delete meta.generateName;
  meta.name = doomed.metadata.name ?? '';
  if (doomed.metadata.resourceVersion !== undefined)
    meta.resourceVersion = doomed.metadata.resourceVersion;
  if (doomed.metadata.uid !== undefined) meta.uid = doomed.metadata.uid;
  out.metadata = meta;
  return out;
}

function planPortGroup(
  input: PackInput,
  group: DesiredGroup,
  existing: readonly EndpointSlice[],
): SlicePlan {
  const max = input.maxEndpointsPerSlice;
  const wanted = new Map<string, Endpoint>();
  for (const ep of group.endpoints) wanted.set(endpointKey(ep), ep);

  const toUpdate: EndpointSlice[] = [];
  const toDelete: EndpointSlice[] = [];
  const unchanged: EndpointSlice[] = [];
  for (const slice of existing) {
    const kept: Endpoint[] = [];
    let changed = false;
    for (const ep of slice.endpoints ?? []) {
      const k = endpointKey(ep);
      const want = wanted.get(k);
      if (want === undefined) continue;
      kept.push(want);
      if (!endpointsEqual(want, ep)) changed = true;
      wanted.delete(k);
    }
    const metaChanged = !metaMatches(slice, input);
    if (changed || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) toDelete.push(slice);
      else toUpdate.push(withMeta({ ...clone(slice), endpoints: kept }, input));
    } else if (metaChanged) {
      toUpdate.push(withMeta(clone(slice), input));
    } else {
      unchanged.push(slice);
    }
  }

  const remaining = [...wanted.values()];
  if (remaining.length > 0 && toUpdate.length > 0) {
    const fullestFirst = [...toUpdate].sort((a, b) => b.endpoints.length - a.endpoints.length);
    for (const slice of fullestFirst) {
      while (remaining.length > 0 && slice.endpoints.length < max) {
        slice.endpoints.push(remaining.shift() as Endpoint);
      }
    }
  }

  const create: EndpointSlice[] = [];
  while (remaining.length > 0) {
    let fill: EndpointSlice | undefined;
    if (remaining.length < max && unchanged.length > 0) {
      const best = sliceToFill(unchanged, remaining.length, max);
      if (best !== undefined) {
        unchanged.splice(unchanged.indexOf(best), 1);
        fill = withMeta(clone(best), input);
        toUpdate.push(fill);
      }
    }
    if (fill === undefined) {
      fill = input.newSlice(
        group.addressType,
        group.ports.map((p) => ({ ...p })),
      );
      fill.metadata.labels = { ...input.labels };
      if (input.annotations !== undefined) fill.metadata.annotations = { ...input.annotations };
      create.push(fill);
    }
    while (remaining.length > 0 && fill.endpoints.length < max) {
      fill.endpoints.push(remaining.shift() as Endpoint);
    }
  }
  return { create, update: toUpdate, delete: toDelete };
}

/** The untouched slice that ends up closest to full when `n` endpoints are added (kube's getSliceToFill). */
function sliceToFill(
  slices: readonly EndpointSlice[],
  n: number,
  max: number,
): EndpointSlice | undefined {
  let best: EndpointSlice | undefined;
  let bestDiff = max;
  for (const s of slices) {
    const diff = max - (n + (s.endpoints ?? []).length);
    if (diff >= 0 && diff < bestDiff) {
      best = s;
      bestDiff = diff;
      if (diff === 0) break;
    }
  }
  return best;
}

function metaMatches(slice: EndpointSlice, input: PackInput): boolean {
  if (!jsonEqual(slice.metadata.labels ?? {}, input.labels)) return false;
  if (input.annotations === undefined) return true;
  const current = omitKeys(slice.metadata.annotations, annotationLastChangeTriggerTime);
  return jsonEqual(current, input.annotations);
}

function withMeta(slice: EndpointSlice, input: PackInput): EndpointSlice {
  slice.endpoints = [...(slice.endpoints ?? [])];
  slice.metadata.labels = { ...input.labels };
  if (input.annotations !== undefined) {
    const trigger = slice.metadata.annotations?.[annotationLastChangeTriggerTime];
    slice.metadata.annotations = { ...input.annotations };
    if (trigger !== undefined)
      slice.metadata.annotations[annotationLastChangeTriggerTime] = trigger;
  }
  return slice;
}

function isSamePlaceholder(slice: EndpointSlice, placeholder: EndpointSlice): boolean {
  return (
    (slice.endpoints ?? []).length === 0 &&
    (slice.ports ?? []).length === 0 &&
    slice.addressType === placeholder.addressType &&
    slice.metadata.namespace === placeholder.metadata.namespace &&
    jsonEqual(slice.metadata.labels ?? {}, placeholder.metadata.labels ?? {}) &&
    jsonEqual(slice.metadata.ownerReferences ?? [], placeholder.metadata.ownerReferences ?? [])
  );
}

function setTriggerTime(obj: KubeObject, triggerTime: string | undefined): void {
  const annotations = omitKeys(obj.metadata.annotations, annotationLastChangeTriggerTime);
  if (triggerTime !== undefined) annotations[annotationLastChangeTriggerTime] = triggerTime;
  obj.metadata.annotations = annotations;
}

/**
 * Change trackers: the cluster state the proxy programs (Services and the EndpointSlices of each
 * Service, joined later per port) and what changed since the last sync. Handlers only record;
 * the runner's sync reads. Updates that change nothing the proxy uses (a resourceVersion bump,
 * a managedFields rewrite, an unrelated annotation) are not changes: they cost no sync.
 */
import type { Node, Service } from '../api/types/core.js';
import type { EndpointSlice } from '../api/types/discovery.js';
import { annotationLastChangeTriggerTime, labelServiceName } from '../api/types/discovery.js';
import { endpointsByPort, endpointsFor } from './endpoints.js';
import { serviceKey, servicePorts } from './serviceport.js';
import type { IPFamily, NodeInfo, ServicePortEntry } from './types.js';

/** The node the proxy runs on, as far as the rules depend on it. */
export interface NodeState extends NodeInfo {
  /** `spec.podCIDRs` (or `spec.podCIDR`). */
  readonly podCIDRs: readonly string[];
}

export const labelZone = 'topology.kubernetes.io/zone';

/** What a sync gets: the Services that changed, and when their endpoint changes began. */
export interface PendingChanges {
  /** `namespace/name` of every Service whose ports or endpoints may differ. */
  readonly services: ReadonlySet<string>;
  /** last-change-trigger-time (ms since epoch) of endpoint changes, per Service. */
  readonly triggerTimes: ReadonlyMap<string, readonly number[]>;
}

/** Read access to the tracked state, for backends. */
export interface ClusterStateView {
  /** Every tracked Service key. */
  serviceKeys(): Iterable<string>;
  /** The ports of a Service for one family, with their endpoints; empty when absent or ignored. */
  entries(service: string, family: IPFamily): ServicePortEntry[];
  /** The Service object, if tracked. */
  service(key: string): Service | undefined;
  /** Slices of a Service. */
  slices(key: string): readonly EndpointSlice[];
  /** The node this proxy runs on. */
  node(): NodeState;
}

function sliceService(slice: EndpointSlice): string | undefined {
  const name = slice.metadata.labels?.[labelServiceName];
  return name === undefined || name === '' ? undefined : serviceKey(slice.metadata.namespace, name);
}

function sliceSig(s: EndpointSlice): string {
  return JSON.stringify([s.addressType, s.endpoints, s.ports, s.metadata.labels]);
}

function serviceSig(s: Service): string {
  return JSON.stringify([s.spec, s.metadata.labels, s.status?.loadBalancer]);
}

export class ClusterState implements ClusterStateView {
  #node: NodeState;
  readonly #services = new Map<string, Service>();
  readonly #slices = new Map<string, Map<string, EndpointSlice>>();
  #dirty = new Set<string>();
  #triggers = new Map<string, number[]>();
  #serviceChanges = 0;
  #endpointChanges = 0;
  #pendingServiceChanges = 0;
  #pendingEndpointChanges = 0;

  constructor(nodeName = '') {
    this.#node = { name: nodeName, zone: undefined, podCIDRs: [] };
  }

  node(): NodeState {
    return this.#node;
  }

  /** Records the proxy's own Node. Returns true when something the rules use changed. */
  updateNode(node: Node | undefined): boolean {
    const zone = node?.metadata.labels?.[labelZone];
    const spec = node?.spec;
    const podCIDRs =
      spec?.podCIDRs && spec.podCIDRs.length > 0
        ? spec.podCIDRs
        : spec?.podCIDR
          ? [spec.podCIDR]
          : [];
    const next: NodeState = {
      name: this.#node.name,
      zone: zone === '' ? undefined : zone,
      podCIDRs,
    };
    if (next.zone === this.#node.zone && next.podCIDRs.join(',') === this.#node.podCIDRs.join(','))
      return false;
    this.#node = next;
    return true;
  }

  /** Records a Service add, update or delete. Returns true when it is a change. */
  updateService(prev: Service | undefined, next: Service | undefined): boolean {
    const obj = next ?? prev;
    if (!obj) return false;
    const key = serviceKey(obj.metadata.namespace, obj.metadata.name);
    const current = this.#services.get(key);
    if (next) {
      if (current && serviceSig(current) === serviceSig(next)) {
        this.#services.set(key, next);
        return false;
      }
      this.#services.set(key, next);
    } else {
      if (!current) return false;
      this.#services.delete(key);
    }
    this.#dirty.add(key);
    this.#serviceChanges++;
    this.#pendingServiceChanges++;
    return true;
  }

  /** Records an EndpointSlice add, update or delete. Returns true when it is a change. */
  updateSlice(
    prev: EndpointSlice | undefined,
    next: EndpointSlice | undefined,
    nowMs: number,
  ): boolean {
    let changed = false;
    if (prev) {
      const key = sliceService(prev);
      const name = prev.metadata.name ?? '';
      const forService = key === undefined ? undefined : this.#slices.get(key);
      const moved = next === undefined || sliceService(next) !== key;
      if (key !== undefined && forService?.has(name) === true && moved) {
        forService.delete(name);
        if (forService.size === 0) this.#slices.delete(key);
        this.#dirty.add(key);
        changed = true;
      }
    }
    if (next) {
      const key = sliceService(next);
      if (key !== undefined) {
        const name = next.metadata.name ?? '';
        let forService = this.#slices.get(key);
        if (!forService) {
          forService = new Map();
          this.#slices.set(key, forService);
        }
        const current = forService.get(name);
        forService.set(name, next);
        if (!current || sliceSig(current) !== sliceSig(next)) {
          this.#dirty.add(key);
          changed = true;
          const t = triggerTime(next, nowMs);
          if (t !== undefined) {
            const list = this.#triggers.get(key) ?? [];
            list.push(t);
            this.#triggers.set(key, list);
          }
        }
      }
    }
    if (changed) {
      this.#endpointChanges++;
      this.#pendingEndpointChanges++;
    }
    return changed;
  }

  /** Marks every Service dirty (node labels changed, or a backend lost its state). */
  markAllDirty(): void {
    for (const k of this.#services.keys()) this.#dirty.add(k);
    for (const k of this.#slices.keys()) this.#dirty.add(k);
  }

  get pendingServices(): number {
    return this.#dirty.size;
  }

  /** Changes recorded since the last takeChanges (kube-proxy's *_changes_pending). */
  get pendingChanges(): { services: number; endpoints: number } {
    return { services: this.#pendingServiceChanges, endpoints: this.#pendingEndpointChanges };
  }

  /** Counters of changes seen since start (service, endpoint). */
  get changeCounts(): { services: number; endpoints: number } {
    return { services: this.#serviceChanges, endpoints: this.#endpointChanges };
  }

  /** Takes the pending changes, leaving none. */
  takeChanges(): PendingChanges {
    const out = { services: this.#dirty, triggerTimes: this.#triggers };
    this.#dirty = new Set();
    this.#triggers = new Map();
    this.#pendingServiceChanges = 0;
    this.#pendingEndpointChanges = 0;
    return out;
  }

  /** Puts changes back after a failed sync, merged with newer ones. */
  restoreChanges(c: PendingChanges): void {
    for (const k of c.services) this.#dirty.add(k);
    for (const [k, times] of c.triggerTimes)
      this.#triggers.set(k, [...times, ...(this.#triggers.get(k) ?? [])]);
  }

  serviceKeys(): Iterable<string> {
    return this.#services.keys();
  }

  service(key: string): Service | undefined {
    return this.#services.get(key);
  }

  slices(key: string): readonly EndpointSlice[] {
    const m = this.#slices.get(key);
    return m ? [...m.values()] : [];
  }

  entries(service: string, family: IPFamily): ServicePortEntry[] {
    const svc = this.#services.get(service);
    if (!svc) return [];
    const ports = servicePorts(svc, family);
    if (ports.length === 0) return [];
    const byPort = endpointsByPort(this.slices(service), family);
    return ports.map((info) => ({ info, endpoints: endpointsFor(info, byPort) }));
  }
}

/** The slice's last-change-trigger-time in ms, if present, parseable and not in the future. */
export function triggerTime(slice: EndpointSlice, nowMs: number): number | undefined {
  const v = slice.metadata.annotations?.[annotationLastChangeTriggerTime];
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t) || t > nowMs + 1000) return undefined;
  return t;
}

/** Ports and endpoints of a set of objects for one family, without tracking (tests, benchmarks). */
export function entriesOf(
  services: readonly Service[],
  slices: readonly EndpointSlice[],
  family: IPFamily,
): ServicePortEntry[] {
  const state = new ClusterState();
  for (const s of services) state.updateService(undefined, s);
  for (const s of slices) state.updateSlice(undefined, s, 0);
  return [...state.serviceKeys()].sort().flatMap((k) => state.entries(k, family));
}

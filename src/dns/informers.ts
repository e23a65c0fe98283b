/**
 * The informers the cluster DNS runs (CoreDNS's dnsController): Services, EndpointSlices,
 * Namespaces, and Pods in `pods verified` mode only. Handlers feed the zone; the zone is
 * "synced" once every informer has listed.
 */
import type { KubeObject } from '../api/meta/types.js';
import { resources } from '../api/scheme.js';
import type { Namespace, Pod, Service } from '../api/types/core.js';
import type { EndpointSlice } from '../api/types/discovery.js';
import type { InformerFactory } from '../client/factory.js';
import type { Informer } from '../client/types.js';
import type { KubernetesZone } from './zone.js';

export interface ZoneInformers {
  hasSynced(): boolean;
  waitForSync(signal: AbortSignal): Promise<boolean>;
}

/** Drops what the DNS never reads from cached objects (managedFields). */
export function slimObject(obj: KubeObject): KubeObject {
  if (obj.metadata.managedFields === undefined) return obj;
  const { managedFields: _drop, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

export function watchCluster(factory: InformerFactory, zone: KubernetesZone): ZoneInformers {
  const services = factory.informerFor<Service>(resources.services);
  const slices = factory.informerFor<EndpointSlice>(resources.endpointslices);
  const namespaces = factory.informerFor<Namespace>(resources.namespaces);
  const informers: Informer<unknown>[] = [services, slices, namespaces];
  services.addHandlers({
    onAdd: (s) => zone.upsertService(s),
    onUpdate: (_o, s) => zone.upsertService(s),
    onDelete: (s) => zone.deleteService(s),
  });
  slices.addHandlers({
    onAdd: (s) => zone.upsertSlice(s),
    onUpdate: (_o, s) => zone.upsertSlice(s),
    onDelete: (s) => zone.deleteSlice(s),
  });
  namespaces.addHandlers({
    onAdd: (n) => zone.upsertNamespace(n.metadata.name ?? ''),
    onUpdate: () => undefined,
    onDelete: (n) => zone.deleteNamespace(n.metadata.name ?? ''),
  });
  if (zone.podMode === 'verified') {
    const pods = factory.informerFor<Pod>(resources.pods);
    pods.addHandlers({
      onAdd: (p) => zone.upsertPod(p),
      onUpdate: (_o, p) => zone.upsertPod(p),
      onDelete: (p) => zone.deletePod(p),
    });
    informers.push(pods);
  }
  return {
    hasSynced: () => informers.every((i) => i.hasSynced()),
    waitForSync: async (signal) =>
      (await Promise.all(informers.map((i) => i.waitForSync(signal)))).every(Boolean),
  };
}

/**
 * The EndpointSlice controller's pure core: a Service, the pods its selector matches, the nodes
 * they run on and the slices that exist in; the slices to create, update and delete out.
 */
import type { Node, Pod, Service } from '../../api/types/core.js';
import {
  labelHeadless,
  labelManagedBy,
  labelServiceName,
  managedByController,
  type EndpointSlice,
} from '../../api/types/discovery.js';
import { newControllerRef } from '../common/meta.js';
import { shouldPodBeInEndpoints } from '../common/pods.js';
import {
  addressTypesForService,
  endpointKey,
  endpointPorts,
  isHeadless,
  podToEndpoint,
  portMapKey,
  type AddressType,
} from './endpoint.js';
import { planSlices, type DesiredGroup, type SlicePlan } from './slices.js';

/** kube-controller-manager's default `--max-endpoints-per-slice`. */
export const defaultMaxEndpointsPerSlice = 100;

/** What reconcileEndpointSlices() reads. */
export interface EndpointSliceInput {
  readonly service: Service;
  /** Pods in the service's namespace that its selector matches. */
  readonly pods: readonly Pod[];
  readonly node: (name: string) => Node | undefined;
  /** Slices labelled for this service and managed by this controller. */
  readonly existing: readonly EndpointSlice[];
  readonly maxEndpointsPerSlice?: number;
  readonly triggerTime?: string | undefined;
}

/** The slices to write, and the pods left out for now. */
export interface EndpointSliceResult extends SlicePlan {
  /**
   * Pods left out because their node is not (yet) known; the sync retries so they appear once
   * it is (kube skips them the same way unless publishNotReadyAddresses is set).
   */
  readonly skippedPods: readonly string[];
}

const reservedLabels = new Set([labelServiceName, labelManagedBy, labelHeadless]);

/** The labels of the service's slices: the service's own, plus the reserved ones. */
export function sliceLabels(service: Service, managedBy: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.metadata.labels ?? {})) {
    if (!reservedLabels.has(k)) out[k] = v;
  }
  if (isHeadless(service)) out[labelHeadless] = '';
  out[labelServiceName] = service.metadata.name ?? '';
  out[labelManagedBy] = managedBy;
  return out;
}

/** Plans the slices of one service. */
export function reconcileEndpointSlices(input: EndpointSliceInput): EndpointSliceResult {
  const { service } = input;
  const addressTypes = addressTypesForService(service);
  const groups = new Map<
    string,
    {
      addressType: AddressType;
      ports: DesiredGroup['ports'];
      endpoints: Map<string, DesiredGroup['endpoints'][number]>;
    }
  >();
  const skippedPods: string[] = [];
  const pods = [...input.pods].sort((a, b) =>
    (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
  for (const addressType of addressTypes) {
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      const nodeName = pod.spec?.nodeName ?? '';
      const node = nodeName === '' ? undefined : input.node(nodeName);
      if (node === undefined && service.spec?.publishNotReadyAddresses !== true) {
        if (addressType === addressTypes[0]) skippedPods.push(pod.metadata.name ?? '');
        continue;
      }
      const ports = endpointPorts(service, pod);
      const ep = podToEndpoint(pod, node, service, addressType);
      if (ep.addresses.length === 0) continue;
      const k = `${addressType}|${portMapKey(ports)}`;
      let g = groups.get(k);
      if (g === undefined) {
        g = { addressType, ports, endpoints: new Map() };
        groups.set(k, g);
      }
      g.endpoints.set(endpointKey(ep), ep);
    }
  }
  const labels = sliceLabels(service, managedByController);
  const plan = planSlices({
    addressTypes,
    desired: [...groups.values()].map((g) => ({
      addressType: g.addressType,
      ports: g.ports,
      endpoints: [...g.endpoints.values()],
    })),
    existing: input.existing,
    maxEndpointsPerSlice: input.maxEndpointsPerSlice ?? defaultMaxEndpointsPerSlice,
    labels,
    owned: (slice) => ownedBy(slice, service),
    newSlice: (addressType, ports) => newSlice(service, addressType, ports, labels),
    placeholder: true,
    allowCreate: service.metadata.deletionTimestamp === undefined,
    triggerTime: input.triggerTime,
  });
  return { ...plan, skippedPods };
}

/** The slice is controlled by this very Service (same uid), not a same-named predecessor. */
export function ownedBy(slice: EndpointSlice, service: Service): boolean {
  return (slice.metadata.ownerReferences ?? []).some(
    (r) => r.uid === service.metadata.uid && r.kind === 'Service' && r.apiVersion === 'v1',
  );
}

function newSlice(
  service: Service,
  addressType: AddressType,
  ports: EndpointSlice['ports'],
  labels: Record<string, string>,
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${service.metadata.name ?? ''}-`,
      namespace: service.metadata.namespace ?? '',
      labels: { ...labels },
      ownerReferences: [newControllerRef(service, 'v1', 'Service')],
    },
    addressType,
    endpoints: [],
    ports: ports ?? [],
  };
}

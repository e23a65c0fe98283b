/**
 * The EndpointSlice mirroring controller's pure core (Kubernetes'
 * pkg/controller/endpointslicemirroring): the Endpoints a user wrote for a Service without a
 * selector, mirrored into EndpointSlices labelled `endpointslice.kubernetes.io/managed-by:
 * endpointslicemirroring-controller.k8s.io` and owned by the Endpoints.
 *
 * - mirrored only while a Service of the same name exists without a selector, and the
 *   Endpoints is not labelled `endpointslice.kubernetes.io/skip-mirror: "true"` nor carries a
 *   leader-election annotation; otherwise every mirrored slice is deleted;
 * - `addresses` become endpoints with `ready: true`, `notReadyAddresses` with `ready: false`
 *   (hostname, nodeName and targetRef are copied), at most 1000 per subset, ready first;
 * - each distinct port set (and address family) gets its own slices, ≤ maxEndpointsPerSlice each;
 * - labels are the Endpoints' (reserved keys replaced), annotations the Endpoints' minus the
 *   trigger time and kubectl's last-applied-configuration.
 */
import type { EndpointAddress, Endpoints, Service } from '../../api/types/core.js';
import {
  annotationLastChangeTriggerTime,
  labelManagedBy,
  labelServiceName,
  managedByMirroring,
  type Endpoint,
  type EndpointSlice,
  type EndpointSlicePort,
} from '../../api/types/discovery.js';
import { newControllerRef } from '../common/meta.js';
import {
  addressTypeOf,
  endpointKey,
  portMapKey,
  type AddressType,
} from '../endpointslice/endpoint.js';
import { planSlices, type SlicePlan } from '../endpointslice/slices.js';

/** `"true"` on an Endpoints keeps it from being mirrored. */
export const labelSkipMirror = 'endpointslice.kubernetes.io/skip-mirror';
/** Endpoints used as leader-election locks are never mirrored. */
export const annotationLeaderElection = 'control-plane.alpha.kubernetes.io/leader';
const annotationLastApplied = 'kubectl.kubernetes.io/last-applied-configuration';
/** kube's default `--mirroring-max-endpoints-per-subset`. */
export const maxMirroredPerSubset = 1000;

/** Whether the Endpoints of this service are mirrored at all. */
export function shouldMirror(endpoints: Endpoints, service: Service | undefined): boolean {
  if (service === undefined) return false;
  if (Object.keys(service.spec?.selector ?? {}).length > 0) return false;
  if (service.spec?.type === 'ExternalName') return false;
  if (endpoints.metadata.labels?.[labelSkipMirror] === 'true') return false;
  if (endpoints.metadata.annotations?.[annotationLeaderElection] !== undefined) return false;
  return true;
}

function toEndpoint(a: EndpointAddress, ready: boolean): Endpoint {
  const ep: Endpoint = { addresses: [a.ip], conditions: { ready } };
  if (a.hostname !== undefined && a.hostname !== '') ep.hostname = a.hostname;
  if (a.nodeName !== undefined && a.nodeName !== '') ep.nodeName = a.nodeName;
  if (a.targetRef !== undefined) ep.targetRef = { ...a.targetRef };
  return ep;
}

/** The slice plan and how many addresses were left out. */
export interface MirrorResult extends SlicePlan {
  /** Addresses left out: over the per-subset limit or not an IP. */
  readonly skipped: number;
}

/** Plans the mirrored slices of one Endpoints object. */
export function reconcileMirroring(input: {
  readonly endpoints: Endpoints;
  readonly service: Service | undefined;
  readonly existing: readonly EndpointSlice[];
  readonly maxEndpointsPerSlice?: number;
}): MirrorResult {
  const { endpoints } = input;
  if (!shouldMirror(endpoints, input.service)) {
    return { create: [], update: [], delete: [...input.existing], skipped: 0 };
  }
  let skipped = 0;
  const groups = new Map<
    string,
    { addressType: AddressType; ports: EndpointSlicePort[]; endpoints: Map<string, Endpoint> }
  >();
  for (const subset of endpoints.subsets ?? []) {
    const ports: EndpointSlicePort[] = (subset.ports ?? []).map((p) => {
      const ep: EndpointSlicePort = {
        name: p.name ?? '',
        port: p.port,
        protocol: p.protocol ?? 'TCP',
      };
      if (p.appProtocol !== undefined) ep.appProtocol = p.appProtocol;
      return ep;
    });
    const candidates = [
      ...(subset.addresses ?? []).map((a) => ({ a, ready: true })),
      ...(subset.notReadyAddresses ?? []).map((a) => ({ a, ready: false })),
    ];
    if (candidates.length > maxMirroredPerSubset)
      skipped += candidates.length - maxMirroredPerSubset;
    for (const { a, ready } of candidates.slice(0, maxMirroredPerSubset)) {
      const addressType = addressTypeOf(a.ip);
      if (addressType === undefined) {
        skipped++;
        continue;
      }
      const k = `${addressType}|${portMapKey(ports)}`;
      let g = groups.get(k);
      if (g === undefined) {
        g = { addressType, ports, endpoints: new Map() };
        groups.set(k, g);
      }
      const ep = toEndpoint(a, ready);
      const ek = endpointKey(ep);
      if (!g.endpoints.has(ek)) g.endpoints.set(ek, ep);
    }
  }
  const name = endpoints.metadata.name ?? '';
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(endpoints.metadata.labels ?? {})) {
    if (k !== labelManagedBy && k !== labelServiceName) labels[k] = v;
  }
  labels[labelServiceName] = name;
  labels[labelManagedBy] = managedByMirroring;
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(endpoints.metadata.annotations ?? {})) {
    if (k !== annotationLastChangeTriggerTime && k !== annotationLastApplied) annotations[k] = v;
  }
  const plan = planSlices({
    addressTypes: ['IPv4', 'IPv6'],
    desired: [...groups.values()].map((g) => ({
      addressType: g.addressType,
      ports: g.ports,
      endpoints: [...g.endpoints.values()],
    })),
    existing: input.existing,
    maxEndpointsPerSlice: input.maxEndpointsPerSlice ?? 100,
    labels,
    annotations,
    owned: (slice) =>
      (slice.metadata.ownerReferences ?? []).some(
        (r) => r.kind === 'Endpoints' && r.uid === endpoints.metadata.uid,
      ),
    newSlice: (addressType, ports) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        generateName: `${name}-`,
        namespace: endpoints.metadata.namespace ?? '',
        labels: { ...labels },
        annotations: { ...annotations },
        ownerReferences: [newControllerRef(endpoints, 'v1', 'Endpoints')],
      },
      addressType,
      endpoints: [],
      ports,
    }),
    placeholder: false,
    allowCreate: endpoints.metadata.deletionTimestamp === undefined,
  });
  return { ...plan, skipped };
}

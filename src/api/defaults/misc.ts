/** Defaults of the other kinds: Secret, Namespace, Endpoints, EndpointSlice, Node, IngressClass. */
import type { Endpoints, Namespace, Node, Secret } from '../types/core.js';
import type { EndpointSlice } from '../types/discovery.js';
import type { IngressClass } from '../types/networking.js';

/** The label every Namespace carries with its own name. */
export const labelMetadataName = 'kubernetes.io/metadata.name';

/** Secret: type Opaque; `stringData` is written into `data` (base64) and dropped, as kube's conversion does. */
export function setSecretDefaults(secret: Secret): void {
  if (!secret.type) secret.type = 'Opaque';
  if (secret.stringData) {
    const data = (secret.data ??= {});
    for (const [k, v] of Object.entries(secret.stringData))
      data[k] = Buffer.from(v, 'utf8').toString('base64');
    delete secret.stringData;
  }
}

/** Namespace: the `kubernetes.io/metadata.name` label (status.phase and finalizers come with create). */
export function setNamespaceDefaults(ns: Namespace): void {
  if (ns.metadata.name) {
    ns.metadata.labels = { ...ns.metadata.labels, [labelMetadataName]: ns.metadata.name };
  }
}

/** Endpoints: port protocol TCP. */
export function setEndpointsDefaults(ep: Endpoints): void {
  for (const ss of ep.subsets ?? [])
    for (const p of ss.ports ?? []) if (!p.protocol) p.protocol = 'TCP';
}

/** EndpointSlice: port name "" and protocol TCP. */
export function setEndpointSliceDefaults(slice: EndpointSlice): void {
  for (const p of slice.ports ?? []) {
    p.name ??= '';
    p.protocol ??= 'TCP';
  }
}

/** Node: allocatable defaults to capacity. */
export function setNodeDefaults(node: Node): void {
  const status = node.status;
  if (status?.capacity && !status.allocatable) status.allocatable = { ...status.capacity };
}

/** IngressClass: parameters are cluster-scoped unless said otherwise. */
export function setIngressClassDefaults(ic: IngressClass): void {
  const params = ic.spec?.parameters;
  if (params && params.scope === undefined) params.scope = 'Cluster';
}

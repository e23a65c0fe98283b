/** discovery.k8s.io/v1 EndpointSlice. */
import type { KubeObject } from '../meta/types.js';
import type { ObjectReference, Protocol } from './core.js';

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  targetRef?: ObjectReference;
  nodeName?: string;
  zone?: string;
  hints?: { forZones?: { name: string }[]; forNodes?: { name: string }[] };
  deprecatedTopology?: Record<string, string>;
}

export interface EndpointSlicePort {
  /** Always present in what we emit: kubectl describe crashes on a missing name. */
  name?: string;
  protocol?: Protocol;
  port?: number;
  appProtocol?: string;
}

export interface EndpointSlice extends KubeObject {
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints: Endpoint[];
  ports?: EndpointSlicePort[] | null;
}

export const labelServiceName = 'kubernetes.io/service-name';
export const labelManagedBy = 'endpointslice.kubernetes.io/managed-by';
export const managedByController = 'endpointslice-controller.k8s.io';
export const managedByMirroring = 'endpointslicemirroring-controller.k8s.io';
export const labelHeadless = 'service.kubernetes.io/headless';
export const labelServiceProxyName = 'service.kubernetes.io/service-proxy-name';
export const annotationLastChangeTriggerTime = 'endpoints.kubernetes.io/last-change-trigger-time';

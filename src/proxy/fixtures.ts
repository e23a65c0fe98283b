/**
 * Builders of Services and EndpointSlices for the proxy's tests and benchmarks. Not used by the
 * proxy itself.
 */
import type { Protocol, Service, ServicePort, ServiceSpec } from '../api/types/core.js';
import type { Endpoint, EndpointSlice } from '../api/types/discovery.js';
import { labelServiceName } from '../api/types/discovery.js';

export interface ServiceOptions extends Partial<ServiceSpec> {
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly lbIngress?: readonly string[];
}

/**
 * A Service with sensible defaults: ClusterIP, one TCP port 80 named `http` unless `ports` given.
 * An empty `clusterIP` leaves it to the API server to allocate.
 */
export function makeService(
  name: string,
  clusterIP: string,
  options: ServiceOptions = {},
): Service {
  const { namespace, labels, lbIngress, ...spec } = options;
  const ports: ServicePort[] = spec.ports ?? [
    { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
  ];
  const svc: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: namespace ?? 'default', ...(labels ? { labels } : {}) },
    spec: {
      type: 'ClusterIP',
      ...(clusterIP !== '' ? { clusterIP, clusterIPs: [clusterIP] } : {}),
      ...spec,
      ports,
    },
  };
  if (lbIngress)
    svc.status = { loadBalancer: { ingress: lbIngress.map((ip) => ({ ip, ipMode: 'VIP' })) } };
  return svc;
}

export interface EndpointOptions {
  readonly node?: string;
  readonly zone?: string;
  readonly ready?: boolean;
  readonly serving?: boolean;
  readonly terminating?: boolean;
  readonly zoneHints?: readonly string[];
}

export type EndpointSpec = string | ({ readonly ip: string } & EndpointOptions);

export interface SliceOptions {
  readonly namespace?: string;
  readonly sliceName?: string;
  readonly addressType?: 'IPv4' | 'IPv6';
  readonly annotations?: Record<string, string>;
}

/** An EndpointSlice of `service` with the given ports (`name:port/PROTO` or `{name, port, protocol}`). */
export function makeSlice(
  service: string,
  ports: readonly { name?: string; port: number; protocol?: Protocol }[],
  endpoints: readonly EndpointSpec[],
  options: SliceOptions = {},
): EndpointSlice {
  const eps: Endpoint[] = endpoints.map((e) => {
    const spec = typeof e === 'string' ? { ip: e } : e;
    const ready = spec.ready ?? true;
    const ep: Endpoint = {
      addresses: [spec.ip],
      conditions: {
        ready,
        serving: spec.serving ?? ready,
        terminating: spec.terminating ?? false,
      },
    };
    if (spec.node !== undefined) ep.nodeName = spec.node;
    if (spec.zone !== undefined) ep.zone = spec.zone;
    if (spec.zoneHints !== undefined)
      ep.hints = { forZones: spec.zoneHints.map((name) => ({ name })) };
    return ep;
  });
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: options.sliceName ?? `${service}-abcde`,
      namespace: options.namespace ?? 'default',
      labels: { [labelServiceName]: service },
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    addressType: options.addressType ?? 'IPv4',
    endpoints: eps,
    ports: ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

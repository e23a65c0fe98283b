/**
 * Builders of Ingresses, Services, EndpointSlices and Secrets for the ingress tests, and the
 * Ingresses of the ingress-controller-conformance features (conformance.md §14). Not used by the
 * ingress itself.
 */
import type { Secret, Service } from '../api/types/core.js';
import { labelServiceName, type EndpointSlice } from '../api/types/discovery.js';
import type {
  HTTPIngressPath,
  Ingress,
  IngressBackend,
  IngressSpec,
} from '../api/types/networking.js';
import type { RouteSources } from './routes.js';

export function ingress(
  name: string,
  spec: IngressSpec,
  options: { namespace?: string; created?: string; annotations?: Record<string, string> } = {},
): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: options.namespace ?? 'default',
      creationTimestamp: options.created ?? '2024-01-01T00:00:00Z',
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec,
  };
}

/** A path rule to a service port (a number, or a name when a string). */
export function path(
  p: string | undefined,
  pathType: HTTPIngressPath['pathType'],
  service: string,
  port: number | string = 8080,
): HTTPIngressPath {
  return {
    ...(p !== undefined ? { path: p } : {}),
    ...(pathType ? { pathType } : {}),
    backend: {
      service: {
        name: service,
        port: typeof port === 'number' ? { number: port } : { name: port },
      },
    },
  };
}

export function backend(service: string, port: number | string = 8080): IngressBackend {
  return {
    service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } },
  };
}

/** A Service with one TCP port (named when `portName` is given) to `targetPort`. */
export function service(
  name: string,
  options: {
    namespace?: string;
    port?: number;
    portName?: string;
    targetPort?: number;
    type?: 'ClusterIP' | 'NodePort' | 'ExternalName';
  } = {},
): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: options.namespace ?? 'default' },
    spec: {
      type: options.type ?? 'ClusterIP',
      ...(options.type === 'ExternalName' ? { externalName: 'example.com' } : {}),
      ports: [
        {
          ...(options.portName !== undefined ? { name: options.portName } : {}),
          port: options.port ?? 8080,
          protocol: 'TCP',
          targetPort: options.targetPort ?? 3000,
        },
      ],
    },
  };
}

/** An EndpointSlice of a Service: addresses (ready unless listed in `unready`) on one port. */
export function slice(
  serviceName: string,
  addresses: readonly string[],
  options: {
    namespace?: string;
    port?: number;
    portName?: string;
    unready?: readonly string[];
    name?: string;
  } = {},
): EndpointSlice {
  const unready = new Set(options.unready ?? []);
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: options.name ?? `${serviceName}-abcde`,
      namespace: options.namespace ?? 'default',
      labels: { [labelServiceName]: serviceName },
    },
    addressType: addresses.some((a) => a.includes(':')) ? 'IPv6' : 'IPv4',
    endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: !unready.has(a) } })),
    ports: [{ name: options.portName ?? '', port: options.port ?? 3000, protocol: 'TCP' }],
  };
}

export function tlsSecret(name: string, cert: string, key: string, namespace = 'default'): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': Buffer.from(cert).toString('base64'),
      'tls.key': Buffer.from(key).toString('base64'),
    },
  };
}

/** RouteSources over plain arrays. */
export function sources(objects: {
  ingresses: readonly Ingress[];
  services?: readonly Service[];
  slices?: readonly EndpointSlice[];
  secrets?: readonly Secret[];
}): RouteSources {
  const ns = (o: { metadata: { namespace?: string } }) => o.metadata.namespace ?? 'default';
  return {
    ingresses: objects.ingresses,
    service: (n, name) =>
      (objects.services ?? []).find((s) => ns(s) === n && s.metadata.name === name),
    slices: (n, svc) =>
      (objects.slices ?? []).filter(
        (s) => ns(s) === n && s.metadata.labels?.[labelServiceName] === svc,
      ),
    secret: (n, name) =>
      (objects.secrets ?? []).find((s) => ns(s) === n && s.metadata.name === name),
  };
}

/** ICC default_backend.feature: everything to echo-service:8080. */
export const defaultBackendIngress = (): Ingress =>
  ingress('default-backend', { defaultBackend: backend('echo-service') });

/** ICC host_rules.feature Background (ING-07…12). */
export const hostRulesIngress = (): Ingress =>
  ingress('host-rules', {
    tls: [{ hosts: ['foo.bar.com'], secretName: 'conformance-tls' }],
    rules: [
      { host: '*.foo.com', http: { paths: [path('/', 'Prefix', 'wildcard-foo-com')] } },
      { host: 'foo.bar.com', http: { paths: [path('/', 'Prefix', 'foo-bar-com', 'http')] } },
    ],
  });

/** ICC path_rules.feature Background (ING-15…29). */
export const pathRulesIngress = (): Ingress =>
  ingress('path-rules', {
    rules: [
      { host: 'exact-path-rules', http: { paths: [path('/foo', 'Exact', 'foo-exact')] } },
      {
        host: 'prefix-path-rules',
        http: {
          paths: [
            path('/foo', 'Prefix', 'foo-prefix'),
            path('/aaa/bbb', 'Prefix', 'aaa-slash-bbb-prefix'),
            path('/aaa', 'Prefix', 'aaa-prefix'),
          ],
        },
      },
      {
        host: 'mixed-path-rules',
        http: {
          paths: [path('/foo', 'Prefix', 'foo-prefix'), path('/foo', 'Exact', 'foo-exact')],
        },
      },
      {
        host: 'trailing-slash-path-rules',
        http: {
          paths: [
            path('/aaa/bbb/', 'Prefix', 'aaa-slash-bbb-slash-prefix'),
            path('/foo/', 'Exact', 'foo-slash-exact'),
          ],
        },
      },
    ],
  });

/** ING-31: a default backend beside one Exact rule. */
export const defaultAndRuleIngress = (): Ingress =>
  ingress('default-and-rule', {
    defaultBackend: backend('echo-service'),
    rules: [{ host: 'a.example', http: { paths: [path('/x', 'Exact', 'svc-x')] } }],
  });

/** networking.k8s.io/v1 Ingress and IngressClass. */
import type { Condition, KubeObject } from '../meta/types.js';
import type { LoadBalancerIngress } from './core.js';

export interface ServiceBackendPort {
  name?: string;
  number?: number;
}

export interface IngressBackend {
  service?: { name: string; port?: ServiceBackendPort };
  resource?: { apiGroup?: string; kind: string; name: string };
}

export interface HTTPIngressPath {
  path?: string;
  pathType?: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  backend: IngressBackend;
}

export interface IngressRule {
  host?: string;
  http?: { paths: HTTPIngressPath[] };
}

export interface IngressTLS {
  hosts?: string[];
  secretName?: string;
}

export interface IngressSpec {
  ingressClassName?: string;
  defaultBackend?: IngressBackend;
  tls?: IngressTLS[];
  rules?: IngressRule[];
}

export interface Ingress extends KubeObject {
  spec?: IngressSpec;
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] }; conditions?: Condition[] };
}

export interface IngressClass extends KubeObject {
  spec?: {
    controller?: string;
    parameters?: {
      apiGroup?: string;
      kind: string;
      name: string;
      scope?: 'Cluster' | 'Namespace';
      namespace?: string;
    };
  };
}

export const annotationIsDefaultClass = 'ingressclass.kubernetes.io/is-default-class';

/**
 * extensions/v1beta1 Ingress: the legacy shape of older manifests (Kubernetes in Action), served
 * for compatibility and stored as networking.k8s.io/v1 (see api/conversion/ingress.ts).
 */
import type { IntOrString, KubeObject } from '../meta/types.js';
import type { IngressTLS } from './networking.js';
import type { LoadBalancerIngress } from './core.js';

export interface ExtensionsIngressBackend {
  serviceName?: string;
  servicePort?: IntOrString;
  resource?: { apiGroup?: string; kind: string; name: string };
}

export interface ExtensionsHTTPIngressPath {
  path?: string;
  pathType?: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  backend: ExtensionsIngressBackend;
}

export interface ExtensionsIngressRule {
  host?: string;
  http?: { paths: ExtensionsHTTPIngressPath[] };
}

export interface ExtensionsIngressSpec {
  ingressClassName?: string;
  backend?: ExtensionsIngressBackend;
  tls?: IngressTLS[];
  rules?: ExtensionsIngressRule[];
}

export interface ExtensionsIngress extends KubeObject {
  spec?: ExtensionsIngressSpec;
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
}

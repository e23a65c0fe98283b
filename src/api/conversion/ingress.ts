/**
 * Conversion between the legacy extensions/v1beta1 Ingress (spec.backend, serviceName and an
 * int-or-string servicePort) and networking.k8s.io/v1 (spec.defaultBackend, service.name and a
 * port number or name), as kube-apiserver converts them. The API server stores v1 and serves
 * both. Converting to v1 defaults a missing pathType to ImplementationSpecific, as the
 * extensions/v1beta1 defaulting does. Inputs are not modified.
 */
import type { KubeObject } from '../meta/types.js';
import type {
  ExtensionsHTTPIngressPath,
  ExtensionsIngress,
  ExtensionsIngressBackend,
  ExtensionsIngressRule,
} from '../types/extensions.js';
import type { HTTPIngressPath, Ingress, IngressBackend, IngressRule } from '../types/networking.js';

function backendToV1(b: ExtensionsIngressBackend): IngressBackend {
  const out: IngressBackend = {};
  if (b.serviceName !== undefined && b.serviceName !== '') {
    const service: NonNullable<IngressBackend['service']> = { name: b.serviceName };
    if (typeof b.servicePort === 'number') service.port = { number: b.servicePort };
    else if (typeof b.servicePort === 'string' && b.servicePort !== '')
      service.port = { name: b.servicePort };
    out.service = service;
  }
  if (b.resource) out.resource = { ...b.resource };
  return out;
}

function backendToV1beta1(b: IngressBackend): ExtensionsIngressBackend {
  const out: ExtensionsIngressBackend = {};
  if (b.service) {
    out.serviceName = b.service.name;
    const port = b.service.port;
    if (port?.number !== undefined && port.number !== 0) out.servicePort = port.number;
    else if (port?.name !== undefined && port.name !== '') out.servicePort = port.name;
  }
  if (b.resource) out.resource = { ...b.resource };
  return out;
}

function pathToV1(p: ExtensionsHTTPIngressPath): HTTPIngressPath {
  const out: HTTPIngressPath = {
    pathType: p.pathType ?? 'ImplementationSpecific',
    backend: backendToV1(p.backend ?? {}),
  };
  if (p.path !== undefined) out.path = p.path;
  return out;
}

function pathToV1beta1(p: HTTPIngressPath): ExtensionsHTTPIngressPath {
  const out: ExtensionsHTTPIngressPath = { backend: backendToV1beta1(p.backend ?? {}) };
  if (p.path !== undefined) out.path = p.path;
  if (p.pathType !== undefined) out.pathType = p.pathType;
  return out;
}

function ruleToV1(r: ExtensionsIngressRule): IngressRule {
  const out: IngressRule = {};
  if (r.host !== undefined) out.host = r.host;
  if (r.http) out.http = { paths: (r.http.paths ?? []).map(pathToV1) };
  return out;
}

function ruleToV1beta1(r: IngressRule): ExtensionsIngressRule {
  const out: ExtensionsIngressRule = {};
  if (r.host !== undefined) out.host = r.host;
  if (r.http) out.http = { paths: (r.http.paths ?? []).map(pathToV1beta1) };
  return out;
}

type Status = NonNullable<ExtensionsIngress['status']>;

/** apiVersion, kind, metadata and status: the parts both versions share. */
function copyCommon(
  obj: KubeObject & { status?: Status },
  apiVersion: string,
): KubeObject & { status?: Status } {
  const out: KubeObject & { status?: Status } = {
    apiVersion,
    kind: 'Ingress',
    metadata: structuredClone(obj.metadata ?? {}),
  };
  if (obj.status !== undefined) out.status = structuredClone(obj.status);
  return out;
}

/** An extensions/v1beta1 Ingress as networking.k8s.io/v1. */
export function ingressV1beta1ToV1(obj: ExtensionsIngress): Ingress {
  const out: Ingress = copyCommon(obj, 'networking.k8s.io/v1');
  const spec = obj.spec;
  if (spec) {
    const s: NonNullable<Ingress['spec']> = {};
    if (spec.ingressClassName !== undefined) s.ingressClassName = spec.ingressClassName;
    if (spec.backend) s.defaultBackend = backendToV1(spec.backend);
    if (spec.tls) s.tls = structuredClone(spec.tls);
    if (spec.rules) s.rules = spec.rules.map(ruleToV1);
    out.spec = s;
  }
  return out;
}

/** A networking.k8s.io/v1 Ingress as extensions/v1beta1. */
export function ingressV1ToV1beta1(obj: Ingress): ExtensionsIngress {
  const out: ExtensionsIngress = copyCommon(obj, 'extensions/v1beta1');
  const spec = obj.spec;
  if (spec) {
    const s: NonNullable<ExtensionsIngress['spec']> = {};
    if (spec.ingressClassName !== undefined) s.ingressClassName = spec.ingressClassName;
    if (spec.defaultBackend) s.backend = backendToV1beta1(spec.defaultBackend);
    if (spec.tls) s.tls = structuredClone(spec.tls);
    if (spec.rules) s.rules = spec.rules.map(ruleToV1beta1);
    out.spec = s;
  }
  return out;
}

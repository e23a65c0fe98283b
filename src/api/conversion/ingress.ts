/**
 * extensions/v1beta1 Ingress ⇄ networking.k8s.io/v1 Ingress (the seeds use v1beta1 with
 * `serviceName`/`servicePort`). Objects are stored as v1; the API server converts on the way in
 * and out. (Minimal version written by the apiserver branch; the encoding branch owns this file.)
 */
import type { KubeObject } from '../meta/types.js';
import type { HTTPIngressPath, Ingress, IngressBackend } from '../types/networking.js';

interface V1beta1Backend {
  serviceName?: string;
  servicePort?: number | string;
  resource?: IngressBackend['resource'];
}

function backendToV1(b: unknown): IngressBackend | undefined {
  if (b === null || typeof b !== 'object') return undefined;
  const v = b as V1beta1Backend;
  const out: IngressBackend = {};
  if (v.serviceName !== undefined) {
    out.service = { name: v.serviceName };
    if (typeof v.servicePort === 'number') out.service.port = { number: v.servicePort };
    else if (typeof v.servicePort === 'string' && v.servicePort !== '') {
      out.service.port = /^\d+$/.test(v.servicePort)
        ? { number: Number(v.servicePort) }
        : { name: v.servicePort };
    }
  }
  if (v.resource) out.resource = v.resource;
  return out;
}

function backendToV1beta1(b: IngressBackend | undefined): V1beta1Backend | undefined {
  if (!b) return undefined;
  const out: V1beta1Backend = {};
  if (b.service) {
    out.serviceName = b.service.name;
    const port = b.service.port;
    if (port?.number !== undefined) out.servicePort = port.number;
    else if (port?.name !== undefined) out.servicePort = port.name;
  }
  if (b.resource) out.resource = b.resource;
  return out;
}

/** An object whose spec is handled as plain JSON. */
type Loose = KubeObject & { spec?: Record<string, unknown> };

type Rules = { host?: string; http?: { paths?: Record<string, unknown>[] } }[];

function mapRules(
  rules: unknown,
  path: (p: Record<string, unknown>) => Record<string, unknown>,
): Rules | undefined {
  if (!Array.isArray(rules)) return undefined;
  return (rules as Rules).map((r) => {
    const out: Rules[number] = { ...r };
    if (r.http) out.http = { ...r.http, paths: (r.http.paths ?? []).map(path) };
    return out;
  });
}

/** A v1beta1 Ingress as the v1 object that is stored. */
export function ingressV1beta1ToV1(obj: KubeObject): KubeObject {
  const src = obj as KubeObject & { spec?: Record<string, unknown> };
  const out: Loose = { ...src, apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' };
  if (src.spec) {
    const { backend, rules, ...rest } = src.spec;
    const spec: Record<string, unknown> = { ...rest };
    const def = backendToV1(backend);
    if (def) spec['defaultBackend'] = def;
    const r = mapRules(rules, (p) => {
      const { backend: pb, pathType, ...prest } = p;
      const converted: HTTPIngressPath = {
        ...prest,
        pathType: (pathType as HTTPIngressPath['pathType']) ?? 'ImplementationSpecific',
        backend: backendToV1(pb) ?? {},
      };
      return converted as unknown as Record<string, unknown>;
    });
    if (r) spec['rules'] = r;
    out.spec = spec;
  }
  return out;
}

/** A stored v1 Ingress as extensions/v1beta1. */
export function ingressV1ToV1beta1(obj: KubeObject): KubeObject {
  const src = obj as Ingress;
  const { spec: _spec, ...head } = src;
  const out: Loose = {
    ...head,
    apiVersion: 'extensions/v1beta1',
    kind: 'Ingress',
  };
  if (src.spec) {
    const { defaultBackend, rules, ...rest } = src.spec;
    const spec: Record<string, unknown> = { ...rest };
    const b = backendToV1beta1(defaultBackend);
    if (b) spec['backend'] = b;
    const r = mapRules(rules, (p) => {
      const { backend, ...prest } = p;
      return { ...prest, backend: backendToV1beta1(backend as IngressBackend) ?? {} };
    });
    if (r) spec['rules'] = r;
    out.spec = spec;
  }
  return out;
}

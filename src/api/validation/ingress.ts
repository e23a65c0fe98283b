/** Ingress and IngressClass validation (pkg/apis/networking/validation). */
import {
  forbidden,
  GoValue,
  invalid,
  notSupported,
  required,
  tooLong,
  type FieldError,
} from '../meta/fielderrors.js';
import type {
  HTTPIngressPath,
  Ingress,
  IngressBackend,
  IngressClass,
} from '../types/networking.js';
import { parseIP } from './ip.js';
import { validateIngressLoadBalancerStatus } from './loadbalancer.js';
import { validateImmutable, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import {
  isDNS1123Subdomain,
  isDomainPrefixedPath,
  isPathSegmentName,
  isValidPortName,
  isValidPortNum,
  isWildcardDNS1123Subdomain,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
} from './names.js';

const pathTypes = ['Exact', 'ImplementationSpecific', 'Prefix'] as const;
const invalidPathSequences = ['//', '/./', '/../', '%2f', '%2F'];
const invalidPathSuffixes = ['/..', '/.'];
const annotationIngressClass = 'kubernetes.io/ingress.class';
const maxLenIngressClassController = 250;
const parameterScopes = ['Cluster', 'Namespace'] as const;

function validateTypedLocalObjectReference(
  ref: { apiGroup?: string; kind?: string; name?: string },
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (ref.apiGroup !== undefined) {
    for (const m of isDNS1123Subdomain(ref.apiGroup))
      errs.push(invalid(`${path}.apiGroup`, ref.apiGroup, m));
  }
  for (const key of ['kind', 'name'] as const) {
    const v = ref[key] ?? '';
    if (!v) errs.push(required(`${path}.${key}`));
    else for (const m of isPathSegmentName(v)) errs.push(invalid(`${path}.${key}`, v, m));
  }
  return errs;
}

/** validateIngressBackend: exactly one of service and resource; a service needs a port name or number. */
export function validateIngressBackend(backend: IngressBackend, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const svc = backend.service;
  if (backend.resource && svc)
    return [invalid(path, '', 'cannot set both resource and service backends')];
  if (backend.resource)
    return validateTypedLocalObjectReference(backend.resource, `${path}.resource`);
  if (!svc) return [invalid(path, '', 'resource or service backend is required')];
  if (!svc.name) errs.push(required(`${path}.service.name`));
  else
    for (const m of nameIsDNS1035Label(svc.name, false))
      errs.push(invalid(`${path}.service.name`, svc.name, m));
  const portName = svc.port?.name ?? '';
  const portNumber = svc.port?.number ?? 0;
  if (portName && portNumber) {
    errs.push(invalid(path, '', 'cannot set both port name & port number'));
  } else if (portName) {
    for (const m of isValidPortName(portName))
      errs.push(invalid(`${path}.service.port.name`, portName, m));
  } else if (portNumber) {
    for (const m of isValidPortNum(portNumber))
      errs.push(invalid(`${path}.service.port.number`, portNumber, m));
  } else {
    errs.push(required(path, 'port name or number is required'));
  }
  return errs;
}

function validateHTTPIngressPath(p: HTTPIngressPath, path: string): FieldError[] {
  if (p.pathType === undefined) return [required(`${path}.pathType`, 'pathType must be specified')];
  const errs: FieldError[] = [];
  const value = p.path ?? '';
  switch (p.pathType) {
    case 'Exact':
    case 'Prefix':
      if (!value.startsWith('/'))
        errs.push(invalid(`${path}.path`, value, 'must be an absolute path'));
      if (value.length > 0) {
        for (const seq of invalidPathSequences) {
          if (value.includes(seq))
            errs.push(invalid(`${path}.path`, value, `must not contain '${seq}'`));
        }
        for (const suffix of invalidPathSuffixes) {
          if (value.endsWith(suffix))
            errs.push(invalid(`${path}.path`, value, `cannot end with '${suffix}'`));
        }
      }
      break;
    case 'ImplementationSpecific':
      if (value.length > 0 && !value.startsWith('/')) {
        errs.push(invalid(`${path}.path`, value, 'must be an absolute path'));
      }
      break;
    default:
      errs.push(notSupported(`${path}.pathType`, p.pathType, pathTypes));
  }
  return errs.concat(validateIngressBackend(p.backend ?? {}, `${path}.backend`));
}

/** ValidateIngressSpec. */
function validateIngressSpec(ing: Ingress): FieldError[] {
  const spec = ing.spec ?? {};
  const errs: FieldError[] = [];
  const rules = spec.rules ?? [];
  if (rules.length === 0 && !spec.defaultBackend) {
    errs.push(
      invalid(
        'spec',
        new GoValue(
          spec.rules === undefined ? '[]networking.IngressRule(nil)' : '[]networking.IngressRule{}',
        ),
        'either `defaultBackend` or `rules` must be specified',
      ),
    );
  }
  if (spec.defaultBackend)
    errs.push(...validateIngressBackend(spec.defaultBackend, 'spec.defaultBackend'));
  rules.forEach((rule, i) => {
    const p = `spec.rules[${i}]`;
    const host = rule.host ?? '';
    if (host.length > 0) {
      if (parseIP(host))
        errs.push(invalid(`${p}.host`, host, 'must be a DNS name, not an IP address'));
      const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
      for (const m of msgs) errs.push(invalid(`${p}.host`, host, m));
    }
    if (rule.http) {
      const paths = rule.http.paths ?? [];
      if (paths.length === 0) errs.push(required(`${p}.http.paths`));
      paths.forEach((hp, j) => errs.push(...validateHTTPIngressPath(hp, `${p}.http.paths[${j}]`)));
    }
  });
  (spec.tls ?? []).forEach((tls, i) => {
    (tls.hosts ?? []).forEach((host, j) => {
      const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
      for (const m of msgs) errs.push(invalid(`spec.tls[${i}].hosts[${j}]`, host, m));
    });
    if (tls.secretName) {
      for (const m of nameIsDNSSubdomain(tls.secretName, false))
        errs.push(invalid(`spec.tls[${i}].secretName`, tls.secretName, m));
    }
  });
  if (spec.ingressClassName !== undefined) {
    for (const m of nameIsDNSSubdomain(spec.ingressClassName, false)) {
      errs.push(invalid('spec.ingressClassName', spec.ingressClassName, m));
    }
  }
  return errs;
}

/** ValidateIngressCreate. */
export function validateIngress(ing: Ingress): FieldError[] {
  const errs = validateObjectMeta(ing.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  errs.push(...validateIngressSpec(ing));
  const annotation = ing.metadata.annotations?.[annotationIngressClass];
  const cls = ing.spec?.ingressClassName;
  if (annotation !== undefined && cls !== undefined && annotation !== cls) {
    errs.push(
      invalid(
        `annotations.${annotationIngressClass}`,
        annotation,
        'must match `ingressClassName` when both are specified',
      ),
    );
  }
  return errs;
}

/** ValidateIngressUpdate. */
export function validateIngressUpdate(ing: Ingress, old: Ingress): FieldError[] {
  return validateObjectMetaUpdate(ing.metadata, old.metadata).concat(
    validateObjectMeta(ing.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain }),
    validateIngressSpec(ing),
  );
}

/** ValidateIngressStatusUpdate. */
export function validateIngressStatusUpdate(ing: Ingress, old: Ingress): FieldError[] {
  return validateObjectMetaUpdate(ing.metadata, old.metadata).concat(
    validateIngressLoadBalancerStatus(ing.status?.loadBalancer, 'status.loadBalancer'),
  );
}

/** ValidateIngressClass. */
export function validateIngressClass(ic: IngressClass): FieldError[] {
  const errs = validateObjectMeta(ic.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const controller = ic.spec?.controller ?? '';
  if (!controller) errs.push(required('spec.controller'));
  else {
    if (Buffer.byteLength(controller) > maxLenIngressClassController) {
      errs.push(tooLong('spec.controller', '', maxLenIngressClassController));
    }
    for (const e of isDomainPrefixedPath(controller))
      errs.push(invalid('spec.controller', e.value, e.msg));
  }
  const params = ic.spec?.parameters;
  if (params) {
    const p = 'spec.parameters';
    errs.push(...validateTypedLocalObjectReference(params, p));
    if (params.scope === undefined) errs.push(required(`${p}.scope`));
    else if (!(parameterScopes as readonly string[]).includes(params.scope)) {
      errs.push(notSupported(`${p}.scope`, params.scope, parameterScopes));
    } else if (params.scope === 'Namespace') {
      if (params.namespace === undefined)
        errs.push(required(`${p}.namespace`, "`parameters.scope` is set to 'Namespace'"));
      else
        for (const m of nameIsDNSLabel(params.namespace, false))
          errs.push(invalid(`${p}.namespace`, params.namespace, m));
    } else if (params.namespace !== undefined) {
      errs.push(forbidden(`${p}.namespace`, "`parameters.scope` is set to 'Cluster'"));
    }
  }
  return errs;
}

/** ValidateIngressClassUpdate: the controller is immutable. */
export function validateIngressClassUpdate(ic: IngressClass, old: IngressClass): FieldError[] {
  return validateObjectMetaUpdate(ic.metadata, old.metadata)
    .concat(validateImmutable(ic.spec?.controller, old.spec?.controller, 'spec.controller'))
    .concat(validateIngressClass(ic));
}

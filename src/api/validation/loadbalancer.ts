/** Load-balancer status of Services and Ingresses (ValidateLoadBalancerStatus and the Ingress twin). */
import {
  forbidden,
  invalid,
  notSupported,
  required,
  type FieldError,
} from '../meta/fielderrors.js';
import type { LoadBalancerIngress } from '../types/core.js';
import { parseIP } from './ip.js';
import { validateIP } from './ip-fields.js';
import { isDNS1123Subdomain } from './names.js';

const ipModes = ['Proxy', 'VIP'] as const;

function validateHostname(hostname: string, field: string): FieldError[] {
  const errs = isDNS1123Subdomain(hostname).map((m) => invalid(field, hostname, m));
  if (parseIP(hostname))
    errs.push(invalid(field, hostname, 'must be a DNS name, not an IP address'));
  return errs;
}

/** ValidateLoadBalancerStatus of a Service: ingress only for type LoadBalancer; ipMode with ip. */
export function validateLoadBalancerStatus(
  status: { ingress?: LoadBalancerIngress[] } | undefined,
  path: string,
  serviceType: string | undefined,
): FieldError[] {
  const ingress = status?.ingress ?? [];
  const ingrPath = `${path}.ingress`;
  if (serviceType !== 'LoadBalancer' && ingress.length !== 0) {
    return [forbidden(ingrPath, "may only be used when `spec.type` is 'LoadBalancer'")];
  }
  const errs: FieldError[] = [];
  ingress.forEach((ing, i) => {
    const p = `${ingrPath}[${i}]`;
    if (ing.ip) errs.push(...validateIP(ing.ip, `${p}.ip`));
    if (ing.ipMode === undefined) {
      if (ing.ip) errs.push(required(`${p}.ipMode`, 'must be specified when `ip` is set'));
    } else if (!ing.ip) {
      errs.push(forbidden(`${p}.ipMode`, 'may not be specified when `ip` is not set'));
    } else if (!(ipModes as readonly string[]).includes(ing.ipMode)) {
      errs.push(notSupported(`${p}.ipMode`, ing.ipMode, ipModes));
    }
    if (ing.hostname) errs.push(...validateHostname(ing.hostname, `${p}.hostname`));
  });
  return errs;
}

/** ValidateIngressLoadBalancerStatus. */
export function validateIngressLoadBalancerStatus(
  status: { ingress?: LoadBalancerIngress[] } | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  (status?.ingress ?? []).forEach((ing, i) => {
    const p = `${path}.ingress[${i}]`;
    if (ing.ip) errs.push(...validateIP(ing.ip, `${p}.ip`));
    if (ing.hostname) errs.push(...validateHostname(ing.hostname, `${p}.hostname`));
  });
  return errs;
}

/**
 * Field validators over IP strings (apimachinery's IsValidIP / IsValidCIDR and core's
 * ValidateNonSpecialIP), with kube's exact messages.
 */
import { invalid, type FieldError } from '../meta/fielderrors.js';
import {
  isLinkLocalMulticast,
  isLinkLocalUnicast,
  isLoopback,
  isUnspecified,
  parseCIDR,
  parseIP,
} from './ip.js';

/** IsValidIP. */
export function validateIP(value: string, field: string): FieldError[] {
  return parseIP(value)
    ? []
    : [invalid(field, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
}

/** IsValidIPv4Address. */
export function validateIPv4(value: string, field: string): FieldError[] {
  return parseIP(value)?.family === 'IPv4'
    ? []
    : [invalid(field, value, 'must be a valid IPv4 address')];
}

/** IsValidIPv6Address. */
export function validateIPv6(value: string, field: string): FieldError[] {
  return parseIP(value)?.family === 'IPv6'
    ? []
    : [invalid(field, value, 'must be a valid IPv6 address')];
}

/** IsValidCIDR. */
export function validateCIDR(value: string, field: string): FieldError[] {
  return parseCIDR(value)
    ? []
    : [invalid(field, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
}

/**
 * ValidateNonSpecialIP: endpoint and external IPs may not be unspecified, loopback, link-local
 * or link-local multicast addresses (those are node-centric: a proxy would send the traffic to
 * itself or to the metadata service).
 */
export function validateNonSpecialIP(value: string, field: string): FieldError[] {
  const ip = parseIP(value);
  if (!ip) return [invalid(field, value, 'must be a valid IP address')];
  const errs: FieldError[] = [];
  if (isUnspecified(ip)) errs.push(invalid(field, value, `may not be unspecified (${value})`));
  if (isLoopback(ip)) {
    errs.push(invalid(field, value, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  }
  if (isLinkLocalUnicast(ip)) {
    errs.push(
      invalid(field, value, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'),
    );
  }
  if (isLinkLocalMulticast(ip)) {
    errs.push(
      invalid(
        field,
        value,
        'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)',
      ),
    );
  }
  return errs;
}

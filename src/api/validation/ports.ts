/** Port numbers, port names and protocols, shared by Services, Endpoints, Pods and probes. */
import { invalid, notSupported, required, type FieldError } from '../meta/fielderrors.js';
import type { IntOrString } from '../meta/types.js';
import { isValidPortName, isValidPortNum } from './names.js';

export const supportedPortProtocols = ['SCTP', 'TCP', 'UDP'] as const;

/** ValidatePortNumOrName: a number in 1..65535 or an IANA service name. */
export function validatePortNumOrName(port: IntOrString | undefined, field: string): FieldError[] {
  if (typeof port === 'string') return isValidPortName(port).map((m) => invalid(field, port, m));
  const n = port ?? 0;
  return isValidPortNum(n).map((m) => invalid(field, n, m));
}

/** ValidatePortNum as kube reports it for a numeric field. */
export function validatePortNum(port: number | undefined, field: string): FieldError[] {
  const n = port ?? 0;
  return isValidPortNum(n).map((m) => invalid(field, n, m));
}

/** Protocol: required, one of SCTP/TCP/UDP. */
export function validateProtocol(protocol: string | undefined, field: string): FieldError[] {
  if (!protocol) return [required(field)];
  return (supportedPortProtocols as readonly string[]).includes(protocol)
    ? []
    : [notSupported(field, protocol, supportedPortProtocols)];
}

/** Endpoints validation (ValidateEndpoints): addresses are real, non-special IPs; ports named when several. */
import { invalid, required, type FieldError } from '../meta/fielderrors.js';
import type { EndpointAddress, EndpointPort, Endpoints } from '../types/core.js';
import { validateIP, validateNonSpecialIP } from './ip-fields.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isDNS1123Label, isQualifiedName, nameIsDNSSubdomain } from './names.js';
import { validatePortNum, validateProtocol } from './ports.js';

function validateEndpointAddress(addr: EndpointAddress, path: string): FieldError[] {
  const ip = addr.ip ?? '';
  const errs = validateIP(ip, `${path}.ip`);
  if (addr.hostname) {
    for (const m of isDNS1123Label(addr.hostname))
      errs.push(invalid(`${path}.hostname`, addr.hostname, m));
  }
  if (addr.nodeName !== undefined) {
    for (const m of nameIsDNSSubdomain(addr.nodeName, false)) {
      errs.push(invalid(`${path}.nodeName`, addr.nodeName, m));
    }
  }
  return errs.concat(validateNonSpecialIP(ip, `${path}.ip`));
}

function validateEndpointPort(
  port: EndpointPort,
  requireName: boolean,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const name = port.name ?? '';
  if (requireName && name.length === 0) errs.push(required(`${path}.name`));
  else if (name.length !== 0) {
    for (const m of isDNS1123Label(name)) errs.push(invalid(`${path}.name`, name, m));
  }
  errs.push(...validatePortNum(port.port, `${path}.port`));
  errs.push(...validateProtocol(port.protocol, `${path}.protocol`));
  if (port.appProtocol !== undefined) {
    for (const m of isQualifiedName(port.appProtocol))
      errs.push(invalid(`${path}.appProtocol`, port.appProtocol, m));
  }
  return errs;
}

/** ValidateEndpoints (create and, with the metadata rules, update). */
export function validateEndpoints(ep: Endpoints): FieldError[] {
  const errs = validateObjectMeta(ep.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  (ep.subsets ?? []).forEach((ss, i) => {
    const p = `subsets[${i}]`;
    if ((ss.addresses ?? []).length === 0 && (ss.notReadyAddresses ?? []).length === 0) {
      errs.push(required(p, 'must specify `addresses` or `notReadyAddresses`'));
    }
    (ss.addresses ?? []).forEach((a, j) =>
      errs.push(...validateEndpointAddress(a, `${p}.addresses[${j}]`)),
    );
    (ss.notReadyAddresses ?? []).forEach((a, j) =>
      errs.push(...validateEndpointAddress(a, `${p}.notReadyAddresses[${j}]`)),
    );
    const ports = ss.ports ?? [];
    ports.forEach((port, j) =>
      errs.push(...validateEndpointPort(port, ports.length > 1, `${p}.ports[${j}]`)),
    );
  });
  return errs;
}

/** ValidateEndpointsUpdate: nodeName may change (node IPs and pod CIDRs get reused). */
export function validateEndpointsUpdate(ep: Endpoints, old: Endpoints): FieldError[] {
  return validateObjectMetaUpdate(ep.metadata, old.metadata).concat(validateEndpoints(ep));
}

/** EndpointSlice validation (pkg/apis/discovery/validation). */
import {
  duplicate,
  internalError,
  invalid,
  notSupported,
  required,
  tooMany,
  type FieldError,
} from '../meta/fielderrors.js';
import type { EndpointSlice } from '../types/discovery.js';
import { validateIPv4, validateIPv6, validateNonSpecialIP } from './ip-fields.js';
import {
  validateImmutable,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta.js';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  nameIsDNSSubdomain,
} from './names.js';
import { validatePortNum, supportedPortProtocols } from './ports.js';

const addressTypes = ['FQDN', 'IPv4', 'IPv6'] as const;
const maxTopologyLabels = 16;
const maxAddresses = 100;
const maxPorts = 20000;
const maxEndpoints = 1000;
const maxZoneHints = 8;

/** IsFullyQualifiedDomainName: two labels at least; a trailing dot is fine. */
function validateFQDN(name: string, field: string): FieldError[] {
  if (name.length === 0) return [required(field)];
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  const sub = isDNS1123Subdomain(n);
  if (sub.length > 0) return [invalid(field, n, sub.join(','))];
  if (n.split('.').length < 2) {
    return [invalid(field, n, 'should be a domain with at least two segments separated by dots')];
  }
  for (const label of n.split('.')) {
    const e = isDNS1123Label(label);
    if (e.length > 0) return [invalid(field, label, e.join(','))];
  }
  return [];
}

/** ValidateEndpointSlice (create). */
export function validateEndpointSlice(slice: EndpointSlice): FieldError[] {
  const errs = validateObjectMeta(slice.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const addrType = slice.addressType as string | undefined;
  if (!addrType) errs.push(required('addressType'));
  else if (!(addressTypes as readonly string[]).includes(addrType)) {
    errs.push(notSupported('addressType', addrType, addressTypes));
  }
  const endpoints = slice.endpoints ?? [];
  if (endpoints.length > maxEndpoints) {
    errs.push(tooMany('endpoints', endpoints.length, maxEndpoints));
  } else {
    endpoints.forEach((ep, i) => {
      const p = `endpoints[${i}]`;
      const addrs = ep.addresses ?? [];
      if (addrs.length === 0)
        errs.push(required(`${p}.addresses`, 'must contain at least 1 address'));
      else if (addrs.length > maxAddresses)
        errs.push(tooMany(`${p}.addresses`, addrs.length, maxAddresses));
      addrs.forEach((a, j) => {
        const ap = `${p}.addresses[${j}]`;
        if (addrType === 'IPv4' || addrType === 'IPv6') {
          const ipErrs = addrType === 'IPv4' ? validateIPv4(a, ap) : validateIPv6(a, ap);
          errs.push(...(ipErrs.length > 0 ? ipErrs : validateNonSpecialIP(a, ap)));
        } else if (addrType === 'FQDN') {
          errs.push(...validateFQDN(a, ap));
        }
      });
      if (ep.nodeName !== undefined) {
        for (const m of nameIsDNSSubdomain(ep.nodeName, false))
          errs.push(invalid(`${p}.nodeName`, ep.nodeName, m));
      }
      const topo = ep.deprecatedTopology ?? {};
      if (Object.keys(topo).length > maxTopologyLabels) {
        errs.push(tooMany(`${p}.deprecatedTopology`, Object.keys(topo).length, maxTopologyLabels));
      }
      errs.push(...validateLabels(topo, `${p}.deprecatedTopology`));
      if ('topology.kubernetes.io/zone' in topo) {
        errs.push(
          internalError(
            `${p}.deprecatedTopology[topology.kubernetes.io/zone]`,
            'reserved key was not removed in conversion',
          ),
        );
      }
      if (ep.hostname !== undefined) {
        for (const m of isDNS1123Label(ep.hostname))
          errs.push(invalid(`${p}.hostname`, ep.hostname, m));
      }
      const zones = ep.hints?.forZones ?? [];
      if (zones.length > maxZoneHints)
        errs.push(tooMany(`${p}.hints.forZones`, zones.length, maxZoneHints));
      const seenZones = new Set<string>();
      zones.forEach((z, k) => {
        if (seenZones.has(z.name)) errs.push(duplicate(`${p}.hints.forZones[${k}].name`, z.name));
        seenZones.add(z.name);
      });
    });
  }
  const ports = slice.ports ?? [];
  if (ports.length > maxPorts) {
    errs.push(tooMany('ports', ports.length, maxPorts));
  } else {
    const names = new Set<string>();
    ports.forEach((port, i) => {
      const p = `ports[${i}]`;
      const name = port.name ?? '';
      if (name.length > 0)
        for (const m of isDNS1123Label(name)) errs.push(invalid(`${p}.name`, name, m));
      if (names.has(name)) errs.push(duplicate(`${p}.name`, name));
      names.add(name);
      if (port.port !== undefined) errs.push(...validatePortNum(port.port, `${p}.port`));
      if (port.protocol === undefined) errs.push(required(`${p}.protocol`));
      else if (!(supportedPortProtocols as readonly string[]).includes(port.protocol)) {
        errs.push(notSupported(`${p}.protocol`, port.protocol, supportedPortProtocols));
      }
      if (port.appProtocol !== undefined) {
        for (const m of isQualifiedName(port.appProtocol))
          errs.push(invalid(`${p}.appProtocol`, port.appProtocol, m));
      }
    });
  }
  return errs;
}

/** ValidateEndpointSliceUpdate: addressType is immutable. */
export function validateEndpointSliceUpdate(
  slice: EndpointSlice,
  old: EndpointSlice,
): FieldError[] {
  return validateObjectMetaUpdate(slice.metadata, old.metadata)
    .concat(validateEndpointSlice(slice))
    .concat(validateImmutable(slice.addressType, old.addressType, 'addressType'));
}

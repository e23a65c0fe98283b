/** Printers for Services, Endpoints and EndpointSlices. */
import { formatLabels } from '../../api/meta/labels.js';
import type { Endpoints, Service, ServicePort } from '../../api/types/core.js';
import type { EndpointSlice } from '../../api/types/discovery.js';
import { since } from './duration.js';
import {
  ageColumn,
  column,
  listWithMore,
  loadBalancerAddresses,
  nameColumn,
  type Printer,
} from './types.js';

/** `80/TCP`, `80:30123/TCP`, joined by commas. */
export function portsCell(ports: readonly ServicePort[] | undefined): string {
  const s = (ports ?? [])
    .map((p) =>
      p.nodePort
        ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}`
        : `${p.port}/${p.protocol ?? 'TCP'}`,
    )
    .join(',');
  return s === '' ? '<none>' : s;
}

/** EXTERNAL-IP: externalIPs, LoadBalancer ingress (or `<pending>`), or the ExternalName. */
export function externalIPCell(svc: Service): string {
  const spec = svc.spec ?? {};
  const external = spec.externalIPs ?? [];
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return external.length > 0 ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(svc.status?.loadBalancer?.ingress);
      if (external.length > 0) return [...(lb ? lb.split(',') : []), ...external].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
  }
}

export const servicePrinter: Printer = {
  columns: [
    nameColumn,
    column('Type', 'The type of the service.'),
    column('Cluster-IP', 'The cluster IP of the service.'),
    column('External-IP', 'The external IP of the service.'),
    column('Port(s)', 'The ports of the service.'),
    ageColumn,
    column(
      'Selector',
      'Route service traffic to pods with label keys and values matching this selector.',
      {
        wide: true,
      },
    ),
  ],
  cells: (obj, now) => {
    const svc = obj as Service;
    const spec = svc.spec ?? {};
    return [
      svc.metadata.name ?? '',
      spec.type ?? 'ClusterIP',
      spec.clusterIPs?.[0] ?? (spec.clusterIP || '<none>'),
      externalIPCell(svc),
      portsCell(spec.ports),
      since(svc.metadata.creationTimestamp, now),
      formatLabels(spec.selector),
    ];
  },
};

/** ENDPOINTS of `kubectl get ep`: `ip:port` for every ready address × port, at most 3. */
export function endpointsCell(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addrs = ss.addresses ?? [];
    if ((ss.ports ?? []).length === 0) {
      count += addrs.length;
      for (const a of addrs) if (list.length < 3) list.push(a.ip);
      continue;
    }
    for (const p of ss.ports ?? []) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length < 3)
          list.push(a.ip.includes(':') ? `[${a.ip}]:${p.port}` : `${a.ip}:${p.port}`);
      }
    }
  }
  const ret = list.join(',');
  return count > 3 ? `${ret} + ${count - 3} more...` : ret;
}

export const endpointsPrinter: Printer = {
  columns: [nameColumn, column('Endpoints', 'Endpoints of the endpoints.'), ageColumn],
  cells: (obj, now) => [
    obj.metadata.name ?? '',
    endpointsCell(obj),
    since(obj.metadata.creationTimestamp, now),
  ],
};

export const endpointSlicePrinter: Printer = {
  columns: [
    nameColumn,
    column('AddressType', 'The type of address carried by this EndpointSlice.'),
    column('Ports', 'Ports of the EndpointSlice.'),
    column('Endpoints', 'Endpoints of the EndpointSlice.'),
    ageColumn,
  ],
  cells: (obj, now) => {
    const s = obj as EndpointSlice;
    const ports = (s.ports ?? []).map((p) =>
      p.port !== undefined ? String(p.port) : (p.name ?? '*'),
    );
    const addresses = (s.endpoints ?? []).flatMap((e) => e.addresses);
    return [
      s.metadata.name ?? '',
      s.addressType,
      listWithMore(ports, ports.length, 3, '<unset>'),
      listWithMore(addresses, addresses.length, 3, '<unset>'),
      since(s.metadata.creationTimestamp, now),
    ];
  },
};

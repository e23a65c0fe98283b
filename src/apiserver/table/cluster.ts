/** Printers for Nodes, Namespaces, Secrets, ConfigMaps, ServiceAccounts, Events and Leases. */
import type { Lease } from '../../api/types/coordination.js';
import type {
  ConfigMap,
  Event,
  Namespace,
  Node,
  Secret,
  ServiceAccount,
} from '../../api/types/core.js';
import { since } from './duration.js';
import { ageColumn, column, nameColumn, type Printer } from './types.js';

function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

export const nodePrinter: Printer = {
  columns: [
    nameColumn,
    column('Status', 'The status of the node'),
    column('Roles', 'The roles of the node'),
    ageColumn,
    column('Version', 'Kubelet Version reported by the node.'),
    column(
      'Internal-IP',
      'List of addresses reachable to the node. Queried from cloud provider, if available.',
      { wide: true },
    ),
    column(
      'External-IP',
      'List of addresses reachable to the node. Queried from cloud provider, if available.',
      { wide: true },
    ),
    column(
      'OS-Image',
      'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
      { wide: true },
    ),
    column(
      'Kernel-Version',
      "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
      { wide: true },
    ),
    column(
      'Container-Runtime',
      'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
      { wide: true },
    ),
  ],
  cells: (obj, now) => {
    const node = obj as Node;
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    const status: string[] = [];
    if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
    if (status.length === 0) status.push('Unknown');
    if (node.spec?.unschedulable) status.push('SchedulingDisabled');
    const info = node.status?.nodeInfo;
    const addr = (type: string) =>
      node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
    return [
      node.metadata.name ?? '',
      status.join(','),
      nodeRoles(node),
      since(node.metadata.creationTimestamp, now),
      info?.kubeletVersion ?? '',
      addr('InternalIP'),
      addr('ExternalIP'),
      info?.osImage || '<unknown>',
      info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>',
    ];
  },
};

export const namespacePrinter: Printer = {
  columns: [nameColumn, column('Status', 'The status of the namespace'), ageColumn],
  cells: (obj, now) => [
    obj.metadata.name ?? '',
    (obj as Namespace).status?.phase ?? '',
    since(obj.metadata.creationTimestamp, now),
  ],
};

export const secretPrinter: Printer = {
  columns: [
    nameColumn,
    column('Type', 'The type of the secret'),
    column('Data', 'The number of entries in the secret', { type: 'integer' }),
    ageColumn,
  ],
  cells: (obj, now) => {
    const s = obj as Secret;
    return [
      s.metadata.name ?? '',
      s.type ?? '',
      Object.keys(s.data ?? {}).length,
      since(s.metadata.creationTimestamp, now),
    ];
  },
};

export const configMapPrinter: Printer = {
  columns: [
    nameColumn,
    column('Data', 'The number of entries in the config map', { type: 'integer' }),
    ageColumn,
  ],
  cells: (obj, now) => {
    const c = obj as ConfigMap;
    const n = Object.keys(c.data ?? {}).length + Object.keys(c.binaryData ?? {}).length;
    return [c.metadata.name ?? '', n, since(c.metadata.creationTimestamp, now)];
  },
};

export const serviceAccountPrinter: Printer = {
  columns: [
    nameColumn,
    column(
      'Secrets',
      'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
      { type: 'integer' },
    ),
    ageColumn,
  ],
  cells: (obj, now) => [
    obj.metadata.name ?? '',
    (obj as ServiceAccount).secrets?.length ?? 0,
    since(obj.metadata.creationTimestamp, now),
  ],
};

export const eventPrinter: Printer = {
  columns: [
    column('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
    column('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
    column(
      'Reason',
      "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    ),
    column('Object', 'The object that this event is about.'),
    column(
      'Subobject',
      'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.',
      { wide: true },
    ),
    column('Source', 'The component reporting this event.', { wide: true }),
    column('Message', 'A human-readable description of the status of this operation.'),
    column('First Seen', 'The time at which the event was first recorded.', { wide: true }),
    column('Count', 'The number of times this event has occurred.', { wide: true }),
    column('Name', 'Name of the event.', { wide: true, format: 'name' }),
  ],
  cells: (obj, now) => {
    const e = obj as Event;
    const first = e.firstTimestamp ? since(e.firstTimestamp, now) : since(e.eventTime, now);
    let last = e.lastTimestamp ? since(e.lastTimestamp, now) : first;
    let count = e.count ?? 0;
    if (e.series) {
      last = since(e.series.lastObservedTime, now);
      count = e.series.count ?? 0;
    } else if (count === 0) count = 1;
    const io = e.involvedObject;
    const target = io.name
      ? `${(io.kind ?? '').toLowerCase()}/${io.name}`
      : (io.kind ?? '').toLowerCase();
    const component = e.source?.component || e.reportingComponent || '';
    const instance = e.source?.host || e.reportingInstance || '';
    return [
      last,
      e.type ?? '',
      e.reason ?? '',
      target,
      io.fieldPath ?? '',
      instance ? `${component}, ${instance}` : component,
      (e.message ?? '').trim(),
      first,
      count,
      e.metadata.name ?? '',
    ];
  },
};

export const leasePrinter: Printer = {
  columns: [nameColumn, column('Holder', 'The holder of the lease'), ageColumn],
  cells: (obj, now) => [
    obj.metadata.name ?? '',
    (obj as Lease).spec?.holderIdentity ?? '',
    since(obj.metadata.creationTimestamp, now),
  ],
};

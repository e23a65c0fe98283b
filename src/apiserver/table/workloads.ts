/** Printers for ReplicationControllers, ReplicaSets and Deployments. */
import { formatLabels, selectorFromLabelSelector } from '../../api/meta/labels.js';
import type { LabelSelector } from '../../api/meta/types.js';
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import type { Container, ReplicationController } from '../../api/types/core.js';
import { since } from './duration.js';
import { ageColumn, column, nameColumn, type Printer } from './types.js';

function containerCells(containers: readonly Container[] | undefined): [string, string] {
  const cs = containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image ?? '').join(',')];
}

/** metav1.FormatLabelSelector: `<none>` for an empty selector. */
export function formatLabelSelector(ls: LabelSelector | undefined): string {
  const s = selectorFromLabelSelector(ls ?? {}).toString();
  return s === '' ? '<none>' : s;
}

const wideColumns = [
  column('Containers', 'Names of each container in the template.', { wide: true }),
  column('Images', 'Images referenced by each container in the template.', { wide: true }),
  column(
    'Selector',
    'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
    { wide: true },
  ),
];

const replicaColumns = [
  nameColumn,
  column('Desired', 'Replicas is the number of desired replicas.', { type: 'integer' }),
  column('Current', 'Replicas is the most recently observed number of replicas.', {
    type: 'integer',
  }),
  column('Ready', 'The number of ready replicas for this replica set.', { type: 'integer' }),
  ageColumn,
  ...wideColumns,
];

export const replicationControllerPrinter: Printer = {
  columns: replicaColumns,
  cells: (obj, now) => {
    const rc = obj as ReplicationController;
    const [names, images] = containerCells(rc.spec?.template?.spec?.containers);
    return [
      rc.metadata.name ?? '',
      rc.spec?.replicas ?? 0,
      rc.status?.replicas ?? 0,
      rc.status?.readyReplicas ?? 0,
      since(rc.metadata.creationTimestamp, now),
      names,
      images,
      formatLabels(rc.spec?.selector),
    ];
  },
};

export const replicaSetPrinter: Printer = {
  columns: replicaColumns,
  cells: (obj, now) => {
    const rs = obj as ReplicaSet;
    const [names, images] = containerCells(rs.spec?.template?.spec?.containers);
    return [
      rs.metadata.name ?? '',
      rs.spec?.replicas ?? 0,
      rs.status?.replicas ?? 0,
      rs.status?.readyReplicas ?? 0,
      since(rs.metadata.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(rs.spec?.selector),
    ];
  },
};

export const deploymentPrinter: Printer = {
  columns: [
    nameColumn,
    column('Ready', 'Number of the pod with ready state'),
    column(
      'Up-to-date',
      'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      { type: 'integer' },
    ),
    column(
      'Available',
      'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
      { type: 'integer' },
    ),
    ageColumn,
    ...wideColumns,
  ],
  cells: (obj, now) => {
    const d = obj as Deployment;
    const [names, images] = containerCells(d.spec?.template.spec?.containers);
    return [
      d.metadata.name ?? '',
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
      d.status?.updatedReplicas ?? 0,
      d.status?.availableReplicas ?? 0,
      since(d.metadata.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(d.spec?.selector),
    ];
  },
};

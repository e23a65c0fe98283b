/**
 * Server-side Table rendering for `kubectl get` (meta.k8s.io/v1 Table), with kube-apiserver's
 * columns and cell formats for every kind (pkg/printers/internalversion in Kubernetes 1.32).
 * kubectl 1.32 has no client-side printers for built-in kinds: what is rendered here is what the
 * user sees. Wide cells are always rendered; kubectl hides priority-1 columns unless `-o wide`.
 */
import type { KubeObject, ListMeta } from '../api/meta/types.js';
import type { ResourceType } from '../api/scheme.js';
import { since } from './table/duration.js';
import {
  configMapPrinter,
  eventPrinter,
  leasePrinter,
  namespacePrinter,
  nodePrinter,
  secretPrinter,
  serviceAccountPrinter,
} from './table/cluster.js';
import { ingressClassPrinter, ingressPrinter } from './table/networking.js';
import { podPrinter } from './table/pods.js';
import { endpointSlicePrinter, endpointsPrinter, servicePrinter } from './table/services.js';
import { ageColumn, nameColumn, type Printer, type TableColumnDefinition } from './table/types.js';
import {
  deploymentPrinter,
  replicaSetPrinter,
  replicationControllerPrinter,
} from './table/workloads.js';

export type { TableColumnDefinition } from './table/types.js';

export interface TableRow {
  cells: unknown[];
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ListMeta;
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export interface TableOptions {
  /** Milliseconds since the epoch, for the Age cells. */
  readonly now: number;
  readonly listMeta?: ListMeta;
  /** What each row's `object` holds; kubectl's default is Metadata (PartialObjectMetadata). */
  readonly includeObject?: 'None' | 'Metadata' | 'Object';
}

/** Printers by `group/resource`. */
const printers: ReadonlyMap<string, Printer> = new Map<string, Printer>([
  ['/pods', podPrinter],
  ['/services', servicePrinter],
  ['/endpoints', endpointsPrinter],
  ['/replicationcontrollers', replicationControllerPrinter],
  ['/nodes', nodePrinter],
  ['/namespaces', namespacePrinter],
  ['/secrets', secretPrinter],
  ['/configmaps', configMapPrinter],
  ['/serviceaccounts', serviceAccountPrinter],
  ['/events', eventPrinter],
  ['apps/replicasets', replicaSetPrinter],
  ['apps/deployments', deploymentPrinter],
  ['discovery.k8s.io/endpointslices', endpointSlicePrinter],
  ['networking.k8s.io/ingresses', ingressPrinter],
  ['extensions/ingresses', ingressPrinter],
  ['networking.k8s.io/ingressclasses', ingressClassPrinter],
  ['coordination.k8s.io/leases', leasePrinter],
]);

/** kube-apiserver's default for kinds without a printer. */
const defaultPrinter: Printer = {
  columns: [nameColumn, ageColumn],
  cells: (obj, now) => [obj.metadata.name ?? '', since(obj.metadata.creationTimestamp, now)],
};

function rowObject(obj: KubeObject, mode: 'None' | 'Metadata' | 'Object'): unknown {
  if (mode === 'None') return undefined;
  if (mode === 'Object') return obj;
  // kubectl needs kind and apiVersion here, or the whole Table fails to decode.
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

/** The printer's columns for a resource. */
export function tableColumns(rt: ResourceType): readonly TableColumnDefinition[] {
  return (printers.get(`${rt.group}/${rt.resource}`) ?? defaultPrinter).columns;
}

/** Renders objects of one resource as a Table. */
export function toTable(
  rt: ResourceType,
  objects: readonly KubeObject[],
  options: TableOptions,
): Table {
  const printer = printers.get(`${rt.group}/${rt.resource}`) ?? defaultPrinter;
  const mode = options.includeObject ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: options.listMeta ?? {},
    columnDefinitions: [...printer.columns],
    rows: objects.map((o) => {
      const row: TableRow = { cells: printer.cells(o, options.now) };
      const object = rowObject(o, mode);
      if (object !== undefined) row.object = object;
      return row;
    }),
  };
}

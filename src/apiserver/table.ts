/**
 * Server-side Table rendering for `kubectl get` (meta.k8s.io/v1 Table), with kube-apiserver's
 * columns for every kind. (Stub: Name and Age only, until the per-kind printers land.)
 */
import type { KubeObject, ListMeta } from '../api/meta/types.js';
import type { ResourceType } from '../api/scheme.js';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

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

/** Renders objects of one resource as a Table. */
export function toTable(
  _rt: ResourceType,
  objects: readonly KubeObject[],
  options: TableOptions,
): Table {
  const col = (name: string, format = ''): TableColumnDefinition => ({
    name,
    type: 'string',
    format,
    description: '',
    priority: 0,
  });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: options.listMeta ?? {},
    columnDefinitions: [col('Name', 'name'), col('Age')],
    rows: objects.map((o) => ({
      cells: [o.metadata.name ?? '', ''],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

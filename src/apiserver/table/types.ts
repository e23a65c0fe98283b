import type { KubeObject } from '../../api/meta/types.js';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** One kind's printer: the column definitions and the cells of one object (always the wide set). */
export interface Printer {
  readonly columns: readonly TableColumnDefinition[];
  cells(obj: KubeObject, now: number): unknown[];
}

/** A column; `wide` ones (priority 1) show only with `kubectl get -o wide`. */
export function column(
  name: string,
  description: string,
  options: { type?: 'string' | 'integer'; format?: string; wide?: boolean } = {},
): TableColumnDefinition {
  return {
    name,
    type: options.type ?? 'string',
    format: options.format ?? '',
    description,
    priority: options.wide ? 1 : 0,
  };
}

export const nameColumn = column(
  'Name',
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.',
  { format: 'name' },
);
export const ageColumn = column(
  'Age',
  'CreationTimestamp is a timestamp representing the server time when this object was created.',
);

/** Joins up to `max` items, then ` + N more...` (printers.go's listWithMoreString). */
export function listWithMore(
  list: readonly string[],
  total: number,
  max: number,
  empty: string,
): string {
  const ret = list.slice(0, max).join(',');
  if (total > max) return `${ret} + ${total - max} more...`;
  return ret === '' ? empty : ret;
}

/** The load-balancer IPs or hostnames, sorted and de-duplicated (loadBalancerStatusStringer). */
export function loadBalancerAddresses(
  ingress: readonly { ip?: string; hostname?: string }[] | undefined,
): string {
  const set = new Set<string>();
  for (const i of ingress ?? []) {
    if (i.ip) set.add(i.ip);
    else if (i.hostname) set.add(i.hostname);
  }
  return [...set].sort().join(',');
}

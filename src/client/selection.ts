/**
 * Which objects a list or watch with ListOptions returns: namespace, label selector and field
 * selector, evaluated client-side (by the fake client, and by tests that check a server).
 */
import {
  matchFields,
  parseFieldSelector,
  parseLabelSelector,
  SelectorParseError,
  type FieldRequirement,
  type Selector,
} from '../api/meta/labels.js';
import { badRequest } from '../api/meta/status.js';
import type { KubeObject } from '../api/meta/types.js';
import type { ListOptions } from './types.js';

/**
 * The value of a dotted field path (`metadata.name`, `spec.nodeName`, `involvedObject.kind`) as
 * the string a field selector compares with; undefined when absent or not a scalar.
 */
export function fieldValue(obj: unknown, path: string): string | undefined {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return undefined;
}

/** A compiled ListOptions filter. */
export interface ObjectFilter {
  readonly namespace: string | undefined;
  readonly labels: Selector;
  readonly fields: readonly FieldRequirement[];
  matches(obj: KubeObject): boolean;
}

/**
 * Compiles the namespace and selectors of `options`. Field paths are looked up generically, so
 * any scalar field works here (a real server accepts only the fields its kind supports).
 * @throws ApiError 400 BadRequest for a selector that does not parse.
 */
export function compileFilter(options: ListOptions = {}): ObjectFilter {
  let labels: Selector;
  let fields: FieldRequirement[];
  try {
    labels = parseLabelSelector(options.labelSelector ?? '');
    fields = parseFieldSelector(options.fieldSelector ?? '');
  } catch (e) {
    if (e instanceof SelectorParseError) throw badRequest(e.message);
    throw e;
  }
  const namespace = options.namespace === '' ? undefined : options.namespace;
  return {
    namespace,
    labels,
    fields,
    matches: (obj) =>
      (namespace === undefined || obj.metadata.namespace === namespace) &&
      labels.matches(obj.metadata.labels) &&
      matchFields(fields, (f) => fieldValue(obj, f)),
  };
}

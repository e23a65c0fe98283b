/**
 * `?labelSelector=` and `?fieldSelector=` compiled into one predicate over stored objects.
 * Field selectors always know metadata.name and metadata.namespace; beyond those, a resource's
 * strategy lists its selectable fields (spec.nodeName, involvedObject.kind…). A resource whose
 * strategy declares none accepts any field path and reads it from the object, so that clients
 * such as `kubectl describe` work before a strategy lands.
 */
import {
  matchFields,
  parseFieldSelector,
  parseLabelSelector,
  SelectorParseError,
  type FieldRequirement,
  type Selector,
} from '../../api/meta/labels.js';
import { badRequest } from '../../api/meta/status.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { Strategy } from './strategy.js';

export interface Selection {
  readonly label?: Selector;
  readonly fields?: readonly FieldRequirement[];
  /** Undefined when both selectors are empty. */
  readonly matches?: (obj: KubeObject) => boolean;
}

/** Reads a dotted path (`spec.nodeName`) from an object as a string. */
export function fieldByPath(obj: unknown, path: string): string | undefined {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return undefined;
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return JSON.stringify(cur);
}

/** The field getter of a resource. */
export function fieldGetter(strategy: Strategy): {
  supported: (field: string) => boolean;
  get: (obj: KubeObject, field: string) => string | undefined;
} {
  const sf = strategy.selectableFields?.bind(strategy);
  if (!sf) {
    return { supported: () => true, get: (obj, f) => fieldByPath(obj, f) };
  }
  let known: Set<string> | undefined;
  try {
    known = new Set(Object.keys(sf({ metadata: {} })));
  } catch {
    known = undefined;
  }
  return {
    supported: (f) =>
      f === 'metadata.name' || f === 'metadata.namespace' || known === undefined || known.has(f),
    get: (obj, f) => {
      if (f === 'metadata.name') return obj.metadata.name ?? '';
      if (f === 'metadata.namespace') return obj.metadata.namespace ?? '';
      return sf(obj)[f];
    },
  };
}

/** Parses the selectors of a request. @throws ApiError 400 BadRequest */
export function parseSelection(
  strategy: Strategy,
  labelSelector: string | null | undefined,
  fieldSelector: string | null | undefined,
): Selection {
  let label: Selector | undefined;
  let fields: FieldRequirement[] | undefined;
  try {
    if (labelSelector) {
      const s = parseLabelSelector(labelSelector);
      if (!s.empty()) label = s;
    }
    if (fieldSelector) {
      const f = parseFieldSelector(fieldSelector);
      if (f.length > 0) fields = f;
    }
  } catch (e) {
    if (e instanceof SelectorParseError) throw badRequest(e.message);
    throw e;
  }
  if (!label && !fields) return {};
  const getter = fieldGetter(strategy);
  for (const r of fields ?? [])
    if (!getter.supported(r.field)) throw badRequest(`field label not supported: ${r.field}`);
  const matches = (obj: KubeObject): boolean =>
    (label === undefined || label.matches(obj.metadata.labels)) &&
    (fields === undefined || matchFields(fields, (f) => getter.get(obj, f)));
  const out: {
    label?: Selector;
    fields?: FieldRequirement[];
    matches: (o: KubeObject) => boolean;
  } = { matches };
  if (label) out.label = label;
  if (fields) out.fields = fields;
  return out;
}

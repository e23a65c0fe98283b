/**
 * Label and field selectors: the string form of `?labelSelector=` / `?fieldSelector=` and the
 * structured LabelSelector of workloads, compiled to one requirement list and matched the way
 * apimachinery's `labels.Selector` does.
 */
import type { LabelSelector } from './types.js';

export type Operator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!';

export interface Requirement {
  readonly key: string;
  readonly op: Operator;
  readonly values: readonly string[];
}

/** A compiled selector. The empty selector matches everything. */
export interface Selector {
  readonly requirements: readonly Requirement[];
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** True when it matches everything. */
  empty(): boolean;
  toString(): string;
}

/** Thrown for a selector string that does not parse; the apiserver turns it into 400 BadRequest. */
export class SelectorParseError extends Error {
  readonly code = 'E_SELECTOR';
}

function matchRequirement(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels[r.key] : undefined;
  switch (r.op) {
    case '=':
      return has && r.values.includes(v as string);
    case '!=':
      return !has || !r.values.includes(v as string);
    case 'in':
      return has && r.values.includes(v as string);
    case 'notin':
      return !has || !r.values.includes(v as string);
    case 'exists':
      return has;
    case '!':
      return !has;
  }
}

function requirementString(r: Requirement): string {
  switch (r.op) {
    case '=':
    case '!=':
      return `${r.key}${r.op}${r.values[0] ?? ''}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.op} (${r.values.join(',')})`;
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
  }
}

function makeSelector(requirements: Requirement[]): Selector {
  return {
    requirements,
    matches: (labels) => requirements.every((r) => matchRequirement(r, labels ?? {})),
    empty: () => requirements.length === 0,
    toString: () => requirements.map(requirementString).join(','),
  };
}

/** The selector that matches everything. */
export const everything: Selector = makeSelector([]);

/** The selector that matches nothing (a nil LabelSelector on a workload). */
export const nothing: Selector = {
  requirements: [],
  matches: () => false,
  empty: () => false,
  toString: () => '<none>',
};

/** Splits on commas that are not inside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

const setTerm = /^([^\s!=(),]+)\s+(in|notin)\s*\(([^)]*)\)$/;
const eqTerm = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/;
const existsTerm = /^(!?)\s*([^\s!=(),]+)$/;

/** Parses `a=b,c!=d,e in (f,g),!h`. @throws SelectorParseError */
export function parseLabelSelector(s: string): Selector {
  const reqs: Requirement[] = [];
  for (const term of splitTerms(s)) {
    let m = setTerm.exec(term);
    if (m) {
      const values = (m[3] ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      reqs.push({ key: m[1] as string, op: m[2] as 'in' | 'notin', values });
      continue;
    }
    m = eqTerm.exec(term);
    if (m) {
      reqs.push({ key: m[1] as string, op: m[2] === '!=' ? '!=' : '=', values: [m[3] ?? ''] });
      continue;
    }
    m = existsTerm.exec(term);
    if (m) {
      reqs.push({ key: m[2] as string, op: m[1] === '!' ? '!' : 'exists', values: [] });
      continue;
    }
    throw new SelectorParseError(`unable to parse requirement: ${JSON.stringify(term)}`);
  }
  return makeSelector(reqs);
}

/** A map selector (Service.spec.selector, RC.spec.selector): every pair must match. */
export function selectorFromSet(set: Readonly<Record<string, string>>): Selector {
  return makeSelector(
    Object.keys(set)
      .sort()
      .map((k) => ({ key: k, op: '=' as const, values: [set[k] as string] })),
  );
}

/**
 * A structured LabelSelector. As in apimachinery, a missing selector matches nothing and an
 * empty one matches everything.
 */
export function selectorFromLabelSelector(ls: LabelSelector | undefined | null): Selector {
  if (!ls) return nothing;
  const reqs: Requirement[] = [];
  for (const k of Object.keys(ls.matchLabels ?? {}).sort()) {
    reqs.push({ key: k, op: '=', values: [ls.matchLabels?.[k] ?? ''] });
  }
  for (const e of ls.matchExpressions ?? []) {
    const op: Operator =
      e.operator === 'In'
        ? 'in'
        : e.operator === 'NotIn'
          ? 'notin'
          : e.operator === 'Exists'
            ? 'exists'
            : '!';
    reqs.push({ key: e.key, op, values: [...(e.values ?? [])].sort() });
  }
  return makeSelector(reqs);
}

/** `a=b,c=d` for a label map, sorted by key (the Selector column of `kubectl get -o wide`). */
export function formatLabels(set: Readonly<Record<string, string>> | undefined): string {
  if (!set || Object.keys(set).length === 0) return '<none>';
  return Object.keys(set)
    .sort()
    .map((k) => `${k}=${set[k] ?? ''}`)
    .join(',');
}

// ---- field selectors -------------------------------------------------------------------------

export interface FieldRequirement {
  readonly field: string;
  readonly op: '=' | '!=';
  readonly value: string;
}

/** Parses `metadata.name=x,involvedObject.kind!=Pod`. @throws SelectorParseError */
export function parseFieldSelector(s: string): FieldRequirement[] {
  return splitTerms(s).map((term) => {
    const m = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorParseError(`invalid field selector: ${JSON.stringify(term)}`);
    return { field: m[1] as string, op: m[2] === '!=' ? '!=' : '=', value: (m[3] ?? '').trim() };
  });
}

/** Matches field requirements against an object through a field getter (per-kind in the apiserver). */
export function matchFields(
  reqs: readonly FieldRequirement[],
  get: (field: string) => string | undefined,
): boolean {
  return reqs.every((r) => {
    const v = get(r.field) ?? '';
    return r.op === '=' ? v === r.value : v !== r.value;
  });
}

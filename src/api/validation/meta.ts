/**
 * ObjectMeta validation (apimachinery `api/validation/objectmeta.go` and `apis/meta/v1/validation`):
 * names per kind, namespace presence, labels, annotations, owner references, finalizers, and the
 * fields an update may not change.
 */
import {
  duplicate,
  forbidden,
  GoValue,
  invalid,
  required,
  tooLong,
  type FieldError,
} from '../meta/fielderrors.js';
import type { LabelSelector, ObjectMeta, OwnerReference } from '../meta/types.js';
import { goQuote, goStringSlice } from './gorepr.js';
import { isQualifiedName, isValidLabelValue, nameIsDNSLabel, type NameValidator } from './names.js';

export const fieldImmutableErrorMsg = 'field is immutable';
export const isNegativeErrorMsg = 'must be greater than or equal to 0';
/** 256 KiB of annotation keys and values together. */
export const totalAnnotationSizeLimitB = 256 * 1024;

/** ValidateNonnegativeField. */
export function validateNonnegative(value: number | undefined, field: string): FieldError[] {
  return value !== undefined && value < 0 ? [invalid(field, value, isNegativeErrorMsg)] : [];
}

/** ValidateLabelName: a qualified name. */
export function validateLabelName(key: string, field: string): FieldError[] {
  return isQualifiedName(key).map((msg) => invalid(field, key, msg));
}

/** ValidateLabels: every key a qualified name, every value a label value (errors on the map's path). */
export function validateLabels(
  labels: Readonly<Record<string, string>> | undefined,
  field: string,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...validateLabelName(k, field));
    for (const msg of isValidLabelValue(v)) errs.push(invalid(field, v, msg));
  }
  return errs;
}

/** ValidateAnnotations: keys are qualified names (case-insensitive); 256 KiB in total. */
export function validateAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
  field: string,
): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalid(field, k, msg));
    total += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (total > totalAnnotationSizeLimitB) errs.push(tooLong(field, '', totalAnnotationSizeLimitB));
  return errs;
}

/** ValidateLabelSelector (metav1.LabelSelector of ReplicaSets and Deployments). */
export function validateLabelSelector(ls: LabelSelector | undefined, field: string): FieldError[] {
  if (!ls) return [];
  const errs = validateLabels(ls.matchLabels, `${field}.matchLabels`);
  (ls.matchExpressions ?? []).forEach((sr, i) => {
    const p = `${field}.matchExpressions[${i}]`;
    switch (sr.operator) {
      case 'In':
      case 'NotIn':
        if ((sr.values ?? []).length === 0) {
          errs.push(
            required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"),
          );
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if ((sr.values ?? []).length > 0) {
          errs.push(
            forbidden(
              `${p}.values`,
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        }
        break;
      default:
        errs.push(invalid(`${p}.operator`, sr.operator, 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(sr.key, `${p}.key`));
    (sr.values ?? []).forEach((v, j) => {
      for (const msg of isValidLabelValue(v)) errs.push(invalid(`${p}.values[${j}]`, v, msg));
    });
  });
  return errs;
}

function goOwnerReference(r: OwnerReference): GoValue {
  const ptrBool = (b: boolean | undefined): string =>
    b === undefined ? '(*bool)(nil)' : `(*bool)(${String(b)})`;
  return new GoValue(
    `v1.OwnerReference{APIVersion:${goQuote(r.apiVersion)}, Kind:${goQuote(r.kind)}, Name:${goQuote(r.name)}, UID:${goQuote(r.uid)}, Controller:${ptrBool(r.controller)}, BlockOwnerDeletion:${ptrBool(r.blockOwnerDeletion)}}`,
  );
}

/** ValidateOwnerReferences: complete references, at most one controller, no Event owners. */
export function validateOwnerReferences(
  refs: readonly OwnerReference[] | undefined,
  field: string,
): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    const apiVersion = ref.apiVersion ?? '';
    const version = apiVersion.includes('/') ? apiVersion.split('/')[1] : apiVersion;
    if (!version)
      errs.push(invalid(`${field}.apiVersion`, apiVersion, 'version must not be empty'));
    if (!ref.kind) errs.push(invalid(`${field}.kind`, ref.kind ?? '', 'must not be empty'));
    if (!ref.name) errs.push(invalid(`${field}.name`, ref.name ?? '', 'must not be empty'));
    if (!ref.uid) errs.push(invalid(`${field}.uid`, ref.uid ?? '', 'must not be empty'));
    if (apiVersion === 'v1' && ref.kind === 'Event') {
      errs.push(
        invalid(field, goOwnerReference(ref), '/v1, Kind=Event is disallowed from being an owner'),
      );
    }
    if (ref.controller === true) {
      const cur = `${ref.kind}/${ref.name}`;
      if (firstController !== '') {
        errs.push(
          invalid(
            field,
            new GoValue(
              `[]v1.OwnerReference{${(refs ?? []).map((r) => goOwnerReference(r).repr).join(', ')}}`,
            ),
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`,
          ),
        );
      } else firstController = cur;
    }
  }
  return errs;
}

const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** ValidateFinalizers plus kube's rule that unqualified finalizer names must be standard ones. */
export function validateFinalizers(
  finalizers: readonly string[] | undefined,
  field: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const list = finalizers ?? [];
  for (const f of list) for (const msg of isQualifiedName(f)) errs.push(invalid(field, f, msg));
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    errs.push(
      invalid(
        field,
        goStringSlice(list),
        'finalizer orphan and foregroundDeletion cannot be both set',
      ),
    );
  }
  list.forEach((f, i) => {
    if (!f.includes('/') && !standardFinalizers.has(f)) {
      errs.push(
        invalid(
          `${field}[${i}]`,
          f,
          'name is neither a standard finalizer name nor is it fully qualified',
        ),
      );
    }
  });
  return errs;
}

export interface ObjectMetaRules {
  /** Namespaced kinds need metadata.namespace; cluster-scoped kinds may not have one. */
  readonly namespaced: boolean;
  /** The name rule of the kind (DNS-1123 subdomain for most, DNS-1035 label for Services). */
  readonly nameFn: NameValidator;
}

/** ValidateObjectMeta on create. Expects name generation to have happened already. */
export function validateObjectMeta(
  meta: ObjectMeta | undefined,
  rules: ObjectMetaRules,
  path = 'metadata',
): FieldError[] {
  const m = meta ?? {};
  const errs: FieldError[] = [];
  if (m.generateName) {
    for (const msg of rules.nameFn(m.generateName, true)) {
      errs.push(invalid(`${path}.generateName`, m.generateName, msg));
    }
  }
  if (!m.name) {
    errs.push(required(`${path}.name`, 'name or generateName is required'));
  } else {
    for (const msg of rules.nameFn(m.name, false)) errs.push(invalid(`${path}.name`, m.name, msg));
  }
  if (rules.namespaced) {
    if (!m.namespace) errs.push(required(`${path}.namespace`));
    else
      for (const msg of nameIsDNSLabel(m.namespace, false)) {
        errs.push(invalid(`${path}.namespace`, m.namespace, msg));
      }
  } else if (m.namespace) {
    errs.push(forbidden(`${path}.namespace`, 'not allowed on this type'));
  }
  errs.push(...validateNonnegative(m.generation, `${path}.generation`));
  errs.push(...validateCommonMeta(m, path));
  return errs;
}

function validateCommonMeta(m: ObjectMeta, path: string): FieldError[] {
  return [
    ...validateLabels(m.labels, `${path}.labels`),
    ...validateAnnotations(m.annotations, `${path}.annotations`),
    ...validateOwnerReferences(m.ownerReferences, `${path}.ownerReferences`),
    ...validateFinalizers(m.finalizers, `${path}.finalizers`),
  ];
}

/** Go's time.Time String() for an RFC 3339 timestamp (what an immutable-timestamp error shows). */
function goTime(ts: string | null | undefined): GoValue {
  const d = ts ? new Date(ts) : undefined;
  if (!d || Number.isNaN(d.getTime())) return new GoValue('0001-01-01 00:00:00 +0000 UTC');
  return new GoValue(
    d
      .toISOString()
      .replace('T', ' ')
      .replace(/\.000Z$|Z$/, '') + ' +0000 UTC',
  );
}

/** ValidateImmutableField for scalars. */
export function validateImmutable(
  newVal: unknown,
  oldVal: unknown,
  field: string,
  shown: unknown = newVal,
): FieldError[] {
  const norm = (v: unknown): unknown => (v === null || v === '' ? undefined : v);
  return norm(newVal) === norm(oldVal) ? [] : [invalid(field, shown ?? '', fieldImmutableErrorMsg)];
}

/** ValidateObjectMetaUpdate: identity and timestamps stay; no new finalizers while deleting. */
export function validateObjectMetaUpdate(
  meta: ObjectMeta | undefined,
  oldMeta: ObjectMeta | undefined,
  path = 'metadata',
): FieldError[] {
  const m = meta ?? {};
  const o = oldMeta ?? {};
  const errs: FieldError[] = [];
  if (o.deletionTimestamp) {
    const oldSet = new Set(o.finalizers ?? []);
    const extra = [...new Set((m.finalizers ?? []).filter((f) => !oldSet.has(f)))].sort();
    if (extra.length > 0) {
      errs.push(
        forbidden(
          `${path}.finalizers`,
          `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(extra).repr}`,
        ),
      );
    }
  }
  if ((m.generation ?? 0) < (o.generation ?? 0)) {
    errs.push(invalid(`${path}.generation`, m.generation ?? 0, 'must not be decremented'));
  }
  errs.push(...validateImmutable(m.name, o.name, `${path}.name`));
  errs.push(...validateImmutable(m.namespace, o.namespace, `${path}.namespace`));
  errs.push(...validateImmutable(m.uid, o.uid, `${path}.uid`));
  errs.push(
    ...validateImmutable(
      m.creationTimestamp,
      o.creationTimestamp,
      `${path}.creationTimestamp`,
      goTime(m.creationTimestamp),
    ),
  );
  if (o.deletionTimestamp) {
    errs.push(
      ...validateImmutable(
        m.deletionTimestamp,
        o.deletionTimestamp,
        `${path}.deletionTimestamp`,
        goTime(m.deletionTimestamp),
      ),
    );
  }
  errs.push(...validateCommonMeta(m, path));
  return errs;
}

/** Drops repeated errors (same type, field and message), as kube's aggregate does for messages. */
export function dedupeErrors(errs: readonly FieldError[]): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const e of errs) {
    const key = `${e.type}\u0000${e.field}\u0000${JSON.stringify(e.badValue instanceof GoValue ? e.badValue.repr : e.badValue)}\u0000${e.detail ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}

/** Duplicate-name check over a list: the error kube reports at `<path>[i].name`. */
export function duplicateNames(
  names: readonly string[],
  field: (i: number) => string,
): FieldError[] {
  const seen = new Set<string>();
  const errs: FieldError[] = [];
  names.forEach((n, i) => {
    if (seen.has(n)) errs.push(duplicate(field(i), n));
    seen.add(n);
  });
  return errs;
}

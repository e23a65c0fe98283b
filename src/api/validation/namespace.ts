/** Namespace validation: DNS-1123 label names, finalizer names, phase rules on status writes. */
import { invalid, type FieldError } from '../meta/fielderrors.js';
import type { Namespace } from '../types/core.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isQualifiedName, nameIsDNSLabel } from './names.js';

const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

function validateSpecFinalizers(ns: Namespace): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ns.spec?.finalizers ?? []) {
    for (const m of isQualifiedName(f)) errs.push(invalid('spec.finalizers', f, m));
    if (!f.includes('/') && !standardFinalizers.has(f)) {
      errs.push(
        invalid(
          'spec.finalizers',
          f,
          'name is neither a standard finalizer name nor is it fully qualified',
        ),
      );
    }
  }
  return errs;
}

export function validateNamespace(ns: Namespace): FieldError[] {
  return validateObjectMeta(ns.metadata, { namespaced: false, nameFn: nameIsDNSLabel }).concat(
    validateSpecFinalizers(ns),
  );
}

export function validateNamespaceUpdate(ns: Namespace, old: Namespace): FieldError[] {
  return validateObjectMetaUpdate(ns.metadata, old.metadata);
}

/** ValidateNamespaceStatusUpdate: Active unless deleting, then Terminating. */
export function validateNamespaceStatusUpdate(ns: Namespace, old: Namespace): FieldError[] {
  const errs = validateObjectMetaUpdate(ns.metadata, old.metadata);
  const phase = ns.status?.phase ?? '';
  if (!ns.metadata.deletionTimestamp) {
    if (phase !== 'Active')
      errs.push(
        invalid('status.Phase', phase, "may only be 'Active' if `deletionTimestamp` is empty"),
      );
  } else if (phase !== 'Terminating') {
    errs.push(
      invalid(
        'status.Phase',
        phase,
        "may only be 'Terminating' if `deletionTimestamp` is not empty",
      ),
    );
  }
  return errs;
}

/** ValidateNamespaceFinalizeUpdate: the `finalize` subresource changes spec.finalizers only. */
export function validateNamespaceFinalizeUpdate(ns: Namespace, old: Namespace): FieldError[] {
  const errs = validateObjectMetaUpdate(ns.metadata, old.metadata);
  (ns.spec?.finalizers ?? []).forEach((f, i) => {
    for (const m of isQualifiedName(f)) errs.push(invalid(`spec.finalizers[${i}]`, f, m));
    if (!f.includes('/') && !standardFinalizers.has(f)) {
      errs.push(
        invalid(
          `spec.finalizers[${i}]`,
          f,
          'name is neither a standard finalizer name nor is it fully qualified',
        ),
      );
    }
  });
  return errs;
}

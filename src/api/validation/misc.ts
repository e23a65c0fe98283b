/** Validation of the small kinds: Lease, Event and ServiceAccount. */
import { invalid, required, type FieldError } from '../meta/fielderrors.js';
import type { Lease } from '../types/coordination.js';
import type { Event, ServiceAccount } from '../types/core.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isDNS1123Subdomain, isQualifiedName, nameIsDNSSubdomain } from './names.js';

const namespaced = { namespaced: true, nameFn: nameIsDNSSubdomain };

/** ValidateLease: durations are positive, transitions not negative. */
export function validateLease(lease: Lease): FieldError[] {
  const errs = validateObjectMeta(lease.metadata, namespaced);
  const spec = lease.spec ?? {};
  if (spec.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds <= 0) {
    errs.push(
      invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'),
    );
  }
  if (spec.leaseTransitions !== undefined && spec.leaseTransitions < 0) {
    errs.push(
      invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'),
    );
  }
  return errs;
}

export function validateLeaseUpdate(lease: Lease, old: Lease): FieldError[] {
  return validateObjectMetaUpdate(lease.metadata, old.metadata).concat(validateLease(lease));
}

export function validateServiceAccount(sa: ServiceAccount): FieldError[] {
  return validateObjectMeta(sa.metadata, namespaced);
}

export function validateServiceAccountUpdate(
  sa: ServiceAccount,
  old: ServiceAccount,
): FieldError[] {
  return validateObjectMetaUpdate(sa.metadata, old.metadata).concat(validateServiceAccount(sa));
}

const reportingInstanceLengthLimit = 128;
const actionLengthLimit = 128;

/**
 * core/v1 Events (legacyValidateEvent): the involved object lives in the event's namespace;
 * events with an eventTime also name their reporter and action.
 */
export function validateEvent(ev: Event): FieldError[] {
  const errs: FieldError[] = [];
  const m = ev.metadata;
  if (!m.name) errs.push(required('metadata.name', 'name or generateName is required'));
  const ns = m.namespace ?? '';
  const involvedNs = ev.involvedObject?.namespace ?? '';
  const mismatch = invalid(
    'involvedObject.namespace',
    involvedNs,
    'does not match event.namespace',
  );
  if (!ev.eventTime) {
    if (involvedNs.length === 0) {
      if (ns !== '' && ns !== 'default') errs.push(mismatch);
    } else if (ns !== involvedNs) errs.push(mismatch);
  } else {
    if (involvedNs.length === 0 && ns !== 'default' && ns !== 'kube-system') errs.push(mismatch);
    const rc = ev.reportingComponent ?? '';
    if (!rc) errs.push(required('reportingComponent'));
    for (const msg of isQualifiedName(rc)) errs.push(invalid('reportingComponent', rc, msg));
    const ri = ev.reportingInstance ?? '';
    if (!ri) errs.push(required('reportingInstance'));
    if (ri.length > reportingInstanceLengthLimit) {
      errs.push(
        invalid(
          'reportingInstance',
          '',
          `can have at most ${reportingInstanceLengthLimit} characters`,
        ),
      );
    }
    const action = ev.action ?? '';
    if (!action) errs.push(required('action'));
    if (action.length > actionLengthLimit)
      errs.push(invalid('action', '', `can have at most ${actionLengthLimit} characters`));
  }
  for (const msg of isDNS1123Subdomain(ns)) errs.push(invalid('namespace', ns, msg));
  return errs;
}

export function validateEventUpdate(ev: Event, old: Event): FieldError[] {
  return validateObjectMetaUpdate(ev.metadata, old.metadata).concat(validateEvent(ev));
}

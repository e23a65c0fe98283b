/**
 * ReplicationController, ReplicaSet and Deployment validation: the selector must select the
 * template, replicas are not negative, templates restart Always, strategies are known.
 */
import {
  forbidden,
  invalid,
  notSupported,
  required,
  type FieldError,
} from '../meta/fielderrors.js';
import { selectorFromLabelSelector, selectorFromSet } from '../meta/labels.js';
import type { IntOrString, LabelSelector } from '../meta/types.js';
import type { Deployment, DeploymentStrategy, ReplicaSet } from '../types/apps.js';
import type { PodTemplateSpec, ReplicationController } from '../types/core.js';
import { GoValue } from '../meta/fielderrors.js';
import { goLabelSelector, goMap } from './gorepr.js';
import {
  fieldImmutableErrorMsg,
  validateLabelSelector,
  validateNonnegative,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta.js';
import { isValidPercent, nameIsDNSSubdomain } from './names.js';
import { validatePodTemplateSpec } from './pod.js';
import { semanticEqual } from './equality.js';

const meta = { namespaced: true, nameFn: nameIsDNSSubdomain };

/** The template checks shared by RCs, ReplicaSets and Deployments. */
function validateTemplateForController(
  template: PodTemplateSpec | undefined,
  matches: ((labels: Record<string, string> | undefined) => boolean) | undefined,
  kind: string,
  path: string,
): FieldError[] {
  if (!template) return [required(path)];
  const errs: FieldError[] = [];
  const labels = template.metadata?.labels;
  if (matches && !matches(labels)) {
    errs.push(
      invalid(
        `${path}.metadata.labels`,
        goMap(labels),
        '`selector` does not match template `labels`',
      ),
    );
  }
  errs.push(...validatePodTemplateSpec(template, path));
  const rp = template.spec?.restartPolicy ?? '';
  if (rp !== 'Always') errs.push(notSupported(`${path}.spec.restartPolicy`, rp, ['Always']));
  if (template.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(
      forbidden(
        `${path}.spec.activeDeadlineSeconds`,
        `activeDeadlineSeconds in ${kind} is not Supported`,
      ),
    );
  }
  return errs;
}

// ---- ReplicationController -------------------------------------------------------------------

function validateRCSpec(rc: ReplicationController): FieldError[] {
  const spec = rc.spec ?? {};
  const errs = validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds');
  const selector = spec.selector ?? {};
  const empty = Object.keys(selector).length === 0;
  if (empty) errs.push(required('spec.selector'));
  errs.push(...validateNonnegative(spec.replicas, 'spec.replicas'));
  const sel = selectorFromSet(selector);
  errs.push(
    ...validateTemplateForController(
      spec.template,
      empty ? undefined : (l) => sel.matches(l),
      'ReplicationController',
      'spec.template',
    ),
  );
  return errs;
}

function validateReplicaCounts(status: {
  replicas?: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
}): FieldError[] {
  const errs: FieldError[] = [];
  const replicas = status.replicas ?? 0;
  for (const k of [
    'replicas',
    'fullyLabeledReplicas',
    'readyReplicas',
    'availableReplicas',
    'observedGeneration',
  ] as const) {
    errs.push(...validateNonnegative(status[k], `status.${k}`));
  }
  const msg = 'cannot be greater than status.replicas';
  for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'] as const) {
    const v = status[k] ?? 0;
    if (v > replicas) errs.push(invalid(`status.${k}`, v, msg));
  }
  if ((status.availableReplicas ?? 0) > (status.readyReplicas ?? 0)) {
    errs.push(
      invalid(
        'status.availableReplicas',
        status.availableReplicas ?? 0,
        'cannot be greater than readyReplicas',
      ),
    );
  }
  return errs;
}

export function validateReplicationController(rc: ReplicationController): FieldError[] {
  return validateObjectMeta(rc.metadata, meta).concat(validateRCSpec(rc));
}

export function validateReplicationControllerUpdate(
  rc: ReplicationController,
  old: ReplicationController,
): FieldError[] {
  return validateObjectMetaUpdate(rc.metadata, old.metadata).concat(validateRCSpec(rc));
}

export function validateReplicationControllerStatusUpdate(
  rc: ReplicationController,
  old: ReplicationController,
): FieldError[] {
  return validateObjectMetaUpdate(rc.metadata, old.metadata).concat(
    validateReplicaCounts(rc.status ?? {}),
  );
}

// ---- ReplicaSet ------------------------------------------------------------------------------

function validateSelector(ls: LabelSelector | undefined, kind: 'deployment'): FieldError[] {
  if (!ls) return [required('spec.selector')];
  const errs = validateLabelSelector(ls, 'spec.selector');
  if (Object.keys(ls.matchLabels ?? {}).length + (ls.matchExpressions ?? []).length === 0) {
    errs.push(
      invalid('spec.selector', goLabelSelector(ls), `empty selector is invalid for ${kind}`),
    );
  }
  return errs;
}

function selectorMatcher(
  ls: LabelSelector | undefined,
): ((l: Record<string, string> | undefined) => boolean) | undefined {
  if (!ls) return undefined;
  const sel = selectorFromLabelSelector(ls);
  return sel.empty() ? undefined : (l) => sel.matches(l);
}

function validateReplicaSetSpec(rs: ReplicaSet): FieldError[] {
  const spec = rs.spec;
  const errs = validateNonnegative(spec?.replicas, 'spec.replicas');
  errs.push(...validateNonnegative(spec?.minReadySeconds, 'spec.minReadySeconds'));
  // kube reuses the deployment wording here.
  errs.push(...validateSelector(spec?.selector, 'deployment'));
  errs.push(
    ...validateTemplateForController(
      spec?.template,
      selectorMatcher(spec?.selector),
      'ReplicaSet',
      'spec.template',
    ),
  );
  return errs;
}

function validateSelectorImmutable(
  ls: LabelSelector | undefined,
  old: LabelSelector | undefined,
): FieldError[] {
  return semanticEqual(ls, old)
    ? []
    : [invalid('spec.selector', goLabelSelector(ls), fieldImmutableErrorMsg)];
}

export function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  return validateObjectMeta(rs.metadata, meta).concat(validateReplicaSetSpec(rs));
}

export function validateReplicaSetUpdate(rs: ReplicaSet, old: ReplicaSet): FieldError[] {
  return validateObjectMetaUpdate(rs.metadata, old.metadata)
    .concat(validateReplicaSetSpec(rs))
    .concat(validateSelectorImmutable(rs.spec?.selector, old.spec?.selector));
}

export function validateReplicaSetStatusUpdate(rs: ReplicaSet, old: ReplicaSet): FieldError[] {
  return validateObjectMetaUpdate(rs.metadata, old.metadata).concat(
    validateReplicaCounts(rs.status ?? { replicas: 0 }),
  );
}

// ---- Deployment ------------------------------------------------------------------------------

function intOrPercent(v: IntOrString | undefined): { value: number; percent: boolean } {
  if (typeof v === 'string') {
    const n = parseInt(v.replace(/%$/, ''), 10);
    return { value: Number.isNaN(n) ? 0 : n, percent: v.endsWith('%') };
  }
  return { value: v ?? 0, percent: false };
}

function validatePositiveIntOrPercent(v: IntOrString | undefined, field: string): FieldError[] {
  if (typeof v === 'string') return isValidPercent(v).map((m) => invalid(field, new GoValue(v), m));
  return validateNonnegative(v, field);
}

function validateStrategy(strategy: DeploymentStrategy | undefined): FieldError[] {
  const s = strategy ?? {};
  const path = 'spec.strategy';
  switch (s.type) {
    case 'Recreate':
      return s.rollingUpdate
        ? [
            forbidden(
              `${path}.rollingUpdate`,
              "may not be specified when strategy `type` is 'Recreate'",
            ),
          ]
        : [];
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (!ru)
        return [required(`${path}.rollingUpdate`, 'this should be defaulted and never be nil')];
      const p = `${path}.rollingUpdate`;
      const errs = validatePositiveIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`);
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, `${p}.maxSurge`));
      if (intOrPercent(ru.maxUnavailable).value === 0 && intOrPercent(ru.maxSurge).value === 0) {
        errs.push(
          invalid(
            `${p}.maxUnavailable`,
            new GoValue(String(ru.maxUnavailable ?? 0)),
            'may not be 0 when `maxSurge` is 0',
          ),
        );
      }
      const mu = intOrPercent(ru.maxUnavailable);
      if (mu.percent && mu.value > 100) {
        errs.push(
          invalid(
            `${p}.maxUnavailable`,
            new GoValue(String(ru.maxUnavailable ?? 0)),
            'must not be greater than 100%',
          ),
        );
      }
      return errs;
    }
    default:
      return [notSupported(path, s.type ?? '', ['Recreate', 'RollingUpdate'])];
  }
}

function validateDeploymentSpec(d: Deployment): FieldError[] {
  const spec = d.spec;
  const errs = validateNonnegative(spec?.replicas, 'spec.replicas');
  errs.push(...validateSelector(spec?.selector, 'deployment'));
  errs.push(
    ...validateTemplateForController(
      spec?.template,
      selectorMatcher(spec?.selector),
      'ReplicaSet',
      'spec.template',
    ),
  );
  errs.push(...validateStrategy(spec?.strategy));
  errs.push(...validateNonnegative(spec?.minReadySeconds, 'spec.minReadySeconds'));
  if (spec?.revisionHistoryLimit !== undefined) {
    errs.push(...validateNonnegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  }
  if (spec?.progressDeadlineSeconds !== undefined) {
    errs.push(...validateNonnegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(
        invalid(
          'spec.progressDeadlineSeconds',
          spec.progressDeadlineSeconds,
          'must be greater than minReadySeconds',
        ),
      );
    }
  }
  return errs;
}

export function validateDeployment(d: Deployment): FieldError[] {
  return validateObjectMeta(d.metadata, meta).concat(validateDeploymentSpec(d));
}

export function validateDeploymentUpdate(d: Deployment, old: Deployment): FieldError[] {
  return validateObjectMetaUpdate(d.metadata, old.metadata)
    .concat(validateDeploymentSpec(d))
    .concat(validateSelectorImmutable(d.spec?.selector, old.spec?.selector));
}

export function validateDeploymentStatusUpdate(d: Deployment, old: Deployment): FieldError[] {
  const errs = validateObjectMetaUpdate(d.metadata, old.metadata);
  const s = d.status ?? {};
  for (const k of [
    'observedGeneration',
    'replicas',
    'updatedReplicas',
    'readyReplicas',
    'availableReplicas',
    'unavailableReplicas',
    'collisionCount',
  ] as const) {
    errs.push(...validateNonnegative(s[k], `status.${k}`));
  }
  const msg = 'cannot be greater than status.replicas';
  for (const k of ['updatedReplicas', 'availableReplicas', 'readyReplicas'] as const) {
    if ((s[k] ?? 0) > (s.replicas ?? 0)) errs.push(invalid(`status.${k}`, s[k] ?? 0, msg));
  }
  if ((s.availableReplicas ?? 0) > (s.readyReplicas ?? 0)) {
    errs.push(
      invalid(
        'status.availableReplicas',
        s.availableReplicas ?? 0,
        'cannot be greater than readyReplicas',
      ),
    );
  }
  return errs;
}

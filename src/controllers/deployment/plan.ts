/**
 * The Deployment controller's pure core: from a Deployment and the ReplicaSets it owns, the
 * next step of its rollout (kube's pkg/controller/deployment: rolling.go, recreate.go, sync.go)
 * and the status to report. One sync takes one step (create the new ReplicaSet, or scale some
 * ReplicaSets, or clean up history); the ReplicaSets' own status changes trigger the next.
 *
 * - RollingUpdate: scale the new ReplicaSet up to replicas + maxSurge pods in total, then scale
 *   old ones down while at least replicas − maxUnavailable pods stay available (unhealthy old
 *   pods go first);
 * - Recreate: scale every old ReplicaSet to 0, wait until no old pod runs, then create the new
 *   ReplicaSet at full size;
 * - a changed `spec.replicas` (e.g. through the scale subresource) mid-rollout is spread over the
 *   active ReplicaSets in proportion to their size; a paused Deployment only scales.
 */
import type { Condition } from '../../api/meta/types.js';
import type { Deployment, DeploymentStatus, ReplicaSet } from '../../api/types/apps.js';
import { newControllerRef, rfc3339 } from '../common/meta.js';
import {
  annotationDesiredReplicas,
  annotationMaxReplicas,
  annotationRevision,
  byCreationOldestFirst,
  computeHash,
  copiedAnnotations,
  labelPodTemplateHash,
  maxSurge,
  maxUnavailable,
  replicasOf,
  revisionOf,
  sumReplicas,
  templatesEqualIgnoringHash,
} from './util.js';

export type RSAction =
  | { readonly kind: 'create'; readonly rs: ReplicaSet }
  | { readonly kind: 'update'; readonly rs: ReplicaSet }
  | { readonly kind: 'delete'; readonly rs: ReplicaSet };

export interface DeploymentEvent {
  readonly reason: string;
  readonly message: string;
}

export interface DeploymentPlan {
  readonly actions: readonly RSAction[];
  readonly events: readonly DeploymentEvent[];
  /** The revision annotation the Deployment must carry (undefined = leave it). */
  readonly revision: string | undefined;
  readonly status: DeploymentStatus;
  /** Check again after this long (progress deadline), if set. */
  readonly recheckAfterMs?: number;
}

export interface DeploymentInput {
  readonly deployment: Deployment;
  /** ReplicaSets the Deployment controls (claimed), not being deleted. */
  readonly replicaSets: readonly ReplicaSet[];
  /** Whether any pod of an old ReplicaSet still runs (Recreate waits for none). */
  readonly oldPodsRunning: boolean;
  readonly now: number;
}

/** Accumulates changes to ReplicaSets so later steps of one sync see earlier ones. */
class Work {
  readonly actions: RSAction[] = [];
  readonly events: DeploymentEvent[] = [];
  readonly #d: Deployment;
  constructor(d: Deployment) {
    this.#d = d;
  }

  /** Sets an RS's size and the replica annotations; returns the RS as it now is. */
  scale(rs: ReplicaSet, to: number): ReplicaSet {
    const d = this.#d;
    const from = replicasOf(rs);
    const desired = String(replicasOf(d));
    const max = String(replicasOf(d) + maxSurge(d));
    const ann = rs.metadata.annotations ?? {};
    if (
      from === to &&
      ann[annotationDesiredReplicas] === desired &&
      ann[annotationMaxReplicas] === max
    )
      return rs;
    const next = structuredClone(rs);
    next.spec = { ...(next.spec ?? { selector: {} }), replicas: to };
    next.metadata.annotations = {
      ...ann,
      [annotationDesiredReplicas]: desired,
      [annotationMaxReplicas]: max,
    };
    this.#replace(rs, next);
    if (from !== to) {
      this.events.push({
        reason: 'ScalingReplicaSet',
        message: `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata.name ?? ''} from ${from} to ${to}`,
      });
    }
    return next;
  }

  update(rs: ReplicaSet, next: ReplicaSet): ReplicaSet {
    this.#replace(rs, next);
    return next;
  }

  #replace(rs: ReplicaSet, next: ReplicaSet): void {
    const i = this.actions.findIndex(
      (a) => a.kind !== 'delete' && a.rs.metadata.name === rs.metadata.name,
    );
    if (i >= 0) {
      const prev = this.actions[i] as RSAction;
      this.actions[i] = { kind: prev.kind, rs: next };
    } else this.actions.push({ kind: 'update', rs: next });
  }
}

/** The ReplicaSet whose template is the Deployment's (the oldest, if several). */
export function findNewReplicaSet(
  d: Deployment,
  rss: readonly ReplicaSet[],
): ReplicaSet | undefined {
  return [...rss]
    .sort(byCreationOldestFirst)
    .find((rs) => templatesEqualIgnoringHash(rs.spec?.template, d.spec?.template));
}

/** The new ReplicaSet a Deployment creates for its current template. */
export function newReplicaSetFor(d: Deployment, revision: number, replicas: number): ReplicaSet {
  const hash = computeHash(d.spec?.template, d.status?.collisionCount);
  const template = structuredClone(d.spec?.template ?? {});
  template.metadata = {
    ...template.metadata,
    labels: { ...template.metadata?.labels, [labelPodTemplateHash]: hash },
  };
  const selector = structuredClone(d.spec?.selector ?? {});
  selector.matchLabels = { ...selector.matchLabels, [labelPodTemplateHash]: hash };
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name ?? ''}-${hash}`,
      namespace: d.metadata.namespace ?? '',
      labels: { ...template.metadata.labels },
      annotations: {
        ...copiedAnnotations(d),
        [annotationRevision]: String(revision),
        [annotationDesiredReplicas]: String(replicasOf(d)),
        [annotationMaxReplicas]: String(replicasOf(d) + maxSurge(d)),
      },
      ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
    },
    spec: { replicas, selector, template },
  };
  if (d.spec?.minReadySeconds !== undefined && rs.spec)
    rs.spec.minReadySeconds = d.spec.minReadySeconds;
  return rs;
}

/** Pods the new ReplicaSet may have now (kube's NewRSNewReplicas). */
function newRSReplicas(
  d: Deployment,
  all: readonly ReplicaSet[],
  newRS: ReplicaSet | undefined,
): number {
  if (d.spec?.strategy?.type === 'Recreate') return replicasOf(d);
  const current = newRS === undefined ? 0 : replicasOf(newRS);
  const total = sumReplicas(all);
  const maxTotal = replicasOf(d) + maxSurge(d);
  if (total >= maxTotal) return current;
  return current + Math.max(0, Math.min(maxTotal - total, replicasOf(d) - current));
}

function isScalingEvent(d: Deployment, rss: readonly ReplicaSet[]): boolean {
  return rss.some((rs) => {
    if (replicasOf(rs) === 0) return false;
    const desired = rs.metadata.annotations?.[annotationDesiredReplicas];
    return desired !== undefined && Number(desired) !== replicasOf(d);
  });
}

/** Spreads a changed replica count over the active ReplicaSets (kube's scale()). */
function scale(
  w: Work,
  d: Deployment,
  newRS: ReplicaSet | undefined,
  old: readonly ReplicaSet[],
): void {
  const active = [...(newRS ? [newRS] : []), ...old].filter((rs) => replicasOf(rs) > 0);
  if (active.length <= 1) {
    const target = active[0] ?? newRS ?? [...old].sort(byCreationOldestFirst).at(-1);
    if (target !== undefined) w.scale(target, replicasOf(d));
    return;
  }
  if (newRS !== undefined && isSaturated(d, newRS)) {
    for (const rs of old) if (replicasOf(rs) > 0) w.scale(rs, 0);
    return;
  }
  if (d.spec?.strategy?.type === 'Recreate') return;
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - sumReplicas(active);
  const created = (rs: ReplicaSet): number => Date.parse(rs.metadata.creationTimestamp ?? '') || 0;
  const order = [...active].sort(
    (a, b) =>
      replicasOf(b) - replicasOf(a) ||
      (toAdd > 0 ? created(b) - created(a) : created(a) - created(b)),
  );
  const sizes = new Map<ReplicaSet, number>();
  let added = 0;
  for (const rs of order) {
    let proportion = 0;
    if (toAdd !== 0 && toAdd !== added) {
      const fraction = replicaSetFraction(rs, d);
      const left = toAdd - added;
      proportion = toAdd > 0 ? Math.min(fraction, left) : Math.max(fraction, left);
    }
    sizes.set(rs, replicasOf(rs) + proportion);
    added += proportion;
  }
  const first = order[0];
  if (first !== undefined && toAdd !== 0)
    sizes.set(first, Math.max(0, (sizes.get(first) ?? 0) + toAdd - added));
  for (const rs of order) w.scale(rs, sizes.get(rs) ?? replicasOf(rs));
}

function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (replicasOf(d) === 0) return -replicasOf(rs);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = Number(
    rs.metadata.annotations?.[annotationMaxReplicas] ?? d.status?.replicas ?? 0,
  );
  if (!(annotated > 0)) return 0;
  return Math.round((replicasOf(rs) * deploymentReplicas) / annotated) - replicasOf(rs);
}

function isSaturated(d: Deployment, rs: ReplicaSet): boolean {
  return (
    rs.metadata.annotations?.[annotationDesiredReplicas] === String(replicasOf(d)) &&
    replicasOf(rs) === replicasOf(d) &&
    (rs.status?.availableReplicas ?? 0) === replicasOf(d)
  );
}

/** One step of a rolling update; true when it changed something. */
function rolling(w: Work, d: Deployment, newRS: ReplicaSet, old: ReplicaSet[]): boolean {
  const all = (): ReplicaSet[] => [newRS, ...old];
  // Scale up the new ReplicaSet within maxSurge.
  if (replicasOf(newRS) > replicasOf(d)) {
    w.scale(newRS, replicasOf(d));
    return true;
  }
  if (replicasOf(newRS) < replicasOf(d)) {
    const target = newRSReplicas(d, all(), newRS);
    if (target !== replicasOf(newRS)) {
      w.scale(newRS, target);
      return true;
    }
  }
  // Scale down old ReplicaSets while enough pods stay available.
  if (sumReplicas(old) === 0) return false;
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = sumReplicas(all()) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  let cleaned = 0;
  const sorted = [...old].sort(byCreationOldestFirst);
  for (let i = 0; i < sorted.length; i++) {
    const rs = sorted[i] as ReplicaSet;
    if (cleaned >= maxScaledDown) break;
    const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
    if (replicasOf(rs) === 0 || unhealthy <= 0) continue;
    const n = Math.min(maxScaledDown - cleaned, unhealthy);
    sorted[i] = w.scale(rs, replicasOf(rs) - n);
    cleaned += n;
  }
  const available = [newRS, ...sorted].reduce(
    (n, rs) => n + (rs.status?.availableReplicas ?? 0),
    0,
  );
  let scaledDown = 0;
  if (available > minAvailable) {
    const total = available - minAvailable;
    for (const rs of sorted) {
      if (scaledDown >= total) break;
      if (replicasOf(rs) === 0) continue;
      const n = Math.min(replicasOf(rs), total - scaledDown);
      w.scale(rs, replicasOf(rs) - n);
      scaledDown += n;
    }
  }
  return cleaned + scaledDown > 0;
}

const defaultProgressDeadlineSeconds = 600;

function setCondition(
  conditions: (Condition & { lastUpdateTime?: string })[],
  c: Condition & { lastUpdateTime?: string },
  force = false,
): void {
  const i = conditions.findIndex((x) => x.type === c.type);
  const cur = i >= 0 ? conditions[i] : undefined;
  if (!force && cur !== undefined && cur.status === c.status && cur.reason === c.reason) return;
  if (cur !== undefined && cur.status === c.status && cur.lastTransitionTime !== undefined)
    c.lastTransitionTime = cur.lastTransitionTime;
  if (i >= 0) conditions.splice(i, 1);
  conditions.push(c);
}

/** Plans one sync of a Deployment. */
export function planDeployment(input: DeploymentInput): DeploymentPlan {
  const d = input.deployment;
  const w = new Work(d);
  const now = rfc3339(input.now);
  let newRS = findNewReplicaSet(d, input.replicaSets);
  let old = input.replicaSets.filter((rs) => rs !== newRS);
  const newRevision = Math.max(0, ...old.map(revisionOf)) + 1;
  const conditions = structuredClone(d.status?.conditions ?? []);
  const progressing = conditions.find((c) => c.type === 'Progressing');

  // Keep the new ReplicaSet's revision and copied annotations current.
  if (newRS !== undefined && revisionOf(newRS) < newRevision) {
    const next = structuredClone(newRS);
    next.metadata.annotations = {
      ...next.metadata.annotations,
      ...copiedAnnotations(d),
      [annotationRevision]: String(newRevision),
    };
    newRS = w.update(newRS, next);
  }
  if (newRS !== undefined && progressing === undefined && d.spec?.paused !== true) {
    setCondition(conditions, {
      type: 'Progressing',
      status: 'True',
      lastUpdateTime: now,
      lastTransitionTime: now,
      reason: 'FoundNewReplicaSet',
      message: `Found new replica set "${newRS.metadata.name ?? ''}"`,
    });
  }
  const recreate = d.spec?.strategy?.type === 'Recreate';
  const createNew = (): ReplicaSet => {
    const rs = newReplicaSetFor(d, newRevision, newRSReplicas(d, old, undefined));
    w.actions.push({ kind: 'create', rs });
    if (replicasOf(rs) > 0) {
      w.events.push({
        reason: 'ScalingReplicaSet',
        message: `Scaled up replica set ${rs.metadata.name ?? ''} from 0 to ${replicasOf(rs)}`,
      });
    }
    setCondition(conditions, {
      type: 'Progressing',
      status: 'True',
      lastUpdateTime: now,
      lastTransitionTime: now,
      reason: 'NewReplicaSetCreated',
      message: `Created new replica set "${rs.metadata.name ?? ''}"`,
    });
    return rs;
  };

  let stepped = false;
  if (d.spec?.paused === true || isScalingEvent(d, input.replicaSets)) {
    scale(w, d, newRS, old);
    stepped = w.actions.length > 0;
  } else if (recreate) {
    const active = old.filter((rs) => replicasOf(rs) > 0);
    if (active.length > 0) {
      old = old.map((rs) => (replicasOf(rs) > 0 ? w.scale(rs, 0) : rs));
      stepped = true;
    } else if (!input.oldPodsRunning) {
      if (newRS === undefined) newRS = createNew();
      else if (replicasOf(newRS) !== replicasOf(d)) newRS = w.scale(newRS, replicasOf(d));
      stepped = true;
    }
  } else {
    if (newRS === undefined) {
      newRS = createNew();
      stepped = true;
    } else {
      const before = w.actions.length;
      stepped = rolling(w, d, newRS, old);
      stepped ||= w.actions.length > before;
    }
  }

  // The ReplicaSets as they will be after this step.
  const after = (rs: ReplicaSet): ReplicaSet =>
    w.actions.find((a) => a.kind !== 'delete' && a.rs.metadata.name === rs.metadata.name)?.rs ?? rs;
  const all = [...(newRS ? [after(newRS)] : []), ...old.map(after)];
  const status = computeStatus(
    d,
    all,
    newRS === undefined ? undefined : after(newRS),
    conditions,
    now,
  );

  // History cleanup once the rollout is complete.
  const complete = isComplete(d, status);
  if (!stepped && complete && d.spec?.paused !== true) {
    const limit = d.spec?.revisionHistoryLimit ?? 10;
    const alive = old.filter((rs) => rs.metadata.deletionTimestamp === undefined);
    const cleanable = alive
      .filter(
        (rs) =>
          replicasOf(rs) === 0 &&
          (rs.status?.replicas ?? 0) === 0 &&
          (rs.metadata.generation ?? 0) <= (rs.status?.observedGeneration ?? 0),
      )
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of cleanable.slice(0, Math.max(0, alive.length - limit)))
      w.actions.push({ kind: 'delete', rs });
  }

  // Progressing: complete, moving, or stuck past the deadline.
  const deadlineMs = (d.spec?.progressDeadlineSeconds ?? defaultProgressDeadlineSeconds) * 1000;
  const name = newRS?.metadata.name ?? '';
  const cur = status.conditions?.find((c) => c.type === 'Progressing');
  let recheckAfterMs: number | undefined;
  const conds = status.conditions ?? [];
  if (d.spec?.paused === true) {
    setCondition(conds, {
      type: 'Progressing',
      status: 'Unknown',
      lastUpdateTime: now,
      lastTransitionTime: now,
      reason: 'DeploymentPaused',
      message: 'Deployment is paused',
    });
  } else if (complete) {
    setCondition(conds, {
      type: 'Progressing',
      status: 'True',
      lastUpdateTime: now,
      lastTransitionTime: now,
      reason: 'NewReplicaSetAvailable',
      message: `ReplicaSet "${name}" has successfully progressed.`,
    });
  } else if (madeProgress(d.status, status)) {
    setCondition(
      conds,
      {
        type: 'Progressing',
        status: 'True',
        lastUpdateTime: now,
        lastTransitionTime: now,
        reason: 'ReplicaSetUpdated',
        message: `ReplicaSet "${name}" is progressing.`,
      },
      true,
    );
    recheckAfterMs = deadlineMs;
  } else if (cur !== undefined && cur.reason !== 'ProgressDeadlineExceeded') {
    const since = Date.parse(cur.lastUpdateTime ?? cur.lastTransitionTime ?? now);
    if (since + deadlineMs < input.now) {
      setCondition(conds, {
        type: 'Progressing',
        status: 'False',
        lastUpdateTime: now,
        lastTransitionTime: now,
        reason: 'ProgressDeadlineExceeded',
        message: `ReplicaSet "${name}" has timed out progressing.`,
      });
    } else recheckAfterMs = since + deadlineMs - input.now + 1000;
  }
  if (conds.length > 0) status.conditions = conds;

  const revision =
    newRS === undefined
      ? undefined
      : (after(newRS).metadata.annotations?.[annotationRevision] ?? String(newRevision));
  return {
    actions: w.actions,
    events: w.events,
    revision,
    status,
    ...(recheckAfterMs !== undefined ? { recheckAfterMs } : {}),
  };
}

function computeStatus(
  d: Deployment,
  all: readonly ReplicaSet[],
  newRS: ReplicaSet | undefined,
  conditions: (Condition & { lastUpdateTime?: string })[],
  now: string,
): DeploymentStatus {
  const available = all.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
  const specTotal = sumReplicas(all);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: all.reduce((n, rs) => n + (rs.status?.replicas ?? 0), 0),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: all.reduce((n, rs) => n + (rs.status?.readyReplicas ?? 0), 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, specTotal - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  const conds = [...conditions];
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(conds, {
      type: 'Available',
      status: 'True',
      lastUpdateTime: now,
      lastTransitionTime: now,
      reason: 'MinimumReplicasAvailable',
      message: 'Deployment has minimum availability.',
    });
  } else {
    setCondition(conds, {
      type: 'Available',
      status: 'False',
      lastUpdateTime: now,
      lastTransitionTime: now,
      reason: 'MinimumReplicasUnavailable',
      message: 'Deployment does not have minimum availability.',
    });
  }
  status.conditions = conds;
  return status;
}

function isComplete(d: Deployment, s: DeploymentStatus): boolean {
  const r = replicasOf(d);
  return (
    s.updatedReplicas === r &&
    s.replicas === r &&
    s.availableReplicas === r &&
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

function madeProgress(old: DeploymentStatus | undefined, cur: DeploymentStatus): boolean {
  const o = old ?? {};
  const oldOld = (o.replicas ?? 0) - (o.updatedReplicas ?? 0);
  const newOld = (cur.replicas ?? 0) - (cur.updatedReplicas ?? 0);
  return (
    (cur.updatedReplicas ?? 0) > (o.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (cur.readyReplicas ?? 0) > (o.readyReplicas ?? 0) ||
    (cur.availableReplicas ?? 0) > (o.availableReplicas ?? 0)
  );
}

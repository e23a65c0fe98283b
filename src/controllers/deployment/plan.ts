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
  replicasOf,
  revisionOf,
  templatesEqualIgnoringHash,
} from './util.js';
import {
  computeStatus,
  defaultProgressDeadlineSeconds,
  isComplete,
  madeProgress,
  setCondition,
} from './status.js';
import { isScalingEvent, newRSReplicas, rolling, scale } from './strategy.js';
import { Work, type DeploymentEvent, type RSAction } from './work.js';

export type { DeploymentEvent, RSAction };
/** One step: ReplicaSet writes, events, the revision annotation and the status. */
export interface DeploymentPlan {
  readonly actions: readonly RSAction[];
  readonly events: readonly DeploymentEvent[];
  /** The revision annotation the Deployment must carry (undefined = leave it). */
  readonly revision: string | undefined;
  readonly status: DeploymentStatus;
  /** Check again after this long (progress deadline), if set. */
  readonly recheckAfterMs?: number;
}

/** What planDeployment() reads: the cached Deployment and what it owns. */
export interface DeploymentInput {
  readonly deployment: Deployment;
  /** ReplicaSets the Deployment controls (claimed), not being deleted. */
  readonly replicaSets: readonly ReplicaSet[];
  /** Whether any pod of an old ReplicaSet still runs (Recreate waits for none). */
  readonly oldPodsRunning: boolean;
  readonly now: number;
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

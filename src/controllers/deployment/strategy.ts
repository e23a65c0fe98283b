/**
 * The strategies' steps (kube's rolling.go and sync.go scale()): how far the new ReplicaSet may
 * grow, how far old ones may shrink, and how a changed replica count is spread.
 */
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import {
  annotationDesiredReplicas,
  annotationMaxReplicas,
  byCreationOldestFirst,
  maxSurge,
  maxUnavailable,
  replicasOf,
  sumReplicas,
} from './util.js';
import type { Work } from './work.js';

/** Pods the new ReplicaSet may have now (kube's NewRSNewReplicas). */
export function newRSReplicas(
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

/** `spec.replicas` changed since the active ReplicaSets were last sized. */
export function isScalingEvent(d: Deployment, rss: readonly ReplicaSet[]): boolean {
  return rss.some((rs) => {
    if (replicasOf(rs) === 0) return false;
    const desired = rs.metadata.annotations?.[annotationDesiredReplicas];
    return desired !== undefined && Number(desired) !== replicasOf(d);
  });
}

/** Spreads a changed replica count over the active ReplicaSets (kube's scale()). */
export function scale(
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

/** How many replicas a ReplicaSet gains or loses in a proportional scale (kube's getReplicaSetFraction). */
export function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (replicasOf(d) === 0) return -replicasOf(rs);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = Number(
    rs.metadata.annotations?.[annotationMaxReplicas] ?? d.status?.replicas ?? 0,
  );
  if (!(annotated > 0)) return 0;
  return Math.round((replicasOf(rs) * deploymentReplicas) / annotated) - replicasOf(rs);
}

/** The new ReplicaSet alone runs every replica, all available. */
export function isSaturated(d: Deployment, rs: ReplicaSet): boolean {
  return (
    rs.metadata.annotations?.[annotationDesiredReplicas] === String(replicasOf(d)) &&
    replicasOf(rs) === replicasOf(d) &&
    (rs.status?.availableReplicas ?? 0) === replicasOf(d)
  );
}

/** One step of a rolling update; true when it changed something. */
export function rolling(w: Work, d: Deployment, newRS: ReplicaSet, old: ReplicaSet[]): boolean {
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

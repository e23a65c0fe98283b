/**
 * Which pods a ReplicaSet deletes first when scaling down: kube's ActivePodsWithRanks order
 * (pkg/controller/controller_utils.go), least valuable first:
 * 1. not scheduled before scheduled;
 * 2. Pending before Unknown before Running;
 * 3. not ready before ready;
 * 4. pods doubled up on a node (more related pods on the same node) first;
 * 5. of two ready pods, the one ready for less time first;
 * 6. more container restarts first;
 * 7. newer before older.
 */
import type { Pod } from '../../api/types/core.js';
import { isPodActive, isPodReady, podReadyTransitionMs } from '../common/pods.js';

const phaseOrder: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function maxRestarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((c) => c.restartCount));
}

function created(pod: Pod): number {
  const t = pod.metadata.creationTimestamp;
  return t === undefined || t === null ? 0 : Date.parse(t);
}

/**
 * Orders `pods` for deletion. `related` are the pods whose placement counts for rule 4 (the
 * owner's own active pods, or all pods of a Deployment's ReplicaSets).
 */
export function rankForDeletion(pods: readonly Pod[], related: readonly Pod[]): Pod[] {
  const onNode = new Map<string, number>();
  for (const p of related) {
    const n = p.spec?.nodeName ?? '';
    if (n !== '' && isPodActive(p)) onNode.set(n, (onNode.get(n) ?? 0) + 1);
  }
  const rank = (p: Pod): number => onNode.get(p.spec?.nodeName ?? '') ?? 0;
  return [...pods].sort((a, b) => {
    const na = a.spec?.nodeName ?? '';
    const nb = b.spec?.nodeName ?? '';
    if (na !== nb && (na === '' || nb === '')) return na === '' ? -1 : 1;
    const pa = phaseOrder[a.status?.phase ?? 'Pending'] ?? 0;
    const pb = phaseOrder[b.status?.phase ?? 'Pending'] ?? 0;
    if (pa !== pb) return pa - pb;
    const ra = isPodReady(a);
    const rb = isPodReady(b);
    if (ra !== rb) return ra ? 1 : -1;
    if (rank(a) !== rank(b)) return rank(b) - rank(a);
    if (ra && rb) {
      const ta = podReadyTransitionMs(a) ?? 0;
      const tb = podReadyTransitionMs(b) ?? 0;
      if (ta !== tb) return tb - ta;
    }
    const xa = maxRestarts(a);
    const xb = maxRestarts(b);
    if (xa !== xb) return xb - xa;
    return created(b) - created(a);
  });
}

/**
 * Node health, as kube's node lifecycle controller judges it (pkg/controller/nodelifecycle):
 * a node is alive while its Lease (kube-node-lease/<node>) or its Ready heartbeat keeps
 * changing. The controller notes, on its own clock, when it last saw either change (it never
 * trusts the node's clock); once that is older than the grace period (40 s) the node's Ready,
 * MemoryPressure, DiskPressure and PIDPressure conditions become Unknown. Taints follow the
 * Ready condition: Unknown → `node.kubernetes.io/unreachable`, False (or missing) →
 * `node.kubernetes.io/not-ready`, each NoSchedule and NoExecute; True → neither.
 */
import type { Lease } from '../../api/types/coordination.js';
import type { Node, NodeCondition, Taint } from '../../api/types/core.js';

export const taintUnreachable = 'node.kubernetes.io/unreachable';
export const taintNotReady = 'node.kubernetes.io/not-ready';
const managedTaints = new Set([taintUnreachable, taintNotReady]);
const conditionTypes = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/** What the controller remembers about a node between syncs. */
export interface NodeHealth {
  /** Our clock when we last saw the node alive (lease renewed or heartbeat moved). */
  probeMs: number;
  renewTime: string;
  heartbeat: string;
}

function heartbeatOf(node: Node): string {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime ?? '';
}

/** Updates the remembered health with what the caches show now. */
export function observe(
  prev: NodeHealth | undefined,
  node: Node,
  lease: Lease | undefined,
  now: number,
): NodeHealth {
  const renewTime = lease?.spec?.renewTime ?? '';
  const heartbeat = heartbeatOf(node);
  if (prev === undefined) return { probeMs: now, renewTime, heartbeat };
  if (prev.renewTime !== renewTime || prev.heartbeat !== heartbeat)
    return { probeMs: now, renewTime, heartbeat };
  return prev;
}

/**
 * The node's conditions after the grace period ran out (all Unknown), or undefined when they
 * need no change.
 */
export function staleConditions(
  node: Node,
  health: NodeHealth,
  now: number,
  gracePeriodMs: number,
  nowText: string,
): NodeCondition[] | undefined {
  if (now - health.probeMs <= gracePeriodMs) return undefined;
  const current = node.status?.conditions ?? [];
  const ready = current.find((c) => c.type === 'Ready');
  if (ready?.status === 'Unknown') return undefined;
  const next: NodeCondition[] = current.filter((c) => !conditionTypes.includes(c.type));
  for (const type of conditionTypes) {
    const cur = current.find((c) => c.type === type);
    if (cur === undefined && type !== 'Ready') continue;
    const never = cur === undefined;
    const c: NodeCondition = {
      type,
      status: 'Unknown',
      reason: never ? 'NodeStatusNeverUpdated' : 'NodeStatusUnknown',
      message: never ? 'Kubelet never posted node status.' : 'Kubelet stopped posting node status.',
      lastTransitionTime: nowText,
    };
    if (cur?.lastHeartbeatTime !== undefined) c.lastHeartbeatTime = cur.lastHeartbeatTime;
    next.push(c);
  }
  return next;
}

/** The node's taints with the unreachable / not-ready ones matching its Ready condition. */
export function desiredTaints(node: Node, nowText: string): Taint[] {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  const key = ready === 'True' ? undefined : ready === 'Unknown' ? taintUnreachable : taintNotReady;
  const current = node.spec?.taints ?? [];
  const out = current.filter((t) => !managedTaints.has(t.key) || t.key === key);
  if (key !== undefined) {
    if (!out.some((t) => t.key === key && t.effect === 'NoSchedule'))
      out.push({ key, effect: 'NoSchedule' });
    if (!out.some((t) => t.key === key && t.effect === 'NoExecute'))
      out.push({ key, effect: 'NoExecute', timeAdded: nowText });
  }
  return out;
}

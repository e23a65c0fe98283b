/**
 * The scheduler's pure core: which nodes a pod fits on, which one it goes to, and why it fits
 * nowhere, with the filters and messages of kube-scheduler's default profile:
 * - NodeUnschedulable: `spec.unschedulable` nodes are skipped unless the pod tolerates
 *   `node.kubernetes.io/unschedulable:NoSchedule` — "node(s) were unschedulable";
 * - TaintToleration: NoSchedule and NoExecute taints the pod does not tolerate — "node(s) had
 *   untolerated taint {key: value}"; a node whose Ready condition is not True counts as tainted
 *   `node.kubernetes.io/not-ready` (False or missing) or `node.kubernetes.io/unreachable`
 *   (Unknown), as the node lifecycle controller would taint it;
 * - NodeAffinity: `nodeSelector` and required node affinity — "node(s) didn't match Pod's node
 *   affinity/selector".
 * Among the nodes that fit, the one running the fewest pods wins (ties: by name).
 */
import type { Node, Pod, Taint, Toleration } from '../../api/types/core.js';

export const taintNotReady = 'node.kubernetes.io/not-ready';
export const taintUnreachable = 'node.kubernetes.io/unreachable';
export const taintUnschedulable = 'node.kubernetes.io/unschedulable';

const msgUnschedulable = 'node(s) were unschedulable';
const msgAffinity = "node(s) didn't match Pod's node affinity/selector";

export type ScheduleResult =
  | { readonly kind: 'bind'; readonly node: string }
  | { readonly kind: 'unschedulable'; readonly message: string };

/** Whether a toleration tolerates a taint (kube's Toleration.ToleratesTaint). */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && (t.effect as string) !== '' && t.effect !== taint.effect)
    return false;
  if ((t.key ?? '') !== '' && t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

/** The node's taints, plus the one its Ready condition implies when not yet applied. */
export function effectiveTaints(node: Node): Taint[] {
  const taints = [...(node.spec?.taints ?? [])];
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  if (ready !== 'True') {
    const key = ready === 'Unknown' ? taintUnreachable : taintNotReady;
    if (!taints.some((t) => t.key === key && t.effect === 'NoSchedule'))
      taints.push({ key, effect: 'NoSchedule' });
  }
  return taints;
}

interface NodeSelectorRequirement {
  key?: unknown;
  operator?: unknown;
  values?: unknown;
}

function matchRequirement(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = Array.isArray(r.values) ? r.values.map(String) : [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const v = Number(value);
      const bound = Number(values[0]);
      if (value === undefined || Number.isNaN(v) || Number.isNaN(bound)) return false;
      return r.operator === 'Gt' ? v > bound : v < bound;
    }
    default:
      return false;
  }
}

/** Required node affinity terms (ORed; each term's expressions ANDed). */
function matchesAffinity(pod: Pod, node: Node): boolean {
  const affinity = pod.spec?.affinity as
    | {
        nodeAffinity?: {
          requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: unknown };
        };
      }
    | undefined;
  const terms =
    affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!Array.isArray(terms)) return true;
  const labels = node.metadata.labels ?? {};
  return terms.some((term: { matchExpressions?: unknown; matchFields?: unknown }) => {
    const exprs = Array.isArray(term.matchExpressions)
      ? (term.matchExpressions as NodeSelectorRequirement[])
      : [];
    const fields = Array.isArray(term.matchFields)
      ? (term.matchFields as NodeSelectorRequirement[])
      : [];
    if (exprs.length === 0 && fields.length === 0) return false;
    return (
      exprs.every((r) =>
        matchRequirement(r, typeof r.key === 'string' ? labels[r.key] : undefined),
      ) && fields.every((r) => r.key === 'metadata.name' && matchRequirement(r, node.metadata.name))
    );
  });
}

/** Why the pod cannot go to this node, or undefined when it can. */
export function unfit(pod: Pod, node: Node): string | undefined {
  const tolerations = pod.spec?.tolerations ?? [];
  if (
    node.spec?.unschedulable === true &&
    !tolerations.some((t) => tolerates(t, { key: taintUnschedulable, effect: 'NoSchedule' }))
  ) {
    return msgUnschedulable;
  }
  for (const taint of effectiveTaints(node)) {
    if (taint.effect === 'PreferNoSchedule') continue;
    if (!tolerations.some((t) => tolerates(t, taint))) {
      return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
    }
  }
  const selector = pod.spec?.nodeSelector ?? {};
  const labels = node.metadata.labels ?? {};
  if (Object.entries(selector).some(([k, v]) => labels[k] !== v)) return msgAffinity;
  if (!matchesAffinity(pod, node)) return msgAffinity;
  return undefined;
}

/** Picks a node for a pod, or explains in kube's words why none fits. */
export function schedulePod(
  pod: Pod,
  nodes: readonly Node[],
  podsOnNode: (node: string) => number,
): ScheduleResult {
  if (nodes.length === 0)
    return { kind: 'unschedulable', message: 'no nodes available to schedule pods' };
  const reasons = new Map<string, number>();
  let best: { name: string; pods: number } | undefined;
  for (const node of nodes) {
    const why = unfit(pod, node);
    const name = node.metadata.name ?? '';
    if (why !== undefined) {
      reasons.set(why, (reasons.get(why) ?? 0) + 1);
      continue;
    }
    const pods = podsOnNode(name);
    if (best === undefined || pods < best.pods || (pods === best.pods && name < best.name))
      best = { name, pods };
  }
  if (best !== undefined) return { kind: 'bind', node: best.name };
  const parts = [...reasons].map(([why, n]) => `${n} ${why}`).sort();
  return {
    kind: 'unschedulable',
    message: `0/${nodes.length} nodes are available: ${parts.join(', ')}.`,
  };
}

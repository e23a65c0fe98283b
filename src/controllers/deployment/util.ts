/**
 * Deployment helpers with the semantics of Kubernetes' pkg/controller/deployment/util: the
 * pod-template-hash, revisions and their annotations, maxSurge / maxUnavailable resolution and
 * the orderings ReplicaSets are scaled in.
 */
import type { IntOrString } from '../../api/meta/types.js';
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import type { PodTemplateSpec } from '../../api/types/core.js';
import { jsonEqual, omitKeys } from '../common/meta.js';

export const labelPodTemplateHash = 'pod-template-hash';
export const annotationRevision = 'deployment.kubernetes.io/revision';
export const annotationDesiredReplicas = 'deployment.kubernetes.io/desired-replicas';
export const annotationMaxReplicas = 'deployment.kubernetes.io/max-replicas';
const annotationRevisionHistory = 'deployment.kubernetes.io/revision-history';
const annotationLastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

/** Deployment annotations never copied to its ReplicaSets (kube's skipCopyAnnotation). */
const notCopied = [
  annotationLastApplied,
  annotationRevision,
  annotationRevisionHistory,
  annotationDesiredReplicas,
  annotationMaxReplicas,
  'deprecated.deployment.rollback.to',
];

/** The alphabet of kube's rand.SafeEncodeString: no vowels, no look-alike digits. */
const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const rec = v as Record<string, unknown>;
    return `{${Object.keys(rec)
      .filter((k) => rec[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(rec[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** 32-bit FNV-1a. */
function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(s, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The pod-template-hash of a template (kube's ComputeHash: FNV-32a of the template, plus the
 * collision count when set, its decimal digits mapped onto the safe alphabet).
 */
export function computeHash(
  template: PodTemplateSpec | undefined,
  collisionCount?: number,
): string {
  let s = canonical(template ?? {});
  if (collisionCount !== undefined && collisionCount > 0) s += `#${collisionCount}`;
  const digits = String(fnv32a(s));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    out += safeAlphabet[digits.charCodeAt(i) % safeAlphabet.length] ?? '';
  }
  return out;
}

/** Two templates are one when they differ only in the pod-template-hash label. */
export function templatesEqualIgnoringHash(
  a: PodTemplateSpec | undefined,
  b: PodTemplateSpec | undefined,
): boolean {
  const strip = (t: PodTemplateSpec | undefined): PodTemplateSpec => {
    const c = structuredClone(t ?? {});
    const labels = omitKeys(c.metadata?.labels, labelPodTemplateHash);
    c.metadata = { ...c.metadata, labels };
    return c;
  };
  return jsonEqual(strip(a), strip(b));
}

export function revisionOf(rs: ReplicaSet | Deployment): number {
  const v = Number(rs.metadata.annotations?.[annotationRevision] ?? '0');
  return Number.isFinite(v) ? v : 0;
}

export function replicasOf(obj: ReplicaSet | Deployment): number {
  return obj.spec?.replicas ?? 1;
}

/** Resolves an int-or-percent against a total (kube's GetScaledValueFromIntOrPercent). */
export function resolveIntOrPercent(
  v: IntOrString | undefined,
  total: number,
  roundUp: boolean,
  dflt: IntOrString,
): number {
  const value = v ?? dflt;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (m === null) return Number.isNaN(Number(value)) ? 0 : Number(value);
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge as a count (25 % by default, rounded up); 0 for Recreate. */
export function maxSurge(d: Deployment): number {
  if (d.spec?.strategy?.type === 'Recreate') return 0;
  return resolveIntOrPercent(d.spec?.strategy?.rollingUpdate?.maxSurge, replicasOf(d), true, '25%');
}

/** maxUnavailable as a count (25 %, rounded down; at least 1 when maxSurge is 0; at most replicas). */
export function maxUnavailable(d: Deployment): number {
  if (d.spec?.strategy?.type === 'Recreate') return 0;
  const replicas = replicasOf(d);
  let unavailable = resolveIntOrPercent(
    d.spec?.strategy?.rollingUpdate?.maxUnavailable,
    replicas,
    false,
    '25%',
  );
  if (unavailable === 0 && maxSurge(d) === 0) unavailable = 1;
  return Math.min(unavailable, replicas);
}

function created(rs: ReplicaSet): number {
  const t = rs.metadata.creationTimestamp;
  return t === undefined || t === null ? 0 : Date.parse(t);
}

/** Oldest first (ties by name): the order old ReplicaSets are scaled down in. */
export function byCreationOldestFirst(a: ReplicaSet, b: ReplicaSet): number {
  return created(a) - created(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

export function sumReplicas(rss: readonly ReplicaSet[]): number {
  return rss.reduce((n, rs) => n + replicasOf(rs), 0);
}

/** The annotations a ReplicaSet gets from its Deployment (all but the controller's own). */
export function copiedAnnotations(d: Deployment): Record<string, string> {
  return omitKeys(d.metadata.annotations, ...notCopied);
}

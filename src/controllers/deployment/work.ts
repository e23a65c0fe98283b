/** The changes one sync of a Deployment makes to its ReplicaSets, accumulated step by step. */
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import { annotationDesiredReplicas, annotationMaxReplicas, maxSurge, replicasOf } from './util.js';

/** A write to one ReplicaSet. */
export type RSAction =
  | { readonly kind: 'create'; readonly rs: ReplicaSet }
  | { readonly kind: 'update'; readonly rs: ReplicaSet }
  | { readonly kind: 'delete'; readonly rs: ReplicaSet };

/** An event to record on the Deployment. */
export interface DeploymentEvent {
  readonly reason: string;
  readonly message: string;
}

/** Accumulates changes to ReplicaSets so later steps of one sync see earlier ones. */
export class Work {
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

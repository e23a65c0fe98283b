/** coordination.k8s.io/v1 Lease: node heartbeats and leader election. */
import type { KubeObject } from '../meta/types.js';

export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
    strategy?: string;
    preferredHolder?: string;
  };
}

/**
 * coordination.k8s.io/v1 Lease.
 * Field tables in the schema language of ../dsl.ts, following the Kubernetes v1.32 API
 * (k8s.io/api v0.32): JSON name, type, protobuf field number, list and patch semantics.
 * A data table: long by nature.
 */
import type { TypeDefs } from '../dsl.js';

export const coordinationTypes: TypeDefs = {
  Lease: {
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1',
      spec: 'LeaseSpec 2',
    },
  },
  LeaseSpec: {
    fields: {
      holderIdentity: '*string 1',
      leaseDurationSeconds: '*int32 2',
      acquireTime: '*microtime 3',
      renewTime: '*microtime 4',
      leaseTransitions: '*int32 5',
      strategy: '*string 6',
      preferredHolder: '*string 7',
    },
  },
};

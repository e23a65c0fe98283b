/**
 * autoscaling/v1 Scale: the body of the scale subresource.
 * Field tables in the schema language of ../dsl.ts, following the Kubernetes v1.32 API
 * (k8s.io/api v0.32): JSON name, type, protobuf field number, list and patch semantics.
 * A data table: long by nature.
 */
import type { TypeDefs } from '../dsl.js';

export const autoscalingTypes: TypeDefs = {
  Scale: {
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1',
      spec: 'ScaleSpec 2',
      status: 'ScaleStatus 3',
    },
  },
  ScaleSpec: {
    fields: {
      replicas: 'int32 1',
    },
  },
  ScaleStatus: {
    required: ['replicas'],
    fields: {
      replicas: 'int32 1 !',
      selector: 'string 2',
    },
  },
};

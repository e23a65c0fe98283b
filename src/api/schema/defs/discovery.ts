/**
 * discovery.k8s.io/v1 EndpointSlice.
 * Field tables in the schema language of ../dsl.ts, following the Kubernetes v1.32 API
 * (k8s.io/api v0.32): JSON name, type, protobuf field number, list and patch semantics.
 * A data table: long by nature.
 */
import type { TypeDefs } from '../dsl.js';

export const discoveryTypes: TypeDefs = {
  Endpoint: {
    required: ['addresses'],
    fields: {
      addresses: '[]string 1 ! set',
      conditions: 'EndpointConditions 2',
      hostname: '*string 3',
      targetRef: '*core.v1.ObjectReference 4',
      deprecatedTopology: '{string} 5',
      nodeName: '*string 6',
      zone: '*string 7',
      hints: '*EndpointHints 8',
    },
  },
  EndpointConditions: {
    fields: {
      ready: '*bool 1',
      serving: '*bool 2',
      terminating: '*bool 3',
    },
  },
  EndpointHints: {
    fields: {
      forZones: '[]ForZone 1 atomic',
    },
  },
  EndpointPort: {
    atomic: true,
    fields: {
      name: '*string 1',
      protocol: '*string 2',
      port: '*int32 3',
      appProtocol: '*string 4',
    },
  },
  EndpointSlice: {
    required: ['addressType', 'endpoints'],
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1',
      addressType: 'string 4 !',
      endpoints: '[]Endpoint 2 ! atomic',
      ports: '[]EndpointPort 3 ! atomic',
    },
  },
  ForZone: {
    required: ['name'],
    fields: {
      name: 'string 1 !',
    },
  },
};

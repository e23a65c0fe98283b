/**
 * meta/v1 types shared by every kind (ObjectMeta, LabelSelector, Condition...).
 * Field tables in the schema language of ../dsl.ts, following the Kubernetes v1.32 API
 * (k8s.io/api v0.32): JSON name, type, protobuf field number, list and patch semantics.
 * A data table: long by nature.
 */
import type { TypeDefs } from '../dsl.js';

export const metaTypes: TypeDefs = {
  Condition: {
    required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
    fields: {
      type: 'string 1 !',
      status: 'string 2 !',
      observedGeneration: 'int64 3',
      lastTransitionTime: 'time 4 !',
      reason: 'string 5 !',
      message: 'string 6 !',
    },
  },
  LabelSelector: {
    atomic: true,
    fields: {
      matchLabels: '{string} 1',
      matchExpressions: '[]LabelSelectorRequirement 2 atomic',
    },
  },
  LabelSelectorRequirement: {
    required: ['key', 'operator'],
    fields: {
      key: 'string 1 !',
      operator: 'string 2 !',
      values: '[]string 3 atomic',
    },
  },
  ManagedFieldsEntry: {
    fields: {
      manager: 'string 1',
      operation: 'string 2',
      apiVersion: 'string 3',
      time: '*time 4',
      fieldsType: 'string 6',
      fieldsV1: '*any 7',
      subresource: 'string 8',
    },
  },
  ObjectMeta: {
    fields: {
      name: 'string 1',
      generateName: 'string 2',
      namespace: 'string 3',
      selfLink: 'string 4',
      uid: 'string 5',
      resourceVersion: 'string 6',
      generation: 'int64 7',
      creationTimestamp: 'time 8',
      deletionTimestamp: '*time 9',
      deletionGracePeriodSeconds: '*int64 10',
      labels: '{string} 11',
      annotations: '{string} 12',
      ownerReferences: '[]OwnerReference 13 map=uid merge=uid',
      finalizers: '[]string 14 set merge',
      managedFields: '[]ManagedFieldsEntry 17 atomic',
    },
  },
  OwnerReference: {
    atomic: true,
    required: ['apiVersion', 'kind', 'name', 'uid'],
    fields: {
      apiVersion: 'string 5 !',
      kind: 'string 1 !',
      name: 'string 3 !',
      uid: 'string 4 !',
      controller: '*bool 6',
      blockOwnerDeletion: '*bool 7',
    },
  },
};

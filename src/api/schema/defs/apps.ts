/**
 * apps/v1 ReplicaSet and Deployment.
 * Field tables in the schema language of ../dsl.ts, following the Kubernetes v1.32 API
 * (k8s.io/api v0.32): JSON name, type, protobuf field number, list and patch semantics.
 * A data table: long by nature.
 */
import type { TypeDefs } from '../dsl.js';

export const appsTypes: TypeDefs = {
  Deployment: {
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1',
      spec: 'DeploymentSpec 2',
      status: 'DeploymentStatus 3',
    },
  },
  DeploymentCondition: {
    required: ['type', 'status'],
    fields: {
      type: 'string 1 !',
      status: 'string 2 !',
      lastUpdateTime: 'time 6',
      lastTransitionTime: 'time 7',
      reason: 'string 4',
      message: 'string 5',
    },
  },
  DeploymentSpec: {
    required: ['selector', 'template'],
    fields: {
      replicas: '*int32 1',
      selector: '*meta.v1.LabelSelector 2',
      template: 'core.v1.PodTemplateSpec 3 !',
      strategy: 'DeploymentStrategy 4 retainKeys',
      minReadySeconds: 'int32 5',
      revisionHistoryLimit: '*int32 6',
      paused: 'bool 7',
      progressDeadlineSeconds: '*int32 9',
    },
  },
  DeploymentStatus: {
    fields: {
      observedGeneration: 'int64 1',
      replicas: 'int32 2',
      updatedReplicas: 'int32 3',
      readyReplicas: 'int32 7',
      availableReplicas: 'int32 4',
      unavailableReplicas: 'int32 5',
      conditions: '[]DeploymentCondition 6 map=type merge=type',
      collisionCount: '*int32 8',
    },
  },
  DeploymentStrategy: {
    fields: {
      type: 'string 1',
      rollingUpdate: '*RollingUpdateDeployment 2',
    },
  },
  ReplicaSet: {
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1',
      spec: 'ReplicaSetSpec 2',
      status: 'ReplicaSetStatus 3',
    },
  },
  ReplicaSetCondition: {
    required: ['type', 'status'],
    fields: {
      type: 'string 1 !',
      status: 'string 2 !',
      lastTransitionTime: 'time 3',
      reason: 'string 4',
      message: 'string 5',
    },
  },
  ReplicaSetSpec: {
    required: ['selector'],
    fields: {
      replicas: '*int32 1',
      minReadySeconds: 'int32 4',
      selector: '*meta.v1.LabelSelector 2',
      template: 'core.v1.PodTemplateSpec 3',
    },
  },
  ReplicaSetStatus: {
    required: ['replicas'],
    fields: {
      replicas: 'int32 1 !',
      fullyLabeledReplicas: 'int32 2',
      readyReplicas: 'int32 4',
      availableReplicas: 'int32 5',
      observedGeneration: 'int64 3',
      conditions: '[]ReplicaSetCondition 6 map=type merge=type',
    },
  },
  RollingUpdateDeployment: {
    fields: {
      maxUnavailable: '*intstr 1',
      maxSurge: '*intstr 2',
    },
  },
};

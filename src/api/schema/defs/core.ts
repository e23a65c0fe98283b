/**
 * core/v1 kinds and their types other than the Pod tree.
 * Field tables in the schema language of ../dsl.ts, following the Kubernetes v1.32 API
 * (k8s.io/api v0.32): JSON name, type, protobuf field number, list and patch semantics.
 * A data table: long by nature.
 */
import type { TypeDefs } from '../dsl.js';

export const coreTypes: TypeDefs = {
  AttachedVolume: {
    required: ['name', 'devicePath'],
    fields: {
      name: 'string 1 !',
      devicePath: 'string 2 !',
    },
  },
  Binding: {
    required: ['target'],
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1',
      target: 'ObjectReference 2 !',
    },
  },
  ClientIPConfig: {
    fields: {
      timeoutSeconds: '*int32 1',
    },
  },
  ConfigMap: {
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1',
      immutable: '*bool 4',
      data: '{string} 2',
      binaryData: '{bytes} 3',
    },
  },
  ConfigMapNodeConfigSource: {
    required: ['namespace', 'name', 'kubeletConfigKey'],
    fields: {
      namespace: 'string 1 !',
      name: 'string 2 !',
      uid: 'string 3',
      resourceVersion: 'string 4',
      kubeletConfigKey: 'string 5 !',
    },
  },
  ContainerImage: {
    fields: {
      names: '[]string 1 ! atomic',
      sizeBytes: 'int64 2',
    },
  },
  DaemonEndpoint: {
    required: ['Port'],
    fields: {
      Port: 'int32 1 !',
    },
  },
  EndpointAddress: {
    atomic: true,
    required: ['ip'],
    fields: {
      ip: 'string 1 !',
      hostname: 'string 3',
      nodeName: '*string 4',
      targetRef: '*ObjectReference 2',
    },
  },
  EndpointPort: {
    atomic: true,
    required: ['port'],
    fields: {
      name: 'string 1',
      port: 'int32 2 !',
      protocol: 'string 3',
      appProtocol: '*string 4',
    },
  },
  Endpoints: {
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1',
      subsets: '[]EndpointSubset 2 atomic',
    },
  },
  EndpointSubset: {
    fields: {
      addresses: '[]EndpointAddress 1 atomic',
      notReadyAddresses: '[]EndpointAddress 2 atomic',
      ports: '[]EndpointPort 3 atomic',
    },
  },
  Event: {
    required: ['metadata', 'involvedObject'],
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1 !',
      involvedObject: 'ObjectReference 2 !',
      reason: 'string 3',
      message: 'string 4',
      source: 'EventSource 5',
      firstTimestamp: 'time 6',
      lastTimestamp: 'time 7',
      count: 'int32 8',
      type: 'string 9',
      eventTime: 'microtime 10',
      series: '*EventSeries 11',
      action: 'string 12',
      related: '*ObjectReference 13',
      reportingComponent: 'string 14 !',
      reportingInstance: 'string 15 !',
    },
  },
  EventSeries: {
    fields: {
      count: 'int32 1',
      lastObservedTime: 'microtime 2',
    },
  },
  EventSource: {
    fields: {
      component: 'string 1',
      host: 'string 2',
    },
  },
  LoadBalancerIngress: {
    fields: {
      ip: 'string 1',
      hostname: 'string 2',
      ipMode: '*string 3',
      ports: '[]PortStatus 4 atomic',
    },
  },
  LoadBalancerStatus: {
    fields: {
      ingress: '[]LoadBalancerIngress 1 atomic',
    },
  },
  Namespace: {
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1',
      spec: 'NamespaceSpec 2',
      status: 'NamespaceStatus 3',
    },
  },
  NamespaceCondition: {
    required: ['type', 'status'],
    fields: {
      type: 'string 1 !',
      status: 'string 2 !',
      lastTransitionTime: 'time 4',
      reason: 'string 5',
      message: 'string 6',
    },
  },
  NamespaceSpec: {
    fields: {
      finalizers: '[]string 1 atomic',
    },
  },
  NamespaceStatus: {
    fields: {
      phase: 'string 1',
      conditions: '[]NamespaceCondition 2 map=type merge=type',
    },
  },
  Node: {
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1',
      spec: 'NodeSpec 2',
      status: 'NodeStatus 3',
    },
  },
  NodeAddress: {
    required: ['type', 'address'],
    fields: {
      type: 'string 1 !',
      address: 'string 2 !',
    },
  },
  NodeCondition: {
    required: ['type', 'status'],
    fields: {
      type: 'string 1 !',
      status: 'string 2 !',
      lastHeartbeatTime: 'time 3',
      lastTransitionTime: 'time 4',
      reason: 'string 5',
      message: 'string 6',
    },
  },
  NodeConfigSource: {
    fields: {
      configMap: '*ConfigMapNodeConfigSource 2',
    },
  },
  NodeConfigStatus: {
    fields: {
      assigned: '*NodeConfigSource 1',
      active: '*NodeConfigSource 2',
      lastKnownGood: '*NodeConfigSource 3',
      error: 'string 4',
    },
  },
  NodeDaemonEndpoints: {
    fields: {
      kubeletEndpoint: 'DaemonEndpoint 1',
    },
  },
  NodeFeatures: {
    fields: {
      supplementalGroupsPolicy: '*bool 1',
    },
  },
  NodeRuntimeHandler: {
    fields: {
      name: 'string 1 !',
      features: '*NodeRuntimeHandlerFeatures 2',
    },
  },
  NodeRuntimeHandlerFeatures: {
    fields: {
      recursiveReadOnlyMounts: '*bool 1',
      userNamespaces: '*bool 2',
    },
  },
  NodeSpec: {
    fields: {
      podCIDR: 'string 1',
      podCIDRs: '[]string 7 set merge',
      providerID: 'string 3',
      unschedulable: 'bool 4',
      taints: '[]Taint 5 atomic',
      configSource: '*NodeConfigSource 6',
      externalID: 'string 2',
    },
  },
  NodeStatus: {
    fields: {
      capacity: '{quantity} 1',
      allocatable: '{quantity} 2',
      phase: 'string 3',
      conditions: '[]NodeCondition 4 map=type merge=type',
      addresses: '[]NodeAddress 5 map=type merge=type',
      daemonEndpoints: 'NodeDaemonEndpoints 6',
      nodeInfo: 'NodeSystemInfo 7',
      images: '[]ContainerImage 8 atomic',
      volumesInUse: '[]string 9 atomic',
      volumesAttached: '[]AttachedVolume 10 atomic',
      config: '*NodeConfigStatus 11',
      runtimeHandlers: '[]NodeRuntimeHandler 12 atomic',
      features: '*NodeFeatures 13',
    },
  },
  NodeSystemInfo: {
    required: [
      'machineID',
      'systemUUID',
      'bootID',
      'kernelVersion',
      'osImage',
      'containerRuntimeVersion',
      'kubeletVersion',
      'kubeProxyVersion',
      'operatingSystem',
      'architecture',
    ],
    fields: {
      machineID: 'string 1 !',
      systemUUID: 'string 2 !',
      bootID: 'string 3 !',
      kernelVersion: 'string 4 !',
      osImage: 'string 5 !',
      containerRuntimeVersion: 'string 6 !',
      kubeletVersion: 'string 7 !',
      kubeProxyVersion: 'string 8 !',
      operatingSystem: 'string 9 !',
      architecture: 'string 10 !',
    },
  },
  ObjectReference: {
    atomic: true,
    fields: {
      kind: 'string 1',
      namespace: 'string 2',
      name: 'string 3',
      uid: 'string 4',
      apiVersion: 'string 5',
      resourceVersion: 'string 6',
      fieldPath: 'string 7',
    },
  },
  Pod: {
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1',
      spec: 'PodSpec 2',
      status: 'PodStatus 3',
    },
  },
  PodTemplateSpec: {
    fields: {
      metadata: 'meta.v1.ObjectMeta 1',
      spec: 'PodSpec 2',
    },
  },
  PortStatus: {
    required: ['port', 'protocol'],
    fields: {
      port: 'int32 1 !',
      protocol: 'string 2 !',
      error: '*string 3',
    },
  },
  ReplicationController: {
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1',
      spec: 'ReplicationControllerSpec 2',
      status: 'ReplicationControllerStatus 3',
    },
  },
  ReplicationControllerCondition: {
    required: ['type', 'status'],
    fields: {
      type: 'string 1 !',
      status: 'string 2 !',
      lastTransitionTime: 'time 3',
      reason: 'string 4',
      message: 'string 5',
    },
  },
  ReplicationControllerSpec: {
    fields: {
      replicas: '*int32 1',
      minReadySeconds: 'int32 4',
      selector: '{string} 2 atomic',
      template: '*PodTemplateSpec 3',
    },
  },
  ReplicationControllerStatus: {
    required: ['replicas'],
    fields: {
      replicas: 'int32 1 !',
      fullyLabeledReplicas: 'int32 2',
      readyReplicas: 'int32 4',
      availableReplicas: 'int32 5',
      observedGeneration: 'int64 3',
      conditions: '[]ReplicationControllerCondition 6 map=type merge=type',
    },
  },
  Secret: {
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1',
      immutable: '*bool 5',
      data: '{bytes} 2',
      stringData: '{string} 4',
      type: 'string 3',
    },
  },
  Service: {
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1',
      spec: 'ServiceSpec 2',
      status: 'ServiceStatus 3',
    },
  },
  ServiceAccount: {
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1',
      secrets: '[]ObjectReference 2 map=name merge=name',
      imagePullSecrets: '[]LocalObjectReference 3 atomic',
      automountServiceAccountToken: '*bool 4',
    },
  },
  ServicePort: {
    required: ['port'],
    fields: {
      name: 'string 1',
      protocol: 'string 2 default=TCP',
      appProtocol: '*string 6',
      port: 'int32 3 !',
      targetPort: 'intstr 4',
      nodePort: 'int32 5',
    },
  },
  ServiceSpec: {
    fields: {
      ports: '[]ServicePort 1 map=port,protocol merge=port',
      selector: '{string} 2 atomic',
      clusterIP: 'string 3',
      clusterIPs: '[]string 18 atomic',
      type: 'string 4',
      externalIPs: '[]string 5 atomic',
      sessionAffinity: 'string 7',
      loadBalancerIP: 'string 8',
      loadBalancerSourceRanges: '[]string 9 atomic',
      externalName: 'string 10',
      externalTrafficPolicy: 'string 11',
      healthCheckNodePort: 'int32 12',
      publishNotReadyAddresses: 'bool 13',
      sessionAffinityConfig: '*SessionAffinityConfig 14',
      ipFamilies: '[]string 19 atomic',
      ipFamilyPolicy: '*string 17',
      allocateLoadBalancerNodePorts: '*bool 20',
      loadBalancerClass: '*string 21',
      internalTrafficPolicy: '*string 22',
      trafficDistribution: '*string 23',
    },
  },
  ServiceStatus: {
    fields: {
      loadBalancer: 'LoadBalancerStatus 1',
      conditions: '[]meta.v1.Condition 2 map=type merge=type',
    },
  },
  SessionAffinityConfig: {
    fields: {
      clientIP: '*ClientIPConfig 1',
    },
  },
  Taint: {
    required: ['key', 'effect'],
    fields: {
      key: 'string 1 !',
      value: 'string 2',
      effect: 'string 3 !',
      timeAdded: '*time 4',
    },
  },
};

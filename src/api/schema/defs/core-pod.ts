/**
 * core/v1 Pod spec and status types (containers, probes, scheduling, security).
 * Field tables in the schema language of ../dsl.ts, following the Kubernetes v1.32 API
 * (k8s.io/api v0.32): JSON name, type, protobuf field number, list and patch semantics.
 * A data table: long by nature.
 */
import type { TypeDefs } from '../dsl.js';

export const corePodTypes: TypeDefs = {
  Affinity: {
    fields: {
      nodeAffinity: '*NodeAffinity 1',
      podAffinity: '*PodAffinity 2',
      podAntiAffinity: '*PodAntiAffinity 3',
    },
  },
  AppArmorProfile: {
    required: ['type'],
    fields: {
      type: 'string 1 !',
      localhostProfile: '*string 2',
    },
  },
  Capabilities: {
    fields: {
      add: '[]string 1 atomic',
      drop: '[]string 2 atomic',
    },
  },
  ConfigMapEnvSource: {
    inline: ['LocalObjectReference 1'],
    fields: {
      optional: '*bool 2',
    },
  },
  ConfigMapKeySelector: {
    atomic: true,
    inline: ['LocalObjectReference 1'],
    required: ['key'],
    fields: {
      key: 'string 2 !',
      optional: '*bool 3',
    },
  },
  Container: {
    required: ['name'],
    fields: {
      name: 'string 1 !',
      image: 'string 2',
      command: '[]string 3 atomic',
      args: '[]string 4 atomic',
      workingDir: 'string 5',
      ports: '[]ContainerPort 6 map=containerPort,protocol merge=containerPort',
      envFrom: '[]EnvFromSource 19 atomic',
      env: '[]EnvVar 7 map=name merge=name',
      resources: 'ResourceRequirements 8',
      resizePolicy: '[]ContainerResizePolicy 23 atomic',
      restartPolicy: '*string 24',
      volumeMounts: '[]VolumeMount 9 map=mountPath merge=mountPath',
      volumeDevices: '[]VolumeDevice 21 map=devicePath merge=devicePath',
      livenessProbe: '*Probe 10',
      readinessProbe: '*Probe 11',
      startupProbe: '*Probe 22',
      lifecycle: '*Lifecycle 12',
      terminationMessagePath: 'string 13',
      terminationMessagePolicy: 'string 20',
      imagePullPolicy: 'string 14',
      securityContext: '*SecurityContext 15',
      stdin: 'bool 16',
      stdinOnce: 'bool 17',
      tty: 'bool 18',
    },
  },
  ContainerPort: {
    required: ['containerPort'],
    fields: {
      name: 'string 1',
      hostPort: 'int32 2',
      containerPort: 'int32 3 !',
      protocol: 'string 4 default=TCP',
      hostIP: 'string 5',
    },
  },
  ContainerResizePolicy: {
    required: ['resourceName', 'restartPolicy'],
    fields: {
      resourceName: 'string 1 !',
      restartPolicy: 'string 2 !',
    },
  },
  ContainerState: {
    fields: {
      waiting: '*ContainerStateWaiting 1',
      running: '*ContainerStateRunning 2',
      terminated: '*ContainerStateTerminated 3',
    },
  },
  ContainerStateRunning: {
    fields: {
      startedAt: 'time 1',
    },
  },
  ContainerStateTerminated: {
    required: ['exitCode'],
    fields: {
      exitCode: 'int32 1 !',
      signal: 'int32 2',
      reason: 'string 3',
      message: 'string 4',
      startedAt: 'time 5',
      finishedAt: 'time 6',
      containerID: 'string 7',
    },
  },
  ContainerStateWaiting: {
    fields: {
      reason: 'string 1',
      message: 'string 2',
    },
  },
  ContainerStatus: {
    required: ['name', 'ready', 'restartCount', 'image', 'imageID'],
    fields: {
      name: 'string 1 !',
      state: 'ContainerState 2',
      lastState: 'ContainerState 3',
      ready: 'bool 4 !',
      restartCount: 'int32 5 !',
      image: 'string 6 !',
      imageID: 'string 7 !',
      containerID: 'string 8',
      started: '*bool 9',
      allocatedResources: '{quantity} 10',
      resources: '*ResourceRequirements 11',
      volumeMounts: '[]VolumeMountStatus 12 map=mountPath merge=mountPath',
      user: '*ContainerUser 13',
      allocatedResourcesStatus: '[]ResourceStatus 14 map=name merge=name',
    },
  },
  ContainerUser: {
    fields: {
      linux: '*LinuxContainerUser 1',
    },
  },
  EnvFromSource: {
    fields: {
      prefix: 'string 1',
      configMapRef: '*ConfigMapEnvSource 2',
      secretRef: '*SecretEnvSource 3',
    },
  },
  EnvVar: {
    required: ['name'],
    fields: {
      name: 'string 1 !',
      value: 'string 2',
      valueFrom: '*EnvVarSource 3',
    },
  },
  EnvVarSource: {
    fields: {
      fieldRef: '*ObjectFieldSelector 1',
      resourceFieldRef: '*ResourceFieldSelector 2',
      configMapKeyRef: '*ConfigMapKeySelector 3',
      secretKeyRef: '*SecretKeySelector 4',
    },
  },
  EphemeralContainer: {
    inline: ['EphemeralContainerCommon 1'],
    fields: {
      targetContainerName: 'string 2',
    },
  },
  EphemeralContainerCommon: {
    required: ['name'],
    fields: {
      name: 'string 1 !',
      image: 'string 2',
      command: '[]string 3 atomic',
      args: '[]string 4 atomic',
      workingDir: 'string 5',
      ports: '[]ContainerPort 6 map=containerPort,protocol merge=containerPort',
      envFrom: '[]EnvFromSource 19 atomic',
      env: '[]EnvVar 7 map=name merge=name',
      resources: 'ResourceRequirements 8',
      resizePolicy: '[]ContainerResizePolicy 23 atomic',
      restartPolicy: '*string 24',
      volumeMounts: '[]VolumeMount 9 map=mountPath merge=mountPath',
      volumeDevices: '[]VolumeDevice 21 map=devicePath merge=devicePath',
      livenessProbe: '*Probe 10',
      readinessProbe: '*Probe 11',
      startupProbe: '*Probe 22',
      lifecycle: '*Lifecycle 12',
      terminationMessagePath: 'string 13',
      terminationMessagePolicy: 'string 20',
      imagePullPolicy: 'string 14',
      securityContext: '*SecurityContext 15',
      stdin: 'bool 16',
      stdinOnce: 'bool 17',
      tty: 'bool 18',
    },
  },
  ExecAction: {
    fields: {
      command: '[]string 1 atomic',
    },
  },
  GRPCAction: {
    required: ['port'],
    fields: {
      port: 'int32 1 !',
      service: '*string 2 default=',
    },
  },
  HostAlias: {
    required: ['ip'],
    fields: {
      ip: 'string 1 !',
      hostnames: '[]string 2 atomic',
    },
  },
  HostIP: {
    required: ['ip'],
    fields: {
      ip: 'string 1 !',
    },
  },
  HTTPGetAction: {
    required: ['port'],
    fields: {
      path: 'string 1',
      port: 'intstr 2 !',
      host: 'string 3',
      scheme: 'string 4',
      httpHeaders: '[]HTTPHeader 5 atomic',
    },
  },
  HTTPHeader: {
    required: ['name', 'value'],
    fields: {
      name: 'string 1 !',
      value: 'string 2 !',
    },
  },
  Lifecycle: {
    fields: {
      postStart: '*LifecycleHandler 1',
      preStop: '*LifecycleHandler 2',
    },
  },
  LifecycleHandler: {
    fields: {
      exec: '*ExecAction 1',
      httpGet: '*HTTPGetAction 2',
      tcpSocket: '*TCPSocketAction 3',
      sleep: '*SleepAction 4',
    },
  },
  LinuxContainerUser: {
    required: ['uid', 'gid'],
    fields: {
      uid: 'int64 1 !',
      gid: 'int64 2 !',
      supplementalGroups: '[]int64 3 atomic',
    },
  },
  NodeAffinity: {
    fields: {
      requiredDuringSchedulingIgnoredDuringExecution: '*NodeSelector 1',
      preferredDuringSchedulingIgnoredDuringExecution: '[]PreferredSchedulingTerm 2 atomic',
    },
  },
  NodeSelector: {
    atomic: true,
    required: ['nodeSelectorTerms'],
    fields: {
      nodeSelectorTerms: '[]NodeSelectorTerm 1 ! atomic',
    },
  },
  NodeSelectorRequirement: {
    required: ['key', 'operator'],
    fields: {
      key: 'string 1 !',
      operator: 'string 2 !',
      values: '[]string 3 atomic',
    },
  },
  NodeSelectorTerm: {
    atomic: true,
    fields: {
      matchExpressions: '[]NodeSelectorRequirement 1 atomic',
      matchFields: '[]NodeSelectorRequirement 2 atomic',
    },
  },
  PodAffinity: {
    fields: {
      requiredDuringSchedulingIgnoredDuringExecution: '[]PodAffinityTerm 1 atomic',
      preferredDuringSchedulingIgnoredDuringExecution: '[]WeightedPodAffinityTerm 2 atomic',
    },
  },
  PodAffinityTerm: {
    required: ['topologyKey'],
    fields: {
      labelSelector: '*meta.v1.LabelSelector 1',
      namespaces: '[]string 2 atomic',
      topologyKey: 'string 3 !',
      namespaceSelector: '*meta.v1.LabelSelector 4',
      matchLabelKeys: '[]string 5 atomic',
      mismatchLabelKeys: '[]string 6 atomic',
    },
  },
  PodAntiAffinity: {
    fields: {
      requiredDuringSchedulingIgnoredDuringExecution: '[]PodAffinityTerm 1 atomic',
      preferredDuringSchedulingIgnoredDuringExecution: '[]WeightedPodAffinityTerm 2 atomic',
    },
  },
  PodCondition: {
    required: ['type', 'status'],
    fields: {
      type: 'string 1 !',
      status: 'string 2 !',
      lastProbeTime: 'time 3',
      lastTransitionTime: 'time 4',
      reason: 'string 5',
      message: 'string 6',
    },
  },
  PodDNSConfig: {
    fields: {
      nameservers: '[]string 1 atomic',
      searches: '[]string 2 atomic',
      options: '[]PodDNSConfigOption 3 atomic',
    },
  },
  PodDNSConfigOption: {
    fields: {
      name: 'string 1',
      value: '*string 2',
    },
  },
  PodIP: {
    required: ['ip'],
    fields: {
      ip: 'string 1 !',
    },
  },
  PodOS: {
    required: ['name'],
    fields: {
      name: 'string 1 !',
    },
  },
  PodReadinessGate: {
    required: ['conditionType'],
    fields: {
      conditionType: 'string 1 !',
    },
  },
  PodResourceClaim: {
    required: ['name'],
    fields: {
      name: 'string 1 !',
      resourceClaimName: '*string 3',
      resourceClaimTemplateName: '*string 4',
    },
  },
  PodResourceClaimStatus: {
    required: ['name'],
    fields: {
      name: 'string 1 !',
      resourceClaimName: '*string 2',
    },
  },
  PodSchedulingGate: {
    required: ['name'],
    fields: {
      name: 'string 1 !',
    },
  },
  PodSecurityContext: {
    fields: {
      seLinuxOptions: '*SELinuxOptions 1',
      windowsOptions: '*WindowsSecurityContextOptions 8',
      runAsUser: '*int64 2',
      runAsGroup: '*int64 6',
      runAsNonRoot: '*bool 3',
      supplementalGroups: '[]int64 4 atomic',
      supplementalGroupsPolicy: '*string 12',
      fsGroup: '*int64 5',
      sysctls: '[]Sysctl 7 atomic',
      fsGroupChangePolicy: '*string 9',
      seccompProfile: '*SeccompProfile 10',
      appArmorProfile: '*AppArmorProfile 11',
      seLinuxChangePolicy: '*string 13',
    },
  },
  PodSpec: {
    required: ['containers'],
    fields: {
      volumes: '[]Volume 1 map=name merge=name retainKeys',
      initContainers: '[]Container 20 map=name merge=name',
      containers: '[]Container 2 ! map=name merge=name',
      ephemeralContainers: '[]EphemeralContainer 34 map=name merge=name',
      restartPolicy: 'string 3',
      terminationGracePeriodSeconds: '*int64 4',
      activeDeadlineSeconds: '*int64 5',
      dnsPolicy: 'string 6',
      nodeSelector: '{string} 7 atomic',
      serviceAccountName: 'string 8',
      serviceAccount: 'string 9',
      automountServiceAccountToken: '*bool 21',
      nodeName: 'string 10',
      hostNetwork: 'bool 11',
      hostPID: 'bool 12',
      hostIPC: 'bool 13',
      shareProcessNamespace: '*bool 27',
      securityContext: '*PodSecurityContext 14',
      imagePullSecrets: '[]LocalObjectReference 15 map=name merge=name',
      hostname: 'string 16',
      subdomain: 'string 17',
      affinity: '*Affinity 18',
      schedulerName: 'string 19',
      tolerations: '[]Toleration 22 atomic',
      hostAliases: '[]HostAlias 23 map=ip merge=ip',
      priorityClassName: 'string 24',
      priority: '*int32 25',
      dnsConfig: '*PodDNSConfig 26',
      readinessGates: '[]PodReadinessGate 28 atomic',
      runtimeClassName: '*string 29',
      enableServiceLinks: '*bool 30',
      preemptionPolicy: '*string 31',
      overhead: '{quantity} 32',
      topologySpreadConstraints:
        '[]TopologySpreadConstraint 33 map=topologyKey,whenUnsatisfiable merge=topologyKey',
      setHostnameAsFQDN: '*bool 35',
      os: '*PodOS 36',
      hostUsers: '*bool 37',
      schedulingGates: '[]PodSchedulingGate 38 map=name merge=name',
      resourceClaims: '[]PodResourceClaim 39 map=name merge=name retainKeys',
      resources: '*ResourceRequirements 40',
    },
  },
  PodStatus: {
    fields: {
      phase: 'string 1',
      conditions: '[]PodCondition 2 map=type merge=type',
      message: 'string 3',
      reason: 'string 4',
      nominatedNodeName: 'string 11',
      hostIP: 'string 5',
      hostIPs: '[]HostIP 16 atomic merge=ip',
      podIP: 'string 6',
      podIPs: '[]PodIP 12 map=ip merge=ip',
      startTime: '*time 7',
      initContainerStatuses: '[]ContainerStatus 10 atomic',
      containerStatuses: '[]ContainerStatus 8 atomic',
      qosClass: 'string 9',
      ephemeralContainerStatuses: '[]ContainerStatus 13 atomic',
      resize: 'string 14',
      resourceClaimStatuses: '[]PodResourceClaimStatus 15 map=name merge=name retainKeys',
    },
  },
  PreferredSchedulingTerm: {
    required: ['weight', 'preference'],
    fields: {
      weight: 'int32 1 !',
      preference: 'NodeSelectorTerm 2 !',
    },
  },
  Probe: {
    inline: ['ProbeHandler 1'],
    fields: {
      initialDelaySeconds: 'int32 2',
      timeoutSeconds: 'int32 3',
      periodSeconds: 'int32 4',
      successThreshold: 'int32 5',
      failureThreshold: 'int32 6',
      terminationGracePeriodSeconds: '*int64 7',
    },
  },
  ProbeHandler: {
    fields: {
      exec: '*ExecAction 1',
      httpGet: '*HTTPGetAction 2',
      tcpSocket: '*TCPSocketAction 3',
      grpc: '*GRPCAction 4',
    },
  },
  ResourceClaim: {
    required: ['name'],
    fields: {
      name: 'string 1 !',
      request: 'string 2',
    },
  },
  ResourceHealth: {
    required: ['resourceID'],
    fields: {
      resourceID: 'string 1 !',
      health: 'string 2',
    },
  },
  ResourceRequirements: {
    fields: {
      limits: '{quantity} 1',
      requests: '{quantity} 2',
      claims: '[]ResourceClaim 3 map=name',
    },
  },
  ResourceStatus: {
    required: ['name'],
    fields: {
      name: 'string 1 !',
      resources: '[]ResourceHealth 2 map=resourceID',
    },
  },
  SeccompProfile: {
    required: ['type'],
    fields: {
      type: 'string 1 !',
      localhostProfile: '*string 2',
    },
  },
  SecretEnvSource: {
    inline: ['LocalObjectReference 1'],
    fields: {
      optional: '*bool 2',
    },
  },
  SecretKeySelector: {
    atomic: true,
    inline: ['LocalObjectReference 1'],
    required: ['key'],
    fields: {
      key: 'string 2 !',
      optional: '*bool 3',
    },
  },
  SecurityContext: {
    fields: {
      capabilities: '*Capabilities 1',
      privileged: '*bool 2',
      seLinuxOptions: '*SELinuxOptions 3',
      windowsOptions: '*WindowsSecurityContextOptions 10',
      runAsUser: '*int64 4',
      runAsGroup: '*int64 8',
      runAsNonRoot: '*bool 5',
      readOnlyRootFilesystem: '*bool 6',
      allowPrivilegeEscalation: '*bool 7',
      procMount: '*string 9',
      seccompProfile: '*SeccompProfile 11',
      appArmorProfile: '*AppArmorProfile 12',
    },
  },
  SELinuxOptions: {
    fields: {
      user: 'string 1',
      role: 'string 2',
      type: 'string 3',
      level: 'string 4',
    },
  },
  SleepAction: {
    required: ['seconds'],
    fields: {
      seconds: 'int64 1 !',
    },
  },
  Sysctl: {
    required: ['name', 'value'],
    fields: {
      name: 'string 1 !',
      value: 'string 2 !',
    },
  },
  TCPSocketAction: {
    required: ['port'],
    fields: {
      port: 'intstr 1 !',
      host: 'string 2',
    },
  },
  Toleration: {
    fields: {
      key: 'string 1',
      operator: 'string 2',
      value: 'string 3',
      effect: 'string 4',
      tolerationSeconds: '*int64 5',
    },
  },
  TopologySpreadConstraint: {
    required: ['maxSkew', 'topologyKey', 'whenUnsatisfiable'],
    fields: {
      maxSkew: 'int32 1 !',
      topologyKey: 'string 2 !',
      whenUnsatisfiable: 'string 3 !',
      labelSelector: '*meta.v1.LabelSelector 4',
      minDomains: '*int32 5',
      nodeAffinityPolicy: '*string 6',
      nodeTaintsPolicy: '*string 7',
      matchLabelKeys: '[]string 8 atomic',
    },
  },
  Volume: {
    inline: ['VolumeSource 2'],
    required: ['name'],
    fields: {
      name: 'string 1 !',
    },
  },
  VolumeDevice: {
    required: ['name', 'devicePath'],
    fields: {
      name: 'string 1 !',
      devicePath: 'string 2 !',
    },
  },
  VolumeMount: {
    required: ['name', 'mountPath'],
    fields: {
      name: 'string 1 !',
      readOnly: 'bool 2',
      recursiveReadOnly: '*string 7',
      mountPath: 'string 3 !',
      subPath: 'string 4',
      mountPropagation: '*string 5',
      subPathExpr: 'string 6',
    },
  },
  VolumeMountStatus: {
    required: ['name', 'mountPath'],
    fields: {
      name: 'string 1 !',
      mountPath: 'string 2 !',
      readOnly: 'bool 3',
      recursiveReadOnly: '*string 4',
    },
  },
  WeightedPodAffinityTerm: {
    required: ['weight', 'podAffinityTerm'],
    fields: {
      weight: 'int32 1 !',
      podAffinityTerm: 'PodAffinityTerm 2 !',
    },
  },
  WindowsSecurityContextOptions: {
    fields: {
      gmsaCredentialSpecName: '*string 1',
      gmsaCredentialSpec: '*string 2',
      runAsUserName: '*string 3',
      hostProcess: '*bool 4',
    },
  },
};

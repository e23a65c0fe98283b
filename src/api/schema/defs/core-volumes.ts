/**
 * core/v1 volume sources (Volume, VolumeSource and the types below it).
 * Field tables in the schema language of ../dsl.ts, following the Kubernetes v1.32 API
 * (k8s.io/api v0.32): JSON name, type, protobuf field number, list and patch semantics.
 * A data table: long by nature.
 */
import type { TypeDefs } from '../dsl.js';

export const coreVolumeTypes: TypeDefs = {
  AWSElasticBlockStoreVolumeSource: {
    required: ['volumeID'],
    fields: {
      volumeID: 'string 1 !',
      fsType: 'string 2',
      partition: 'int32 3',
      readOnly: 'bool 4',
    },
  },
  AzureDiskVolumeSource: {
    required: ['diskName', 'diskURI'],
    fields: {
      diskName: 'string 1 !',
      diskURI: 'string 2 !',
      cachingMode: '*string 3 default=ref(AzureDataDiskCachingReadWrite)',
      fsType: '*string 4 default=ext4',
      readOnly: '*bool 5 default=false',
      kind: '*string 6 default=ref(AzureSharedBlobDisk)',
    },
  },
  AzureFileVolumeSource: {
    required: ['secretName', 'shareName'],
    fields: {
      secretName: 'string 1 !',
      shareName: 'string 2 !',
      readOnly: 'bool 3',
    },
  },
  CephFSVolumeSource: {
    required: ['monitors'],
    fields: {
      monitors: '[]string 1 ! atomic',
      path: 'string 2',
      user: 'string 3',
      secretFile: 'string 4',
      secretRef: '*LocalObjectReference 5',
      readOnly: 'bool 6',
    },
  },
  CinderVolumeSource: {
    required: ['volumeID'],
    fields: {
      volumeID: 'string 1 !',
      fsType: 'string 2',
      readOnly: 'bool 3',
      secretRef: '*LocalObjectReference 4',
    },
  },
  ClusterTrustBundleProjection: {
    required: ['path'],
    fields: {
      name: '*string 1',
      signerName: '*string 2',
      labelSelector: '*meta.v1.LabelSelector 3',
      optional: '*bool 5',
      path: 'string 4 !',
    },
  },
  ConfigMapProjection: {
    inline: ['LocalObjectReference 1'],
    fields: {
      items: '[]KeyToPath 2 atomic',
      optional: '*bool 4',
    },
  },
  ConfigMapVolumeSource: {
    inline: ['LocalObjectReference 1'],
    fields: {
      items: '[]KeyToPath 2 atomic',
      defaultMode: '*int32 3',
      optional: '*bool 4',
    },
  },
  CSIVolumeSource: {
    required: ['driver'],
    fields: {
      driver: 'string 1 !',
      readOnly: '*bool 2',
      fsType: '*string 3',
      volumeAttributes: '{string} 4',
      nodePublishSecretRef: '*LocalObjectReference 5',
    },
  },
  DownwardAPIProjection: {
    fields: {
      items: '[]DownwardAPIVolumeFile 1 atomic',
    },
  },
  DownwardAPIVolumeFile: {
    required: ['path'],
    fields: {
      path: 'string 1 !',
      fieldRef: '*ObjectFieldSelector 2',
      resourceFieldRef: '*ResourceFieldSelector 3',
      mode: '*int32 4',
    },
  },
  DownwardAPIVolumeSource: {
    fields: {
      items: '[]DownwardAPIVolumeFile 1 atomic',
      defaultMode: '*int32 2',
    },
  },
  EmptyDirVolumeSource: {
    fields: {
      medium: 'string 1',
      sizeLimit: '*quantity 2',
    },
  },
  EphemeralVolumeSource: {
    fields: {
      volumeClaimTemplate: '*PersistentVolumeClaimTemplate 1',
    },
  },
  FCVolumeSource: {
    fields: {
      targetWWNs: '[]string 1 atomic',
      lun: '*int32 2',
      fsType: 'string 3',
      readOnly: 'bool 4',
      wwids: '[]string 5 atomic',
    },
  },
  FlexVolumeSource: {
    required: ['driver'],
    fields: {
      driver: 'string 1 !',
      fsType: 'string 2',
      secretRef: '*LocalObjectReference 3',
      readOnly: 'bool 4',
      options: '{string} 5',
    },
  },
  FlockerVolumeSource: {
    fields: {
      datasetName: 'string 1',
      datasetUUID: 'string 2',
    },
  },
  GCEPersistentDiskVolumeSource: {
    required: ['pdName'],
    fields: {
      pdName: 'string 1 !',
      fsType: 'string 2',
      partition: 'int32 3',
      readOnly: 'bool 4',
    },
  },
  GitRepoVolumeSource: {
    required: ['repository'],
    fields: {
      repository: 'string 1 !',
      revision: 'string 2',
      directory: 'string 3',
    },
  },
  GlusterfsVolumeSource: {
    required: ['endpoints', 'path'],
    fields: {
      endpoints: 'string 1 !',
      path: 'string 2 !',
      readOnly: 'bool 3',
    },
  },
  HostPathVolumeSource: {
    required: ['path'],
    fields: {
      path: 'string 1 !',
      type: '*string 2',
    },
  },
  ImageVolumeSource: {
    fields: {
      reference: 'string 1',
      pullPolicy: 'string 2',
    },
  },
  ISCSIVolumeSource: {
    required: ['targetPortal', 'iqn', 'lun'],
    fields: {
      targetPortal: 'string 1 !',
      iqn: 'string 2 !',
      lun: 'int32 3 !',
      iscsiInterface: 'string 4 default=default',
      fsType: 'string 5',
      readOnly: 'bool 6',
      portals: '[]string 7 atomic',
      chapAuthDiscovery: 'bool 8',
      chapAuthSession: 'bool 11',
      secretRef: '*LocalObjectReference 10',
      initiatorName: '*string 12',
    },
  },
  KeyToPath: {
    required: ['key', 'path'],
    fields: {
      key: 'string 1 !',
      path: 'string 2 !',
      mode: '*int32 3',
    },
  },
  LocalObjectReference: {
    atomic: true,
    fields: {
      name: 'string 1 default=',
    },
  },
  NFSVolumeSource: {
    required: ['server', 'path'],
    fields: {
      server: 'string 1 !',
      path: 'string 2 !',
      readOnly: 'bool 3',
    },
  },
  ObjectFieldSelector: {
    atomic: true,
    required: ['fieldPath'],
    fields: {
      apiVersion: 'string 1',
      fieldPath: 'string 2 !',
    },
  },
  PersistentVolumeClaimSpec: {
    fields: {
      accessModes: '[]string 1 atomic',
      selector: '*meta.v1.LabelSelector 4',
      resources: 'VolumeResourceRequirements 2',
      volumeName: 'string 3',
      storageClassName: '*string 5',
      volumeMode: '*string 6',
      dataSource: '*TypedLocalObjectReference 7',
      dataSourceRef: '*TypedObjectReference 8',
      volumeAttributesClassName: '*string 9',
    },
  },
  PersistentVolumeClaimTemplate: {
    required: ['spec'],
    fields: {
      metadata: 'meta.v1.ObjectMeta 1',
      spec: 'PersistentVolumeClaimSpec 2 !',
    },
  },
  PersistentVolumeClaimVolumeSource: {
    required: ['claimName'],
    fields: {
      claimName: 'string 1 !',
      readOnly: 'bool 2',
    },
  },
  PhotonPersistentDiskVolumeSource: {
    required: ['pdID'],
    fields: {
      pdID: 'string 1 !',
      fsType: 'string 2',
    },
  },
  PortworxVolumeSource: {
    required: ['volumeID'],
    fields: {
      volumeID: 'string 1 !',
      fsType: 'string 2',
      readOnly: 'bool 3',
    },
  },
  ProjectedVolumeSource: {
    fields: {
      sources: '[]VolumeProjection 1 ! atomic',
      defaultMode: '*int32 2',
    },
  },
  QuobyteVolumeSource: {
    required: ['registry', 'volume'],
    fields: {
      registry: 'string 1 !',
      volume: 'string 2 !',
      readOnly: 'bool 3',
      user: 'string 4',
      group: 'string 5',
      tenant: 'string 6',
    },
  },
  RBDVolumeSource: {
    required: ['monitors', 'image'],
    fields: {
      monitors: '[]string 1 ! atomic',
      image: 'string 2 !',
      fsType: 'string 3',
      pool: 'string 4 default=rbd',
      user: 'string 5 default=admin',
      keyring: 'string 6 default=/etc/ceph/keyring',
      secretRef: '*LocalObjectReference 7',
      readOnly: 'bool 8',
    },
  },
  ResourceFieldSelector: {
    atomic: true,
    required: ['resource'],
    fields: {
      containerName: 'string 1',
      resource: 'string 2 !',
      divisor: 'quantity 3',
    },
  },
  ScaleIOVolumeSource: {
    required: ['gateway', 'system', 'secretRef'],
    fields: {
      gateway: 'string 1 !',
      system: 'string 2 !',
      secretRef: '*LocalObjectReference 3',
      sslEnabled: 'bool 4',
      protectionDomain: 'string 5',
      storagePool: 'string 6',
      storageMode: 'string 7 default=ThinProvisioned',
      volumeName: 'string 8',
      fsType: 'string 9 default=xfs',
      readOnly: 'bool 10',
    },
  },
  SecretProjection: {
    inline: ['LocalObjectReference 1'],
    fields: {
      items: '[]KeyToPath 2 atomic',
      optional: '*bool 4',
    },
  },
  SecretVolumeSource: {
    fields: {
      secretName: 'string 1',
      items: '[]KeyToPath 2 atomic',
      defaultMode: '*int32 3',
      optional: '*bool 4',
    },
  },
  ServiceAccountTokenProjection: {
    required: ['path'],
    fields: {
      audience: 'string 1',
      expirationSeconds: '*int64 2',
      path: 'string 3 !',
    },
  },
  StorageOSVolumeSource: {
    fields: {
      volumeName: 'string 1',
      volumeNamespace: 'string 2',
      fsType: 'string 3',
      readOnly: 'bool 4',
      secretRef: '*LocalObjectReference 5',
    },
  },
  TypedLocalObjectReference: {
    atomic: true,
    required: ['kind', 'name'],
    fields: {
      apiGroup: '*string 1',
      kind: 'string 2 !',
      name: 'string 3 !',
    },
  },
  TypedObjectReference: {
    required: ['kind', 'name'],
    fields: {
      apiGroup: '*string 1',
      kind: 'string 2 !',
      name: 'string 3 !',
      namespace: '*string 4',
    },
  },
  VolumeProjection: {
    fields: {
      secret: '*SecretProjection 1',
      downwardAPI: '*DownwardAPIProjection 2',
      configMap: '*ConfigMapProjection 3',
      serviceAccountToken: '*ServiceAccountTokenProjection 4',
      clusterTrustBundle: '*ClusterTrustBundleProjection 5',
    },
  },
  VolumeResourceRequirements: {
    fields: {
      limits: '{quantity} 1',
      requests: '{quantity} 2',
    },
  },
  VolumeSource: {
    fields: {
      hostPath: '*HostPathVolumeSource 1',
      emptyDir: '*EmptyDirVolumeSource 2',
      gcePersistentDisk: '*GCEPersistentDiskVolumeSource 3',
      awsElasticBlockStore: '*AWSElasticBlockStoreVolumeSource 4',
      gitRepo: '*GitRepoVolumeSource 5',
      secret: '*SecretVolumeSource 6',
      nfs: '*NFSVolumeSource 7',
      iscsi: '*ISCSIVolumeSource 8',
      glusterfs: '*GlusterfsVolumeSource 9',
      persistentVolumeClaim: '*PersistentVolumeClaimVolumeSource 10',
      rbd: '*RBDVolumeSource 11',
      flexVolume: '*FlexVolumeSource 12',
      cinder: '*CinderVolumeSource 13',
      cephfs: '*CephFSVolumeSource 14',
      flocker: '*FlockerVolumeSource 15',
      downwardAPI: '*DownwardAPIVolumeSource 16',
      fc: '*FCVolumeSource 17',
      azureFile: '*AzureFileVolumeSource 18',
      configMap: '*ConfigMapVolumeSource 19',
      vsphereVolume: '*VsphereVirtualDiskVolumeSource 20',
      quobyte: '*QuobyteVolumeSource 21',
      azureDisk: '*AzureDiskVolumeSource 22',
      photonPersistentDisk: '*PhotonPersistentDiskVolumeSource 23',
      projected: '*ProjectedVolumeSource 26',
      portworxVolume: '*PortworxVolumeSource 24',
      scaleIO: '*ScaleIOVolumeSource 25',
      storageos: '*StorageOSVolumeSource 27',
      csi: '*CSIVolumeSource 28',
      ephemeral: '*EphemeralVolumeSource 29',
      image: '*ImageVolumeSource 30',
    },
  },
  VsphereVirtualDiskVolumeSource: {
    required: ['volumePath'],
    fields: {
      volumePath: 'string 1 !',
      fsType: 'string 2',
      storagePolicyName: 'string 3',
      storagePolicyID: 'string 4',
    },
  },
};

/**
 * Plain fixture objects for unit tests of the controllers, shaped as the API server returns
 * them after defaulting. Address plan: pods in 10.244.0.0/16 (node n = 10.244.n.0/24), services
 * in 10.96.0.0/12, nodes on 192.0.2.0/24 (documentation range).
 */
import type { Node, Pod, Service, ServicePort, ContainerPort } from '../../api/types/core.js';

/** What a fixture pod may differ in. */
export interface PodFixture {
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly ip?: string;
  readonly ready?: boolean;
  readonly readySince?: string;
  readonly node?: string;
  readonly ports?: ContainerPort[];
  readonly phase?: NonNullable<Pod['status']>['phase'];
  readonly deleting?: boolean;
  readonly hostname?: string;
  readonly subdomain?: string;
  readonly uid?: string;
  readonly created?: string;
  readonly restarts?: number;
}

/** A pod as the kubelet reports it: Running with an IP, Ready unless `ready: false`. */
export function pod(name: string, f: PodFixture = {}): Pod {
  const ready = f.ready ?? true;
  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: f.namespace ?? 'default',
      uid: f.uid ?? `uid-${name}`,
      resourceVersion: '1',
      creationTimestamp: f.created ?? '2024-01-01T00:00:00Z',
      labels: f.labels ?? { app: 'web' },
    },
    spec: {
      containers: [{ name: 'c', image: 'luksa/kubia', ports: f.ports ?? [] }],
      nodeName: f.node ?? 'node-1',
    },
    status: {
      phase: f.phase ?? 'Running',
      conditions: [
        {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          lastTransitionTime: f.readySince ?? '2024-01-01T00:00:05Z',
        },
      ],
      containerStatuses: [
        {
          name: 'c',
          ready,
          restartCount: f.restarts ?? 0,
          image: 'luksa/kubia',
          imageID: '',
        },
      ],
    },
  };
  if (f.ip !== undefined && p.status) {
    p.status.podIP = f.ip;
    p.status.podIPs = [{ ip: f.ip }];
  }
  if (f.deleting === true) p.metadata.deletionTimestamp = '2024-01-01T00:01:00Z';
  if (f.hostname !== undefined && p.spec) p.spec.hostname = f.hostname;
  if (f.subdomain !== undefined && p.spec) p.spec.subdomain = f.subdomain;
  return p;
}

/** What a fixture service may differ in. */
export interface ServiceFixture {
  readonly namespace?: string;
  readonly selector?: Record<string, string> | undefined;
  readonly ports?: ServicePort[];
  readonly clusterIP?: string;
  readonly labels?: Record<string, string>;
  readonly publishNotReadyAddresses?: boolean;
  readonly uid?: string;
}

/** A ClusterIP service, selector app=web, one unnamed port 80 → 8080 unless told otherwise. */
export function service(name: string, f: ServiceFixture = {}): Service {
  const clusterIP = f.clusterIP ?? '10.96.0.20';
  const s: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: f.namespace ?? 'default',
      uid: f.uid ?? `uid-svc-${name}`,
      resourceVersion: '1',
    },
    spec: {
      type: 'ClusterIP',
      ports: f.ports ?? [{ port: 80, targetPort: 8080, protocol: 'TCP' }],
      clusterIP,
      clusterIPs: [clusterIP],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
    },
  };
  if (s.spec) {
    if (!('selector' in f)) s.spec.selector = { app: 'web' };
    else if (f.selector !== undefined) s.spec.selector = f.selector;
    if (f.publishNotReadyAddresses !== undefined)
      s.spec.publishNotReadyAddresses = f.publishNotReadyAddresses;
  }
  if (f.labels !== undefined) s.metadata.labels = f.labels;
  return s;
}

/** A Ready node, optionally in a zone. */
export function node(
  name: string,
  f: { zone?: string; ready?: boolean; labels?: Record<string, string> } = {},
): Node {
  const labels: Record<string, string> = { 'kubernetes.io/hostname': name, ...f.labels };
  if (f.zone !== undefined) labels['topology.kubernetes.io/zone'] = f.zone;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-node-${name}`, resourceVersion: '1', labels },
    spec: {},
    status: {
      conditions: [{ type: 'Ready', status: f.ready === false ? 'False' : 'True' }],
      addresses: [{ type: 'InternalIP', address: '192.0.2.10' }],
    },
  };
}

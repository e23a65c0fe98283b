/**
 * The resource table shared by the API server (routes, discovery, storage keys) and the client
 * (URLs). One entry per served resource; adding a kind starts here.
 */

export type Subresource =
  | 'status'
  | 'scale'
  | 'log'
  | 'exec'
  | 'attach'
  | 'portforward'
  | 'proxy'
  | 'binding'
  | 'eviction'
  | 'finalize';

export interface ResourceType {
  /** API group; '' for core. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly listKind: string;
  /** Plural, lower-case: the URL segment. */
  readonly resource: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly subresources: readonly Subresource[];
  /**
   * Set on an older group-version served for compatibility (extensions/v1beta1 Ingress): objects
   * are stored as this resource and converted on the way in and out.
   */
  readonly storageResource?: ResourceName;
}

const allVerbs = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
] as const;
/** Verbs every resource here supports. */
export const resourceVerbs: readonly string[] = allVerbs;

function rt(
  group: string,
  version: string,
  kind: string,
  resource: string,
  opts: {
    namespaced?: boolean;
    shortNames?: string[];
    categories?: string[];
    subresources?: Subresource[];
  } = {},
): ResourceType {
  return {
    group,
    version,
    kind,
    listKind: `${kind}List`,
    resource,
    singular: kind.toLowerCase(),
    namespaced: opts.namespaced ?? true,
    shortNames: opts.shortNames ?? [],
    categories: opts.categories ?? [],
    subresources: opts.subresources ?? [],
  };
}

/** Every resource Portico serves, by plural name. Core resources first, alphabetically (the `get all` order of a real cluster). */
export const resources = {
  configmaps: rt('', 'v1', 'ConfigMap', 'configmaps', { shortNames: ['cm'] }),
  endpoints: rt('', 'v1', 'Endpoints', 'endpoints', { shortNames: ['ep'] }),
  events: rt('', 'v1', 'Event', 'events', { shortNames: ['ev'] }),
  namespaces: rt('', 'v1', 'Namespace', 'namespaces', {
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status', 'finalize'],
  }),
  nodes: rt('', 'v1', 'Node', 'nodes', {
    namespaced: false,
    shortNames: ['no'],
    subresources: ['status', 'proxy'],
  }),
  pods: rt('', 'v1', 'Pod', 'pods', {
    shortNames: ['po'],
    categories: ['all'],
    subresources: [
      'status',
      'log',
      'exec',
      'attach',
      'portforward',
      'proxy',
      'binding',
      'eviction',
    ],
  }),
  replicationcontrollers: rt('', 'v1', 'ReplicationController', 'replicationcontrollers', {
    shortNames: ['rc'],
    categories: ['all'],
    subresources: ['status', 'scale'],
  }),
  secrets: rt('', 'v1', 'Secret', 'secrets'),
  serviceaccounts: rt('', 'v1', 'ServiceAccount', 'serviceaccounts', { shortNames: ['sa'] }),
  services: rt('', 'v1', 'Service', 'services', {
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status', 'proxy'],
  }),
  deployments: rt('apps', 'v1', 'Deployment', 'deployments', {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['status', 'scale'],
  }),
  replicasets: rt('apps', 'v1', 'ReplicaSet', 'replicasets', {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['status', 'scale'],
  }),
  leases: rt('coordination.k8s.io', 'v1', 'Lease', 'leases'),
  endpointslices: rt('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices'),
  ingressclasses: rt('networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', {
    namespaced: false,
  }),
  ingresses: rt('networking.k8s.io', 'v1', 'Ingress', 'ingresses', {
    shortNames: ['ing'],
    subresources: ['status'],
  }),
} as const satisfies Record<string, ResourceType>;

export type ResourceName = keyof typeof resources;

/**
 * The seeds' `extensions/v1beta1` Ingress (serviceName/servicePort), served for compatibility and
 * stored as networking.k8s.io/v1. No short names: kubectl warns when two resources share one.
 */
export const extensionsIngresses: ResourceType = {
  ...rt('extensions', 'v1beta1', 'Ingress', 'ingresses', { subresources: ['status'] }),
  storageResource: 'ingresses',
};

/** All resources, in discovery order (the compatibility versions last). */
export const allResources: readonly ResourceType[] = [
  ...Object.values(resources),
  extensionsIngresses,
];

/** The resource objects of `rt` are stored as (itself, or the storage version of a compatibility version). */
export function storageResourceOf(rt: ResourceType): ResourceType {
  return rt.storageResource === undefined ? rt : resources[rt.storageResource];
}

/** `v1` for core, `group/version` otherwise: the apiVersion field of objects. */
export function apiVersionOf(rt: Pick<ResourceType, 'group' | 'version'>): string {
  return rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
}

/** The resource served for an apiVersion and kind, if any. */
export function resourceForKind(apiVersion: string, kind: string): ResourceType | undefined {
  return allResources.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}

/** API groups other than core, in discovery priority order. */
export const apiGroups: readonly string[] = [
  ...new Set(allResources.map((r) => r.group).filter((g) => g !== '')),
];

/** The URL path of a collection or object: `/api/v1/namespaces/ns/services/name`. */
export function resourcePath(
  rt: ResourceType,
  options: {
    namespace?: string | undefined;
    name?: string | undefined;
    subresource?: string | undefined;
  } = {},
): string {
  let p = rt.group === '' ? `/api/${rt.version}` : `/apis/${rt.group}/${rt.version}`;
  if (rt.namespaced && options.namespace !== undefined)
    p += `/namespaces/${encodeURIComponent(options.namespace)}`;
  p += `/${rt.resource}`;
  if (options.name !== undefined) p += `/${encodeURIComponent(options.name)}`;
  if (options.subresource !== undefined) p += `/${options.subresource}`;
  return p;
}

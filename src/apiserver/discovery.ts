/**
 * Discovery documents: aggregated discovery (apidiscovery.k8s.io v2 and v2beta1, served with the
 * exact content types kubectl requires — plain application/json makes kubectl find no
 * resources) and the legacy APIVersions / APIGroupList / APIGroup / APIResourceList that older
 * clients fall back to.
 */
import { allResources, resourceVerbs, type ResourceType, type Subresource } from '../api/scheme.js';

export const aggregatedContentTypeV2 =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const aggregatedContentTypeV2beta1 =
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

interface Kind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** What each subresource answers with and which verbs it takes (as kube-apiserver reports them). */
function subresourceInfo(rt: ResourceType, sub: Subresource): { kind: Kind; verbs: string[] } {
  const self = { group: rt.group, version: rt.version, kind: rt.kind };
  const core = (kind: string): Kind => ({ group: '', version: 'v1', kind });
  switch (sub) {
    case 'status':
      return { kind: self, verbs: ['get', 'patch', 'update'] };
    case 'scale':
      return {
        kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
        verbs: ['get', 'patch', 'update'],
      };
    case 'log':
      return { kind: self, verbs: ['get'] };
    case 'exec':
      return { kind: core('PodExecOptions'), verbs: ['create', 'get'] };
    case 'attach':
      return { kind: core('PodAttachOptions'), verbs: ['create', 'get'] };
    case 'portforward':
      return { kind: core('PodPortForwardOptions'), verbs: ['create', 'get'] };
    case 'proxy':
      return {
        kind: core(`${rt.kind}ProxyOptions`),
        verbs: ['create', 'delete', 'get', 'patch', 'update'],
      };
    case 'binding':
      return { kind: core('Binding'), verbs: ['create'] };
    case 'eviction':
      return { kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] };
    case 'finalize':
      return { kind: self, verbs: ['update'] };
  }
}

/** Group-versions in priority order: core first, then the groups, compatibility versions last. */
function groupVersions(): { group: string; version: string; resources: ResourceType[] }[] {
  const out: { group: string; version: string; resources: ResourceType[] }[] = [];
  for (const rt of allResources) {
    let gv = out.find((g) => g.group === rt.group && g.version === rt.version);
    if (!gv) {
      gv = { group: rt.group, version: rt.version, resources: [] };
      out.push(gv);
    }
    gv.resources.push(rt);
  }
  return out;
}

function aggregatedResource(rt: ResourceType): Record<string, unknown> {
  const r: Record<string, unknown> = {
    resource: rt.resource,
    responseKind: { group: rt.group, version: rt.version, kind: rt.kind },
    scope: rt.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: rt.singular,
    verbs: [...resourceVerbs],
  };
  if (rt.shortNames.length > 0) r['shortNames'] = [...rt.shortNames];
  if (rt.categories.length > 0) r['categories'] = [...rt.categories];
  if (rt.subresources.length > 0) {
    r['subresources'] = rt.subresources.map((sub) => {
      const info = subresourceInfo(rt, sub);
      return { subresource: sub, responseKind: info.kind, verbs: info.verbs };
    });
  }
  return r;
}

/**
 * GET /api (`which: 'api'`, the core group) or GET /apis (every other group) as an
 * APIGroupDiscoveryList.
 */
export function aggregatedDiscovery(
  which: 'api' | 'apis',
  version: 'v2' | 'v2beta1',
): Record<string, unknown> {
  const gvs = groupVersions().filter((gv) => (which === 'api' ? gv.group === '' : gv.group !== ''));
  const groups: { name: string; versions: Record<string, unknown>[] }[] = [];
  for (const gv of gvs) {
    let g = groups.find((x) => x.name === gv.group);
    if (!g) {
      g = { name: gv.group, versions: [] };
      groups.push(g);
    }
    g.versions.push({
      version: gv.version,
      resources: gv.resources.map(aggregatedResource),
      freshness: 'Current',
    });
  }
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((g) => ({ metadata: { name: g.name }, versions: g.versions })),
  };
}

/** Which aggregated discovery version an Accept header asks for, if any (v2 preferred). */
export function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  const parts = accept.split(',').map((p) => p.replace(/\s+/g, ''));
  if (
    parts.some(
      (p) =>
        p.includes('g=apidiscovery.k8s.io') &&
        p.includes('v=v2;') &&
        p.includes('as=APIGroupDiscoveryList'),
    )
  )
    return 'v2';
  if (
    parts.some(
      (p) =>
        p.includes('g=apidiscovery.k8s.io') &&
        p.includes('v=v2beta1') &&
        p.includes('as=APIGroupDiscoveryList'),
    )
  )
    return 'v2beta1';
  return undefined;
}

/** GET /api (legacy). */
export function legacyApiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroupOf(group: string): Record<string, unknown> | undefined {
  const versions = groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: `${group}/${gv.version}`, version: gv.version }));
  if (versions.length === 0) return undefined;
  return { name: group, versions, preferredVersion: versions[0] };
}

/** GET /apis (legacy). */
export function legacyApiGroupList(): Record<string, unknown> {
  const names = [...new Set(groupVersions().map((gv) => gv.group))].filter((g) => g !== '');
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: names.map(apiGroupOf) };
}

/** GET /apis/{group}, or undefined when the group is not served. */
export function legacyApiGroup(group: string): Record<string, unknown> | undefined {
  const g = apiGroupOf(group);
  return g && group !== '' ? { kind: 'APIGroup', apiVersion: 'v1', ...g } : undefined;
}

/** GET /api/v1 or /apis/{group}/{version} (legacy), or undefined when not served. */
export function legacyResourceList(
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const rts = allResources.filter((r) => r.group === group && r.version === version);
  if (rts.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const r of rts) {
    const main: Record<string, unknown> = {
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: [...resourceVerbs],
    };
    if (r.shortNames.length > 0) main['shortNames'] = [...r.shortNames];
    if (r.categories.length > 0) main['categories'] = [...r.categories];
    resources.push(main);
    for (const sub of r.subresources) {
      const info = subresourceInfo(r, sub);
      const entry: Record<string, unknown> = {
        name: `${r.resource}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        kind: info.kind.kind,
        verbs: info.verbs,
      };
      if (info.kind.group !== r.group || info.kind.version !== r.version) {
        entry['group'] = info.kind.group;
        entry['version'] = info.kind.version;
      }
      resources.push(entry);
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources,
  };
}

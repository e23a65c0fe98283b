/**
 * Discovery documents: aggregated discovery (apidiscovery.k8s.io v2 and v2beta1, with the exact
 * content types kubectl requires) and the legacy APIVersions / APIGroupList / APIResourceList.
 * (Stub: legacy discovery only, until the full version lands.)
 */
import { allResources, apiGroups, resourceVerbs } from '../api/scheme.js';

export const aggregatedContentTypeV2 =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const aggregatedContentTypeV2beta1 =
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

/** GET /api (legacy). */
export function legacyApiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** GET /apis (legacy). */
export function legacyApiGroupList(): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: apiGroups.map((g) => {
      const version = allResources.find((r) => r.group === g)?.version ?? 'v1';
      const gv = { groupVersion: `${g}/${version}`, version };
      return { name: g, versions: [gv], preferredVersion: gv };
    }),
  };
}

/** GET /api/v1 or /apis/{group}/{version} (legacy), or undefined when not served. */
export function legacyResourceList(
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const rts = allResources.filter((r) => r.group === group && r.version === version);
  if (rts.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources: rts.map((r) => ({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: resourceVerbs,
      shortNames: r.shortNames,
      categories: r.categories,
    })),
  };
}

/**
 * /openapi/v3: the index and one document per group-version. kubectl's default validation
 * (`create -f`, `apply -f`) needs each resource's PATCH operation to list the `fieldValidation`
 * query parameter; `kubectl explain` needs the schemas. (Stub until the schema lands: paths
 * only, no schemas.)
 */
import { createHash } from 'node:crypto';
import { allResources, resourcePath, type ResourceType } from '../../api/scheme.js';

/** `api/v1`, `apis/apps/v1`: the keys of the index. */
function gvKey(rt: ResourceType): string {
  return rt.group === '' ? `api/${rt.version}` : `apis/${rt.group}/${rt.version}`;
}

/** The document of one group-version, or undefined when we serve none. */
export function openapiV3Document(key: string): Record<string, unknown> | undefined {
  const rts = allResources.filter((rt) => gvKey(rt) === key);
  if (rts.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const rt of rts) {
    const objectPath = resourcePath(rt, {
      namespace: rt.namespaced ? '{namespace}' : undefined,
      name: '{name}',
    })
      .replace('%7Bnamespace%7D', '{namespace}')
      .replace('%7Bname%7D', '{name}');
    const gvk = { group: rt.group, version: rt.version, kind: rt.kind };
    const op = (action: string) => ({
      operationId: `${action}${rt.kind}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      parameters: [
        { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
      ],
      responses: {},
    });
    paths[objectPath] = { patch: op('patch'), put: op('put') };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas: {} },
  };
}

/** The index: `{paths: {"api/v1": {serverRelativeURL: "/openapi/v3/api/v1?hash=…"}}}`. */
export function openapiV3Index(): { paths: Record<string, { serverRelativeURL: string }> } {
  const keys = [...new Set(allResources.map(gvKey))];
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const key of keys) {
    const hash = createHash('sha512')
      .update(JSON.stringify(openapiV3Document(key)))
      .digest('hex')
      .slice(0, 128)
      .toUpperCase();
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { paths };
}

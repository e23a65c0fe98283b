/**
 * /openapi/v3: the index and one document per group-version, built from the schema.
 *
 * What kubectl needs from them:
 * - default validation (`create -f`, `apply -f`): each kind's PATCH operation carries
 *   `x-kubernetes-group-version-kind` and the `fieldValidation` query parameter (kubectl then
 *   sends `fieldValidation=Strict` and leaves validation to the server);
 * - `kubectl apply` (client-side): the patch strategies and merge keys of each field
 *   (`x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`) to compute strategic merge
 *   patches, resolved through `allOf: [{$ref}]` as kube-apiserver writes them;
 * - `kubectl explain`: the schemas, with the kinds marked by `x-kubernetes-group-version-kind`.
 *
 * Documents are pure functions of the schema: built once, and the index's `hash` changes only
 * when a document does (clients cache documents by URL).
 */
import { createHash } from 'node:crypto';
import type { Field, ObjectType, Schema } from '../../api/schema/dsl.js';
import { kindSchema, schemaRegistry } from '../../api/schema/registry.js';
import {
  allResources,
  resourcePath,
  type ResourceType,
  type Subresource,
} from '../../api/scheme.js';

type Json = Record<string, unknown>;

const metaPkg = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

/** Named components for the special scalars, as kube-apiserver names them. */
const specialComponents: Readonly<Record<string, { name: string; schema: Json }>> = {
  time: {
    name: `${metaPkg}.Time`,
    schema: {
      type: 'string',
      format: 'date-time',
      description: 'Time is an RFC 3339 date and time in UTC, precise to the second.',
    },
  },
  microtime: {
    name: `${metaPkg}.MicroTime`,
    schema: {
      type: 'string',
      format: 'date-time',
      description: 'MicroTime is an RFC 3339 date and time in UTC, precise to the microsecond.',
    },
  },
  quantity: {
    name: 'io.k8s.apimachinery.pkg.api.resource.Quantity',
    schema: {
      oneOf: [{ type: 'string' }, { type: 'number' }],
      description:
        'A fixed-point number with an optional SI or binary suffix: 100m, 1.5, 64Mi, 2Gi.',
    },
  },
  intstr: {
    name: 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    // No `type`: kubectl explain then names it IntOrString, as with kube-apiserver's document.
    schema: {
      format: 'int-or-string',
      'x-kubernetes-int-or-string': true,
      description: 'A number or a string: a port number or a port name.',
    },
  },
  any: {
    name: 'io.k8s.apimachinery.pkg.runtime.RawExtension',
    schema: { type: 'object', description: 'Arbitrary JSON.' },
  },
};

function gvKey(rt: Pick<ResourceType, 'group' | 'version'>): string {
  return rt.group === '' ? `api/${rt.version}` : `apis/${rt.group}/${rt.version}`;
}

/** The OpenAPI schema of a value; `needed` collects the component names it refers to. */
function valueSchema(s: Schema, needed: Set<string>): Json {
  switch (s.kind) {
    case 'scalar':
      switch (s.type) {
        case 'string':
        case 'duration':
          return { type: 'string' };
        case 'int32':
        case 'int64':
          return { type: 'integer', format: s.type };
        case 'bool':
          return { type: 'boolean' };
        case 'float64':
          return { type: 'number', format: 'double' };
        case 'bytes':
          return { type: 'string', format: 'byte' };
        default: {
          const c = specialComponents[s.type];
          if (!c) return {};
          needed.add(c.name);
          return ref(c.name);
        }
      }
    case 'list': {
      const out: Json = { type: 'array', items: valueSchema(s.items, needed) };
      out['x-kubernetes-list-type'] = s.listType;
      if (s.listType === 'map') out['x-kubernetes-list-map-keys'] = [...s.keys];
      return out;
    }
    case 'map': {
      const out: Json = { type: 'object', additionalProperties: valueSchema(s.values, needed) };
      if (s.atomic) out['x-kubernetes-map-type'] = 'atomic';
      return out;
    }
    case 'object': {
      const t = schemaRegistry().type(s.type);
      needed.add(t.openapiName);
      return ref(t.openapiName);
    }
  }
}

function fieldSchema(f: Field, needed: Set<string>): Json {
  let out = valueSchema(f.schema, needed);
  if ('$ref' in out) out = { allOf: [out] };
  if (f.schema.kind === 'list' && f.schema.items.kind === 'object') {
    out = { ...out, items: { allOf: [out['items']], default: {} } };
  }
  if (f.description) out = { ...out, description: f.description };
  if (f.default !== undefined) out = { ...out, default: f.default };
  if (f.patchStrategy.length > 0) out['x-kubernetes-patch-strategy'] = f.patchStrategy.join(',');
  if (f.patchMergeKey !== undefined) out['x-kubernetes-patch-merge-key'] = f.patchMergeKey;
  return out;
}

function typeSchema(t: ObjectType, needed: Set<string>): Json {
  const properties: Json = {};
  for (const f of t.fields.values()) properties[f.name] = fieldSchema(f, needed);
  const out: Json = { type: 'object' };
  if (t.description) out['description'] = t.description;
  out['properties'] = properties;
  if (t.required.length > 0) out['required'] = [...t.required];
  if (t.atomic) out['x-kubernetes-map-type'] = 'atomic';
  return out;
}

/** The GVKs whose root type is `t` (one, or none for nested types). */
function gvkOf(t: ObjectType): Json[] {
  const seen = new Set<string>();
  const out: Json[] = [];
  const extra = [{ group: 'autoscaling', version: 'v1', kind: 'Scale' }];
  for (const rt of [...allResources, ...extra]) {
    if (kindSchema(rt)?.name !== t.name) continue;
    const key = `${rt.group}/${rt.version}/${rt.kind}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ group: rt.group, kind: rt.kind, version: rt.version });
  }
  return out;
}

function components(roots: Iterable<string>): Json {
  const needed = new Set<string>(roots);
  const schemas: Json = {};
  const byOpenapi = new Map(
    schemaRegistry()
      .all()
      .map((t) => [t.openapiName, t]),
  );
  const specials = new Map(Object.values(specialComponents).map((c) => [c.name, c.schema]));
  const done = new Set<string>();
  let progress = true;
  while (progress) {
    progress = false;
    for (const name of [...needed]) {
      if (done.has(name)) continue;
      done.add(name);
      progress = true;
      const t = byOpenapi.get(name);
      if (t) {
        const s = typeSchema(t, needed);
        const gvk = gvkOf(t);
        if (gvk.length > 0) s['x-kubernetes-group-version-kind'] = gvk;
        schemas[name] = s;
      } else schemas[name] = specials.get(name) ?? { type: 'object' };
    }
  }
  const sorted: Json = {};
  for (const k of Object.keys(schemas).sort()) sorted[k] = schemas[k];
  return sorted;
}

const patchTypes = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

function param(
  name: string,
  description: string,
  where: 'query' | 'path' = 'query',
  type = 'string',
): Json {
  return {
    name,
    in: where,
    description,
    ...(where === 'path' ? { required: true } : {}),
    schema: { type, uniqueItems: true },
  };
}

const fieldValidation = param(
  'fieldValidation',
  'How the server handles unknown or duplicate fields: Ignore (drop them), Warn (drop them and send a Warning header; the default) or Strict (fail the request).',
);
const dryRun = param(
  'dryRun',
  'When present (value All), run every stage of the request but persist nothing.',
);
const fieldManager = param(
  'fieldManager',
  'Name of the actor making the change, recorded in managedFields. Required for apply patches.',
);
const force = param(
  'force',
  'Apply patches only: take ownership of conflicting fields from other managers.',
  'query',
  'boolean',
);
const pretty = param('pretty', "If 'true', the output is pretty printed.");

function pascal(s: string): string {
  return s
    .split(/[.-]/)
    .map((p) => (p === 'k8s' || p === 'io' ? '' : p.charAt(0).toUpperCase() + p.slice(1)))
    .join('');
}

function operations(
  rt: ResourceType,
  sub: Subresource | undefined,
  kindRef: Json,
  gvk: Json,
): Json {
  const gv =
    rt.group === '' ? `Core${pascal(rt.version)}` : `${pascal(rt.group)}${pascal(rt.version)}`;
  const ns = rt.namespaced ? 'Namespaced' : '';
  const suffix = sub ? pascal(sub) : '';
  const body = (types: string[], schema: Json): Json => ({
    required: true,
    content: Object.fromEntries(types.map((t) => [t, { schema }])),
  });
  const ok = (schema: Json): Json => ({
    '200': {
      description: 'OK',
      content: {
        'application/json': { schema },
        'application/yaml': { schema },
        'application/vnd.kubernetes.protobuf': { schema },
      },
    },
    '401': { description: 'Unauthorized' },
  });
  const op = (action: string, verb: string, extra: Json): Json => ({
    description: `${verb} the specified ${rt.kind}${sub ? ` ${sub}` : ''}`,
    operationId: `${verb}${gv}${ns}${rt.kind}${suffix}`,
    tags: [
      rt.group === ''
        ? `core_${rt.version}`
        : `${rt.group.split('.')[0] ?? rt.group}_${rt.version}`,
    ],
    ...extra,
    responses: ok(kindRef),
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  });
  return {
    get: op('get', 'read', {}),
    put: op('put', 'replace', {
      parameters: [dryRun, fieldManager, fieldValidation],
      requestBody: body(['*/*'], kindRef),
    }),
    patch: op('patch', 'patch', {
      parameters: [dryRun, fieldManager, fieldValidation, force],
      requestBody: body(patchTypes, ref(`${metaPkg}.Patch`)),
    }),
  };
}

function pathsFor(rts: readonly ResourceType[]): Json {
  const paths: Json = {};
  const template = (rt: ResourceType, name?: string, sub?: string, allNamespaces = false): string =>
    resourcePath(rt, {
      namespace: rt.namespaced && !allNamespaces ? '{namespace}' : undefined,
      name,
      subresource: sub,
    })
      .replace('%7Bnamespace%7D', '{namespace}')
      .replace('%7Bname%7D', '{name}');
  const common = (rt: ResourceType, withName: boolean): Json[] => [
    ...(withName ? [param('name', `name of the ${rt.kind}`, 'path')] : []),
    ...(rt.namespaced
      ? [param('namespace', 'object name and auth scope, such as for teams and projects', 'path')]
      : []),
    pretty,
  ];
  for (const rt of rts) {
    const t = kindSchema(rt);
    if (!t) continue;
    const kindRef = ref(t.openapiName);
    const gvk = { group: rt.group, version: rt.version, kind: rt.kind };
    const gv =
      rt.group === '' ? `Core${pascal(rt.version)}` : `${pascal(rt.group)}${pascal(rt.version)}`;
    const ns = rt.namespaced ? 'Namespaced' : '';
    paths[template(rt)] = {
      get: {
        description: `list or watch objects of kind ${rt.kind}`,
        operationId: `list${gv}${ns}${rt.kind}`,
        responses: { '200': { description: 'OK' } },
        'x-kubernetes-action': 'list',
        'x-kubernetes-group-version-kind': gvk,
      },
      post: {
        description: `create a ${rt.kind}`,
        operationId: `create${gv}${ns}${rt.kind}`,
        parameters: [dryRun, fieldManager, fieldValidation],
        requestBody: { required: true, content: { '*/*': { schema: kindRef } } },
        responses: {
          '200': { description: 'OK' },
          '201': { description: 'Created' },
          '202': { description: 'Accepted' },
        },
        'x-kubernetes-action': 'post',
        'x-kubernetes-group-version-kind': gvk,
      },
      delete: {
        description: `delete collection of ${rt.kind}`,
        operationId: `deletecollection${gv}${ns}${rt.kind}`,
        responses: { '200': { description: 'OK' } },
        'x-kubernetes-action': 'deletecollection',
        'x-kubernetes-group-version-kind': gvk,
      },
      parameters: common(rt, false),
    };
    paths[template(rt, '{name}')] = {
      ...operations(rt, undefined, kindRef, gvk),
      delete: {
        description: `delete a ${rt.kind}`,
        operationId: `delete${gv}${ns}${rt.kind}`,
        responses: { '200': { description: 'OK' }, '202': { description: 'Accepted' } },
        'x-kubernetes-action': 'delete',
        'x-kubernetes-group-version-kind': gvk,
      },
      parameters: common(rt, true),
    };
    for (const sub of rt.subresources) {
      if (sub !== 'status' && sub !== 'scale') continue;
      const subKind =
        sub === 'scale' ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : gvk;
      const subType = sub === 'scale' ? 'io.k8s.api.autoscaling.v1.Scale' : t.openapiName;
      paths[template(rt, '{name}', sub)] = {
        ...operations(rt, sub, ref(subType), subKind),
        parameters: common(rt, true),
      };
    }
    if (rt.namespaced) {
      paths[template(rt, undefined, undefined, true)] = {
        get: {
          description: `list or watch objects of kind ${rt.kind} in all namespaces`,
          operationId: `list${gv}${rt.kind}ForAllNamespaces`,
          responses: { '200': { description: 'OK' } },
          'x-kubernetes-action': 'list',
          'x-kubernetes-group-version-kind': gvk,
        },
        parameters: [pretty],
      };
    }
  }
  return paths;
}

function buildDocument(key: string): Json | undefined {
  const rts = allResources.filter((rt) => gvKey(rt) === key);
  if (rts.length === 0) return undefined;
  const roots = new Set<string>([`${metaPkg}.Patch`, `${metaPkg}.Status`]);
  for (const rt of rts) {
    const t = kindSchema(rt);
    if (t) roots.add(t.openapiName);
    if (rt.subresources.includes('scale')) roots.add('io.k8s.api.autoscaling.v1.Scale');
  }
  const schemas = components(
    [...roots].filter((r) => !r.endsWith('.Patch') && !r.endsWith('.Status')),
  );
  schemas[`${metaPkg}.Patch`] = {
    type: 'object',
    description:
      'The body of a PATCH request: a JSON patch, merge patch, strategic merge patch or apply configuration.',
  };
  schemas[`${metaPkg}.Status`] = {
    type: 'object',
    description: 'The result of an operation that does not return an object, and every error.',
  };
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths: pathsFor(rts),
    components: {
      schemas,
      securitySchemes: {
        BearerToken: {
          type: 'apiKey',
          name: 'authorization',
          in: 'header',
          description: 'Bearer token authentication',
        },
      },
    },
    security: [{ BearerToken: [] }],
  };
}

interface Built {
  readonly docs: ReadonlyMap<string, { json: Json; hash: string }>;
}
let built: Built | undefined;

function build(): Built {
  if (built) return built;
  const docs = new Map<string, { json: Json; hash: string }>();
  for (const key of new Set(allResources.map(gvKey))) {
    const json = buildDocument(key);
    if (!json) continue;
    const hash = createHash('sha512').update(JSON.stringify(json)).digest('hex').toUpperCase();
    docs.set(key, { json, hash });
  }
  built = { docs };
  return built;
}

/** The document of one group-version (`api/v1`, `apis/apps/v1`), or undefined when we serve none. */
export function openapiV3Document(key: string): Record<string, unknown> | undefined {
  return build().docs.get(key)?.json;
}

/** The hash clients cache a group-version's document under (changes with the document). */
export function openapiV3Hash(key: string): string | undefined {
  return build().docs.get(key)?.hash;
}

/** The index: `{paths: {"api/v1": {serverRelativeURL: "/openapi/v3/api/v1?hash=…"}}}`. */
export function openapiV3Index(): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [key, d] of build().docs)
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${d.hash}` };
  return { paths };
}

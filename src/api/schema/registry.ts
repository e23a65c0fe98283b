/**
 * The schema of every kind Portico serves: one source for strict field validation, patches,
 * server-side apply, protobuf decoding and OpenAPI. Compiled once from the tables in `defs/`.
 */
import type { ResourceType } from '../scheme.js';
import { appsTypes } from './defs/apps.js';
import { autoscalingTypes } from './defs/autoscaling.js';
import { coordinationTypes } from './defs/coordination.js';
import { corePodTypes } from './defs/core-pod.js';
import { coreVolumeTypes } from './defs/core-volumes.js';
import { coreTypes } from './defs/core.js';
import { discoveryTypes } from './defs/discovery.js';
import { extensionsTypes } from './defs/extensions.js';
import { metaTypes } from './defs/meta.js';
import { networkingTypes } from './defs/networking.js';
import { descriptions } from './docs.js';
import {
  parseField,
  SchemaError,
  type Field,
  type ObjectType,
  type Schema,
  type TypeDefs,
} from './dsl.js';

interface PackageDef {
  /** The prefix of OpenAPI component names. */
  readonly openapi: string;
  readonly types: TypeDefs;
}

const packages: Readonly<Record<string, PackageDef>> = {
  'meta.v1': { openapi: 'io.k8s.apimachinery.pkg.apis.meta.v1', types: metaTypes },
  'core.v1': {
    openapi: 'io.k8s.api.core.v1',
    types: { ...coreTypes, ...corePodTypes, ...coreVolumeTypes },
  },
  'apps.v1': { openapi: 'io.k8s.api.apps.v1', types: appsTypes },
  'networking.v1': { openapi: 'io.k8s.api.networking.v1', types: networkingTypes },
  'extensions.v1beta1': { openapi: 'io.k8s.api.extensions.v1beta1', types: extensionsTypes },
  'discovery.v1': { openapi: 'io.k8s.api.discovery.v1', types: discoveryTypes },
  'coordination.v1': { openapi: 'io.k8s.api.coordination.v1', types: coordinationTypes },
  'autoscaling.v1': { openapi: 'io.k8s.api.autoscaling.v1', types: autoscalingTypes },
};

/** The package of a group-version: `''`/`v1` → `core.v1`, `networking.k8s.io`/`v1` → `networking.v1`. */
export function packageOf(group: string, version: string): string {
  const g = group === '' ? 'core' : (group.split('.')[0] ?? group);
  return `${g}.${version}`;
}

export interface SchemaRegistry {
  /** @throws SchemaError for a name no table defines */
  type(name: string): ObjectType;
  find(name: string): ObjectType | undefined;
  all(): readonly ObjectType[];
}

function compile(): SchemaRegistry {
  const types = new Map<string, ObjectType>();
  const pending: { obj: ObjectType; inline: { type: string; proto: number }[] }[] = [];
  for (const [pkg, def] of Object.entries(packages)) {
    for (const [shortName, td] of Object.entries(def.types)) {
      const name = `${pkg}.${shortName}`;
      const required = td.required ?? [];
      const fields = new Map<string, Field>();
      const protoFields = new Map<number, Field>();
      for (const [fname, spec] of Object.entries(td.fields)) {
        const f = parseField(fname, spec, pkg, required.includes(fname));
        f.description = descriptions[`${name}.${fname}`] ?? '';
        fields.set(fname, f);
        if (f.proto !== undefined) protoFields.set(f.proto, f);
      }
      const inline = (td.inline ?? []).map((s) => {
        const [t, p] = s.split(' ');
        if (!t || !p) throw new SchemaError(`${name}: bad inline ${s}`);
        return { type: t.includes('.') ? t : `${pkg}.${t}`, proto: Number(p) };
      });
      const obj: ObjectType = {
        name,
        shortName,
        openapiName: `${def.openapi}.${shortName}`,
        fields,
        protoFields,
        protoInline: new Map(inline.map((i) => [i.proto, i.type])),
        required,
        atomic: td.atomic ?? false,
        description: descriptions[name] ?? '',
      };
      types.set(name, obj);
      pending.push({ obj, inline });
    }
  }
  // Flatten inline types into their hosts (after the host's own fields), innermost first.
  const inlineOf = new Map(pending.map((p) => [p.obj.name, p.inline]));
  const flattened = new Set<string>();
  const flatten = (obj: ObjectType, depth: number): void => {
    if (flattened.has(obj.name)) return;
    if (depth > 4) throw new SchemaError(`${obj.name}: inline nesting too deep`);
    for (const i of inlineOf.get(obj.name) ?? []) {
      const inner = types.get(i.type);
      if (!inner) throw new SchemaError(`${obj.name}: inline type ${i.type} is not defined`);
      flatten(inner, depth + 1);
      for (const [k, f] of inner.fields) (obj.fields as Map<string, Field>).set(k, f);
    }
    flattened.add(obj.name);
  };
  for (const p of pending) flatten(p.obj, 0);
  const all = [...types.values()];
  return {
    type(name) {
      const t = types.get(name);
      if (!t) throw new SchemaError(`no schema for ${name}`);
      return t;
    },
    find: (name) => types.get(name),
    all: () => all,
  };
}

let compiled: SchemaRegistry | undefined;

/** The compiled schema (built on first use; immutable afterwards). */
export function schemaRegistry(): SchemaRegistry {
  compiled ??= compile();
  return compiled;
}

/** The root type of a kind, or undefined when no table describes it. */
export function kindSchema(
  gvk: Pick<ResourceType, 'group' | 'version' | 'kind'>,
): ObjectType | undefined {
  return schemaRegistry().find(`${packageOf(gvk.group, gvk.version)}.${gvk.kind}`);
}

/** The Go-style name of a schema, for messages: `int32`, `[]v1.ServicePort`, `map[string]string`. */
export function goTypeName(schema: Schema): string {
  switch (schema.kind) {
    case 'scalar':
      switch (schema.type) {
        case 'time':
        case 'microtime':
          return 'Time';
        case 'quantity':
          return 'resource.Quantity';
        case 'intstr':
          return 'intstr.IntOrString';
        case 'bytes':
          return '[]uint8';
        case 'any':
          return 'json.RawMessage';
        case 'duration':
          return 'v1.Duration';
        default:
          return schema.type;
      }
    case 'list':
      return `[]${goTypeName(schema.items)}`;
    case 'map':
      return `map[string]${goTypeName(schema.values)}`;
    case 'object': {
      const parts = schema.type.split('.');
      return `${parts[parts.length - 2] ?? ''}.${parts[parts.length - 1] ?? ''}`;
    }
  }
}

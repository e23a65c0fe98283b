/**
 * The compact schema language the field tables in `defs/` are written in, and its compiled form.
 *
 * A field is one string, read like a Go struct tag:
 *
 *     ports: '[]ServicePort 1 map=port,protocol merge=port'
 *
 * 1. the type: a scalar (`string int32 int64 bool float64 bytes time microtime duration quantity
 *    intstr any`), a type of the same package (`ServicePort`) or of another (`meta.v1.ObjectMeta`),
 *    `[]T` for a list, `{T}` for a map with string keys; a leading `*` marks a pointer (a value
 *    whose presence matters, such as `*int32` replicas);
 * 2. the protobuf field number, `-` when the field has none (apiVersion and kind);
 * 3. flags: `!` serialized even when empty (no `omitempty`); `atomic`, `set`, `map=k1,k2` the
 *    list type of server-side apply (`atomic` on a map or object: replaced as a whole);
 *    `merge` / `merge=key` and `retainKeys` the strategic-merge-patch strategy; `default=V` the
 *    value a missing list-map key takes.
 *
 * A type may embed others inline (`inline: ['VolumeSource 2']`: its fields appear in the JSON
 * object; protobuf carries them in message field 2).
 */

/** One type of the tables: field strings by JSON name. */
export interface TypeDef {
  readonly fields: Readonly<Record<string, string>>;
  /** `Type protoNumber` of types whose fields are embedded in this one. */
  readonly inline?: readonly string[];
  /** Fields OpenAPI lists as required. */
  readonly required?: readonly string[];
  /** `+structType=atomic`: server-side apply owns the object as a whole. */
  readonly atomic?: boolean;
}

export type TypeDefs = Readonly<Record<string, TypeDef>>;

export type ScalarType =
  | 'string'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'float64'
  | 'bytes'
  | 'time'
  | 'microtime'
  | 'duration'
  | 'quantity'
  | 'intstr'
  | 'any';

const scalarTypes: ReadonlySet<string> = new Set<ScalarType>([
  'string',
  'int32',
  'int64',
  'bool',
  'float64',
  'bytes',
  'time',
  'microtime',
  'duration',
  'quantity',
  'intstr',
  'any',
]);

export type ListType = 'atomic' | 'set' | 'map';

/** The compiled type of a value. Object types are referred to by qualified name (`core.v1.Pod`). */
export type Schema =
  | { readonly kind: 'scalar'; readonly type: ScalarType }
  | {
      readonly kind: 'list';
      readonly items: Schema;
      readonly listType: ListType;
      /** The keys of a `map` list (server-side apply), in declaration order. */
      readonly keys: readonly string[];
    }
  | { readonly kind: 'map'; readonly values: Schema; readonly atomic: boolean }
  | { readonly kind: 'object'; readonly type: string };

export type PatchStrategy = 'merge' | 'retainKeys' | 'replace';

export interface Field {
  readonly name: string;
  readonly schema: Schema;
  readonly proto: number | undefined;
  /** A Go pointer: the value's presence is meaningful even when it is empty or zero. */
  readonly pointer: boolean;
  /** Serialized even when empty (the Go field has no `omitempty`). */
  readonly always: boolean;
  readonly patchStrategy: readonly PatchStrategy[];
  readonly patchMergeKey: string | undefined;
  /** The default of a list-map key field (`protocol: TCP`). */
  readonly default: string | undefined;
  readonly required: boolean;
  description: string;
}

export interface ObjectType {
  /** Qualified: `core.v1.ServiceSpec`. */
  readonly name: string;
  /** `ServiceSpec`. */
  readonly shortName: string;
  /** The OpenAPI component name: `io.k8s.api.core.v1.ServiceSpec`. */
  readonly openapiName: string;
  /** Every JSON field, the inline types' included, in declaration order. */
  readonly fields: ReadonlyMap<string, Field>;
  /** This type's own fields by protobuf number (inline types are separate messages). */
  readonly protoFields: ReadonlyMap<number, Field>;
  /** Inline types by the protobuf number of their embedded message. */
  readonly protoInline: ReadonlyMap<number, string>;
  readonly required: readonly string[];
  readonly atomic: boolean;
  description: string;
}

/** A malformed table entry: a programming error found by the schema tests. */
export class SchemaError extends Error {}

/** Parses a type expression relative to package `pkg`. */
export function parseType(expr: string, pkg: string): Schema {
  if (expr.startsWith('[]')) {
    return { kind: 'list', items: parseType(expr.slice(2), pkg), listType: 'atomic', keys: [] };
  }
  if (expr.startsWith('{') && expr.endsWith('}')) {
    return { kind: 'map', values: parseType(expr.slice(1, -1), pkg), atomic: false };
  }
  if (scalarTypes.has(expr)) return { kind: 'scalar', type: expr as ScalarType };
  if (!/^[A-Za-z][\w.]*$/.test(expr)) throw new SchemaError(`bad type expression ${expr}`);
  return { kind: 'object', type: expr.includes('.') ? expr : `${pkg}.${expr}` };
}

/** Compiles one field string (see the module comment). */
export function parseField(name: string, spec: string, pkg: string, required: boolean): Field {
  const [rawType, protoTok, ...flags] = spec.trim().split(/\s+/);
  if (rawType === undefined || protoTok === undefined) {
    throw new SchemaError(`field ${name}: want "type proto [flags]", got ${JSON.stringify(spec)}`);
  }
  const pointer = rawType.startsWith('*');
  let schema = parseType(pointer ? rawType.slice(1) : rawType, pkg);
  const proto = protoTok === '-' ? undefined : Number(protoTok);
  if (proto !== undefined && !Number.isInteger(proto)) {
    throw new SchemaError(`field ${name}: bad protobuf number ${protoTok}`);
  }
  let always = false;
  let patchMergeKey: string | undefined;
  let dflt: string | undefined;
  const patchStrategy: PatchStrategy[] = [];
  for (const flag of flags) {
    const [key, value] = flag.split('=', 2) as [string, string | undefined];
    switch (key) {
      case '!':
        always = true;
        break;
      case 'atomic':
        if (schema.kind === 'list') schema = { ...schema, listType: 'atomic' };
        else if (schema.kind === 'map') schema = { ...schema, atomic: true };
        // An atomic struct field: recorded on the type; nothing to do per field.
        break;
      case 'set':
        if (schema.kind !== 'list') throw new SchemaError(`field ${name}: set on a non-list`);
        schema = { ...schema, listType: 'set' };
        break;
      case 'map':
        if (schema.kind !== 'list' || !value) {
          throw new SchemaError(`field ${name}: map=keys needs a list and keys`);
        }
        schema = { ...schema, listType: 'map', keys: value.split(',') };
        break;
      case 'merge':
        patchStrategy.push('merge');
        if (value) patchMergeKey = value;
        break;
      case 'retainKeys':
      case 'replace':
        patchStrategy.push(key);
        break;
      case 'default':
        dflt = value;
        break;
      default:
        throw new SchemaError(`field ${name}: unknown flag ${flag}`);
    }
  }
  return {
    name,
    schema,
    proto,
    pointer,
    always,
    patchStrategy,
    patchMergeKey,
    default: dflt,
    required,
    description: '',
  };
}

/**
 * Server-side field validation (`?fieldValidation=Strict|Warn|Ignore`) and the type checks every
 * decode does, driven by the kind's schema. Paths and messages follow kube-apiserver's
 * (sigs.k8s.io/json strict decoding): `unknown field "spec.ports[0].bogus"`,
 * `duplicate field "metadata.name"`, and Go's `json: cannot unmarshal string into Go struct field
 * ServicePort.spec.ports.port of type int32`.
 */
import type { ObjectType, Schema } from '../../api/schema/dsl.js';
import { goTypeName, kindSchema, schemaRegistry } from '../../api/schema/registry.js';
import { isObject, joinPath } from '../../api/schema/walk.js';
import type { ResourceType } from '../../api/scheme.js';

/** What the schema lookups need of a resource: its group, version and kind. */
export type KindRef = Pick<ResourceType, 'group' | 'version' | 'kind'>;

/** kube stops collecting strict errors after this many (sigs.k8s.io/json). */
const maxStrictErrors = 100;

function walkUnknown(v: unknown, s: Schema, path: string, out: string[], prune: boolean): void {
  if (out.length >= maxStrictErrors && !prune) return;
  switch (s.kind) {
    case 'scalar':
      return;
    case 'list':
      if (Array.isArray(v))
        v.forEach((x, i) => walkUnknown(x, s.items, `${path}[${i}]`, out, prune));
      return;
    case 'map':
      if (isObject(v))
        for (const [k, x] of Object.entries(v))
          walkUnknown(x, s.values, joinPath(path, k), out, prune);
      return;
    case 'object': {
      if (!isObject(v)) return;
      const t = schemaRegistry().type(s.type);
      for (const [k, x] of Object.entries(v)) {
        const f = t.fields.get(k);
        if (!f) {
          if (out.length < maxStrictErrors) out.push(joinPath(path, k));
          // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- pruning the unknown key
          if (prune) delete v[k];
          continue;
        }
        walkUnknown(x, f.schema, joinPath(path, k), out, prune);
      }
      return;
    }
  }
}

/** Paths of unknown fields in `obj`, in document order (`spec.portz`, `spec.ports[0].bogus`). */
export function unknownFields(rt: KindRef, obj: unknown): string[] {
  const t = kindSchema(rt);
  if (!t) return [];
  const out: string[] = [];
  walkUnknown(obj, { kind: 'object', type: t.name }, '', out, false);
  return out;
}

/** Drops unknown fields in place (fieldValidation=Ignore and Warn store only known fields). */
export function pruneUnknownFields(rt: KindRef, obj: unknown): void {
  const t = kindSchema(rt);
  if (t) walkUnknown(obj, { kind: 'object', type: t.name }, '', [], true);
}

/** The errors of strict decoding, as kube joins them: `strict decoding error: unknown field "x", …`. */
export function strictDecodingMessage(
  unknown: readonly string[],
  duplicates: readonly string[] = [],
): string {
  const parts = [
    ...duplicates.map((p) => `duplicate field ${JSON.stringify(p)}`),
    ...unknown.map((p) => `unknown field ${JSON.stringify(p)}`),
  ];
  return `strict decoding error: ${parts.join(', ')}`;
}

// ---- type checks ---------------------------------------------------------------------------

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

/** The regular expression kube's resource.Quantity parser documents. */
const quantityPattern = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const goDuration = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$|^0$/;

/** The offset of the first byte Go's base64.StdEncoding rejects, or -1 when `s` decodes. */
export function base64ErrorOffset(s: string): number {
  const clean = s.replace(/[\r\n]/g, '');
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i] ?? '';
    if (c === '=') {
      const rest = clean.slice(i);
      if (!/^={1,2}$/.test(rest) || clean.length % 4 !== 0) return i;
      return -1;
    }
    if (!/[A-Za-z0-9+/]/.test(c)) return i;
  }
  return clean.length % 4 === 0 ? -1 : clean.length - (clean.length % 4);
}

interface Ctx {
  /** The innermost Go struct containing the value. */
  struct: string;
  /** Dotted JSON path without list indices (Go's UnmarshalTypeError.Field). */
  field: string;
}

function mismatch(v: unknown, s: Schema, ctx: Ctx): string {
  // Go names the literal only when a number does not fit an integer type.
  const intTarget = s.kind === 'scalar' && (s.type === 'int32' || s.type === 'int64');
  const shown = typeof v === 'number' && intTarget ? `number ${v}` : jsonKind(v);
  const where = ctx.field === '' ? `Go value` : `Go struct field ${ctx.struct}.${ctx.field}`;
  return `json: cannot unmarshal ${shown} into ${where} of type ${goTypeName(s)}`;
}

function checkScalar(v: unknown, s: Schema & { kind: 'scalar' }, ctx: Ctx): string | undefined {
  switch (s.type) {
    case 'any':
      return undefined;
    case 'string':
      return typeof v === 'string' ? undefined : mismatch(v, s, ctx);
    case 'bool':
      return typeof v === 'boolean' ? undefined : mismatch(v, s, ctx);
    case 'float64':
      return typeof v === 'number' ? undefined : mismatch(v, s, ctx);
    case 'int32':
    case 'int64': {
      if (typeof v !== 'number') return mismatch(v, s, ctx);
      const limit = s.type === 'int32' ? 2 ** 31 : 2 ** 63;
      if (!Number.isInteger(v) || v >= limit || v < -limit) return mismatch(v, s, ctx);
      return undefined;
    }
    case 'intstr':
      if (typeof v === 'string') return undefined;
      if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 2 ** 31) return undefined;
      return mismatch(v, s, ctx);
    case 'quantity':
      if (typeof v === 'number') return undefined;
      if (typeof v !== 'string') return mismatch(v, s, ctx);
      return quantityPattern.test(v.trim())
        ? undefined
        : "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
    case 'bytes': {
      if (typeof v !== 'string') return mismatch(v, s, ctx);
      const at = base64ErrorOffset(v);
      return at < 0 ? undefined : `illegal base64 data at input byte ${at}`;
    }
    case 'time':
    case 'microtime':
      if (typeof v !== 'string') return mismatch(v, s, ctx);
      if (v === '' || rfc3339.test(v)) return undefined;
      return `parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(v)} as "2006"`;
    case 'duration':
      if (typeof v !== 'string') return mismatch(v, s, ctx);
      return goDuration.test(v) ? undefined : `time: invalid duration ${JSON.stringify(v)}`;
  }
}

function checkValue(v: unknown, s: Schema, ctx: Ctx): string | undefined {
  if (v === null) return undefined; // Go leaves the zero value
  switch (s.kind) {
    case 'scalar':
      return checkScalar(v, s, ctx);
    case 'list': {
      if (!Array.isArray(v)) return mismatch(v, s, ctx);
      for (const x of v) {
        const e = checkValue(x, s.items, ctx);
        if (e) return e;
      }
      return undefined;
    }
    case 'map': {
      if (!isObject(v)) return mismatch(v, s, ctx);
      for (const x of Object.values(v)) {
        const e = checkValue(x, s.values, ctx);
        if (e) return e;
      }
      return undefined;
    }
    case 'object': {
      if (!isObject(v)) return mismatch(v, s, ctx);
      const t = schemaRegistry().type(s.type);
      return checkObject(v, t, ctx.field);
    }
  }
}

function checkObject(v: Record<string, unknown>, t: ObjectType, path: string): string | undefined {
  for (const [k, x] of Object.entries(v)) {
    const f = t.fields.get(k);
    if (!f) continue;
    const e = checkValue(x, f.schema, { struct: t.shortName, field: joinPath(path, k) });
    if (e) return e;
  }
  return undefined;
}

/**
 * The first value whose JSON type does not fit the schema, as Go's decoder reports it (kube turns
 * it into 400 `Service in version "v1" cannot be handled as a Service: <this>`), or undefined.
 */
export function typeError(rt: KindRef, obj: unknown): string | undefined {
  const t = kindSchema(rt);
  if (!t) return undefined;
  if (!isObject(obj)) {
    return `json: cannot unmarshal ${jsonKind(obj)} into Go value of type ${goTypeName({ kind: 'object', type: t.name })}`;
  }
  return checkObject(obj, t, '');
}

/**
 * /openapi/v2 (Swagger 2.0), the document kubectl falls back to for client-side validation: for
 * `kind: List` files (`kubectl apply -f` of a `kubectl get -o yaml` export) kubectl 1.32 always
 * validates on the client and fails with "failed to download openapi" when /openapi/v2 is
 * missing. kubectl asks for it as protobuf (`application/com.github.proto-openapi.spec.v2@v1.0
 * +protobuf`, gnostic's OpenAPIv2.proto Document); JSON is served on request too.
 *
 * The definitions are those of the v3 documents in Swagger form (`#/definitions/` references,
 * vendor extensions carried as YAML as gnostic does, kinds marked with
 * x-kubernetes-group-version-kind).
 */
import { createHash } from 'node:crypto';
import type { Field, ObjectType, Schema } from '../../api/schema/dsl.js';
import { schemaRegistry } from '../../api/schema/registry.js';
import { allResources } from '../../api/scheme.js';
import { kindSchema } from '../../api/schema/registry.js';

/** What kubectl asks for in Accept. */
export const openapiV2ProtobufAccept = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** The Content-Type kube-apiserver answers with (Go's mime parser rejects the `@` form). */
export const openapiV2ProtobufType = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

type Json = Record<string, unknown>;

const defRef = (name: string): string => `#/definitions/${name}`;

const specials: Readonly<Record<string, Json>> = {
  time: { type: 'string', format: 'date-time' },
  microtime: { type: 'string', format: 'date-time' },
  quantity: { type: 'string' },
  intstr: { type: 'string', format: 'int-or-string' },
  duration: { type: 'string' },
  any: { type: 'object' },
};

function valueSchema(s: Schema): Json {
  switch (s.kind) {
    case 'scalar':
      switch (s.type) {
        case 'string':
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
        default:
          return { ...(specials[s.type] ?? {}) };
      }
    case 'list':
      return { type: 'array', items: valueSchema(s.items) };
    case 'map':
      return { type: 'object', additionalProperties: valueSchema(s.values) };
    case 'object':
      return { $ref: defRef(schemaRegistry().type(s.type).openapiName) };
  }
}

function fieldSchema(f: Field): Json {
  const out = valueSchema(f.schema);
  if (f.description) out['description'] = f.description;
  if (f.patchStrategy.length > 0) out['x-kubernetes-patch-strategy'] = f.patchStrategy.join(',');
  if (f.patchMergeKey !== undefined) out['x-kubernetes-patch-merge-key'] = f.patchMergeKey;
  if (f.schema.kind === 'list') {
    out['x-kubernetes-list-type'] = f.schema.listType;
    if (f.schema.listType === 'map') out['x-kubernetes-list-map-keys'] = [...f.schema.keys];
  }
  return out;
}

function definition(t: ObjectType, gvks: Json[]): Json {
  const properties: Json = {};
  for (const f of t.fields.values()) properties[f.name] = fieldSchema(f);
  const out: Json = { type: 'object' };
  if (t.description) out['description'] = t.description;
  if (t.required.length > 0) out['required'] = [...t.required];
  out['properties'] = properties;
  if (gvks.length > 0) out['x-kubernetes-group-version-kind'] = gvks;
  return out;
}

/** The Swagger 2.0 document as JSON. */
export function openapiV2Json(): Json {
  const gvks = new Map<string, Json[]>();
  const kinds = [...allResources, { group: 'autoscaling', version: 'v1', kind: 'Scale' }];
  for (const rt of kinds) {
    const t = kindSchema(rt);
    if (!t) continue;
    const list = gvks.get(t.name) ?? [];
    if (
      !list.some(
        (g) => g['group'] === rt.group && g['version'] === rt.version && g['kind'] === rt.kind,
      )
    ) {
      list.push({ group: rt.group, kind: rt.kind, version: rt.version });
    }
    gvks.set(t.name, list);
  }
  const definitions: Json = {};
  const types = [...schemaRegistry().all()].sort((a, b) =>
    a.openapiName < b.openapiName ? -1 : 1,
  );
  for (const t of types) definitions[t.openapiName] = definition(t, gvks.get(t.name) ?? []);
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths: {},
    definitions,
  };
}

// ---- protobuf (gnostic OpenAPIv2.proto) ---------------------------------------------------

class Writer {
  private readonly parts: Buffer[] = [];
  private tag(num: number, wire: number): void {
    this.parts.push(varint((num << 3) | wire));
  }
  string(num: number, v: string | undefined): this {
    if (v === undefined || v === '') return this;
    return this.bytes(num, Buffer.from(v, 'utf8'));
  }
  bytes(num: number, b: Buffer): this {
    this.tag(num, 2);
    this.parts.push(varint(b.length), b);
    return this;
  }
  message(num: number, w: Writer): this {
    return this.bytes(num, w.finish());
  }
  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** A vendor extension value: gnostic's Any carries it as YAML text (JSON is YAML). */
function namedAny(name: string, value: unknown): Writer {
  return new Writer()
    .string(1, name)
    .message(2, new Writer().string(2, `${JSON.stringify(value)}\n`));
}

function encodeSchema(s: Json): Writer {
  const w = new Writer();
  const ref = s['$ref'];
  if (typeof ref === 'string') w.string(1, ref);
  w.string(2, s['format'] as string | undefined);
  w.string(4, s['description'] as string | undefined);
  for (const r of (s['required'] as string[] | undefined) ?? []) w.string(19, r);
  const ap = s['additionalProperties'];
  if (ap && typeof ap === 'object')
    w.message(21, new Writer().message(1, encodeSchema(ap as Json)));
  const type = s['type'];
  if (typeof type === 'string') w.message(22, new Writer().string(1, type));
  const items = s['items'];
  if (items && typeof items === 'object')
    w.message(23, new Writer().message(1, encodeSchema(items as Json)));
  const props = s['properties'];
  if (props && typeof props === 'object') {
    const p = new Writer();
    for (const [name, v] of Object.entries(props as Json)) {
      p.message(1, new Writer().string(1, name).message(2, encodeSchema(v as Json)));
    }
    w.message(25, p);
  }
  for (const [k, v] of Object.entries(s)) if (k.startsWith('x-')) w.message(31, namedAny(k, v));
  return w;
}

let cached: { proto: Buffer; json: Json; etag: string } | undefined;

function build(): { proto: Buffer; json: Json; etag: string } {
  if (cached) return cached;
  const json = openapiV2Json();
  const doc = new Writer().string(1, '2.0');
  const info = json['info'] as Json;
  doc.message(
    2,
    new Writer().string(1, info['title'] as string).string(2, info['version'] as string),
  );
  doc.message(8, new Writer());
  const defs = new Writer();
  for (const [name, s] of Object.entries(json['definitions'] as Json)) {
    defs.message(1, new Writer().string(1, name).message(2, encodeSchema(s as Json)));
  }
  doc.message(9, defs);
  const proto = doc.finish();
  const etag = `"${createHash('sha512').update(proto).digest('hex').slice(0, 64).toUpperCase()}"`;
  cached = { proto, json, etag };
  return cached;
}

/** The document as gnostic protobuf, what kubectl asks for. */
export function openapiV2Protobuf(): Buffer {
  return build().proto;
}

/** The document as JSON (Accept: application/json). */
export function openapiV2Document(): Json {
  return build().json;
}

/** A strong ETag of the document (clients send it back in If-None-Match). */
export function openapiV2ETag(): string {
  return build().etag;
}

/**
 * Protobuf request bodies (`application/vnd.kubernetes.protobuf`): the `k8s\0` envelope around a
 * runtime.Unknown {1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType},
 * and the object message in `raw`, decoded to the object's JSON form with the field numbers of the
 * schema. kubectl ≥ 1.32 sends these for every `kubectl create <generator>`.
 *
 * The messages are proto2 as gogo generates them: every non-pointer scalar is emitted even when
 * empty, so a zero value of a field that JSON would omit (`omitempty`) is treated as unset; zero
 * times and int-or-strings likewise. Unknown field numbers are skipped, as gogo does.
 */
import type { ObjectType, Schema } from '../../api/schema/dsl.js';
import { kindSchema, packageOf, schemaRegistry } from '../../api/schema/registry.js';
import { PorticoError } from '../../lib/errors.js';

/** The 4 magic bytes before every kube protobuf message. */
export const protobufMagic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** A body that is not a well-formed kube protobuf message. */
export class ProtobufError extends PorticoError {
  constructor(message: string) {
    super('E_PROTOBUF', message);
  }
}

/** No schema describes the kind in the envelope (answered with 415). */
export class ProtobufKindError extends PorticoError {
  readonly apiVersion: string;
  readonly kind: string;
  constructor(apiVersion: string, kind: string) {
    super('E_PROTOBUF_KIND', `no protobuf decoding for ${apiVersion}, Kind=${kind}`);
    this.apiVersion = apiVersion;
    this.kind = kind;
  }
}

type Wire = 0 | 1 | 2 | 5;

interface RawField {
  readonly num: number;
  readonly wire: Wire;
  /** varint value (wire 0), or the bytes (wire 2), or the fixed bytes (wire 1, 5). */
  readonly varint: bigint;
  readonly bytes: Buffer;
}

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = pos; i < buf.length; i++) {
    const b = buf[i] ?? 0;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, i + 1];
    shift += 7n;
    if (shift > 63n) throw new ProtobufError('varint too long');
  }
  throw new ProtobufError('unexpected end of message in a varint');
}

/** Splits a message into its fields, in wire order. @throws ProtobufError */
export function readFields(buf: Buffer): RawField[] {
  const out: RawField[] = [];
  let pos = 0;
  const empty = Buffer.alloc(0);
  while (pos < buf.length) {
    const [key, p1] = readVarint(buf, pos);
    pos = p1;
    const num = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (num === 0) throw new ProtobufError('field number 0');
    switch (wire) {
      case 0: {
        const [v, p2] = readVarint(buf, pos);
        pos = p2;
        out.push({ num, wire, varint: v, bytes: empty });
        break;
      }
      case 1:
      case 5: {
        const n = wire === 1 ? 8 : 4;
        if (pos + n > buf.length)
          throw new ProtobufError('unexpected end of message in a fixed field');
        out.push({ num, wire, varint: 0n, bytes: buf.subarray(pos, pos + n) });
        pos += n;
        break;
      }
      case 2: {
        const [len, p2] = readVarint(buf, pos);
        const end = p2 + Number(len);
        if (end > buf.length)
          throw new ProtobufError('unexpected end of message in a length-delimited field');
        out.push({ num, wire, varint: 0n, bytes: buf.subarray(p2, end) });
        pos = end;
        break;
      }
      default:
        throw new ProtobufError(`unsupported wire type ${wire}`);
    }
  }
  return out;
}

function str(f: RawField): string {
  return f.bytes.toString('utf8');
}

/** Go's time.Time in RFC 3339 as metav1.Time marshals it (seconds; microseconds for MicroTime). */
function timeString(f: RawField, micro: boolean): string | undefined {
  let seconds = 0n;
  let nanos = 0n;
  for (const x of readFields(f.bytes)) {
    if (x.num === 1) seconds = BigInt.asIntN(64, x.varint);
    if (x.num === 2) nanos = BigInt.asIntN(32, x.varint);
  }
  if (seconds === 0n && nanos === 0n) return undefined;
  const d = new Date(Number(seconds) * 1000);
  const base = d.toISOString().slice(0, 19);
  return micro ? `${base}.${String(nanos / 1000n).padStart(6, '0')}Z` : `${base}Z`;
}

function durationString(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let rest = neg ? -ns : ns;
  const h = rest / 3_600_000_000_000n;
  rest %= 3_600_000_000_000n;
  const m = rest / 60_000_000_000n;
  rest %= 60_000_000_000n;
  const s = Number(rest) / 1e9;
  let out = '';
  if (h > 0n) out += `${h}h`;
  if (h > 0n || m > 0n) out += `${m}m`;
  out += `${s}s`;
  return neg ? `-${out}` : out;
}

/** Decodes the varints of one occurrence of a (possibly packed) repeated scalar. */
function unpack(f: RawField, s: Schema): RawField[] {
  if (f.wire !== 2 || s.kind !== 'scalar') return [f];
  if (!['int32', 'int64', 'bool'].includes(s.type)) return [f];
  const out: RawField[] = [];
  let pos = 0;
  while (pos < f.bytes.length) {
    const [v, p] = readVarint(f.bytes, pos);
    out.push({ num: f.num, wire: 0, varint: v, bytes: f.bytes.subarray(0, 0) });
    pos = p;
  }
  return out;
}

/** One wire value of schema `s` as JSON; undefined for a value JSON would not carry. */
function scalarValue(f: RawField, s: Schema & { kind: 'scalar' }): unknown {
  switch (s.type) {
    case 'string':
      return str(f);
    case 'int32':
      return Number(BigInt.asIntN(32, f.varint));
    case 'int64':
      return Number(BigInt.asIntN(64, f.varint));
    case 'bool':
      return f.varint !== 0n;
    case 'float64':
      return f.bytes.length === 8 ? f.bytes.readDoubleLE(0) : 0;
    case 'bytes':
      return f.bytes.toString('base64');
    case 'time':
    case 'microtime':
      return timeString(f, s.type === 'microtime');
    case 'duration': {
      const d = readFields(f.bytes).find((x) => x.num === 1);
      return durationString(d ? BigInt.asIntN(64, d.varint) : 0n);
    }
    case 'quantity': {
      const q = readFields(f.bytes).find((x) => x.num === 1);
      return q ? str(q) : undefined;
    }
    case 'intstr': {
      let type = 0n;
      let intVal = 0;
      let strVal = '';
      for (const x of readFields(f.bytes)) {
        if (x.num === 1) type = x.varint;
        else if (x.num === 2) intVal = Number(BigInt.asIntN(32, x.varint));
        else if (x.num === 3) strVal = str(x);
      }
      if (type === 1n) return strVal === '' ? undefined : strVal;
      return intVal === 0 ? undefined : intVal;
    }
    case 'any': {
      // FieldsV1 and RawExtension: {1: raw JSON bytes}.
      const raw = readFields(f.bytes).find((x) => x.num === 1);
      if (!raw || raw.bytes.length === 0) return undefined;
      try {
        return JSON.parse(raw.bytes.toString('utf8')) as unknown;
      } catch {
        throw new ProtobufError('embedded raw JSON does not parse');
      }
    }
  }
}

function isZero(v: unknown): boolean {
  if (v === undefined || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return false;
}

function mapEntry(f: RawField, values: Schema): [string, unknown] {
  let key = '';
  let value: unknown = values.kind === 'scalar' && values.type === 'bytes' ? '' : undefined;
  for (const x of readFields(f.bytes)) {
    if (x.num === 1) key = str(x);
    else if (x.num === 2) value = single(x, values);
  }
  if (value === undefined && values.kind === 'scalar' && values.type === 'string') value = '';
  return [key, value];
}

function single(f: RawField, s: Schema): unknown {
  switch (s.kind) {
    case 'scalar':
      return scalarValue(f, s);
    case 'object':
      return decodeMessage(f.bytes, schemaRegistry().type(s.type));
    case 'list':
    case 'map':
      throw new ProtobufError('nested repeated fields are not protobuf');
  }
}

/** Decodes one message of type `t` to its JSON object form. @throws ProtobufError */
export function decodeMessage(buf: Buffer, t: ObjectType): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of readFields(buf)) {
    const inline = t.protoInline.get(f.num);
    if (inline !== undefined) {
      Object.assign(out, decodeMessage(f.bytes, schemaRegistry().type(inline)));
      continue;
    }
    const field = t.protoFields.get(f.num);
    if (!field) continue;
    const s = field.schema;
    if (s.kind === 'list') {
      const list = (out[field.name] as unknown[] | undefined) ?? [];
      for (const x of unpack(f, s.items)) {
        const v = single(x, s.items);
        if (v !== undefined) list.push(v);
      }
      out[field.name] = list;
    } else if (s.kind === 'map') {
      const map = (out[field.name] as Record<string, unknown> | undefined) ?? {};
      const [k, v] = mapEntry(f, s.values);
      map[k] = v;
      out[field.name] = map;
    } else {
      const v = single(f, s);
      if (v === undefined) continue;
      // gogo emits zero scalars of non-pointer fields: JSON would have omitted them.
      if (!field.pointer && !field.always && s.kind === 'scalar' && isZero(v)) continue;
      out[field.name] = v;
    }
  }
  return out;
}

/** The apiVersion, kind and object message of a `k8s\0` body. @throws ProtobufError */
export function readEnvelope(body: Buffer): { apiVersion: string; kind: string; raw: Buffer } {
  if (body.length < 4 || !body.subarray(0, 4).equals(protobufMagic)) {
    throw new ProtobufError(
      'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]',
    );
  }
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = Buffer.alloc(0);
  for (const f of readFields(body.subarray(4))) {
    if (f.num === 1 && f.wire === 2) {
      for (const x of readFields(f.bytes)) {
        if (x.num === 1) apiVersion = str(x);
        if (x.num === 2) kind = str(x);
      }
    } else if (f.num === 2 && f.wire === 2) raw = f.bytes;
    else if (f.num === 3 && f.wire === 2 && f.bytes.length > 0) {
      throw new ProtobufError(`unsupported content encoding ${JSON.stringify(str(f))}`);
    }
  }
  return { apiVersion, kind, raw };
}

/**
 * Decodes a whole kube protobuf body to the object's JSON form, apiVersion and kind included.
 * @throws ProtobufError for malformed bytes, ProtobufKindError for a kind without a schema
 */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  const { apiVersion, kind, raw } = readEnvelope(body);
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const t = kind === '' ? undefined : kindSchema({ group, version, kind });
  if (!t || packageOf(group, version) === 'meta.v1') throw new ProtobufKindError(apiVersion, kind);
  return { apiVersion, kind, ...decodeMessage(raw, t) };
}

/**
 * Sets of field paths, the ownership records of server-side apply, and their FieldsV1 form as
 * managedFields carry it:
 *
 *     {"f:spec": {"f:ports": {".": {}, "k:{\"port\":80,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}}}}}
 *
 * A path element is kept in its serialized form: `f:<field>`, `k:<canonical JSON of the list-map
 * keys>`, `v:<JSON of a set value>`, `i:<index>`. A set is a tree: at each level, the elements
 * that are members (paths ending there) and the children (paths going on). Serialization sorts
 * elements as structured-merge-diff does (fields, then keys, values, indices), `.` first.
 */
import { PorticoError } from '../../lib/errors.js';

/** A managedFields entry whose fieldsV1 is not a valid field set. */
export class FieldsV1Error extends PorticoError {
  constructor(message: string) {
    super('E_FIELDS_V1', message);
  }
}

/** JSON with object keys sorted: the canonical form of key and value path elements. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export const fieldElement = (name: string): string => `f:${name}`;
export const keyElement = (keys: Record<string, unknown>): string => `k:${canonicalJson(keys)}`;
export const valueElement = (v: unknown): string => `v:${canonicalJson(v)}`;

function typeRank(pe: string): number {
  switch (pe[0]) {
    case 'f':
      return 0;
    case 'k':
      return 1;
    case 'v':
      return 2;
    default:
      return 3;
  }
}

function valueRank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (v !== null && typeof v === 'object') return 4;
  return 5;
}

function compareValues(a: unknown, b: unknown): number {
  const ra = valueRank(a);
  const rb = valueRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = typeof a === 'string' ? a : canonicalJson(a);
  const sb = typeof b === 'string' ? b : canonicalJson(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** structured-merge-diff's PathElement order. */
export function comparePathElements(a: string, b: string): number {
  const ta = typeRank(a);
  const tb = typeRank(b);
  if (ta !== tb) return ta - tb;
  const va = a.slice(2);
  const vb = b.slice(2);
  switch (a[0]) {
    case 'f':
      return va < vb ? -1 : va > vb ? 1 : 0;
    case 'i':
      return Number(va) - Number(vb);
    case 'v':
      return compareValues(JSON.parse(va), JSON.parse(vb));
    default: {
      const ka = JSON.parse(va) as Record<string, unknown>;
      const kb = JSON.parse(vb) as Record<string, unknown>;
      const na = Object.keys(ka).sort();
      const nb = Object.keys(kb).sort();
      for (let i = 0; i < Math.min(na.length, nb.length); i++) {
        const x = na[i] ?? '';
        const y = nb[i] ?? '';
        if (x !== y) return x < y ? -1 : 1;
        const c = compareValues(ka[x], kb[y]);
        if (c !== 0) return c;
      }
      return na.length - nb.length;
    }
  }
}

/** `.spec.ports[port=80,protocol="TCP"].targetPort`: how conflicts name a path. */
export function pathString(path: readonly string[]): string {
  return path
    .map((pe) => {
      const body = pe.slice(2);
      switch (pe[0]) {
        case 'f':
          return `.${body}`;
        case 'k': {
          const keys = JSON.parse(body) as Record<string, unknown>;
          return `[${Object.keys(keys)
            .sort()
            .map((k) => `${k}=${canonicalJson(keys[k])}`)
            .join(',')}]`;
        }
        case 'v':
          return `[=${body}]`;
        default:
          return `[${body}]`;
      }
    })
    .join('');
}

/** A set of field paths (see the module comment). */
export class FieldSet {
  readonly members = new Set<string>();
  readonly children = new Map<string, FieldSet>();

  static of(...paths: (readonly string[])[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: readonly string[]): void {
    const [first, ...rest] = path;
    if (first === undefined) return;
    if (rest.length === 0) {
      this.members.add(first);
      return;
    }
    let next = this.children.get(first);
    if (!next) {
      next = new FieldSet();
      this.children.set(first, next);
    }
    next.insert(rest);
  }

  has(path: readonly string[]): boolean {
    const [first, ...rest] = path;
    if (first === undefined) return false;
    if (rest.length === 0) return this.members.has(first);
    return this.children.get(first)?.has(rest) ?? false;
  }

  child(pe: string): FieldSet | undefined {
    return this.children.get(pe);
  }

  isEmpty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  union(o: FieldSet): FieldSet {
    const out = this.clone();
    for (const m of o.members) out.members.add(m);
    for (const [pe, c] of o.children) {
      const mine = out.children.get(pe);
      out.children.set(pe, mine ? mine.union(c) : c.clone());
    }
    return out;
  }

  difference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!o.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const theirs = o.children.get(pe);
      const d = theirs ? c.difference(theirs) : c.clone();
      if (!d.isEmpty()) out.children.set(pe, d);
    }
    return out;
  }

  intersection(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (o.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const theirs = o.children.get(pe);
      if (!theirs) continue;
      const i = c.intersection(theirs);
      if (!i.isEmpty()) out.children.set(pe, i);
    }
    return out;
  }

  clone(): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.members.add(m);
    for (const [pe, c] of this.children) out.children.set(pe, c.clone());
    return out;
  }

  /** The elements of this level (members and children), in structured-merge-diff's order. */
  private sortedElements(): string[] {
    const pes = [...new Set([...this.members, ...this.children.keys()])];
    if (pes.every((pe) => pe.startsWith('f:'))) return pes.sort();
    return pes.sort(comparePathElements);
  }

  /** Every member path, in sorted order. */
  paths(prefix: readonly string[] = []): string[][] {
    const out: string[][] = [];
    for (const pe of this.sortedElements()) {
      if (this.members.has(pe)) out.push([...prefix, pe]);
      const c = this.children.get(pe);
      if (c) out.push(...c.paths([...prefix, pe]));
    }
    return out;
  }

  /** The FieldsV1 JSON form. */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const pe of this.sortedElements()) {
      const c = this.children.get(pe);
      const sub = c ? c.toFieldsV1() : {};
      const hasChildren = Object.keys(sub).length > 0;
      if (this.members.has(pe)) out[pe] = hasChildren ? { '.': {}, ...sub } : sub;
      else if (hasChildren) out[pe] = sub;
    }
    return out;
  }

  /** Reads a FieldsV1 object. @throws FieldsV1Error */
  static fromFieldsV1(v: unknown): FieldSet {
    const out = new FieldSet();
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new FieldsV1Error('fieldsV1 must be an object');
    }
    for (const [rawPe, child] of Object.entries(v as Record<string, unknown>)) {
      if (rawPe === '.') continue;
      const pe = normalizeElement(rawPe);
      if (child === null || typeof child !== 'object' || Array.isArray(child)) {
        throw new FieldsV1Error(`fieldsV1 entry ${rawPe} must be an object`);
      }
      const keys = Object.keys(child);
      if (keys.length === 0 || keys.includes('.')) out.members.add(pe);
      if (keys.some((k) => k !== '.')) {
        const c = FieldSet.fromFieldsV1(child);
        if (!c.isEmpty()) out.children.set(pe, c);
      }
    }
    return out;
  }
}

function normalizeElement(pe: string): string {
  const kind = pe.slice(0, 2);
  const body = pe.slice(2);
  switch (kind) {
    case 'f:':
      return pe;
    case 'i:':
      if (!/^\d+$/.test(body)) throw new FieldsV1Error(`bad index path element ${pe}`);
      return pe;
    case 'k:':
    case 'v:':
      try {
        return `${kind}${canonicalJson(JSON.parse(body))}`;
      } catch {
        throw new FieldsV1Error(`bad path element ${pe}`);
      }
    default:
      throw new FieldsV1Error(`unknown path element ${pe}`);
  }
}

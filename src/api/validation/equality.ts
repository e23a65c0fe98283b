/**
 * Semantic equality of API values, in the manner of apimachinery's `equality.Semantic`: a missing
 * field equals its zero value (null, "", 0, false, [] or {}), because the Go types kube compares
 * cannot tell them apart either.
 */

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as Record<string, unknown>).every(isZero);
  return false;
}

/** True when `a` and `b` are the same API value. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isZero(a) && isZero(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
    for (const k of keys) if (!semanticEqual(ao[k], bo[k])) return false;
    return true;
  }
  return false;
}

/**
 * The leaf paths where two values differ, as `- path: old` / `+ path: new` lines: a readable
 * stand-in for the `cmp.Diff` kube appends to "pod updates may not change fields" errors.
 */
export function describeDiff(
  before: unknown,
  after: unknown,
  path: string,
  out: string[] = [],
): string[] {
  if (semanticEqual(before, after)) return out;
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    before.forEach((b, i) => describeDiff(b, after[i], `${path}[${i}]`, out));
    return out;
  }
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const k of keys) describeDiff(before[k], after[k], path ? `${path}.${k}` : k, out);
    return out;
  }
  if (!isZero(before)) out.push(`- ${path}: ${JSON.stringify(before)}`);
  if (!isZero(after)) out.push(`+ ${path}: ${JSON.stringify(after)}`);
  return out;
}

/**
 * Go's `%v` rendering of decoded JSON values, which kube-apiserver quotes in some messages
 * (strategic merge patch errors, the bad value of an invalid patch): `map[spec:map[portz:1]]`.
 */

/** A JSON value as Go's fmt prints the map[string]interface{} it decodes to. */
export function goValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${goValue(o[k])}`)
      .join(' ')}]`;
  }
  if (v === null || v === undefined) return '<nil>';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

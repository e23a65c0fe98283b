/** resource.Quantity parsing, enough to validate container resources (format, sign, request <= limit). */
import type { IntOrString } from '../meta/types.js';

const quantityRe =
  /^([+-]?[0-9]*\.?[0-9]+|[+-]?[0-9]+\.)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?[0-9]+)?$/;
const suffixes: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export const quantityFormatError =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** The numeric value of a quantity, or undefined when the text is not a quantity. */
export function parseQuantity(q: IntOrString): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  const m = quantityRe.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  const suffix = m[2] ?? '';
  if (/^[eE]/.test(suffix)) return base * 10 ** Number(suffix.slice(1));
  const mult = suffixes[suffix];
  return mult === undefined ? undefined : base * mult;
}

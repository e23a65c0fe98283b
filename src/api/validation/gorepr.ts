/**
 * Go `%#v` renderings of the few API values that kube-apiserver prints inside error messages
 * (`Duplicate value: core.ServicePort{...}`, `Invalid value: []string{"10.0.0.1"}: ...`), so that
 * kubectl shows our errors exactly as it shows a real cluster's.
 */
import { GoValue } from '../meta/fielderrors.js';
import type { LabelSelector } from '../meta/types.js';
import type { IntOrString } from '../meta/types.js';

/** Go's %q for the strings we print (ASCII in practice; JSON escaping agrees there). */
export const goQuote = (s: string): string => JSON.stringify(s);

/** `[]string{"a", "b"}`, or `[]string(nil)` for a missing slice. */
export function goStringSlice(
  values: readonly string[] | undefined | null,
  type = 'string',
): GoValue {
  if (values === undefined || values === null) return new GoValue(`[]${type}(nil)`);
  return new GoValue(`[]${type}{${values.map(goQuote).join(', ')}}`);
}

function goStringMap(m: Readonly<Record<string, string>> | undefined): string {
  if (!m) return 'map[string]string(nil)';
  const keys = Object.keys(m).sort();
  return `map[string]string{${keys.map((k) => `${goQuote(k)}:${goQuote(m[k] ?? '')}`).join(', ')}}`;
}

/** `intstr.IntOrString{Type:0, IntVal:80, StrVal:""}` */
export function goIntOrString(v: IntOrString | undefined): string {
  if (typeof v === 'string') return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}`;
  return `intstr.IntOrString{Type:0, IntVal:${v ?? 0}, StrVal:""}`;
}

/** The (protocol, port) key kube reports for a duplicate service port. */
export function goServicePortKey(protocol: string, port: number): GoValue {
  return new GoValue(
    `core.ServicePort{Name:"", Protocol:${goQuote(protocol)}, AppProtocol:(*string)(nil), Port:${port}, TargetPort:${goIntOrString(0)}, NodePort:0}`,
  );
}

/** `v1.LabelSelector{MatchLabels:map[string]string{...}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}` */
export function goLabelSelector(ls: LabelSelector | undefined): GoValue {
  if (!ls) return new GoValue('null');
  const exprs = ls.matchExpressions;
  const exprText =
    exprs === undefined
      ? '[]v1.LabelSelectorRequirement(nil)'
      : `[]v1.LabelSelectorRequirement{${exprs
          .map(
            (e) =>
              `v1.LabelSelectorRequirement{Key:${goQuote(e.key)}, Operator:${goQuote(e.operator)}, Values:${goStringSlice(e.values).repr}}`,
          )
          .join(', ')}}`;
  return new GoValue(
    `v1.LabelSelector{MatchLabels:${goStringMap(ls.matchLabels)}, MatchExpressions:${exprText}}`,
  );
}

/** A string map as Go prints it: `map[string]string{"app":"kubia"}`. */
export function goMap(m: Readonly<Record<string, string>> | undefined): GoValue {
  return new GoValue(goStringMap(m));
}

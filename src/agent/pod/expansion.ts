/**
 * Kubernetes' `$(VAR)` expansion (k8s.io/kubernetes third_party/forked/golang/expansion): what
 * kubelet applies to `env[].value`, `command` and `args`.
 *
 * - `$(NAME)` is replaced by the mapping's value; an unknown name stays `$(NAME)` as written.
 * - `$$` is an escaped `$`: `$$(NAME)` yields the literal `$(NAME)`.
 * - A `$` not followed by `(` or `$` is kept with the character after it; an unclosed `$(` is
 *   kept as is.
 */

/** A lookup over maps in order; a name in none of them maps to its own reference. */
export function mappingFor(
  ...contexts: readonly ReadonlyMap<string, string>[]
): (name: string) => string {
  return (name) => {
    for (const vars of contexts) {
      const v = vars.get(name);
      if (v !== undefined) return v;
    }
    return `$(${name})`;
  };
}

/** Expands `$(VAR)` references in `input`. */
export function expand(input: string, mapping: (name: string) => string): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    const first = rest[0];
    if (first === '$') {
      out += '$';
    } else if (first === '(') {
      const close = rest.indexOf(')', 1);
      if (close >= 1) {
        out += mapping(rest.slice(1, close));
        advance = close + 1;
      } else {
        out += '$(';
      }
    } else {
      out += `$${first ?? ''}`;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/**
 * JSON bodies: parsing with kube's error wording, and the duplicate fields strict decoding
 * reports (`duplicate field "metadata.name"`), which JSON.parse silently resolves (last wins, as
 * in Go).
 */

/** Thrown for text that is not JSON; `message` follows Go's encoding/json wording where it can. */
export class JsonSyntaxError extends Error {}

/** Parses JSON text. @throws JsonSyntaxError */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const msg = (e as Error).message;
    if (text.trim() === '') throw new JsonSyntaxError('unexpected end of JSON input');
    const m = /Unexpected token '?(.)'?,?.* is not valid JSON|Unexpected token (.) in JSON/.exec(
      msg,
    );
    const ch = m?.[1] ?? m?.[2];
    if (ch !== undefined) {
      throw new JsonSyntaxError(`invalid character '${ch}' looking for beginning of value`);
    }
    if (/end of (JSON|data)|Unterminated/.test(msg)) {
      throw new JsonSyntaxError('unexpected end of JSON input');
    }
    throw new JsonSyntaxError(msg);
  }
}

/**
 * Paths of keys that appear twice in one object (`spec.selector.app`, `spec.ports[0].port`), in
 * document order, deduplicated. `text` must already be valid JSON.
 */
export function duplicateJsonFields(text: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  let i = 0;
  const ws = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const str = (): string => {
    const start = i;
    let j = text.indexOf('"', i + 1);
    // A quote preceded by an odd number of backslashes is escaped: keep looking.
    for (;;) {
      let k = j - 1;
      while (text.charCodeAt(k) === 0x5c) k--;
      if ((j - 1 - k) % 2 === 0) break;
      j = text.indexOf('"', j + 1);
    }
    i = j + 1;
    const raw = text.slice(start, i);
    return raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  };
  const value = (path: string): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const keys = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        const key = str();
        const child = path === '' ? key : `${path}.${key}`;
        if (keys.has(key)) {
          if (!seen.has(child)) {
            seen.add(child);
            out.push(child);
          }
        } else keys.add(key);
        ws();
        i++; // colon
        value(child);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        i++; // closing brace
        return;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        i++;
        return;
      }
    }
    if (c === '"') {
      str();
      return;
    }
    // number, true, false, null: up to the next delimiter
    for (; i < text.length; i++) {
      const d = text.charCodeAt(i);
      if (
        d === 0x2c ||
        d === 0x7d ||
        d === 0x5d ||
        d === 0x20 ||
        d === 0x0a ||
        d === 0x0d ||
        d === 0x09
      )
        break;
    }
  };
  value('');
  return out;
}

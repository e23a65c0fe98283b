/**
 * Go `flag`/cobra-style command lines for the shipped test apps, so the manifests written for the
 * upstream images work unchanged: `--name=value`, `--name value`, `-name`, booleans as `--tcp` or
 * `--http=false`. Only `node:` imports in this folder: the files are copied into image layers.
 */

export type FlagSpec = Readonly<Record<string, 'bool' | 'string' | 'int'>>;

export interface ParsedFlags {
  readonly values: Map<string, string | boolean | number>;
  readonly positionals: string[];
}

/** @throws Error naming the bad flag. */
export function parseFlags(argv: readonly string[], spec: FlagSpec): ParsedFlags {
  const values = new Map<string, string | boolean | number>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const kind = spec[name];
    if (!kind) throw new Error(`unknown flag: --${name}`);
    let raw: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (kind === 'bool') {
      if (raw === undefined) values.set(name, true);
      else if (/^(1|t|true|TRUE|True)$/.test(raw)) values.set(name, true);
      else if (/^(0|f|false|FALSE|False)$/.test(raw)) values.set(name, false);
      else throw new Error(`invalid boolean value ${JSON.stringify(raw)} for --${name}`);
      continue;
    }
    if (raw === undefined) {
      raw = argv[++i];
      if (raw === undefined) throw new Error(`flag needs an argument: --${name}`);
    }
    if (kind === 'int') {
      const n = Number(raw);
      if (!Number.isInteger(n)) throw new Error(`invalid integer ${JSON.stringify(raw)} for --${name}`);
      values.set(name, n);
    } else values.set(name, raw);
  }
  return { values, positionals };
}

export function str(f: ParsedFlags, name: string, def: string): string {
  const v = f.values.get(name);
  return typeof v === 'string' ? v : def;
}
export function int(f: ParsedFlags, name: string, def: number): number {
  const v = f.values.get(name);
  return typeof v === 'number' ? v : def;
}
export function bool(f: ParsedFlags, name: string, def: boolean): boolean {
  const v = f.values.get(name);
  return typeof v === 'boolean' ? v : def;
}

/**
 * Where the apps write (their container's stdout and stderr). A program-wide sink rather than a
 * parameter so the app code reads like the originals; unit tests swap it to keep the test
 * runner's own stdout clean.
 */
export const output = {
  stdout: (s: string): void => void process.stdout.write(s),
  stderr: (s: string): void => void process.stderr.write(s),
};

/** A Go-log-style line on stderr: `2009/11/10 23:00:00 message`. */
export function logf(message: string): void {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  const ts = `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  output.stderr(`${ts} ${message}\n`);
}

/** Go's `time.ParseDuration` for the forms the apps accept (`1.5s`, `300ms`, `2m`, `1h30m`). */
export function parseDuration(s: string): number | undefined {
  if (s === '0') return 0;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = s;
  if (rest === '') return undefined;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m?.[1] || !m[2]) return undefined;
    total += Number(m[1]) * (units[m[2]] ?? 0);
    rest = rest.slice(m[0].length);
  }
  return total;
}

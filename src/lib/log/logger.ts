/**
 * Structured logging in the manner of klog: an event message plus key/value fields, JSON lines
 * by default and `key=value` text for people. Verbosity: default = lifecycle and failures;
 * v(2) = one line per sync; v(4) = per object; v(6)+ = per request or packet path.
 */
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(err: unknown, msg: string, fields?: LogFields): void;
  /** A logger that only writes when the configured verbosity is at least `level`. */
  v(level: number): Pick<Logger, 'info'>;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  readonly format?: 'json' | 'text';
  readonly verbosity?: number;
  readonly fields?: LogFields;
  /** Where lines go; stderr by default so that stdout stays for command output. */
  readonly write?: (line: string) => void;
}

function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const out: Record<string, unknown> = { err: err.message };
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') out['errCode'] = code;
    return out;
  }
  return { err: String(err) };
}

function formatText(level: string, msg: string, fields: Record<string, unknown>): string {
  const parts = [new Date().toISOString(), level.toUpperCase(), JSON.stringify(msg)];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(
      `${k}=${typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? 'undefined')}`,
    );
  }
  return parts.join(' ');
}

/** Creates a root logger. Components take `logger.child({ component: 'proxy' })`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'json';
  const verbosity = options.verbosity ?? 0;
  const base = options.fields ?? {};
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const emit = (level: string, msg: string, fields: LogFields | undefined): void => {
    const all = { ...base, ...fields };
    write(
      format === 'json'
        ? JSON.stringify({ ts: new Date().toISOString(), level, msg, ...all })
        : formatText(level, msg, all),
    );
  };
  const logger: Logger = {
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (err, msg, fields) => emit('error', msg, { ...fields, ...errorFields(err) }),
    v: (level) =>
      level <= verbosity
        ? { info: (msg, fields) => emit('info', msg, fields) }
        : { info: () => undefined },
    child: (fields) => createLogger({ format, verbosity, fields: { ...base, ...fields }, write }),
  };
  return logger;
}

/** A logger that drops everything; for tests and library defaults. */
export const discardLogger: Logger = createLogger({ write: () => undefined });

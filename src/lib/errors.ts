/**
 * The base of every error Portico throws. `code` is a stable `E_*` string that callers branch on
 * (never the message). Subclasses live beside the code that throws them.
 */
export class PorticoError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A command run through lib/exec failed. */
export class ExecError extends PorticoError {
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(command: string, exitCode: number | null, stderr: string) {
    super('E_EXEC', `${command} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim()}`);
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** Narrows an unknown thrown value to an Error for logging. */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** True when the error is an AbortError raised because a signal fired. */
export function isAbortError(err: unknown): boolean {
  return (
    err instanceof Error &&
    (err.name === 'AbortError' || (err as { code?: unknown }).code === 'ABORT_ERR')
  );
}

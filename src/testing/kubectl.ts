/**
 * Runs the real kubectl for tests: kubectl 1.32 directly (not the dispatcher) when installed,
 * with a private discovery cache (kubectl caches discovery per host:port for six hours; a test
 * server on a reused port would otherwise be seen stale).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The kubectl binary tests use: 1.32 from the Cloud SDK when present, else `kubectl` on PATH. */
export const kubectlBinary = existsSync('/usr/lib/google-cloud-sdk/bin/kubectl.1.32')
  ? '/usr/lib/google-cloud-sdk/bin/kubectl.1.32'
  : 'kubectl';

/** Whether some kubectl can run here (tests skip with this reason otherwise). */
export function kubectlAvailable(): boolean {
  if (kubectlBinary !== 'kubectl') return true;
  return (process.env['PATH'] ?? '').split(':').some((d) => existsSync(join(d, 'kubectl')));
}

export interface KubectlOptions {
  readonly kubeconfig: string;
  /** Written to kubectl's stdin. */
  readonly input?: string;
  /** KUBECACHEDIR; a fresh temporary dir when absent. */
  readonly cacheDir?: string;
  /** Stops kubectl after this long (`get -w`, `logs -f`); the result then has `timedOut`. */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** The binary (default kubectlBinary). */
  readonly binary?: string;
  /** Stops kubectl (SIGTERM) when it aborts; the result then has `timedOut`. */
  readonly signal?: AbortSignal;
  /** Called with stdout as it grows (everything so far), for commands that stream (`get -w`). */
  readonly onStdout?: (soFar: string) => void;
}

export interface KubectlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when kubectl was stopped by `timeoutMs` or `signal`. */
  readonly timedOut: boolean;
}

/** Runs kubectl and collects its output; never throws for a non-zero exit. */
export function kubectl(args: readonly string[], options: KubectlOptions): Promise<KubectlResult> {
  // A private discovery cache per call unless the caller shares one; ours goes with the call.
  const ownCache = options.cacheDir === undefined;
  const cacheDir = options.cacheDir ?? mkdtempSync(join(tmpdir(), 'ptest-kubecache-'));
  const dropCache = (): void => {
    if (ownCache) rmSync(cacheDir, { recursive: true, force: true });
  };
  return new Promise((resolve, reject) => {
    const child = spawn(options.binary ?? kubectlBinary, [...args], {
      env: {
        ...process.env,
        ...options.env,
        KUBECONFIG: options.kubeconfig,
        KUBECACHEDIR: cacheDir,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGTERM');
          }, options.timeoutMs)
        : undefined;
    options.signal?.addEventListener(
      'abort',
      () => {
        timedOut = true;
        child.kill('SIGTERM');
      },
      { once: true },
    );
    child.stdout.on('data', (b: Buffer) => {
      out.push(b);
      options.onStdout?.(Buffer.concat(out).toString());
    });
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      dropCache();
      reject(e);
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      dropCache();
      resolve({
        code,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        timedOut,
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Starting a container through portico-shim (shim/shim.c): the shim runs `runc create`, reports
 * "ok <pid>" or "error <message>" on fd 3, and stays behind as the container's monitor — copying
 * its output into the CRI log file, reaping it, writing exit.json. The shim is started in a
 * session of its own, so it outlives the agent.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { RuntimeError } from './errors.js';

export interface ShimStart {
  readonly shim: string;
  readonly runc: string;
  readonly runcRoot: string;
  readonly id: string;
  readonly bundle: string;
  /** The CRI log file (`/dev/null` for the pause container). */
  readonly log: string;
  readonly tty: boolean;
  readonly stdinFifo?: string;
  readonly ctlFifo?: string;
  /** `memory.oom_control` (v1) or `memory.events` (v2) of the container's cgroup. */
  readonly oomFile?: string;
  readonly logMaxBytes?: number;
  readonly timeoutMs?: number;
}

export interface ShimStarted {
  /** The container's init process (host PID). */
  readonly pid: number;
  readonly shimPid: number;
}

/** Starts the shim and waits for `runc create` to finish. @throws RuntimeError with runc's words. */
export async function startShim(o: ShimStart): Promise<ShimStarted> {
  const args = [
    'run',
    '--runc',
    o.runc,
    '--root',
    o.runcRoot,
    '--id',
    o.id,
    '--bundle',
    o.bundle,
    '--log',
    o.log,
    '--exit',
    join(o.bundle, 'exit.json'),
  ];
  if (o.tty) args.push('--tty');
  if (o.stdinFifo) args.push('--stdin', o.stdinFifo);
  if (o.ctlFifo) args.push('--ctl', o.ctlFifo);
  if (o.oomFile) args.push('--oom', o.oomFile);
  if (o.logMaxBytes) args.push('--log-max', String(o.logMaxBytes));
  const logFd = openSync(join(o.bundle, 'shim.log'), 'a');
  let child;
  try {
    child = spawn(o.shim, args, {
      detached: true,
      stdio: ['ignore', logFd, logFd, 'pipe'],
      cwd: o.bundle,
    });
  } finally {
    closeSync(logFd);
  }
  const sync = child.stdio[3] as Readable | null;
  if (!sync) throw new RuntimeError('portico-shim started without its sync pipe');
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new RuntimeError(`runc create ${o.id} did not finish in ${o.timeoutMs ?? 60_000} ms`));
    }, o.timeoutMs ?? 60_000);
    sync.on('data', (b: Buffer) => chunks.push(b));
    sync.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString().trim());
    });
    sync.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new RuntimeError(`cannot start ${o.shim}`, { cause: e }));
    });
  });
  sync.destroy();
  child.unref();
  const m = /^ok (\d+)$/.exec(text);
  if (m && child.pid !== undefined) return { pid: Number(m[1]), shimPid: child.pid };
  let detail = '';
  for (const f of ['runc.log', 'shim.log']) {
    try {
      const lines = readFileSync(join(o.bundle, f), 'utf8').trim().split('\n').filter(Boolean);
      if (lines.length > 0) detail += ` [${f}: ${lines.slice(-3).join(' | ')}]`;
    } catch {
      // absent
    }
  }
  const message = text.startsWith('error ')
    ? text.slice(6)
    : `portico-shim failed: ${text || 'no report'}`;
  throw new RuntimeError(message === 'runc create failed' ? message + detail : message);
}

/**
 * `runc exec` in the foreground: the process joins every namespace and the cgroup of the container
 * and gets its user, environment and working directory; runc passes our pipes through (or, with a
 * tty, allocates a terminal and copies between it and our pipes) and exits with the process's
 * status. runc's own errors go to a JSON log file, so that "executable file not found" is told
 * apart from the process's stderr and reported as exit code 127 (126: not executable), as shells
 * and Docker do. With a tty, runc (1.1+) insists on a terminal of its own for a foreground exec, so
 * portico-shim's exec mode runs `runc exec -d -t --console-socket`, relays the terminal and
 * applies resizes sent on its fd 3.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import type { Runc } from './runc.js';
import type { ExecOptions } from './types.js';

function lastRuncError(logFile: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return undefined;
  }
  let msg: string | undefined;
  for (const line of text.split('\n')) {
    try {
      const j = JSON.parse(line) as { level?: string; msg?: string };
      if ((j.level === 'error' || j.level === 'fatal') && j.msg) msg = j.msg;
    } catch {
      // not JSON
    }
  }
  return msg;
}

async function readPid(pidFile: string, signal: AbortSignal): Promise<number | undefined> {
  for (let i = 0; i < 100 && !signal.aborted; i++) {
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 0) return pid;
    } catch {
      // not yet written
    }
    await delay(20);
  }
  return undefined;
}

/**
 * Runs `options.command` in container `id`; resolves with the exit code. With a tty the process is
 * started through portico-shim's exec mode (`shim`), which holds the terminal.
 */
export async function runcExec(
  runc: Runc,
  id: string,
  workDir: string,
  options: ExecOptions,
  shim: string,
): Promise<number> {
  const tag = randomBytes(6).toString('hex');
  const pidFile = join(workDir, `exec-${tag}.pid`);
  const logFile = join(workDir, `exec-${tag}.log`);
  const args = [...runc.globalArgs(), '--log', logFile, '--log-format', 'json', 'exec'];
  if (options.tty) args.push('-d', '--tty', '--console-socket', `exec-${tag}.sock`);
  args.push('--pid-file', pidFile);
  for (const e of options.env ?? []) args.push('--env', `${e.name}=${e.value}`);
  args.push(id, ...options.command);
  const size = options.initialSize;
  const child = options.tty
    ? spawn(
        shim,
        [
          'exec',
          `exec-${tag}.sock`,
          pidFile,
          String(size?.height ?? 0),
          String(size?.width ?? 0),
          '--',
          runc.binary,
          ...args,
        ],
        { cwd: workDir, stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'] },
      )
    : spawn(runc.binary, args, { stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  const local = new AbortController();
  let pid: number | undefined;
  const kill = () => {
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    child.kill(options.tty ? 'SIGTERM' : 'SIGKILL');
  };
  options.signal?.addEventListener('abort', kill, { once: true });
  if (options.stdin && child.stdin) {
    const input = options.stdin;
    const sink = child.stdin;
    sink.on('error', () => undefined);
    input.pipe(sink);
  }
  child.stdout?.on('data', (b: Buffer) => options.stdout?.write(b));
  child.stderr?.on('data', (b: Buffer) =>
    (options.tty ? options.stdout : options.stderr)?.write(b),
  );
  const closed = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) =>
      resolve(code ?? (sig ? 128 + (sig === 'SIGKILL' ? 9 : 15) : 255)),
    );
  });
  const control = child.stdio[3] as Writable | null | undefined;
  if (options.tty && control && options.resize) {
    control.on('error', () => undefined);
    const sizes = options.resize;
    void (async () => {
      for await (const s of sizes) {
        if (local.signal.aborted) break;
        control.write(`${s.height} ${s.width}\n`);
      }
    })().catch(() => undefined);
  }
  void readPid(pidFile, local.signal).then((p) => (pid = p));
  try {
    let code = await closed;
    if (code === 255) {
      const err = lastRuncError(logFile);
      if (err) {
        if (/executable file not found|no such file or directory/i.test(err)) code = 127;
        else if (/permission denied|exec format error/i.test(err)) code = 126;
        (options.tty ? options.stdout : options.stderr)?.write(`${err}\n`);
      }
    }
    return code;
  } finally {
    local.abort();
    options.signal?.removeEventListener('abort', kill);
    options.stdin?.unpipe();
    control?.destroy();
    rmSync(pidFile, { force: true });
    rmSync(logFile, { force: true });
  }
}

/**
 * `runc exec` in the foreground: the process joins every namespace and the cgroup of the container
 * and gets its user, environment and working directory; runc passes our pipes through (or, with a
 * tty, allocates a terminal and copies between it and our pipes) and exits with the process's
 * status. runc's own errors go to a JSON log file, so that "executable file not found" is told
 * apart from the process's stderr and reported as exit code 127 (126: not executable), as shells
 * and Docker do. Terminal resizes are applied to the process's terminal with `stty -F
 * /proc/<pid>/fd/0` (runc only resizes from its own stdin when that is a terminal).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { exec } from '../../lib/exec.js';
import type { Runc } from './runc.js';
import type { ExecOptions, TerminalSize } from './types.js';

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

async function setSize(pid: number, size: TerminalSize): Promise<void> {
  await exec(
    'stty',
    ['-F', `/proc/${pid}/fd/0`, 'rows', String(size.height), 'cols', String(size.width)],
    {
      allowFailure: true,
    },
  );
}

/** Runs `options.command` in container `id`; resolves with the exit code. */
export async function runcExec(
  runc: Runc,
  id: string,
  workDir: string,
  options: ExecOptions,
): Promise<number> {
  const tag = randomBytes(6).toString('hex');
  const pidFile = join(workDir, `exec-${tag}.pid`);
  const logFile = join(workDir, `exec-${tag}.log`);
  const args = [
    ...runc.globalArgs(),
    '--log',
    logFile,
    '--log-format',
    'json',
    'exec',
    '--pid-file',
    pidFile,
  ];
  if (options.tty) args.push('--tty');
  for (const e of options.env ?? []) args.push('--env', `${e.name}=${e.value}`);
  args.push(id, ...options.command);
  const child = spawn(runc.binary, args, {
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
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
    child.kill('SIGKILL');
  };
  options.signal?.addEventListener('abort', kill, { once: true });
  if (options.stdin && child.stdin) {
    const input = options.stdin;
    const sink = child.stdin;
    sink.on('error', () => undefined);
    input.pipe(sink);
  }
  child.stdout?.on('data', (b: Buffer) => options.stdout?.write(b));
  child.stderr?.on('data', (b: Buffer) => options.stderr?.write(b));
  const closed = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) =>
      resolve(code ?? (sig ? 128 + (sig === 'SIGKILL' ? 9 : 15) : 255)),
    );
  });
  if (options.tty) {
    void (async () => {
      pid = await readPid(pidFile, local.signal);
      if (pid === undefined) return;
      if (options.initialSize) await setSize(pid, options.initialSize);
      if (options.resize) {
        for await (const size of options.resize) {
          if (local.signal.aborted) break;
          await setSize(pid, size);
        }
      }
    })().catch(() => undefined);
  } else {
    void readPid(pidFile, local.signal).then((p) => (pid = p));
  }
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
    rmSync(pidFile, { force: true });
    rmSync(logFile, { force: true });
  }
}

/**
 * The HAProxy child process in master-worker mode (`haproxy -W -db -S master.sock`): the master
 * stays our child; `reload()` sends it SIGUSR2, it starts a new worker on the new configuration,
 * hands it the listening sockets, and the old worker finishes its connections (a seamless reload).
 * The master CLI (`show proc`) tells when the new worker runs or the reload failed.
 *
 * The master is started under `setpriv --pdeathsig TERM` when available, so that it stops when we
 * die without cleaning up; a master left by an earlier run (its PID file names a live haproxy with
 * our configuration) is stopped before we start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { PorticoError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log/logger.js';
import { RuntimeApi } from './runtime.js';

/** HAProxy did not start, did not reload, or died. */
export class HaproxyError extends PorticoError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_HAPROXY', message, options);
  }
}

export interface HaproxyProcessOptions {
  /** The haproxy executable (default `haproxy` from PATH). */
  readonly binary?: string;
  readonly configPath: string;
  readonly masterSocket: string;
  readonly runtimeSocket: string;
  readonly pidFile: string;
  readonly logger: Logger;
  /** How long start and reload may take (default 15 s). */
  readonly timeoutMs?: number;
  /** Called when the master exits without being asked to. */
  onExit?(code: number | null, signal: NodeJS.Signals | null, lastLines: readonly string[]): void;
}

interface ProcInfo {
  readonly masterPid: number;
  readonly failedReloads: number;
  /** Workers with their reload counts (0 = the newest). */
  readonly workers: readonly { pid: number; reloads: number }[];
}

/** Parses the master CLI's `show proc`. */
export function parseShowProc(text: string): ProcInfo | undefined {
  let masterPid = 0;
  let failedReloads = 0;
  const workers: { pid: number; reloads: number }[] = [];
  for (const l of text.split('\n')) {
    const m = /^(\d+)\s+master\s+\d+\s+\[failed:\s*(\d+)\]/.exec(l);
    if (m) {
      masterPid = Number(m[1]);
      failedReloads = Number(m[2]);
      continue;
    }
    const w = /^(\d+)\s+worker\s+(\d+)/.exec(l);
    if (w) workers.push({ pid: Number(w[1]), reloads: Number(w[2]) });
  }
  return masterPid > 0 ? { masterPid, failedReloads, workers } : undefined;
}

/** One master CLI command (the master answers and closes). */
function masterCommand(path: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let out = '';
    s.setEncoding('utf8');
    s.setTimeout(5000, () => s.destroy(new Error('timed out')));
    s.on('data', (d: string) => (out += d));
    s.on('error', reject);
    s.on('close', () => resolve(out));
    s.on('connect', () => s.end(`${command}\n`));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The path of an executable: as given when it has a slash, else found on PATH. */
export function findExecutable(name: string): string | undefined {
  if (name.includes('/')) return existsSync(name) ? name : undefined;
  for (const dir of (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = `${dir}/${name}`;
    if (dir !== '' && existsSync(p)) return p;
  }
  return undefined;
}

let setprivPresent: boolean | undefined;
function hasSetpriv(): boolean {
  setprivPresent ??= ['/usr/bin/setpriv', '/bin/setpriv'].some((p) => existsSync(p));
  return setprivPresent;
}

/** The HAProxy master process. */
export class HaproxyProcess {
  readonly runtime: RuntimeApi;
  readonly #o: HaproxyProcessOptions;
  #child: ChildProcess | undefined;
  #stopping = false;
  #exited: Promise<void> = Promise.resolve();
  readonly #lastLines: string[] = [];
  #workerPid = 0;

  constructor(options: HaproxyProcessOptions) {
    this.#o = options;
    this.runtime = new RuntimeApi(options.runtimeSocket);
  }

  get running(): boolean {
    return (
      this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null
    );
  }

  /** The master's PID (undefined when not running). */
  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  /** The current worker's PID (0 before start). */
  get workerPid(): number {
    return this.#workerPid;
  }

  /** The last lines HAProxy printed (for error messages). */
  get lastLines(): readonly string[] {
    return this.#lastLines;
  }

  #log(line: string): void {
    const text = line.trimEnd();
    if (text === '') return;
    this.#lastLines.push(text);
    if (this.#lastLines.length > 20) this.#lastLines.shift();
    const log = this.#o.logger;
    if (text.startsWith('[ALERT]')) log.warn('HAProxy alert', { line: text });
    else if (
      text.startsWith('[WARNING]') &&
      !/stopped \(cumulated conns|Former worker|Current worker \(\d+\) exited with code 0|Exiting Master|All workers exited|is UP|is DOWN|going DOWN for maintenance|UP\/READY|forced maintenance|Proxy .* stopped/.test(
        text,
      )
    )
      log.warn('HAProxy warning', { line: text });
    else log.v(2).info('HAProxy', { line: text });
  }

  /** Stops a master an earlier run of ours left behind (same PID file, same configuration). */
  async #stopLeftover(): Promise<void> {
    if (!existsSync(this.#o.pidFile)) return;
    const pids = readFileSync(this.#o.pidFile, 'utf8')
      .split(/\s+/)
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0);
    for (const pid of pids) {
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!cmdline.includes('haproxy') || !cmdline.includes(this.#o.configPath)) continue;
      this.#o.logger.warn('Stopping HAProxy left by an earlier run', { pid });
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 50 && alive(pid); i++) await delay(100);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }

  /** Starts the master and waits until a worker serves and its runtime API answers. */
  async start(): Promise<void> {
    if (this.running) return;
    await this.#stopLeftover();
    const haproxy = this.#o.binary ?? 'haproxy';
    const args = [
      '-W',
      '-db',
      '-f',
      this.#o.configPath,
      '-S',
      `${this.#o.masterSocket},mode,600`,
      '-p',
      this.#o.pidFile,
    ];
    const [cmd, argv] = hasSetpriv()
      ? ['setpriv', ['--pdeathsig', 'TERM', '--', haproxy, ...args]]
      : [haproxy, args];
    this.#stopping = false;
    this.#lastLines.length = 0;
    const child = spawn(cmd, argv, { stdio: ['ignore', 'inherit', 'pipe'] });
    this.#child = child;
    let buf = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        this.#log(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    this.#exited = new Promise((resolve) => {
      child.on('error', (e) => {
        this.#log(`[ALERT] cannot run ${haproxy}: ${e.message}`);
        resolve();
      });
      child.on('exit', (code, signal) => {
        if (buf) this.#log(buf);
        buf = '';
        if (!this.#stopping) this.#o.onExit?.(code, signal, [...this.#lastLines]);
        resolve();
      });
    });
    try {
      const info = await this.#waitFor(
        (p) => (p.workers.some((w) => w.reloads === 0) ? p : undefined),
        'HAProxy to start',
      );
      const worker = info.workers.find((w) => w.reloads === 0)?.pid ?? 0;
      await this.#waitRuntime(worker);
      this.#workerPid = worker;
    } catch (e) {
      await this.stop(0);
      throw e;
    }
  }

  async #procInfo(): Promise<ProcInfo | undefined> {
    try {
      return parseShowProc(await masterCommand(this.#o.masterSocket, 'show proc'));
    } catch {
      return undefined; // not listening yet, or re-executing during a reload
    }
  }

  async #waitFor<T>(test: (p: ProcInfo) => T | undefined, what: string): Promise<T> {
    const deadline = Date.now() + (this.#o.timeoutMs ?? 15_000);
    for (;;) {
      if (!this.running) {
        throw new HaproxyError(
          `HAProxy exited while waiting for ${what}: ${this.#lastLines.slice(-5).join(' | ') || 'no output'}`,
        );
      }
      const info = await this.#procInfo();
      const r = info ? test(info) : undefined;
      if (r !== undefined) return r;
      if (Date.now() > deadline)
        throw new HaproxyError(
          `timed out waiting for ${what}: ${this.#lastLines.slice(-5).join(' | ') || 'no output'}`,
        );
      await delay(25);
    }
  }

  /** Waits until the runtime socket is the new worker's. */
  async #waitRuntime(workerPid: number): Promise<void> {
    const deadline = Date.now() + (this.#o.timeoutMs ?? 15_000);
    for (;;) {
      try {
        if ((await this.runtime.pid()) === workerPid) return;
      } catch {
        // not bound yet
      }
      if (!this.running) throw new HaproxyError('HAProxy exited during start or reload');
      if (Date.now() > deadline)
        throw new HaproxyError(`timed out waiting for the runtime API of worker ${workerPid}`);
      await delay(25);
    }
  }

  /**
   * Reloads the configuration file seamlessly. Resolves when the new worker serves; throws when
   * HAProxy refused the configuration (the old worker keeps serving).
   */
  async reload(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) throw new HaproxyError('HAProxy is not running');
    const before = await this.#waitFor((p) => p, 'the master CLI');
    const oldWorkers = new Set(before.workers.map((w) => w.pid));
    child.kill('SIGUSR2');
    const result = await this.#waitFor<{ worker?: number; failed?: true }>((p) => {
      if (p.failedReloads > before.failedReloads) return { failed: true };
      const w = p.workers.find((x) => x.reloads === 0 && !oldWorkers.has(x.pid));
      return w ? { worker: w.pid } : undefined;
    }, 'the reload');
    if (result.failed)
      throw new HaproxyError(
        `HAProxy refused the new configuration: ${this.#lastLines
          .filter((l) => l.startsWith('[ALERT]'))
          .slice(-3)
          .join(' | ')}`,
      );
    const worker = result.worker ?? 0;
    await this.#waitRuntime(worker);
    this.#workerPid = worker;
  }

  /** Whether the master exits within `ms` (the timer does not outlive the answer). */
  async #exitedWithin(ms: number): Promise<boolean> {
    const ac = new AbortController();
    try {
      return await Promise.race([
        this.#exited.then(() => true),
        delay(ms, false, { signal: ac.signal }),
      ]);
    } finally {
      ac.abort();
    }
  }

  /**
   * Stops HAProxy: soft stop (listeners close, connections finish) for up to `graceMs`, then a
   * hard stop, then SIGKILL.
   */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#stopping = true;
    if (this.running) {
      child.kill(graceMs > 0 ? 'SIGUSR1' : 'SIGTERM');
      if (!(await this.#exitedWithin(graceMs)) && this.running) {
        child.kill('SIGTERM');
        if (!(await this.#exitedWithin(5000)) && this.running) child.kill('SIGKILL');
      }
    }
    await this.#exited;
    this.#child = undefined;
    this.#workerPid = 0;
  }
}

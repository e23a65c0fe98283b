/**
 * Runs components as child processes of the same binary (k3s' one-binary idea, with orderly
 * shutdown instead of a global executor): each starts once the previous one reported ready,
 * a child that exits unexpectedly is restarted with capped backoff (1 s, 2 s, 4 s … 30 s; the
 * backoff resets after a minute of uptime), and on stop the children are stopped in reverse
 * order (SIGTERM, then SIGKILL after a grace period).
 *
 * Children run in their own process group, so the terminal's Ctrl-C reaches only the supervisor,
 * which then stops them in order; each child also stops when the supervisor's IPC channel
 * closes, so none outlives a supervisor that was killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Backoff } from '../lib/backoff.js';
import type { Logger } from '../lib/log/logger.js';
import { readyMessage } from './lifecycle.js';

export interface SupervisedComponent {
  readonly name: string;
  /** Arguments after `portico <name>`. */
  readonly args: readonly string[];
  /** Going on without a ready message after this long (a component that never reports). */
  readonly readyTimeoutMs?: number;
}

export interface SupervisorOptions {
  /** The executable and leading arguments that run `portico` (node + bin/portico.js). */
  readonly command: readonly [string, ...string[]];
  readonly logger: Logger;
  /** Restarts in a row (without a minute of uptime between) before giving up. */
  readonly maxRestarts?: number;
  /** Time a child gets between SIGTERM and SIGKILL. */
  readonly stopGraceMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

interface Running {
  readonly spec: SupervisedComponent;
  child: ChildProcess;
  startedAt: number;
  restarts: number;
  readonly backoff: Backoff;
  exited: Promise<number | null>;
}

const stableMs = 60_000;

export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #running: Running[] = [];
  #stopping = false;
  #failed: ((err: Error) => void) | undefined;
  /** Rejects when a component keeps crashing. */
  readonly failed: Promise<never>;

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.failed = new Promise<never>((_, reject) => {
      this.#failed = reject;
    });
    this.failed.catch(() => undefined);
  }

  #spawn(spec: SupervisedComponent): {
    child: ChildProcess;
    ready: Promise<void>;
    exited: Promise<number | null>;
  } {
    const [file, ...lead] = this.#o.command;
    const child = spawn(file, [...lead, spec.name, ...spec.args], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      detached: true,
      env: this.#o.env ?? process.env,
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#o.logger.warn('Component did not report ready; going on', { name: spec.name });
        resolve();
      }, spec.readyTimeoutMs ?? 60_000);
      child.on('message', (m: unknown) => {
        if ((m as { type?: unknown }).type === readyMessage.type) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${spec.name} exited during start (${signal ?? `code ${code ?? '?'}`})`));
      });
    });
    ready.catch(() => undefined);
    return { child, ready, exited };
  }

  /** Starts a component and waits until it is ready. @throws Error when it exits while starting */
  async start(spec: SupervisedComponent): Promise<void> {
    const { child, ready, exited } = this.#spawn(spec);
    const r: Running = {
      spec,
      child,
      startedAt: Date.now(),
      restarts: 0,
      backoff: new Backoff({ baseMs: 1000, capMs: 30_000 }),
      exited,
    };
    this.#running.push(r);
    this.#o.logger.info('Component starting', { name: spec.name, pid: child.pid ?? 0 });
    await ready;
    this.#o.logger.info('Component ready', { name: spec.name });
    this.#watch(r);
  }

  #watch(r: Running): void {
    void r.exited.then(async (code) => {
      if (this.#stopping) return;
      const uptime = Date.now() - r.startedAt;
      if (uptime > stableMs) {
        r.backoff.reset();
        r.restarts = 0;
      }
      r.restarts++;
      if (r.restarts > (this.#o.maxRestarts ?? 10)) {
        this.#failed?.(
          new Error(`${r.spec.name} keeps exiting (last exit code ${code ?? 'signal'}); giving up`),
        );
        return;
      }
      const delay = r.backoff.next();
      this.#o.logger.warn('Component exited; restarting', {
        name: r.spec.name,
        exitCode: code ?? -1,
        restartInMs: delay,
      });
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (this.#stopping) return;
      const { child, ready, exited } = this.#spawn(r.spec);
      r.child = child;
      r.startedAt = Date.now();
      r.exited = exited;
      this.#o.logger.info('Component starting', { name: r.spec.name, pid: child.pid ?? 0 });
      this.#watch(r);
      await ready.catch(() => undefined);
    });
  }

  /** Stops every component, the last started first. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const r of [...this.#running].reverse()) {
      const child = r.child;
      if (child.exitCode !== null || child.signalCode !== null) continue;
      this.#o.logger.info('Stopping component', { name: r.spec.name, pid: child.pid ?? 0 });
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const killed = await Promise.race([
        r.exited.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), this.#o.stopGraceMs ?? 15_000);
        }),
      ]);
      clearTimeout(timer);
      if (killed) {
        this.#o.logger.warn('Component did not stop in time; killing it', { name: r.spec.name });
        child.kill('SIGKILL');
        await r.exited;
      }
    }
  }

  /** PIDs of the running children (for tests and status output). */
  pids(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.#running) if (r.child.pid !== undefined) out[r.spec.name] = r.child.pid;
    return out;
  }
}

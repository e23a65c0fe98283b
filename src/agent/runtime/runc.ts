/**
 * The runc command line, one short process per call (`runc --root <dir> state|start|kill|delete`).
 * Creating a container goes through portico-shim instead (it must be runc's parent); exec runs
 * `runc exec` in the foreground with piped stdio (see exec.ts).
 */
import { exec } from '../../lib/exec.js';
import { ExecError } from '../../lib/errors.js';
import { RuntimeError } from './errors.js';

export interface RuncState {
  readonly id: string;
  readonly pid: number;
  readonly status: 'creating' | 'created' | 'running' | 'pausing' | 'paused' | 'stopped';
  readonly bundle: string;
  readonly created: string;
}

function notExist(e: unknown): boolean {
  return (
    e instanceof ExecError && /does not exist|not exist|container .* not found/i.test(e.stderr)
  );
}

export class Runc {
  readonly binary: string;
  readonly root: string;

  constructor(options: { binary?: string; root: string }) {
    this.binary = options.binary ?? 'runc';
    this.root = options.root;
  }

  /** Arguments that select our state directory. */
  globalArgs(): string[] {
    return ['--root', this.root];
  }

  async #run(args: readonly string[], timeoutMs = 30_000): Promise<string> {
    const r = await exec(this.binary, [...this.globalArgs(), ...args], { timeoutMs });
    return r.stdout;
  }

  /** The container's state, or undefined when runc does not know it. */
  async state(id: string): Promise<RuncState | undefined> {
    try {
      return JSON.parse(await this.#run(['state', id])) as RuncState;
    } catch (e) {
      if (notExist(e)) return undefined;
      throw new RuntimeError(`runc state ${id} failed`, { cause: e });
    }
  }

  async start(id: string): Promise<void> {
    try {
      await this.#run(['start', id]);
    } catch (e) {
      throw new RuntimeError(
        `runc start ${id} failed: ${e instanceof ExecError ? e.stderr.trim() : String(e)}`,
        {
          cause: e,
        },
      );
    }
  }

  /** Sends a signal to the init (or, with `all`, every process); false when it is not running. */
  async kill(id: string, signal: string, all = false): Promise<boolean> {
    try {
      await this.#run(['kill', ...(all ? ['--all'] : []), id, signal]);
      return true;
    } catch (e) {
      if (
        notExist(e) ||
        (e instanceof ExecError &&
          /not running|process already finished|container not running/i.test(e.stderr))
      )
        return false;
      throw new RuntimeError(`runc kill ${id} ${signal} failed`, { cause: e });
    }
  }

  /** Deletes the container (killing it with --force); a no-op when runc does not know it. */
  async delete(id: string, force = true): Promise<void> {
    try {
      await this.#run(['delete', ...(force ? ['--force'] : []), id]);
    } catch (e) {
      if (notExist(e)) return;
      throw new RuntimeError(`runc delete ${id} failed`, { cause: e });
    }
  }

  /** Every container in our root. */
  async list(): Promise<RuncState[]> {
    const out = await this.#run(['list', '--format', 'json']);
    const parsed = JSON.parse(out.trim() || '[]') as RuncState[] | null;
    return parsed ?? [];
  }
}

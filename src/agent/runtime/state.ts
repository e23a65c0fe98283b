/**
 * The runtime's records on disk: one JSON file per sandbox and per container, written atomically
 * (temp file + rename), so that an agent restarted at any point finds a consistent view and
 * `list()` needs no runc call. Process liveness is checked against /proc with the start time
 * recorded at creation, so a recycled PID is never mistaken for the container.
 */
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { ContainerSpec, SandboxSpec } from './types.js';

export interface SandboxRecord {
  readonly id: string;
  readonly spec: SandboxSpec;
  readonly createdAt: string;
  /** `creating` until the namespaces, network and files are all in place. */
  phase: 'creating' | 'ready' | 'stopped';
  pausePid?: number;
  pauseStartTime?: number | undefined;
  ip?: string;
  prefixLength?: number;
  gateway?: string;
}

export interface ContainerRecord {
  readonly id: string;
  readonly sandboxId: string;
  readonly podUID: string;
  readonly spec: ContainerSpec;
  readonly imageId: string;
  readonly createdAt: string;
  readonly logPath: string;
  /** True when the container shares a PID namespace with others (kill every process). */
  readonly sharedPid: boolean;
  phase: 'creating' | 'created';
  pid?: number;
  pidStartTime?: number | undefined;
  shimPid?: number;
  shimStartTime?: number | undefined;
  startedAt?: string;
}

/** What portico-shim writes when the container exits. */
export interface ExitRecord {
  readonly exitCode: number;
  readonly signal: number;
  readonly oomKilled: boolean;
  readonly finishedAt: string;
}

/** 32 hex characters: unique enough, and short enough for paths and runc ids. */
export function newId(): string {
  return randomBytes(16).toString('hex');
}

export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, path);
}

export function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or undefined. */
export function procStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); a zombie has exited already.
    if (rest[0] === 'Z') return undefined;
    const v = Number(rest[19]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and is the same process as when `startTime` was recorded. */
export function sameProcess(pid: number | undefined, startTime: number | undefined): boolean {
  if (pid === undefined || pid <= 0) return false;
  const now = procStartTime(pid);
  return now !== undefined && (startTime === undefined || now === startTime);
}

/** The record store: `<root>/sandboxes/<id>/sandbox.json`, `<root>/containers/<id>/container.json`. */
export class RecordStore {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }

  sandboxDir(id: string): string {
    return join(this.root, 'sandboxes', id);
  }
  containerDir(id: string): string {
    return join(this.root, 'containers', id);
  }

  saveSandbox(r: SandboxRecord): void {
    writeJsonAtomic(join(this.sandboxDir(r.id), 'sandbox.json'), r);
  }
  saveContainer(r: ContainerRecord): void {
    writeJsonAtomic(join(this.containerDir(r.id), 'container.json'), r);
  }
  sandbox(id: string): SandboxRecord | undefined {
    if (!/^[a-f0-9]{32}$/.test(id)) return undefined;
    return readJson(join(this.sandboxDir(id), 'sandbox.json')) as SandboxRecord | undefined;
  }
  container(id: string): ContainerRecord | undefined {
    if (!/^[a-f0-9]{32}$/.test(id)) return undefined;
    return readJson(join(this.containerDir(id), 'container.json')) as ContainerRecord | undefined;
  }
  exit(id: string): ExitRecord | undefined {
    return readJson(join(this.containerDir(id), 'exit.json')) as ExitRecord | undefined;
  }

  #ids(kind: 'sandboxes' | 'containers'): string[] {
    const dir = join(this.root, kind);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((n) => /^[a-f0-9]{32}$/.test(n));
  }
  sandboxes(): SandboxRecord[] {
    return this.#ids('sandboxes')
      .map((id) => this.sandbox(id))
      .filter((r): r is SandboxRecord => r !== undefined);
  }
  containers(): ContainerRecord[] {
    return this.#ids('containers')
      .map((id) => this.container(id))
      .filter((r): r is ContainerRecord => r !== undefined);
  }
  /** Directories without a readable record (a crash between mkdir and the first write). */
  orphanDirs(): string[] {
    const out: string[] = [];
    for (const id of this.#ids('sandboxes')) if (!this.sandbox(id)) out.push(this.sandboxDir(id));
    for (const id of this.#ids('containers'))
      if (!this.container(id)) out.push(this.containerDir(id));
    return out;
  }
}

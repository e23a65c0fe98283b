/** Where a sandbox keeps its state: the plan, the PIDs it started, logs and the hosts' data dirs. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxPlan } from './plan.js';

export interface SandboxProcess {
  readonly host: string;
  readonly component: string;
  readonly pid: number;
  readonly log: string;
}

export interface SandboxState {
  readonly plan: SandboxPlan;
  readonly createdAt: string;
  processes: SandboxProcess[];
}

/** Root of every sandbox's files; `PORTICO_SANDBOX_ROOT` overrides (tests use a temp dir). */
export function sandboxRoot(): string {
  return process.env['PORTICO_SANDBOX_ROOT'] ?? '/var/lib/portico-sandbox';
}

export function sandboxDir(name: string): string {
  return join(sandboxRoot(), name);
}

export function readState(name: string): SandboxState | undefined {
  const file = join(sandboxDir(name), 'state.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as SandboxState;
}

export function writeState(state: SandboxState): void {
  const dir = sandboxDir(state.plan.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state, null, 2));
}

/** The names of the sandboxes that have state on this host. */
export function listSandboxes(): string[] {
  const root = sandboxRoot();
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((n) => existsSync(join(root, n, 'state.json')));
}

/**
 * The /24 indexes of 198.18.0.0/16 this host already routes (sandboxes of other state roots, or
 * of other users of the machine, have their host link there).
 */
export function routedIndexes(): Set<number> {
  const used = new Set<number>();
  try {
    for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const dest = line.split('\t')[1];
      if (!dest || dest.length !== 8) continue;
      // little-endian hex: 00 12 C6 → 198.18.<i>.0
      const b = [6, 4, 2, 0].map((o) => parseInt(dest.slice(o, o + 2), 16));
      if (b[0] === 198 && b[1] === 18 && b[2] !== undefined) used.add(b[2]);
    }
  } catch {
    // no /proc: nothing known
  }
  return used;
}

/**
 * A subnet index no sandbox uses: not in this state root, and not routed on this host (sandboxes
 * of other roots). Chosen at random among the free ones, so concurrent `up`s rarely collide.
 */
export function freeIndex(): number {
  const used = new Set(listSandboxes().map((n) => readState(n)?.plan.index));
  for (const i of routedIndexes()) used.add(i);
  const free: number[] = [];
  for (let i = 1; i <= 254; i++) if (!used.has(i)) free.push(i);
  const pick = free[Math.floor(Math.random() * Math.min(free.length, 32))];
  if (pick === undefined)
    throw new Error(
      'no free sandbox index: remove old sandboxes with `portico sandbox down --name N`',
    );
  return pick;
}

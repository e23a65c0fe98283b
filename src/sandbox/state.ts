/** Where a sandbox keeps its state: the plan, the PIDs it started, logs and the hosts' data dirs. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
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

/** The lowest subnet index no other sandbox uses. */
export function freeIndex(): number {
  const used = new Set(listSandboxes().map((n) => readState(n)?.plan.index));
  // Sandboxes of other roots (PORTICO_SANDBOX_ROOT) show up as this host's 198.18.<i>.254.
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) {
      const m = /^198\.18\.(\d+)\.\d+$/.exec(a.address);
      if (m) used.add(Number(m[1]));
    }
  for (let i = 1; i <= 254; i++) if (!used.has(i)) return i;
  throw new Error(
    'no free sandbox index: remove old sandboxes with `portico sandbox down --name N`',
  );
}

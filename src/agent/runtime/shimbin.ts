/**
 * Builds `portico-shim` (shim/shim.c) on first use, once per source version: a static binary in
 * `<runtime root>/bin/portico-shim-<hash>`, also used as the sandboxes' `/pause`. Compiling at run
 * time keeps the build a plain `tsc` and the binary matched to the machine; `scripts/install.sh`
 * installs gcc and libc6-dev.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec } from '../../lib/exec.js';
import { RuntimeError } from './errors.js';

/** The C source: `src/agent/runtime/shim/shim.c` beside this module's TypeScript source. */
export function shimSourcePath(): string {
  // dist/src/agent/runtime/shimbin.js → <repo>/src/agent/runtime/shim/shim.c
  const here = dirname(fileURLToPath(import.meta.url));
  return join(here, '..', '..', '..', '..', 'src', 'agent', 'runtime', 'shim', 'shim.c');
}

/** Returns the path of a built shim for the current source, compiling it when missing. */
export async function ensureShim(
  binDir: string,
  compiler = process.env['CC'] ?? 'cc',
): Promise<string> {
  const source = shimSourcePath();
  if (!existsSync(source)) throw new RuntimeError(`the shim source ${source} is missing`);
  const text = readFileSync(source);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  const bin = join(binDir, `portico-shim-${hash}`);
  if (existsSync(bin)) return bin;
  mkdirSync(binDir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  try {
    await exec(compiler, ['-O2', '-static', '-s', '-o', tmp, source]);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new RuntimeError(
      `cannot build portico-shim with ${compiler} (install gcc and libc6-dev: scripts/install.sh)`,
      { cause: e },
    );
  }
  chmodSync(tmp, 0o755);
  renameSync(tmp, bin);
  return bin;
}

/** A root filesystem holding only `/pause` (the static shim), for sandbox holders. */
export function ensurePauseRootfs(dir: string, shim: string): string {
  const marker = join(dir, '.shim');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === shim) return dir;
  for (const d of ['proc', 'dev', 'sys', 'etc'])
    mkdirSync(join(dir, d), { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  const tmp = join(dir, 'pause.tmp');
  copyFileSync(shim, tmp);
  chmodSync(tmp, 0o755);
  renameSync(tmp, join(dir, 'pause'));
  // Written last: a half-built rootfs is rebuilt next time.
  writeFileSync(marker, shim);
  return dir;
}

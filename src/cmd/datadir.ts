import { homedir } from 'node:os';
import { join } from 'node:path';

/** The data dir: `/var/lib/portico` as root, `~/.local/share/portico` otherwise; `--data-dir` overrides. */
export function defaultDataDir(): string {
  if (process.getuid?.() === 0) return '/var/lib/portico';
  return join(process.env['XDG_DATA_HOME'] ?? join(homedir(), '.local', 'share'), 'portico');
}

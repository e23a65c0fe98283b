/**
 * Opens the store named by `--store`: `sqlite:///path/state.db` (the default, in the data dir),
 * `memory://` (state lost on exit; for tries and tests). (Until the storage branch's `openStore`
 * lands in main with etcd, the scheme → constructor map lives here.)
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../lib/log/logger.js';
import { MemoryStore } from '../storage/memory/store.js';
import { SqliteStore } from '../storage/sqlite/store.js';
import type { Store } from '../storage/store.js';

/** `memory://`, `sqlite:///path/state.db`. */
export function openStoreUrl(url: string, logger: Logger): Promise<Store> {
  if (url === 'memory://' || url === 'memory') return Promise.resolve(new MemoryStore());
  if (url.startsWith('sqlite://')) {
    const path = url.slice('sqlite://'.length);
    if (path === '')
      return Promise.reject(
        new Error('--store sqlite:// needs a file path: sqlite:///var/lib/portico/state.db'),
      );
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    return Promise.resolve(new SqliteStore({ path, logger: logger.child({ component: 'store' }) }));
  }
  return Promise.reject(
    new Error(
      `store ${JSON.stringify(url)} is not supported: use sqlite:///path/state.db or memory://`,
    ),
  );
}

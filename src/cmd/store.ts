/**
 * Opens the store named by `--store`. (Until the storage branch's `openStore` lands in main,
 * only `memory://` is available here.)
 */
import { MemoryStore } from '../storage/memory/store.js';
import type { Store } from '../storage/store.js';

/** `memory://`, `sqlite:///path/state.db`, `etcd://host:port`. */
export function openStoreUrl(url: string): Promise<Store> {
  if (url === 'memory://' || url === 'memory') return Promise.resolve(new MemoryStore());
  return Promise.reject(
    new Error(`store ${JSON.stringify(url)} is not supported by this build; use --store=memory://`),
  );
}

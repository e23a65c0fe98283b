/**
 * The seam between the backend-neutral proxier and what programs the data plane (nftables, or
 * the userspace relays). A backend receives the whole state and a hint of what changed, never a
 * diff it must apply in order: incremental work is an optimisation inside the backend, and any
 * failure makes the next call a full one.
 */
import { PorticoError } from '../lib/errors.js';
import type { ClusterStateView } from './changetracker.js';

export interface SyncHint {
  /** True after startup or any failed sync: rewrite everything. */
  readonly full: boolean;
  /** Services (`namespace/name`) touched since the last successful sync. */
  readonly changed: ReadonlySet<string>;
}

export interface SyncResult {
  /** Whether the backend did a full sync (it may upgrade a partial one). */
  readonly full: boolean;
  /** Objects written (elements, chains, sets; or listeners for userspace). */
  readonly operations: number;
}

export interface ProxyBackend {
  readonly name: string;
  /** Makes the data plane equal to `state`. Throws on failure; the runner retries with a full sync. */
  sync(state: ClusterStateView, hint: SyncHint): Promise<SyncResult>;
  /** Removes everything this backend installed. */
  cleanup(): Promise<void>;
  /** Stops background work (listeners, timers); leaves the data plane in place. */
  close(): Promise<void>;
}

/** This host cannot run the backend (not root, no nft, …). */
export class UnsupportedBackendError extends PorticoError {
  constructor(message: string) {
    super('E_PROXY_UNSUPPORTED_BACKEND', message);
  }
}

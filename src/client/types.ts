/**
 * The client seam: every component but the API server sees the cluster only through these
 * interfaces, so each runs against Portico's API server or any Kubernetes API.
 */
import type { DeleteOptions, KubeList, KubeObject, WatchEvent } from '../api/meta/types.js';
import type { Selector } from '../api/meta/labels.js';
import type { ResourceType } from '../api/scheme.js';

export interface ListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  /** Cancels a list in flight (a large list can take a while). Not sent to the server. */
  readonly signal?: AbortSignal;
}

export interface WatchOptions extends ListOptions {
  readonly allowWatchBookmarks?: boolean;
  readonly timeoutSeconds?: number;
}

export interface WriteOptions {
  readonly fieldManager?: string;
  readonly dryRun?: boolean;
  readonly fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface PatchOptions extends WriteOptions {
  readonly subresource?: string;
  /** Server-side apply only. */
  readonly force?: boolean;
}

/**
 * A typed REST client. Errors are ApiError (client/errors.ts) carrying the server's Status, so
 * callers branch on `reason` (NotFound, AlreadyExists, Conflict, Invalid, Expired…).
 */
export interface Client {
  get<T extends KubeObject>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<T>;
  list<T extends KubeObject>(rt: ResourceType, options?: ListOptions): Promise<KubeList<T>>;
  /** Ends when the server closes the stream or the signal aborts. ERROR events are yielded, not thrown. */
  watch<T extends KubeObject>(
    rt: ResourceType,
    options: WatchOptions,
    signal: AbortSignal,
  ): AsyncIterable<WatchEvent<T>>;
  create<T extends KubeObject>(rt: ResourceType, obj: T, options?: WriteOptions): Promise<T>;
  update<T extends KubeObject>(rt: ResourceType, obj: T, options?: WriteOptions): Promise<T>;
  /** PUT to the status subresource. */
  updateStatus<T extends KubeObject>(rt: ResourceType, obj: T, options?: WriteOptions): Promise<T>;
  patch<T extends KubeObject>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    body: unknown,
    options?: PatchOptions,
  ): Promise<T>;
  /** Resolves with the object as the server returned it (with deletionTimestamp when graceful) or undefined for a Status. */
  delete(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    options?: DeleteOptions,
  ): Promise<KubeObject | undefined>;
  /** Raw request for subresources that are not objects (pods/log, pods/binding, services/proxy). */
  request(options: RawRequest): Promise<RawResponse>;
}

export interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly query?: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly accept?: string;
  readonly signal?: AbortSignal;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

// ---- informers --------------------------------------------------------------------------------

export interface EventHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface Lister<T> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string, selector?: Selector): readonly T[];
  /** Objects whose index function returned `value` (indexes are registered on the informer). */
  byIndex(index: string, value: string): readonly T[];
}

/** List-then-watch cache of one resource (client-go semantics: 410 → relist, backoff 1 s → 30 s). */
export interface Informer<T> {
  readonly resource: ResourceType;
  readonly lister: Lister<T>;
  addHandlers(handlers: EventHandlers<T>): void;
  addIndex(name: string, fn: (obj: T) => readonly string[]): void;
  hasSynced(): boolean;
  /** Resolves once the first list is in the cache (or the signal aborts). */
  waitForSync(signal: AbortSignal): Promise<boolean>;
  /** Runs until the signal aborts. Resolves after the watch is closed. */
  run(signal: AbortSignal): Promise<void>;
  /** The resourceVersion of the last list or event seen. */
  lastSyncResourceVersion(): string;
}

/** Keys are "namespace/name". A key is never handed to two workers at once. */
export interface WorkQueue {
  add(key: string): void;
  addAfter(key: string, delayMs: number): void;
  /** Re-adds with per-key exponential backoff. */
  addRateLimited(key: string): void;
  forget(key: string): void;
  numRequeues(key: string): number;
  /** Next key, or undefined once shut down and drained. */
  get(): Promise<string | undefined>;
  done(key: string): void;
  shutDown(): void;
  len(): number;
}

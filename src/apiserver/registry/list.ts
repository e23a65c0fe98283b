/**
 * List and watch with kube's resourceVersion semantics, served from the watch cache:
 *
 * list
 * - resourceVersion unset: consistent read — wait until the cache has seen the store's current
 *   revision, then answer from memory (kube 1.31+ ConsistentListFromCache).
 * - "0": any state — the cache as it is.
 * - N (NotOlderThan, the default match): the cache once it has seen N; 504 if N never arrives.
 * - N with resourceVersionMatch=Exact: the state at N — from the cache when nothing changed
 *   since N, else from the store at revision N (410 Expired when compacted).
 * - limit/continue: pages in key order; the continue token carries the list's revision and the
 *   last key; later pages come from the cache while the resource is unchanged, else from the
 *   store at that revision.
 *
 * watch
 * - resourceVersion unset or "0": synthetic ADDED events for the current objects, then changes.
 * - N: every change after N from the cache's history; an ERROR event with 410 Expired when N is
 *   older than the history (the client relists).
 */
import { badRequest, expired, statusOf } from '../../api/meta/status.js';
import type { ResourceType } from '../../api/scheme.js';
import { CompactedError } from '../../storage/store.js';
import { ApiError } from '../../api/meta/status.js';
import { decodeObject } from './codec.js';
import { strategyOf, type RegistryContext } from './context.js';
import { translateStoreError } from './errors.js';
import { listPrefix } from './keys.js';
import { parseSelection } from './selection.js';
import { CachedObject, type ObjectFilter } from '../watchcache/types.js';
import { CacheWatcher } from '../watchcache/watcher.js';

export interface ListParams {
  readonly labelSelector?: string | null;
  readonly fieldSelector?: string | null;
  readonly limit?: number;
  readonly continue?: string | null;
  readonly resourceVersion?: string | null;
  readonly resourceVersionMatch?: string | null;
}

export interface ListPage {
  readonly items: readonly CachedObject[];
  readonly resourceVersion: number;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

/** How long a read waits for the cache to reach a revision before giving up. */
const cacheWaitMs = 3000;

interface ContinueToken {
  readonly rv: number;
  readonly start: string;
}

export function encodeContinue(rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: lastKey })).toString(
    'base64url',
  );
}

function decodeContinue(token: string, prefix: string): ContinueToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('continue key is not valid: illegal base64 data');
  }
  const t = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string')
    throw badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  if (!t.start.startsWith(prefix))
    throw badRequest('continue key is not valid: key does not match the request');
  return { rv: t.rv, start: t.start };
}

function parseRV(v: string): number {
  if (!/^\d+$/.test(v))
    throw badRequest(`Invalid value: "${v}": resourceVersion must be an integer`);
  return Number(v);
}

function tooLarge(wanted: number, current: number): ApiError {
  return new ApiError(
    statusOf(504, 'Timeout', `Too large resource version: ${wanted}, current: ${current}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    }),
  );
}

/** Lists one resource (`rt` is the stored resource). @throws ApiError 400, 410, 504 */
export async function listObjects(
  ctx: RegistryContext,
  rt: ResourceType,
  namespace: string | undefined,
  params: ListParams,
): Promise<ListPage> {
  const selection = parseSelection(strategyOf(ctx, rt), params.labelSelector, params.fieldSelector);
  const filter: ObjectFilter = {
    prefix: listPrefix(rt, namespace),
    ...(selection.matches ? { matches: selection.matches } : {}),
  };
  const limit = params.limit !== undefined && params.limit > 0 ? params.limit : undefined;
  const rvParam = params.resourceVersion ?? '';
  const match = params.resourceVersionMatch ?? '';
  const cache = ctx.caches.for(rt);

  const fromCache = (startAfter?: string, rv = ctx.caches.revision): ListPage => {
    const page = cache.list(filter, {
      ...(startAfter !== undefined ? { startAfter } : {}),
      ...(limit !== undefined ? { limit } : {}),
    });
    const out: {
      items: CachedObject[];
      resourceVersion: number;
      continue?: string;
      remainingItemCount?: number;
    } = {
      items: page.items,
      resourceVersion: rv,
    };
    if (page.lastKey !== undefined) {
      out.continue = encodeContinue(rv, page.lastKey);
      if (!selection.matches) out.remainingItemCount = page.remaining;
    }
    return out;
  };
  /** The resource has not changed since `rv`, and the cache has seen `rv`. */
  const unchangedSince = (rv: number): boolean =>
    ctx.caches.revision >= rv && cache.lastChange <= rv;

  if (params.continue) {
    if (rvParam !== '' && rvParam !== '0')
      throw badRequest('specifying resource version is not allowed when using continue');
    const token = decodeContinue(params.continue, filter.prefix);
    if (unchangedSince(token.rv)) return fromCache(token.start, token.rv);
    return fromStore(
      ctx,
      rt,
      filter,
      limit,
      token.rv,
      token.start,
      selection.matches === undefined,
    );
  }
  if (match !== '' && match !== 'Exact' && match !== 'NotOlderThan')
    throw badRequest(`Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
  if (rvParam === '') {
    if (match !== '')
      throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
    const current = await ctx.store.currentRevision();
    if (await ctx.caches.waitForRevision(current, cacheWaitMs)) return fromCache();
    return fromStore(ctx, rt, filter, limit, undefined, undefined, selection.matches === undefined);
  }
  const rv = parseRV(rvParam);
  if (match === 'Exact') {
    if (rv === 0)
      throw badRequest('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    if (unchangedSince(rv)) return fromCache(undefined, rv);
    return fromStore(ctx, rt, filter, limit, rv, undefined, selection.matches === undefined);
  }
  if (rv > ctx.caches.revision && !(await ctx.caches.waitForRevision(rv, cacheWaitMs)))
    throw tooLarge(rv, ctx.caches.revision);
  return fromCache();
}

/** A page read from the store at a revision (old continue tokens, Exact reads). */
async function fromStore(
  ctx: RegistryContext,
  rt: ResourceType,
  filter: ObjectFilter,
  limit: number | undefined,
  revision: number | undefined,
  startAfter: string | undefined,
  unfiltered: boolean,
): Promise<ListPage> {
  const items: CachedObject[] = [];
  let rev = revision;
  let after = startAfter;
  let lastKey: string | undefined;
  let more = false;
  let remaining = 0;
  const chunk = limit === undefined ? 5000 : Math.max(limit + 1, 100);
  try {
    pages: for (;;) {
      const page = await ctx.store.list(filter.prefix, {
        limit: chunk,
        ...(rev !== undefined ? { revision: rev } : {}),
        ...(after !== undefined ? { startAfter: after } : {}),
      });
      rev ??= page.revision;
      for (let i = 0; i < page.items.length; i++) {
        const kv = page.items[i];
        if (!kv) continue;
        const obj = decodeObject(kv);
        if (filter.matches && !filter.matches(obj)) {
          after = kv.key;
          continue;
        }
        if (limit !== undefined && items.length >= limit) {
          more = true;
          remaining = page.remaining + (page.items.length - i);
          break pages;
        }
        items.push(new CachedObject(kv.key, obj));
        lastKey = kv.key;
        after = kv.key;
      }
      if (page.remaining === 0 || page.items.length === 0) break;
    }
  } catch (e) {
    if (e instanceof CompactedError)
      throw expired(
        startAfter !== undefined
          ? 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'
          : `The resourceVersion for the provided list is too old.`,
      );
    throw translateStoreError(e, { group: rt.group, resource: rt.resource }, '');
  }
  const out: {
    items: CachedObject[];
    resourceVersion: number;
    continue?: string;
    remainingItemCount?: number;
  } = {
    items,
    resourceVersion: rev ?? 0,
  };
  if (more && lastKey !== undefined) {
    out.continue = encodeContinue(rev ?? 0, lastKey);
    if (unfiltered) out.remainingItemCount = remaining;
  }
  return out;
}

export interface WatchParams {
  readonly labelSelector?: string | null;
  readonly fieldSelector?: string | null;
  readonly resourceVersion?: string | null;
  readonly resourceVersionMatch?: string | null;
  /** Watch-list: the current objects as ADDED, then a BOOKMARK marking their end, then changes. */
  readonly sendInitialEvents?: boolean;
  readonly allowWatchBookmarks?: boolean;
}

/**
 * Starts a watch of one resource (`rt` is the stored resource). Errors that kube reports inside
 * the stream (410 Expired) come as an ERROR event; bad parameters throw ApiError 400.
 */
export async function watchObjects(
  ctx: RegistryContext,
  rt: ResourceType,
  namespace: string | undefined,
  params: WatchParams,
  options: { readonly signal: AbortSignal; readonly maxQueue?: number },
): Promise<CacheWatcher> {
  const selection = parseSelection(strategyOf(ctx, rt), params.labelSelector, params.fieldSelector);
  const filter: ObjectFilter = {
    prefix: listPrefix(rt, namespace),
    ...(selection.matches ? { matches: selection.matches } : {}),
  };
  const cache = ctx.caches.for(rt);
  const rvParam = params.resourceVersion ?? '';
  const base = { filter, signal: options.signal, maxQueue: options.maxQueue ?? 10_000 };
  if (params.sendInitialEvents) {
    // kube's rules for watch-list requests.
    if (params.resourceVersionMatch !== 'NotOlderThan')
      throw badRequest('sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    if (!params.allowWatchBookmarks)
      throw badRequest(
        'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled and allowWatchBookmarks is true',
      );
    const rv = rvParam === '' ? await ctx.store.currentRevision() : parseRV(rvParam);
    if (rv > ctx.caches.revision && !(await ctx.caches.waitForRevision(rv, cacheWaitMs)))
      return errorWatcher(base, tooLarge(rv, ctx.caches.revision));
    return cache.watch({
      ...base,
      fromRevision: undefined,
      currentRevision: ctx.caches.revision,
      initialEventsEnd: true,
    });
  }
  if (rvParam === '' || rvParam === '0') {
    if (rvParam === '') {
      // "Get state and start at most recent": the state is a consistent one.
      const current = await ctx.store.currentRevision();
      await ctx.caches.waitForRevision(current, cacheWaitMs);
    }
    return cache.watch({ ...base, fromRevision: undefined, currentRevision: ctx.caches.revision });
  }
  const rv = parseRV(rvParam);
  if (rv > ctx.caches.revision) {
    await ctx.caches.waitForRevision(rv, cacheWaitMs);
  }
  if (rv < cache.floor)
    return errorWatcher(base, expired(`too old resource version: ${rv} (${cache.floor})`));
  if (rv > ctx.caches.revision) return errorWatcher(base, tooLarge(rv, ctx.caches.revision));
  return cache.watch({ ...base, fromRevision: rv, currentRevision: ctx.caches.revision });
}

/** A watch that sends one ERROR event and ends (kube's errWatcher). */
function errorWatcher(
  base: { filter: ObjectFilter; signal: AbortSignal; maxQueue: number },
  err: ApiError,
): CacheWatcher {
  const w = new CacheWatcher({ ...base, startRevision: Infinity, onClose: () => undefined });
  w.fail({ type: 'ERROR', status: err.status });
  return w;
}

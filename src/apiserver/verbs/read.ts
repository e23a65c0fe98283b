/**
 * get, list and watch. Lists are written straight from the cached JSON of each object, so a
 * 10k list costs a string join; watches stream newline-delimited JSON events until the client
 * goes, `timeoutSeconds` passes, or (without it) a random 30–60 minutes, as kube-apiserver does.
 */
import { badRequest } from '../../api/meta/status.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { ResourceType } from '../../api/scheme.js';
import { includeObjectOf, negotiate } from '../negotiate.js';
import type { ListPage } from '../registry/list.js';
import type { ResourceRoute } from '../routes.js';
import {
  header,
  jsonResponse,
  type ApiRequest,
  type ApiResponse,
  type StreamResponse,
} from '../request.js';
import { toTable } from '../table.js';
import type { CachedObject, WatchOutput } from '../watchcache/types.js';
import {
  intParam,
  objectResponse,
  partialMetadata,
  storageResourceOf,
  toServed,
  type HandlerContext,
} from './common.js';

function gvOf(rt: ResourceType): string {
  return rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
}

/** GET of one object. */
export async function getVerb(
  ctx: HandlerContext,
  req: ApiRequest,
  route: ResourceRoute,
): Promise<ApiResponse> {
  const obj = await ctx.registry.get(
    storageResourceOf(route.rt),
    route.namespace,
    route.name ?? '',
  );
  return objectResponse(ctx, req, route.rt, obj, 200);
}

function listMeta(page: ListPage): Record<string, unknown> {
  const m: Record<string, unknown> = { resourceVersion: String(page.resourceVersion) };
  if (page.continue !== undefined) m['continue'] = page.continue;
  if (page.remainingItemCount !== undefined) m['remainingItemCount'] = page.remainingItemCount;
  return m;
}

function itemJson(rt: ResourceType, o: CachedObject): string {
  return rt.storageResource === undefined ? o.json : JSON.stringify(toServed(rt, o.obj));
}

/** The list parameters of a request. */
function listParams(req: ApiRequest, route: ResourceRoute) {
  const q = req.query;
  let fieldSelector = q.get('fieldSelector');
  if (route.name !== undefined) {
    // A watch of one object: /…/pods/name?watch=true
    const byName = `metadata.name=${route.name}`;
    fieldSelector = fieldSelector ? `${fieldSelector},${byName}` : byName;
  }
  const limit = intParam(q, 'limit');
  if (limit !== undefined && limit < 0) throw badRequest('limit: Invalid value: must be >= 0');
  return {
    labelSelector: q.get('labelSelector'),
    fieldSelector,
    resourceVersion: q.get('resourceVersion'),
    resourceVersionMatch: q.get('resourceVersionMatch'),
    continue: q.get('continue'),
    ...(limit !== undefined ? { limit } : {}),
  };
}

/** GET of a collection. */
export async function listVerb(
  ctx: HandlerContext,
  req: ApiRequest,
  route: ResourceRoute,
): Promise<ApiResponse> {
  const rt = route.rt;
  const form = negotiate(header(req, 'accept'));
  const page = await ctx.registry.list(
    storageResourceOf(rt),
    route.namespace,
    listParams(req, route),
  );
  const meta = listMeta(page);
  switch (form) {
    case 'table':
      return jsonResponse(
        200,
        toTable(
          rt,
          page.items.map((o) => toServed(rt, o.obj)),
          { now: ctx.clock.now(), listMeta: meta, includeObject: includeObjectOf(req.query) },
        ),
      );
    case 'metadata':
      return jsonResponse(200, {
        kind: 'PartialObjectMetadataList',
        apiVersion: 'meta.k8s.io/v1',
        metadata: meta,
        items: page.items.map((o) => partialMetadata(o.obj)),
      });
    case 'object': {
      const items = page.items.map((o) => itemJson(rt, o)).join(',');
      const body = `{"kind":${JSON.stringify(rt.listKind)},"apiVersion":${JSON.stringify(gvOf(rt))},"metadata":${JSON.stringify(meta)},"items":[${items}]}`;
      return jsonResponse(200, body);
    }
  }
}

/** GET …?watch=true: newline-delimited watch events. */
export async function watchVerb(
  ctx: HandlerContext,
  req: ApiRequest,
  route: ResourceRoute,
): Promise<ApiResponse> {
  const rt = route.rt;
  const form = negotiate(header(req, 'accept'));
  const params = listParams(req, route);
  const timeoutSeconds = intParam(req.query, 'timeoutSeconds');
  const bookmarks = req.query.get('allowWatchBookmarks') === 'true';
  const includeObject = includeObjectOf(req.query);
  const caches = ctx.registry.ctx.caches;
  const sendInitialEvents = req.query.get('sendInitialEvents') === 'true';
  const watcher = await ctx.registry.watch(
    storageResourceOf(rt),
    route.namespace,
    { ...params, sendInitialEvents, allowWatchBookmarks: bookmarks },
    {
      signal: req.signal,
    },
  );

  const render = (out: WatchOutput): string => {
    switch (out.type) {
      case 'ERROR':
        return `{"type":"ERROR","object":${JSON.stringify(out.status)}}\n`;
      case 'BOOKMARK':
        return `{"type":"BOOKMARK","object":${JSON.stringify({
          kind: rt.kind,
          apiVersion: gvOf(rt),
          metadata: {
            resourceVersion: String(out.revision),
            ...(out.initialEventsEnd
              ? { annotations: { 'k8s.io/initial-events-end': 'true' } }
              : {}),
          },
        })}}\n`;
      default: {
        let object: string;
        if (form === 'object') object = itemJson(rt, out.object);
        else {
          const served: KubeObject = toServed(rt, out.object.obj);
          object = JSON.stringify(
            form === 'table'
              ? toTable(rt, [served], {
                  now: ctx.clock.now(),
                  listMeta: { resourceVersion: served.metadata.resourceVersion ?? '' },
                  includeObject,
                })
              : partialMetadata(served),
          );
        }
        return `{"type":"${out.type}","object":${object}}\n`;
      }
    }
  };

  const lifetimeMs =
    timeoutSeconds !== undefined && timeoutSeconds > 0
      ? timeoutSeconds * 1000
      : (ctx.minWatchTimeoutSeconds + Math.random() * ctx.minWatchTimeoutSeconds) * 1000;

  async function* stream(): AsyncGenerator<string> {
    const timeout = setTimeout(() => watcher.close(), lifetimeMs);
    const tick = bookmarks
      ? setInterval(() => watcher.bookmark(caches.revision), ctx.bookmarkIntervalMs)
      : undefined;
    try {
      for await (const out of watcher) yield render(out);
    } finally {
      clearTimeout(timeout);
      if (tick) clearInterval(tick);
      watcher.close();
    }
  }
  const res: StreamResponse = {
    kind: 'stream',
    status: 200,
    headers: { 'content-type': 'application/json' },
    stream: stream(),
  };
  return res;
}

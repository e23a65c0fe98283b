/**
 * Test helper: a tiny API server for one resource (core/v1 services) over real HTTP on
 * 127.0.0.1:0, with the list and watch behaviour of kube-apiserver that informers depend on:
 * paged lists at a resourceVersion, watches replayed from a resourceVersion, 410 for compacted
 * history (as an ERROR event or as the HTTP answer), bookmarks, and connections that can be
 * ended cleanly or dropped. Tests mutate its state directly and watch the client react.
 */
import type { ServerResponse } from 'node:http';
import type { TestContext } from 'node:test';
import type { KubeObject, Status, StatusReason } from '../api/meta/types.js';
import { sendJson, startScriptedServer, type ScriptedServer } from './httptest.js';
import { namespacedKey } from './keys.js';

interface Change {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: KubeObject;
}

export interface MiniApiServer {
  readonly http: ScriptedServer;
  /** Creates or replaces an object (the next resourceVersion). */
  put(obj: KubeObject): void;
  remove(namespace: string, name: string): void;
  /** Forgets history up to now: older watches and continue tokens get 410. */
  compact(): void;
  /** Sends a BOOKMARK at the current resourceVersion to watches that allow them. */
  bookmark(): void;
  /** Ends open watches cleanly (as the server's watch timeout does). */
  endWatches(): void;
  /** How 410 is told to a watch from a compacted resourceVersion. */
  expiredAs: 'event' | 'http';
  /** While positive, each request is answered by dropping its connection (and decrements). */
  failNext: number;
  readonly rv: number;
  openWatches(): number;
}

export async function startMiniApiServer(t: TestContext): Promise<MiniApiServer> {
  const objects = new Map<string, KubeObject>();
  const log: Change[] = [];
  const watches = new Set<{ res: ServerResponse; bookmarks: boolean; ns: string | undefined }>();
  let rv = 0;
  let compacted = 0;

  const status = (code: number, reason: StatusReason, message: string): Status => ({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    reason,
    message,
    code,
  });
  const frame = (type: string, object: unknown): string => JSON.stringify({ type, object }) + '\n';
  const inNs = (o: KubeObject, ns: string | undefined) =>
    ns === undefined || o.metadata.namespace === ns;

  const emit = (c: Change): void => {
    log.push(c);
    for (const w of watches) if (inNs(c.object, w.ns)) w.res.write(frame(c.type, c.object));
  };

  const mini: MiniApiServer = {
    http: await startScriptedServer(t, (req, res) => {
      if (mini.failNext > 0) {
        mini.failNext--;
        res.socket?.destroy();
        return;
      }
      const m = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/services$/.exec(req.path);
      if (req.method !== 'GET' || !m) {
        sendJson(
          res,
          404,
          status(404, 'NotFound', 'the server could not find the requested resource'),
        );
        return;
      }
      const ns = m[1];
      if (req.query.get('watch') === 'true') {
        const from = Number(req.query.get('resourceVersion') ?? '0');
        if (from < compacted) {
          const s = status(410, 'Expired', `too old resource version: ${from} (${compacted})`);
          if (mini.expiredAs === 'http') {
            sendJson(res, 410, s);
            return;
          }
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(frame('ERROR', s));
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        res.flushHeaders();
        for (const c of log)
          if (c.rv > from && inNs(c.object, ns)) res.write(frame(c.type, c.object));
        const w = { res, bookmarks: req.query.get('allowWatchBookmarks') === 'true', ns };
        watches.add(w);
        res.on('close', () => watches.delete(w));
        return;
      }
      const limit = Number(req.query.get('limit') ?? '0');
      const cont = req.query.get('continue');
      let start = 0;
      let at = rv;
      if (cont) {
        const [r, s] = cont.split(':').map(Number);
        if ((r ?? 0) < compacted) {
          sendJson(res, 410, status(410, 'Expired', 'The provided continue parameter is too old'));
          return;
        }
        at = r ?? rv;
        start = s ?? 0;
      }
      // Pages read the current state (tests do not write between pages).
      const items = [...objects.entries()]
        .filter(([, o]) => inNs(o, ns))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([, o]) => o);
      const page = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
      const next = start + page.length;
      sendJson(res, 200, {
        kind: 'ServiceList',
        apiVersion: 'v1',
        metadata: {
          resourceVersion: String(at),
          ...(next < items.length ? { continue: `${at}:${next}` } : {}),
        },
        // Like kube-apiserver, list items carry no kind/apiVersion.
        items: page.map(({ kind: _k, apiVersion: _a, ...rest }) => rest),
      });
    }),
    put(obj) {
      const o = structuredClone(obj);
      o.metadata.resourceVersion = String(++rv);
      const key = namespacedKey(o.metadata.namespace, o.metadata.name ?? '');
      const type = objects.has(key) ? 'MODIFIED' : 'ADDED';
      objects.set(key, o);
      emit({ rv, type, object: o });
    },
    remove(namespace, name) {
      const key = namespacedKey(namespace, name);
      const o = objects.get(key);
      if (!o) return;
      objects.delete(key);
      const gone = structuredClone(o);
      gone.metadata.resourceVersion = String(++rv);
      emit({ rv, type: 'DELETED', object: gone });
    },
    compact() {
      compacted = rv;
      log.length = 0;
    },
    bookmark() {
      for (const w of watches)
        if (w.bookmarks)
          w.res.write(
            frame('BOOKMARK', {
              kind: 'Service',
              apiVersion: 'v1',
              metadata: { resourceVersion: String(rv) },
            }),
          );
    },
    endWatches() {
      for (const w of watches) w.res.end();
    },
    expiredAs: 'event',
    failNext: 0,
    get rv() {
      return rv;
    },
    openWatches: () => watches.size,
  };
  return mini;
}

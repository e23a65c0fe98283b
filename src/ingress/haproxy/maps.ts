/**
 * The route table as HAProxy map files, and an emulator of the frontend's lookups over them (the
 * rules in config.ts) so that unit tests can check the encoding against `matchRoute` without a
 * running HAProxy.
 *
 * Keys are `<host key><path>`, where the host key is the request's host when `hosts.map` has it,
 * else its one-label wildcard (`*.foo.com`) when `hosts.map` has that, else `*` (rules without a
 * host). Host keys never contain `/`, so `<host key><path>` is unambiguous. The lookups, in order:
 *
 * 1. `exact.map` (map_str), the request path as sent: Exact rules. An Exact match is never shorter
 *    than any Prefix match, and wins ties.
 * 2. `prefix-exact.map` (map_str), the path with repeated slashes collapsed: Prefix rules at their
 *    own path (`/foo` takes `/foo`): no other Prefix match can be longer.
 * 3. `prefix.map` (map_beg, longest match — HAProxy indexes `beg` patterns in a prefix tree):
 *    Prefix rules as `<path>/` (`/foo/` takes `/foo/`, `/foo/bar`; never `/foobar`), the root as `/`.
 *    Every key ends at an element boundary, so the longest string is the longest element prefix.
 * 4. `defaults.map` (map_str): the host key's default backend. Nothing found: the 404 backend.
 */
import { normalizeHost } from '../routes.js';
import type { RouteTable } from '../types.js';

export const mapNames = ['hosts', 'exact', 'prefix-exact', 'prefix', 'defaults'] as const;
export type MapName = (typeof mapNames)[number];

/** Map contents: key → value (a backend name; `1` in hosts.map). */
export type RouteMaps = Readonly<Record<MapName, ReadonlyMap<string, string>>>;

/** The host key of rules without a host. */
export const anyHostKey = '*';

function hostKey(host: string): string {
  return host === '' ? anyHostKey : host;
}

/** The map files that serve a route table. */
export function routeMaps(table: RouteTable): RouteMaps {
  const hosts = new Map<string, string>();
  const exact = new Map<string, string>();
  const prefixExact = new Map<string, string>();
  const prefix = new Map<string, string>();
  const defaults = new Map<string, string>();
  for (const entry of table.hosts.values()) {
    const hk = hostKey(entry.host);
    if (entry.host !== '') hosts.set(entry.host, '1');
    for (const r of entry.paths) {
      if (r.match === 'Exact') {
        exact.set(hk + r.path, r.backend);
      } else if (r.path === '/') {
        prefix.set(`${hk}/`, r.backend);
      } else {
        prefixExact.set(hk + r.path, r.backend);
        prefix.set(`${hk}${r.path}/`, r.backend);
      }
    }
    if (entry.defaultBackend !== undefined) defaults.set(hk, entry.defaultBackend);
  }
  return { hosts, exact, 'prefix-exact': prefixExact, prefix, defaults };
}

/** A map file's text: `key value` lines, sorted (stable files, reviewable diffs). */
export function renderMap(m: ReadonlyMap<string, string>): string {
  return [...m]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k} ${v}\n`)
    .join('');
}

/**
 * What the HAProxy frontend (config.ts) decides for a request, computed over the maps with
 * HAProxy's matching: map_str exact, map_beg longest prefix. Undefined: the 404 backend.
 */
export function emulateLookup(
  maps: RouteMaps,
  hostHeader: string | undefined,
  path: string,
): string | undefined {
  let hk: string | undefined;
  if (hostHeader !== undefined) {
    const host = normalizeHost(hostHeader); // lower,regsub(:[0-9]+$,),regsub([.]$,)
    if (maps.hosts.has(host)) hk = host;
    else {
      const wild = host.replace(/^[^.]+/, '*'); // regsub(^[^.]+,*)
      if (maps.hosts.has(wild)) hk = wild;
    }
  }
  hk ??= anyHostKey;
  const collapsed = path.replace(/\/+/g, '/'); // regsub(/+,/,g)
  const exact = maps.exact.get(hk + path);
  if (exact !== undefined) return exact;
  const pe = maps['prefix-exact'].get(hk + collapsed);
  if (pe !== undefined) return pe;
  const key = hk + collapsed;
  let best: string | undefined;
  let bestLen = -1;
  for (const [k, v] of maps.prefix)
    if (key.startsWith(k) && k.length > bestLen) {
      best = v;
      bestLen = k.length;
    }
  if (best !== undefined) return best;
  return maps.defaults.get(hk);
}

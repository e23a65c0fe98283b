/**
 * Routes as a pure function of the cluster's objects: Ingresses (already filtered to our class),
 * Services, EndpointSlices and Secrets in; hosts, paths, backends with their ready endpoints and
 * TLS certificates out. `matchRoute` is the reference semantics of a request against the table;
 * the HAProxy maps (haproxy/maps.ts) encode the same decisions and are tested against it.
 *
 * Semantics (networking.k8s.io/v1, as ingress-nginx serves them):
 * - Host: exact names first, then a `*.` wildcard matching exactly one label (`*.foo.com` takes
 *   `bar.foo.com`, not `foo.com` nor `a.bar.foo.com`), then rules without a host. The most
 *   specific host that has rules is used; a request never falls through to a less specific one.
 * - Path: Exact is case-sensitive equality. Prefix matches element-wise on `/`-separated
 *   elements, trailing slashes ignored on both sides (`/foo` takes `/foo`, `/foo/`, `/foo/bar`,
 *   not `/foobar`). ImplementationSpecific is Prefix. The longest matching path wins; at equal
 *   length Exact beats Prefix.
 * - No path matches: the host's default backend (the `defaultBackend` of the oldest Ingress that
 *   defines the host, or for rules without a host of the oldest Ingress that has one); else 404.
 * - Conflicts (the same host and path in two Ingresses; the same SNI name in two TLS Secrets):
 *   the oldest Ingress wins (creationTimestamp, then namespace/name).
 * - Backends are Service ports by number or name; endpoints are the ready addresses of the
 *   Service's EndpointSlices with the target port of that Service port.
 */
import type { Service, Secret } from '../api/types/core.js';
import type { EndpointSlice } from '../api/types/discovery.js';
import type { Ingress, IngressBackend } from '../api/types/networking.js';
import { tlsBundle } from './tls.js';
import type {
  Backend,
  BackendRef,
  Endpoint,
  HostRoutes,
  PathMatch,
  PathRoute,
  RouteProblem,
  RouteTable,
  TlsCertificate,
} from './types.js';

/** Where routes read the cluster's objects (listers in the controller, arrays in tests). */
export interface RouteSources {
  /** Ingresses to serve (of our class). */
  readonly ingresses: readonly Ingress[];
  service(namespace: string, name: string): Service | undefined;
  /** The EndpointSlices of a Service (label kubernetes.io/service-name). */
  slices(namespace: string, service: string): readonly EndpointSlice[];
  secret(namespace: string, name: string): Secret | undefined;
}

function keyOf(ing: Ingress): string {
  return `${ing.metadata.namespace ?? ''}/${ing.metadata.name ?? ''}`;
}

/** Oldest first; ties by namespace/name. */
export function byAge(a: Ingress, b: Ingress): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = keyOf(a);
  const kb = keyOf(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The name of a backend: `<namespace>_<service>_<port>` (no Kubernetes name contains `_`). */
export function backendName(ref: BackendRef): string {
  return `${ref.namespace}_${ref.service}_${ref.port}`;
}

/**
 * Request Host header → host key, exactly as the HAProxy frontend computes it
 * (`lower,regsub(:[0-9]+$,),regsub([.]$,)`): lower case, without a port and a trailing dot.
 */
export function normalizeHost(host: string | undefined): string {
  if (host === undefined) return '';
  return host
    .toLowerCase()
    .replace(/:[0-9]+$/, '')
    .replace(/\.$/, '');
}

/** The wildcard key that covers a host (`bar.foo.com` → `*.foo.com`), if it has one. */
export function wildcardOf(host: string): string | undefined {
  const w = host.replace(/^[^.]+/, '*');
  return w.startsWith('*.') && w !== host ? w : undefined;
}

/** A Prefix rule's path without trailing slashes; `/` for the root. */
export function normalizePrefix(path: string): string {
  const p = path.replace(/\/+$/, '');
  return p === '' ? '/' : p;
}

/** Paths HAProxy's map files cannot carry as one key. */
function unmappable(path: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\s\u0000-\u001f\u007f]/.test(path);
}

function portKey(backend: IngressBackend): string | undefined {
  const port = backend.service?.port;
  if (port?.number !== undefined && port.number > 0) return String(port.number);
  if (port?.name !== undefined && port.name !== '') return port.name;
  return undefined;
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  if (a.address !== b.address) {
    const na = a.address.split(/[.:]/).map((x) => x.padStart(5, '0'));
    const nb = b.address.split(/[.:]/).map((x) => x.padStart(5, '0'));
    return na.join('.') < nb.join('.') ? -1 : 1;
  }
  return a.port - b.port;
}

/** Resolves a backend to its ready endpoints (or a problem). */
export function resolveBackend(ref: BackendRef, src: RouteSources): Backend {
  const name = backendName(ref);
  const svc = src.service(ref.namespace, ref.service);
  if (!svc)
    return {
      name,
      ref,
      endpoints: [],
      problem: `service ${ref.namespace}/${ref.service} not found`,
    };
  if (svc.spec?.type === 'ExternalName')
    return {
      name,
      ref,
      endpoints: [],
      problem: `service ${ref.namespace}/${ref.service} is of type ExternalName, which is not supported`,
    };
  const isNumber = /^\d+$/.test(ref.port);
  const sp = (svc.spec?.ports ?? []).find(
    (p) =>
      (p.protocol ?? 'TCP') === 'TCP' &&
      (isNumber ? p.port === Number(ref.port) : p.name === ref.port),
  );
  if (!sp)
    return {
      name,
      ref,
      endpoints: [],
      problem: `service ${ref.namespace}/${ref.service} has no TCP port ${isNumber ? ref.port : JSON.stringify(ref.port)}`,
    };
  const portName = sp.name ?? '';
  const seen = new Set<string>();
  const endpoints: Endpoint[] = [];
  for (const slice of src.slices(ref.namespace, ref.service)) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const port = (slice.ports ?? []).find(
      (p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === 'TCP',
    )?.port;
    if (port === undefined || port <= 0) continue;
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      for (const address of ep.addresses ?? []) {
        const k = `${address}|${port}`;
        if (seen.has(k)) continue;
        seen.add(k);
        endpoints.push({ address, port });
      }
    }
  }
  endpoints.sort(compareEndpoints);
  return { name, ref, endpoints };
}

interface HostBuilder {
  readonly host: string;
  readonly paths: Map<string, PathRoute>;
  defaultBackend?: string;
}

/** Computes the route table. Pure: the same sources give the same table. */
export function buildRoutes(src: RouteSources): RouteTable {
  const ingresses = [...src.ingresses].sort(byAge);
  const hosts = new Map<string, HostBuilder>();
  const backendRefs = new Map<string, BackendRef>();
  const problems: RouteProblem[] = [];
  const certs = new Map<string, { secret: string; pem: string; hosts: string[] }>();
  const sniOwner = new Map<string, string>();

  const hostEntry = (host: string): HostBuilder => {
    let h = hosts.get(host);
    if (!h) {
      h = { host, paths: new Map() };
      hosts.set(host, h);
    }
    return h;
  };
  const backendOf = (ing: Ingress, b: IngressBackend | undefined, where: string) => {
    const ingress = keyOf(ing);
    if (!b?.service?.name) {
      problems.push({
        ingress,
        reason: 'UnsupportedBackend',
        message: b?.resource
          ? `${where}: resource backends (${b.resource.kind} ${b.resource.name}) are not supported`
          : `${where}: no service backend`,
      });
      return undefined;
    }
    const port = portKey(b);
    if (port === undefined) {
      problems.push({
        ingress,
        reason: 'InvalidBackend',
        message: `${where}: service ${b.service.name} names no port`,
      });
      return undefined;
    }
    const ref: BackendRef = {
      namespace: ing.metadata.namespace ?? 'default',
      service: b.service.name,
      port,
    };
    const name = backendName(ref);
    backendRefs.set(name, ref);
    return name;
  };

  let anyDefault: string | undefined;
  for (const ing of ingresses) {
    const ingress = keyOf(ing);
    const ns = ing.metadata.namespace ?? 'default';
    const spec = ing.spec ?? {};
    const def = spec.defaultBackend
      ? backendOf(ing, spec.defaultBackend, 'defaultBackend')
      : undefined;
    const ownHosts = new Set<string>();
    (spec.rules ?? []).forEach((rule, ri) => {
      const host = (rule.host ?? '').toLowerCase();
      const entry = hostEntry(host);
      ownHosts.add(host);
      (rule.http?.paths ?? []).forEach((p, pi) => {
        const where = `spec.rules[${ri}].http.paths[${pi}]`;
        const match: PathMatch = p.pathType === 'Exact' ? 'Exact' : 'Prefix';
        const raw = p.path ?? '';
        if (match === 'Exact' && !raw.startsWith('/')) {
          problems.push({ ingress, reason: 'InvalidPath', message: `${where}: not absolute` });
          return;
        }
        const path = match === 'Exact' ? raw : normalizePrefix(raw.startsWith('/') ? raw : '/');
        if (unmappable(path)) {
          problems.push({
            ingress,
            reason: 'InvalidPath',
            message: `${where}: path ${JSON.stringify(raw)} contains whitespace or control characters`,
          });
          return;
        }
        const backend = backendOf(ing, p.backend, where);
        if (backend === undefined) return;
        const k = `${match} ${path}`;
        const existing = entry.paths.get(k);
        if (existing) {
          if (existing.ingress !== ingress && existing.backend !== backend)
            problems.push({
              ingress,
              reason: 'Conflict',
              message: `${where}: host ${JSON.stringify(host)} path ${path} (${match}) is already served by ingress ${existing.ingress}`,
            });
          return;
        }
        entry.paths.set(k, { path, match, backend, ingress });
      });
    });
    if (def !== undefined) {
      for (const h of ownHosts) {
        const entry = hostEntry(h);
        entry.defaultBackend ??= def;
      }
      anyDefault ??= def;
    }

    (spec.tls ?? []).forEach((tls, ti) => {
      if (!tls.secretName) return; // the default certificate serves these hosts
      const secretKey = `${ns}/${tls.secretName}`;
      const secret = src.secret(ns, tls.secretName);
      if (!secret) {
        problems.push({
          ingress,
          reason: 'SecretNotFound',
          message: `spec.tls[${ti}]: secret ${secretKey} not found; serving the default certificate`,
        });
        return;
      }
      const bundle = tlsBundle(secret);
      if ('error' in bundle) {
        problems.push({
          ingress,
          reason: 'InvalidSecret',
          message: `spec.tls[${ti}]: secret ${secretKey} ${bundle.error}; serving the default certificate`,
        });
        return;
      }
      const name = `${ns}_${tls.secretName}`;
      let cert = certs.get(name);
      if (!cert) {
        cert = { secret: secretKey, pem: bundle.pem, hosts: [] };
        certs.set(name, cert);
      }
      for (const raw of tls.hosts ?? []) {
        const h = raw.toLowerCase();
        const owner = sniOwner.get(h);
        if (owner !== undefined) {
          if (owner !== name)
            problems.push({
              ingress,
              reason: 'Conflict',
              message: `spec.tls[${ti}]: host ${h} already uses the certificate of secret ${owner.replace('_', '/')}`,
            });
          continue;
        }
        sniOwner.set(h, name);
        cert.hosts.push(h);
      }
    });
  }
  if (anyDefault !== undefined) hostEntry('').defaultBackend ??= anyDefault;

  const backends = new Map<string, Backend>();
  for (const [name, ref] of [...backendRefs].sort(([a], [b]) => (a < b ? -1 : 1)))
    backends.set(name, resolveBackend(ref, src));

  const hostTable = new Map<string, HostRoutes>();
  for (const key of [...hosts.keys()].sort()) {
    const h = hosts.get(key);
    if (!h) continue;
    const paths = [...h.paths.values()].sort((a, b) =>
      a.path !== b.path ? (a.path < b.path ? -1 : 1) : a.match < b.match ? -1 : 1,
    );
    hostTable.set(key, {
      host: key,
      paths,
      ...(h.defaultBackend !== undefined ? { defaultBackend: h.defaultBackend } : {}),
    });
  }
  const certificates: TlsCertificate[] = [...certs]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, c]) => ({ name, secret: c.secret, pem: c.pem, hosts: [...c.hosts].sort() }));
  return {
    hosts: hostTable,
    backends,
    certificates,
    ingresses: ingresses.map(keyOf).sort(),
    problems,
  };
}

/** Path elements, ignoring empty ones from repeated or trailing slashes. */
function elements(path: string): string[] {
  return path.split('/').filter((e) => e !== '');
}

/** Whether a Prefix rule's path matches a request path element-wise. */
export function prefixMatches(rule: string, request: string): boolean {
  if (!request.startsWith('/')) return false;
  const r = elements(rule);
  const q = elements(request);
  if (r.length > q.length) return false;
  return r.every((e, i) => e === q[i]);
}

/** The host entry that serves a request host. */
export function hostRoutesFor(table: RouteTable, host: string | undefined): HostRoutes | undefined {
  const h = normalizeHost(host);
  if (h !== '') {
    const exact = table.hosts.get(h);
    if (exact) return exact;
    const wild = wildcardOf(h);
    const w = wild !== undefined ? table.hosts.get(wild) : undefined;
    if (w) return w;
  }
  return table.hosts.get('');
}

/**
 * The reference semantics: the backend a request goes to, or undefined for 404.
 * @example matchRoute(table, 'foo.bar.com:80', '/aaa/bbb') // 'default_aaa-slash-bbb_8080'
 */
export function matchRoute(
  table: RouteTable,
  host: string | undefined,
  path: string,
): string | undefined {
  const entry = hostRoutesFor(table, host);
  if (!entry) return undefined;
  let best: PathRoute | undefined;
  for (const r of entry.paths) {
    const ok = r.match === 'Exact' ? r.path === path : prefixMatches(r.path, path);
    if (!ok) continue;
    if (
      !best ||
      r.path.length > best.path.length ||
      (r.path.length === best.path.length && r.match === 'Exact' && best.match === 'Prefix')
    )
      best = r;
  }
  return best?.backend ?? entry.defaultBackend;
}

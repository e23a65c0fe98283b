/**
 * The ingress route model: what `routes.ts` computes from the cluster's objects and the HAProxy
 * data plane serves. Plain data, no I/O.
 */

/** One Service port as an Ingress names it: by number (`"80"`) or by name (`"http"`). */
export interface BackendRef {
  readonly namespace: string;
  readonly service: string;
  readonly port: string;
}

/** An address and port traffic for a backend goes to (a ready endpoint's target port). */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** A backend: a Service port and its ready endpoints. */
export interface Backend {
  /** `<namespace>_<service>_<port>`: unique, and a valid HAProxy backend name. */
  readonly name: string;
  readonly ref: BackendRef;
  /** Ready endpoints, sorted; empty answers 503. */
  readonly endpoints: readonly Endpoint[];
  /** Why the backend cannot be resolved (no Service, no such port…); undefined when it can. */
  readonly problem?: string;
}

export type PathMatch = 'Exact' | 'Prefix';

/** One path rule of a host, after conflict resolution (the oldest Ingress wins). */
export interface PathRoute {
  /** Exact: the path as written. Prefix: without trailing slashes (`/` for the root). */
  readonly path: string;
  readonly match: PathMatch;
  /** A key of RouteTable.backends. */
  readonly backend: string;
  /** `namespace/name` of the Ingress the rule came from. */
  readonly ingress: string;
}

/** The routes of one host key. */
export interface HostRoutes {
  /** `foo.example.com`, `*.example.com`, or `` for rules without a host (any host). */
  readonly host: string;
  readonly paths: readonly PathRoute[];
  /**
   * Where requests for this host that match no path go: the `defaultBackend` of the oldest
   * Ingress that defines the host (for ``: of the oldest Ingress with one). Undefined: 404.
   */
  readonly defaultBackend?: string;
}

/** A certificate from a TLS Secret and the SNI names it serves. */
export interface TlsCertificate {
  /** `<namespace>_<secret>`: the file name stem of its PEM bundle. */
  readonly name: string;
  /** `namespace/name` of the Secret. */
  readonly secret: string;
  /** Certificate chain then private key, PEM (HAProxy's bundle format). */
  readonly pem: string;
  /** SNI names (`foo.example.com`, `*.example.com`); empty: the names in the certificate. */
  readonly hosts: readonly string[];
}

/** Something wrong with an Ingress that a user should hear about (logged, and an Event). */
export interface RouteProblem {
  /** `namespace/name` of the Ingress. */
  readonly ingress: string;
  /** CamelCase reason, as an Event's. */
  readonly reason: string;
  readonly message: string;
}

/** Everything the data plane serves. */
export interface RouteTable {
  /** By host key (`` = any host). */
  readonly hosts: ReadonlyMap<string, HostRoutes>;
  /** By name. */
  readonly backends: ReadonlyMap<string, Backend>;
  readonly certificates: readonly TlsCertificate[];
  /** `namespace/name` of every Ingress served, sorted. */
  readonly ingresses: readonly string[];
  readonly problems: readonly RouteProblem[];
}

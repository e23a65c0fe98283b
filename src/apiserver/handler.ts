/**
 * (ApiRequest) → ApiResponse: authentication, routing, and dispatch to the verbs, the
 * subresources, discovery, OpenAPI, /version and the health checks. No sockets here (server.ts
 * owns them), so every path is testable in-process.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  ApiError,
  badRequest,
  methodNotSupported,
  statusOf,
  unauthorized,
} from '../api/meta/status.js';
import type { Registry as MetricsRegistry } from '../lib/metrics.js';
import { exponentialBuckets } from '../lib/metrics.js';
import { kubernetesVersion } from '../version.js';
import { isPublicPath, type Authenticator } from './auth/authn.js';
import {
  aggregatedContentTypeV2,
  aggregatedContentTypeV2beta1,
  aggregatedDiscovery,
  legacyApiGroup,
  legacyApiGroupList,
  legacyApiVersions,
  legacyResourceList,
  wantsAggregated,
} from './discovery.js';
import { openapiV3Document, openapiV3Index } from './encoding/openapi.js';
import {
  openapiV2Document,
  openapiV2ETag,
  openapiV2Protobuf,
  openapiV2ProtobufType,
} from './encoding/openapiv2.js';
import { proxyVerb } from './proxy/http.js';
import { parseRoute, type ResourceRoute, type Verb } from './routes.js';
import {
  errorResponse,
  header,
  jsonResponse,
  textResponse,
  type ApiRequest,
  type ApiResponse,
  type ClientCertificate,
} from './request.js';
import {
  bindingVerb,
  evictionVerb,
  finalizeVerb,
  logVerb,
  upgradeStream,
} from './subresources/pods.js';
import { scaleVerb } from './subresources/scale.js';
import type { HandlerContext } from './verbs/common.js';
import { deleteCollectionVerb, deleteVerb } from './verbs/delete.js';
import { getVerb, listVerb, watchVerb } from './verbs/read.js';
import { createVerb, patchVerb, updateVerb } from './verbs/write.js';

export interface ApiHandlerOptions extends HandlerContext {
  readonly authenticator: Authenticator;
  readonly metrics: MetricsRegistry;
  /** True once the server has started (caches listed, built-in objects in place). */
  readonly ready: () => boolean;
  /** `host:port` clients use, for the legacy /api document. */
  readonly serverAddress: string;
}

const notFoundStatus = (): ApiError =>
  new ApiError(statusOf(404, 'NotFound', 'the server could not find the requested resource', {}));

/** The /version document (kubectl's dispatcher picks its minor from it). */
export function versionInfo(): Record<string, string> {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return {
    major: kubernetesVersion.major,
    minor: kubernetesVersion.minor,
    gitVersion: kubernetesVersion.gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-12-11T00:00:00Z',
    goVersion: 'go1.23.4',
    compiler: 'gc',
    platform: `${process.platform}/${arch}`,
  };
}

export class ApiHandler {
  readonly #o: ApiHandlerOptions;
  readonly #requests;
  readonly #latency;

  constructor(options: ApiHandlerOptions) {
    this.#o = options;
    this.#requests = options.metrics.counter(
      'apiserver_request_total',
      'API requests by verb, resource and HTTP code',
    );
    this.#latency = options.metrics.histogram(
      'apiserver_request_duration_seconds',
      'API request latency (watches and streams excluded) by verb',
      exponentialBuckets(0.0005, 2, 16),
    );
  }

  /** Serves one request. Never throws: errors become Status responses. */
  async handle(req: ApiRequest): Promise<ApiResponse> {
    const started = performance.now();
    let verb = 'other';
    let resource = '';
    let res: ApiResponse;
    try {
      const route = parseRoute(req.method, req.path, req.query);
      if (route.type === 'resource') {
        verb = route.verb ?? 'unknown';
        resource = route.rt.resource + (route.subresource ? `/${route.subresource}` : '');
      }
      if (!isPublicPath(req.path) && !this.#o.authenticator.authenticate(req)) throw unauthorized();
      res = await this.#dispatch(req, route);
    } catch (e) {
      if (!(e instanceof ApiError))
        this.#o.logger.error(e, 'Request failed', { method: req.method, path: req.path });
      res = errorResponse(e);
    }
    this.#requests.inc({ verb, resource, code: String(res.status) });
    if (res.kind === 'body') this.#latency.observe((performance.now() - started) / 1000, { verb });
    this.#o.logger.v(6).info('Request', { method: req.method, path: req.path, code: res.status });
    return res;
  }

  async #dispatch(req: ApiRequest, route: ReturnType<typeof parseRoute>): Promise<ApiResponse> {
    switch (route.type) {
      case 'version':
        return jsonResponse(200, versionInfo());
      case 'health':
        return this.#health(route.check);
      case 'metrics':
        return textResponse(200, this.#o.metrics.expose(), 'text/plain; version=0.0.4');
      case 'openapi':
        return this.#openapi(req, route.version, route.key);
      case 'discovery':
        return this.#discovery(req, route.core, route.group, route.version);
      case 'notFound':
      case 'unknownResource':
        throw notFoundStatus();
      case 'resource':
        if (route.verb === undefined)
          throw methodNotSupported(
            { group: route.rt.group, resource: route.rt.resource },
            req.method,
          );
        return this.#resource(req, { ...route, verb: route.verb });
    }
  }

  #health(check: 'healthz' | 'livez' | 'readyz'): ApiResponse {
    if (check === 'readyz' && !this.#o.ready())
      return textResponse(500, '[-]informer-sync failed: not ready yet\nreadyz check failed');
    return textResponse(200, 'ok');
  }

  #openapi(req: ApiRequest, version: 'v2' | 'v3', key: string | undefined): ApiResponse {
    // v2: kubectl validates `kind: List` files with it (protobuf), whatever v3 says.
    if (version === 'v2') {
      const etag = openapiV2ETag();
      const headers = { etag };
      if (header(req, 'if-none-match') === etag)
        return { kind: 'body', status: 304, headers, body: '' };
      if ((header(req, 'accept') ?? '').includes('protobuf'))
        return {
          kind: 'body',
          status: 200,
          headers: { ...headers, 'content-type': openapiV2ProtobufType },
          body: openapiV2Protobuf(),
        };
      return jsonResponse(200, openapiV2Document());
    }
    if (key === undefined) return jsonResponse(200, openapiV3Index());
    const doc = openapiV3Document(key);
    if (!doc) throw notFoundStatus();
    return jsonResponse(200, doc);
  }

  #discovery(req: ApiRequest, core: boolean, group?: string, version?: string): ApiResponse {
    if (version !== undefined) {
      const list = legacyResourceList(core ? '' : (group ?? ''), version);
      if (!list) throw notFoundStatus();
      return jsonResponse(200, list);
    }
    if (group !== undefined) {
      const g = legacyApiGroup(group);
      if (!g) throw notFoundStatus();
      return jsonResponse(200, g);
    }
    const aggregated = wantsAggregated(header(req, 'accept'));
    if (aggregated) {
      return jsonResponse(200, aggregatedDiscovery(core ? 'api' : 'apis', aggregated), {
        contentType: aggregated === 'v2' ? aggregatedContentTypeV2 : aggregatedContentTypeV2beta1,
        headers: { vary: 'Accept' },
      });
    }
    return jsonResponse(
      200,
      core ? legacyApiVersions(this.#o.serverAddress) : legacyApiGroupList(),
      {
        headers: { vary: 'Accept' },
      },
    );
  }

  #resource(req: ApiRequest, route: ResourceRoute & { verb: Verb }): Promise<ApiResponse> {
    const ctx = this.#o;
    const sub = route.subresource;
    const not = (): never => {
      throw methodNotSupported({ group: route.rt.group, resource: route.rt.resource }, req.method);
    };
    if (sub === undefined) {
      switch (route.verb) {
        case 'get':
          return getVerb(ctx, req, route);
        case 'list':
          return listVerb(ctx, req, route);
        case 'watch':
          return watchVerb(ctx, req, route);
        case 'create':
          return createVerb(ctx, req, route);
        case 'update':
          return updateVerb(ctx, req, route);
        case 'patch':
          return patchVerb(ctx, req, route);
        case 'delete':
          return deleteVerb(ctx, req, route);
        case 'deletecollection':
          return deleteCollectionVerb(ctx, req, route);
        case 'connect':
          return not();
      }
    }
    if (!(route.rt.subresources as readonly string[]).includes(sub)) throw notFoundStatus();
    switch (sub) {
      case 'status':
        if (route.verb === 'get') return getVerb(ctx, req, route);
        if (route.verb === 'update') return updateVerb(ctx, req, route);
        if (route.verb === 'patch') return patchVerb(ctx, req, route);
        return not();
      case 'scale':
        if (route.verb === 'get' || route.verb === 'update' || route.verb === 'patch')
          return scaleVerb(ctx, req, route);
        return not();
      case 'binding':
        return route.verb === 'create' ? bindingVerb(ctx, req, route) : not();
      case 'eviction':
        return route.verb === 'create' ? evictionVerb(ctx, req, route) : not();
      case 'finalize':
        return route.verb === 'update' ? finalizeVerb(ctx, req, route) : not();
      case 'log':
        return req.method === 'GET' || req.method === 'HEAD' ? logVerb(ctx, req, route) : not();
      case 'exec':
      case 'attach':
      case 'portforward':
        throw badRequest('Upgrade request required');
      case 'proxy':
        return proxyVerb(ctx, req, route);
      default:
        throw notFoundStatus();
    }
  }

  /**
   * An HTTP upgrade (exec, attach, port-forward): authenticated and routed like any request, then
   * passed through to the pod's agent. Errors are written to the socket as an HTTP response.
   */
  async upgrade(
    req: {
      readonly method: string;
      readonly path: string;
      readonly query: URLSearchParams;
      readonly headers: IncomingHttpHeaders;
      readonly clientCertificate?: ClientCertificate;
    },
    socket: Duplex,
    head: Buffer,
  ): Promise<void> {
    try {
      if (!this.#o.authenticator.authenticate(req)) throw unauthorized();
      const route = parseRoute(req.method, req.path, req.query);
      if (
        route.type !== 'resource' ||
        route.rt.group !== '' ||
        route.rt.resource !== 'pods' ||
        (route.subresource !== 'exec' &&
          route.subresource !== 'attach' &&
          route.subresource !== 'portforward')
      )
        throw badRequest(
          'upgrade requests are only served for pods/exec, pods/attach and pods/portforward',
        );
      this.#requests.inc({ verb: 'connect', resource: `pods/${route.subresource}`, code: '101' });
      await upgradeStream(this.#o, { ...route, verb: 'connect' }, req, socket, head);
    } catch (e) {
      if (!(e instanceof ApiError)) this.#o.logger.error(e, 'Upgrade failed', { path: req.path });
      const res = errorResponse(e);
      const body = typeof res.body === 'string' ? res.body : res.body.toString();
      if (socket.writable)
        socket.end(
          `HTTP/1.1 ${res.status} ${statusText(res.status)}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
    }
  }
}

function statusText(code: number): string {
  const texts: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    500: 'Internal Server Error',
    503: 'Service Unavailable',
  };
  return texts[code] ?? 'Error';
}

/**
 * The proxy subresources: `pods/{[scheme:]name[:port]}/proxy/…` to the pod's IP,
 * `services/{[scheme:]name[:port]}/proxy/…` to one ready endpoint of the service port, and
 * `nodes/{name[:port]}/proxy/…` to the node's agent. As kube-apiserver does: GET/HEAD of
 * `…/proxy` without the trailing slash redirects (301) to `…/proxy/`, and absolute links in HTML
 * answers are rewritten to stay under the proxy path.
 */
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { badRequest, notFound, serviceUnavailable } from '../../api/meta/status.js';
import { resources } from '../../api/scheme.js';
import type { Endpoints, Pod, Service } from '../../api/types/core.js';
import type { ResourceRoute } from '../routes.js';
import type { ApiRequest, ApiResponse, ResponseHeaders } from '../request.js';
import type { HandlerContext } from '../verbs/common.js';

interface Target {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  /** Through the agent connector (node proxy: client certificate). */
  readonly viaAgent?: boolean;
}

/** `[scheme:]name[:port]`. */
export function parseProxyName(s: string): {
  scheme?: 'http' | 'https';
  name: string;
  port: string;
} {
  const parts = s.split(':');
  if (parts.length === 3) {
    const [scheme = '', name = '', port = ''] = parts;
    if (scheme !== 'http' && scheme !== 'https')
      throw badRequest(`invalid scheme ${JSON.stringify(scheme)}`);
    return { scheme, name, port };
  }
  if (parts.length === 2) {
    const [a = '', b = ''] = parts;
    if (a === 'http' || a === 'https') return { scheme: a, name: b, port: '' };
    return { name: a, port: b };
  }
  if (parts.length === 1) return { name: parts[0] ?? '', port: '' };
  throw badRequest(`invalid proxy target ${JSON.stringify(s)}`);
}

const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'authorization',
  'content-length',
]);

async function podTarget(ctx: HandlerContext, ns: string | undefined, s: string): Promise<Target> {
  const p = parseProxyName(s);
  const pod = (await ctx.registry.get(resources.pods, ns, p.name)) as Pod;
  const ip = pod.status?.podIP ?? '';
  if (ip === '') throw serviceUnavailable(`pod ${p.name} has no IP address yet`);
  const port = p.port === '' ? 80 : Number(p.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw badRequest(`invalid port ${JSON.stringify(p.port)}`);
  return { scheme: p.scheme ?? 'http', host: ip, port };
}

async function serviceTarget(
  ctx: HandlerContext,
  ns: string | undefined,
  s: string,
): Promise<Target> {
  const p = parseProxyName(s);
  const svc = (await ctx.registry.get(resources.services, ns, p.name)) as Service;
  const ports = svc.spec?.ports ?? [];
  const svcPort =
    p.port === ''
      ? ports.length === 1
        ? ports[0]
        : ports.find((x) => (x.name ?? '') === '')
      : ports.find((x) => x.name === p.port || String(x.port) === p.port);
  if (!svcPort)
    throw serviceUnavailable(
      `no service port ${JSON.stringify(p.port)} found for service "${p.name}"`,
    );
  const ep = (await ctx.registry.tryGet(resources.endpoints, ns, p.name)) as Endpoints | undefined;
  const candidates: { ip: string; port: number }[] = [];
  for (const subset of ep?.subsets ?? []) {
    const port = (subset.ports ?? []).find((x) => (x.name ?? '') === (svcPort.name ?? ''));
    if (!port) continue;
    for (const a of subset.addresses ?? []) candidates.push({ ip: a.ip, port: port.port });
  }
  const pick = candidates[Math.floor(Math.random() * candidates.length)];
  if (!pick) throw serviceUnavailable(`no endpoints available for service "${p.name}"`);
  return { scheme: p.scheme ?? 'http', host: pick.ip, port: pick.port };
}

async function nodeTarget(ctx: HandlerContext, s: string): Promise<Target> {
  const p = parseProxyName(s);
  const addr = await ctx.agents.locate(p.name);
  return {
    scheme: 'https',
    host: addr.host,
    port: p.port === '' ? addr.port : Number(p.port),
    viaAgent: true,
  };
}

/** Rewrites absolute links of an HTML body to stay under the proxy prefix. */
export function rewriteLinks(html: string, prefix: string): string {
  return html.replace(/(\s(?:href|src|action)\s*=\s*["'])\/(?!\/)/gi, `$1${prefix}/`);
}

function forward(t: Target, req: ApiRequest, path: string): Promise<IncomingMessage> {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined && !hopByHop.has(k)) headers[k] = v;
  if (req.body.length > 0) headers['content-length'] = String(req.body.length);
  return new Promise((resolve, reject) => {
    const opts = {
      host: t.host,
      port: t.port,
      method: req.method,
      path,
      headers,
      signal: req.signal,
    };
    const r =
      t.scheme === 'https'
        ? httpsRequest({ ...opts, rejectUnauthorized: false }, resolve)
        : httpRequest(opts, resolve);
    r.on('error', (e) =>
      reject(
        serviceUnavailable(`error trying to reach ${t.scheme}://${t.host}:${t.port}: ${e.message}`),
      ),
    );
    r.end(req.body);
  });
}

async function collect(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Any method on …/{pods|services|nodes}/{name}/proxy[/path]. */
export async function proxyVerb(
  ctx: HandlerContext,
  req: ApiRequest,
  route: ResourceRoute,
): Promise<ApiResponse> {
  const subpath = route.subpath ?? '';
  const qs = req.query.toString();
  if (subpath === '' && (req.method === 'GET' || req.method === 'HEAD')) {
    return {
      kind: 'body',
      status: 301,
      headers: {
        location: `${req.path}/${qs ? `?${qs}` : ''}`,
        'content-type': 'text/html; charset=utf-8',
      },
      body: '',
    };
  }
  const name = route.name ?? '';
  let target: Target;
  switch (route.rt.resource) {
    case 'pods':
      target = await podTarget(ctx, route.namespace, name);
      break;
    case 'services':
      target = await serviceTarget(ctx, route.namespace, name);
      break;
    case 'nodes':
      target = await nodeTarget(ctx, name);
      break;
    default:
      throw notFound({ group: route.rt.group, resource: route.rt.resource }, name);
  }
  const path = `${subpath === '' ? '/' : subpath}${qs ? `?${qs}` : ''}`;
  const res = target.viaAgent
    ? await ctx.agents.request(
        { host: target.host, port: target.port },
        { method: req.method, path, headers: req.headers, body: req.body, signal: req.signal },
      )
    : await forward(target, req, path);
  const headers: ResponseHeaders = {};
  for (const [k, v] of Object.entries(res.headers))
    if (v !== undefined && !hopByHop.has(k)) headers[k] = v;
  const status = res.statusCode ?? 502;
  const type = res.headers['content-type'] ?? '';
  if (type.startsWith('text/html') && res.headers['content-encoding'] === undefined) {
    const prefix = req.path.slice(0, req.path.length - subpath.length).replace(/\/$/, '');
    return {
      kind: 'body',
      status,
      headers,
      body: rewriteLinks((await collect(res)).toString('utf8'), prefix),
    };
  }
  return { kind: 'stream', status, headers, stream: res };
}

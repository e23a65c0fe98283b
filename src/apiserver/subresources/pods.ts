/**
 * The subresources of pods and namespaces that are not plain status writes:
 * - pods/binding: the scheduler's POST that sets spec.nodeName (409 when already bound);
 * - pods/eviction: a delete through the eviction API (no disruption budgets here);
 * - namespaces/finalize: the namespace controller's write of spec.finalizers; a terminating
 *   namespace whose finalizers are all gone is removed;
 * - pods/log, exec, attach, portforward: streams from the pod's node agent.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest, conflict, successStatus } from '../../api/meta/status.js';
import type { DeleteOptions, KubeObject } from '../../api/meta/types.js';
import { resources } from '../../api/scheme.js';
import type { Namespace, Pod } from '../../api/types/core.js';
import { decodeRequestBody } from '../encoding/decode.js';
import { timestamp } from '../registry/context.js';
import type { ResourceRoute } from '../routes.js';
import { header, jsonResponse, type ApiRequest, type ApiResponse } from '../request.js';
import { objectResponse, writeOptionsOf, type HandlerContext } from '../verbs/common.js';

function decodeJsonObject(req: ApiRequest, what: string): Record<string, unknown> {
  if (req.body.length === 0) throw badRequest('the request body is empty');
  const o = decodeRequestBody(req.body, header(req, 'content-type')).object;
  if (o === null || typeof o !== 'object' || Array.isArray(o))
    throw badRequest(`the body of the request was not a ${what} object`);
  return o as Record<string, unknown>;
}

interface Binding {
  metadata?: { name?: string; annotations?: Record<string, string> };
  target?: { kind?: string; name?: string };
}

/** POST pods/{name}/binding. */
export async function bindingVerb(
  ctx: HandlerContext,
  req: ApiRequest,
  route: ResourceRoute,
): Promise<ApiResponse> {
  const name = route.name ?? '';
  const binding = decodeJsonObject(req, 'Binding') as Binding;
  const target = binding.target?.name ?? '';
  if ((binding.metadata?.name ?? name) !== name)
    throw badRequest(
      `the name of the object (${binding.metadata?.name ?? ''}) does not match the name on the URL (${name})`,
    );
  if (target === '') throw badRequest('target.name: Required value');
  if ((binding.target?.kind ?? 'Node') !== 'Node' && binding.target?.kind !== '')
    throw badRequest(
      `target.kind: Unsupported value: ${JSON.stringify(binding.target?.kind)}: supported values: "Node"`,
    );
  const opts = writeOptionsOf(req);
  const gr = { group: '', resource: 'pods/binding' };
  await ctx.registry.update(
    resources.pods,
    {
      namespace: route.namespace,
      name,
      kind: 'raw',
      subresource: 'binding',
      mutate: (cur: KubeObject | undefined) => {
        const pod = cur as Pod;
        if (pod.metadata.deletionTimestamp !== undefined)
          throw conflict(gr, name, `pod ${name} is being deleted, cannot be assigned to a host`);
        const bound = pod.spec?.nodeName ?? '';
        if (bound !== '')
          throw conflict(
            gr,
            name,
            `pod ${name} is already assigned to node ${JSON.stringify(bound)}`,
          );
        pod.spec = { ...(pod.spec ?? { containers: [] }), nodeName: target };
        const ann = binding.metadata?.annotations;
        if (ann) pod.metadata.annotations = { ...pod.metadata.annotations, ...ann };
        const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
        conditions.push({
          type: 'PodScheduled',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: timestamp(ctx.clock.now()),
        });
        pod.status = { ...pod.status, conditions };
        return pod;
      },
    },
    opts,
  );
  return jsonResponse(201, successStatus());
}

/** POST pods/{name}/eviction. */
export async function evictionVerb(
  ctx: HandlerContext,
  req: ApiRequest,
  route: ResourceRoute,
): Promise<ApiResponse> {
  const eviction = decodeJsonObject(req, 'Eviction');
  const opts = (eviction['deleteOptions'] ?? {}) as DeleteOptions;
  const dryRun = writeOptionsOf(req).dryRun;
  await ctx.registry.delete(resources.pods, route.namespace, route.name ?? '', opts, { dryRun });
  return jsonResponse(201, successStatus());
}

/** PUT namespaces/{name}/finalize. */
export async function finalizeVerb(
  ctx: HandlerContext,
  req: ApiRequest,
  route: ResourceRoute,
): Promise<ApiResponse> {
  const name = route.name ?? '';
  const body = decodeJsonObject(req, 'Namespace') as Partial<Namespace>;
  const opts = writeOptionsOf(req);
  const finalizers = body.spec?.finalizers ?? [];
  const res = await ctx.registry.update(
    resources.namespaces,
    {
      namespace: undefined,
      name,
      kind: 'raw',
      subresource: 'finalize',
      mutate: (cur) => {
        const ns = cur as Namespace;
        const rv = body.metadata?.resourceVersion ?? '';
        if (rv !== '') ns.metadata.resourceVersion = rv;
        ns.spec = { ...ns.spec, finalizers: [...finalizers] };
        return ns;
      },
    },
    opts,
  );
  return objectResponse(ctx, req, route.rt, res.obj, 200);
}

/** The container a stream request is for: `?container=`, the only one, or the default annotation. */
export function containerOf(pod: Pod, requested: string | null): string {
  const names = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].map(
    (c) => c.name,
  );
  const podName = pod.metadata.name ?? '';
  if (requested !== null && requested !== '') {
    if (!names.includes(requested))
      throw badRequest(`container ${requested} is not valid for pod ${podName}`);
    return requested;
  }
  const main = (pod.spec?.containers ?? []).map((c) => c.name);
  if (main.length === 1 && main[0] !== undefined) return main[0];
  const def = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
  if (def !== undefined && names.includes(def)) return def;
  throw badRequest(
    `a container name must be specified for pod ${podName}, choose one of: [${main.join(' ')}]`,
  );
}

async function podOnNode(ctx: HandlerContext, route: ResourceRoute): Promise<Pod> {
  const pod = (await ctx.registry.get(resources.pods, route.namespace, route.name ?? '')) as Pod;
  if ((pod.spec?.nodeName ?? '') === '')
    throw badRequest(`pod ${pod.metadata.name ?? ''} does not have a host assigned`);
  return pod;
}

/** Query parameters passed to the agent for each stream kind. */
const logParams = [
  'follow',
  'tailLines',
  'timestamps',
  'previous',
  'sinceSeconds',
  'sinceTime',
  'limitBytes',
];

/** GET pods/{name}/log: the agent's `/containerLogs/{ns}/{pod}/{container}` streamed back. */
export async function logVerb(
  ctx: HandlerContext,
  req: ApiRequest,
  route: ResourceRoute,
): Promise<ApiResponse> {
  const pod = await podOnNode(ctx, route);
  const container = containerOf(pod, req.query.get('container'));
  const q = new URLSearchParams();
  for (const p of logParams) for (const v of req.query.getAll(p)) q.append(p, v);
  const qs = q.toString();
  const path = `/containerLogs/${enc(route.namespace)}/${enc(route.name)}/${enc(container)}${qs ? `?${qs}` : ''}`;
  const address = await ctx.agents.locate(pod.spec?.nodeName ?? '');
  const res = await ctx.agents.request(address, { method: 'GET', path, signal: req.signal });
  const headers: Record<string, string> = {
    'content-type': res.headers['content-type'] ?? 'text/plain',
  };
  return { kind: 'stream', status: res.statusCode ?? 502, headers, stream: res };
}

function enc(s: string | undefined): string {
  return encodeURIComponent(s ?? '');
}

/** The agent path of an exec, attach or port-forward request. */
export async function streamTarget(
  ctx: HandlerContext,
  route: ResourceRoute,
  query: URLSearchParams,
): Promise<{ node: string; path: string }> {
  const pod = await podOnNode(ctx, route);
  const node = pod.spec?.nodeName ?? '';
  const ns = enc(route.namespace);
  const name = enc(route.name);
  if (route.subresource === 'portforward') {
    const qs = query.toString();
    return { node, path: `/portForward/${ns}/${name}${qs ? `?${qs}` : ''}` };
  }
  const container = containerOf(pod, query.get('container'));
  const q = new URLSearchParams(query);
  q.delete('container');
  const qs = q.toString();
  const verb = route.subresource === 'attach' ? 'attach' : 'exec';
  return { node, path: `/${verb}/${ns}/${name}/${enc(container)}${qs ? `?${qs}` : ''}` };
}

/** Passes an exec/attach/portforward upgrade through to the pod's agent. */
export async function upgradeStream(
  ctx: HandlerContext,
  route: ResourceRoute,
  req: { method: string; query: URLSearchParams; headers: IncomingHttpHeaders },
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const { node, path } = await streamTarget(ctx, route, req.query);
  const address = await ctx.agents.locate(node);
  await ctx.agents.upgrade(
    address,
    { method: req.method, path, headers: req.headers },
    socket,
    head,
  );
}

/**
 * The `scale` subresource of ReplicationControllers, ReplicaSets and Deployments: an
 * autoscaling/v1 Scale whose `spec.replicas` writes through to the object and whose
 * `status.selector` is the label selector as a string (`app=kubia`). `kubectl scale` PATCHes it
 * with a merge patch; `--current-replicas` GETs it and PUTs it back with no Content-Type.
 */
import * as field from '../../api/meta/fielderrors.js';
import { selectorFromLabelSelector, selectorFromSet } from '../../api/meta/labels.js';
import { badRequest, invalid } from '../../api/meta/status.js';
import type { KubeObject, LabelSelector } from '../../api/meta/types.js';
import type { ResourceType } from '../../api/scheme.js';
import type { Scale } from '../../api/types/apps.js';
import { decodeRequestBody } from '../encoding/decode.js';
import { applyPatch, patchKindOf } from '../encoding/patch.js';
import type { ResourceRoute } from '../routes.js';
import { header, jsonResponse, type ApiRequest, type ApiResponse } from '../request.js';
import { storageResourceOf, writeOptionsOf, type HandlerContext } from '../verbs/common.js';

interface Scalable extends KubeObject {
  spec?: { replicas?: number; selector?: Record<string, string> | LabelSelector };
  status?: { replicas?: number };
}

/** The autoscaling/v1 Scale "resource", for schema lookups and patches. */
const scaleResource: ResourceType = {
  group: 'autoscaling',
  version: 'v1',
  kind: 'Scale',
  listKind: 'ScaleList',
  resource: 'scale',
  singular: 'scale',
  namespaced: true,
  shortNames: [],
  categories: [],
  subresources: [],
};

function selectorString(rt: ResourceType, obj: Scalable): string {
  const sel = obj.spec?.selector;
  if (sel === undefined) return '';
  if (rt.group === '') return selectorFromSet(sel as Record<string, string>).toString();
  return selectorFromLabelSelector(sel).toString();
}

/** The Scale view of an object. */
export function scaleOf(rt: ResourceType, obj: KubeObject): Scale {
  const o = obj as Scalable;
  const m = obj.metadata;
  const metadata: Scale['metadata'] = { name: m.name ?? '' };
  if (m.namespace !== undefined) metadata.namespace = m.namespace;
  if (m.uid !== undefined) metadata.uid = m.uid;
  if (m.resourceVersion !== undefined) metadata.resourceVersion = m.resourceVersion;
  if (m.creationTimestamp !== undefined) metadata.creationTimestamp = m.creationTimestamp;
  const replicas = o.spec?.replicas ?? 0;
  const status: NonNullable<Scale['status']> = { replicas: o.status?.replicas ?? 0 };
  const selector = selectorString(rt, o);
  if (selector !== '') status.selector = selector;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata,
    spec: replicas > 0 ? { replicas } : {},
    status,
  };
}

function checkScale(scale: Scale, name: string): number {
  if ((scale.metadata.name ?? name) !== name)
    throw badRequest(
      `the name of the object (${scale.metadata.name ?? ''}) does not match the name on the URL (${name})`,
    );
  const replicas = scale.spec?.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
    throw invalid('autoscaling', 'Scale', name, [
      field.invalid('spec.replicas', replicas, 'must be greater than or equal to 0'),
    ]);
  return replicas;
}

/** GET, PUT and PATCH of …/scale. */
export async function scaleVerb(
  ctx: HandlerContext,
  req: ApiRequest,
  route: ResourceRoute,
): Promise<ApiResponse> {
  const rt = route.rt;
  const srt = storageResourceOf(rt);
  const name = route.name ?? '';
  if (route.verb === 'get') {
    const obj = await ctx.registry.get(srt, route.namespace, name);
    return jsonResponse(200, scaleOf(srt, obj));
  }
  const opts = writeOptionsOf(req);
  let desired: (cur: KubeObject) => Scale;
  if (route.verb === 'update') {
    if (req.body.length === 0) throw badRequest('the request body is empty');
    // kubectl scale --current-replicas sends no Content-Type: JSON.
    const body = decodeRequestBody(
      req.body,
      header(req, 'content-type') ?? 'application/json',
    ).object;
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw badRequest('the body of the request was not a Scale object');
    const scale = body as Scale;
    scale.metadata ??= {};
    desired = () => scale;
  } else {
    const kind = patchKindOf(header(req, 'content-type'));
    if (kind === 'apply')
      throw badRequest('server-side apply is not supported on the scale subresource');
    const patch = decodeRequestBody(req.body, header(req, 'content-type')).object;
    desired = (cur) => applyPatch(kind, scaleOf(srt, cur), patch, scaleResource);
  }
  const res = await ctx.registry.update(
    srt,
    {
      namespace: route.namespace,
      name,
      kind: 'main',
      subresource: 'scale',
      mutate: (cur) => {
        if (!cur) throw badRequest('missing object');
        const scale = desired(cur);
        const replicas = checkScale(scale, name);
        const o = cur as Scalable;
        o.spec = { ...o.spec, replicas };
        // A Scale that carries a resourceVersion is a precondition on the object.
        const rv = scale.metadata.resourceVersion ?? '';
        if (rv !== '') o.metadata.resourceVersion = rv;
        return o;
      },
    },
    opts,
  );
  return jsonResponse(200, scaleOf(srt, res.obj));
}

/** Whether a resource has a scale subresource. */
export const scalable = (rt: ResourceType): boolean => rt.subresources.includes('scale');

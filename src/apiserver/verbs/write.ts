/**
 * create (POST), update (PUT), patch (PATCH: JSON patch, merge patch, strategic merge patch,
 * server-side apply), for the resource itself and its `status` subresource.
 */
import { badRequest } from '../../api/meta/status.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { ResourceType } from '../../api/scheme.js';
import { serverSideApply } from '../encoding/apply.js';
import { decodeRequestBody } from '../encoding/decode.js';
import { applyPatch, patchKindOf } from '../encoding/patch.js';
import { timestamp } from '../registry/context.js';
import { applyRequestNamespace, checkBodyType } from '../registry/meta.js';
import type { UpdateKind } from '../registry/update.js';
import type { ResourceRoute } from '../routes.js';
import { header, type ApiRequest, type ApiResponse } from '../request.js';
import {
  decodeObjectBody,
  objectResponse,
  storageResourceOf,
  toServed,
  toStored,
  validateFields,
  writeOptionsOf,
  type HandlerContext,
} from './common.js';

/** Kinds kube lets a PUT create (AllowCreateOnUpdate). */
const createOnUpdate = new Set(['/endpoints', '/events', 'coordination.k8s.io/leases']);

function allowsCreateOnUpdate(rt: ResourceType): boolean {
  return createOnUpdate.has(`${rt.group}/${rt.resource}`);
}

function updateKindOf(route: ResourceRoute): UpdateKind {
  return route.subresource === 'status' ? 'status' : 'main';
}

/** POST to a collection. */
export async function createVerb(
  ctx: HandlerContext,
  req: ApiRequest,
  route: ResourceRoute,
): Promise<ApiResponse> {
  const rt = route.rt;
  const opts = writeOptionsOf(req);
  const obj = decodeObjectBody(req, rt, opts);
  applyRequestNamespace(rt, obj, route.namespace);
  const created = await ctx.registry.create(storageResourceOf(rt), toStored(rt, obj), opts);
  return objectResponse(ctx, req, rt, created, 201, opts.warnings);
}

/** PUT of an object or its status. */
export async function updateVerb(
  ctx: HandlerContext,
  req: ApiRequest,
  route: ResourceRoute,
): Promise<ApiResponse> {
  const rt = route.rt;
  const opts = writeOptionsOf(req);
  const obj = decodeObjectBody(req, rt, opts);
  applyRequestNamespace(rt, obj, route.namespace);
  const stored = toStored(rt, obj);
  const kind = updateKindOf(route);
  const srt = storageResourceOf(rt);
  const res = await ctx.registry.update(
    srt,
    {
      namespace: route.namespace,
      name: route.name ?? '',
      mutate: () => structuredClone(stored),
      kind,
      ...(route.subresource !== undefined ? { subresource: route.subresource } : {}),
      createIfMissing: kind === 'main' && allowsCreateOnUpdate(srt),
    },
    opts,
  );
  return objectResponse(ctx, req, rt, res.obj, res.created ? 201 : 200, opts.warnings);
}

/** PATCH of an object or its status. */
export async function patchVerb(
  ctx: HandlerContext,
  req: ApiRequest,
  route: ResourceRoute,
): Promise<ApiResponse> {
  const rt = route.rt;
  const srt = storageResourceOf(rt);
  const contentType = header(req, 'content-type');
  const patchKind = patchKindOf(contentType);
  const opts = writeOptionsOf(req);
  const force = req.query.get('force');
  if (force !== null && patchKind !== 'apply')
    throw badRequest('force: Forbidden: may not be specified for non-apply patch');
  if (req.body.length === 0) throw badRequest('the body of the request is empty');
  const decoded = decodeRequestBody(req.body, contentType, rt);
  const name = route.name ?? '';
  const kind = updateKindOf(route);

  if (patchKind === 'apply') {
    if (req.query.get('fieldManager') === null)
      throw badRequest(
        'PATCH requests of type application/apply-patch+yaml must have a fieldManager',
      );
    const body = decoded.object as Record<string, unknown> | null;
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw badRequest('error decoding YAML: the applied configuration is not an object');
    if (!body['apiVersion'])
      throw badRequest('apiVersion must be set in the applied configuration');
    if (!body['kind']) throw badRequest('kind must be set in the applied configuration');
    validateFields(rt, body, decoded.duplicateFields, opts);
    const applied = checkBodyType(rt, body);
    applyRequestNamespace(rt, applied, route.namespace);
    if ((applied.metadata.name ?? '') === '') applied.metadata.name = name;
    const storedApplied = toStored(rt, applied);
    const applyOptions = {
      manager: opts.fieldManager,
      force: force === 'true',
      now: timestamp(ctx.clock.now()),
      ...(route.subresource !== undefined ? { subresource: route.subresource } : {}),
    };
    const res = await ctx.registry.update(
      srt,
      {
        namespace: route.namespace,
        name,
        mutate: (cur) => serverSideApply(cur, structuredClone(storedApplied), srt, applyOptions),
        kind,
        ...(route.subresource !== undefined ? { subresource: route.subresource } : {}),
        createIfMissing: kind === 'main',
        managedFieldsSet: true,
      },
      opts,
    );
    return objectResponse(ctx, req, rt, res.obj, res.created ? 201 : 200, opts.warnings);
  }

  const patch = decoded.object;
  const mutate = (cur: KubeObject | undefined): KubeObject => {
    if (!cur) throw badRequest('cannot patch a missing object');
    const patched = applyPatch(patchKind, toServed(rt, cur), patch, rt);
    // Fields the patch introduced are checked like a body's (strict, warn or ignore).
    const warnings: string[] = [];
    validateFields(rt, patched, decoded.duplicateFields, {
      fieldValidation: opts.fieldValidation,
      warnings,
    });
    opts.warnings.splice(0, opts.warnings.length, ...warnings);
    return toStored(rt, checkBodyType(rt, patched));
  };
  const res = await ctx.registry.update(
    srt,
    {
      namespace: route.namespace,
      name,
      mutate,
      kind,
      ...(route.subresource !== undefined ? { subresource: route.subresource } : {}),
    },
    opts,
  );
  return objectResponse(ctx, req, rt, res.obj, 200, opts.warnings);
}

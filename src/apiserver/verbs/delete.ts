/**
 * DELETE of an object and of a collection. Options come from a DeleteOptions body (what kubectl
 * sends) or the query (gracePeriodSeconds, propagationPolicy, orphanDependents, dryRun).
 * An object removed at once answers a Success Status; one that stays (finalizers, graceful pod
 * termination, a terminating namespace) answers itself with deletionTimestamp set.
 */
import * as field from '../../api/meta/fielderrors.js';
import { badRequest, invalid, successStatus } from '../../api/meta/status.js';
import type { DeleteOptions, KubeObject } from '../../api/meta/types.js';
import { decodeRequestBody } from '../encoding/decode.js';
import type { DeleteResult } from '../registry/delete.js';
import type { ResourceRoute } from '../routes.js';
import { header, jsonResponse, type ApiRequest, type ApiResponse } from '../request.js';
import {
  intParam,
  objectResponse,
  parseDryRun,
  storageResourceOf,
  toServed,
  type HandlerContext,
} from './common.js';

const policies = ['Foreground', 'Background', 'Orphan'] as const;

/** DeleteOptions from the body and the query. @throws ApiError 400, 422 */
export function deleteOptionsOf(req: ApiRequest): DeleteOptions & { dryRunAll: boolean } {
  let opts: DeleteOptions = {};
  if (req.body.length > 0) {
    const decoded = decodeRequestBody(req.body, header(req, 'content-type'));
    const b = decoded.object;
    if (b === null || typeof b !== 'object' || Array.isArray(b))
      throw badRequest('the body of the request was not a DeleteOptions object');
    opts = b;
  }
  const q = req.query;
  const grace = intParam(q, 'gracePeriodSeconds');
  if (grace !== undefined) opts.gracePeriodSeconds = grace;
  const policy = q.get('propagationPolicy');
  if (policy !== null && policy !== '')
    opts.propagationPolicy = policy as DeleteOptions['propagationPolicy'] & string;
  const orphan = q.get('orphanDependents');
  if (orphan !== null && orphan !== '') opts.orphanDependents = orphan === 'true';
  const errs: field.FieldError[] = [];
  if (
    opts.propagationPolicy !== undefined &&
    !(policies as readonly string[]).includes(opts.propagationPolicy)
  )
    errs.push(field.notSupported('propagationPolicy', opts.propagationPolicy, policies));
  if (opts.propagationPolicy !== undefined && opts.orphanDependents !== undefined)
    errs.push(
      field.invalid(
        'orphanDependents',
        opts.orphanDependents,
        'orphanDependents and deletionPropagation cannot be both set',
      ),
    );
  if (opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds < 0)
    opts.gracePeriodSeconds = 1;
  if (errs.length > 0) throw invalid('meta.k8s.io', 'DeleteOptions', '', errs);
  const dryRunAll = parseDryRun([...(opts.dryRun ?? []), ...q.getAll('dryRun')]);
  return { ...opts, dryRunAll };
}

function deletedStatus(route: ResourceRoute, obj: KubeObject): Record<string, unknown> {
  return {
    ...successStatus({
      name: obj.metadata.name ?? '',
      group: route.rt.group,
      kind: route.rt.resource,
      uid: obj.metadata.uid ?? '',
    }),
  };
}

/** DELETE of one object. */
export async function deleteVerb(
  ctx: HandlerContext,
  req: ApiRequest,
  route: ResourceRoute,
): Promise<ApiResponse> {
  const opts = deleteOptionsOf(req);
  const res: DeleteResult = await ctx.registry.delete(
    storageResourceOf(route.rt),
    route.namespace,
    route.name ?? '',
    opts,
    { dryRun: opts.dryRunAll },
  );
  if (res.deleted) return jsonResponse(200, deletedStatus(route, res.obj));
  return objectResponse(ctx, req, route.rt, res.obj, 200);
}

/** DELETE of a collection: every object the selectors match, with the same options. */
export async function deleteCollectionVerb(
  ctx: HandlerContext,
  req: ApiRequest,
  route: ResourceRoute,
): Promise<ApiResponse> {
  const opts = deleteOptionsOf(req);
  const rt = route.rt;
  const srt = storageResourceOf(rt);
  const page = await ctx.registry.list(srt, route.namespace, {
    labelSelector: req.query.get('labelSelector'),
    fieldSelector: req.query.get('fieldSelector'),
  });
  const items: KubeObject[] = [];
  const failures: unknown[] = [];
  for (const o of page.items) {
    try {
      const res = await ctx.registry.delete(
        srt,
        o.obj.metadata.namespace,
        o.obj.metadata.name ?? '',
        opts,
        {
          dryRun: opts.dryRunAll,
        },
      );
      items.push(toServed(rt, res.obj));
    } catch (e) {
      // Gone in the meantime is fine; anything else is reported after trying the rest.
      if (e instanceof Error && 'reason' in e && e.reason === 'NotFound') continue;
      failures.push(e);
    }
  }
  if (failures.length > 0) throw failures[0];
  return jsonResponse(200, {
    kind: rt.listKind,
    apiVersion: rt.group === '' ? rt.version : `${rt.group}/${rt.version}`,
    metadata: { resourceVersion: String(page.resourceVersion) },
    items,
  });
}

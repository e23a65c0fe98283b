/**
 * What the verbs share: the handler context, request options (dryRun, fieldManager,
 * fieldValidation), body decoding with strict field validation, conversion between the served
 * and the stored version (extensions/v1beta1 Ingress), and object responses in the form the
 * client asked for (JSON, Table, PartialObjectMetadata).
 */
import { ingressV1beta1ToV1, ingressV1ToV1beta1 } from '../../api/conversion/ingress.js';
import { badRequest } from '../../api/meta/status.js';
import type { KubeObject } from '../../api/meta/types.js';
import { storageResourceOf, type ResourceType } from '../../api/scheme.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log/logger.js';
import { decodeRequestBody } from '../encoding/decode.js';
import {
  pruneUnknownFields,
  strictDecodingMessage,
  typeError,
  unknownFields,
} from '../encoding/strict.js';
import { includeObjectOf, negotiate } from '../negotiate.js';
import type { Registry } from '../registry/registry.js';
import { checkBodyType, jsonText } from '../registry/meta.js';
import { header, jsonResponse, type ApiRequest, type BodyResponse } from '../request.js';
import { toTable } from '../table.js';
import type { AgentConnector } from '../proxy/agent.js';

export interface HandlerContext {
  readonly registry: Registry;
  readonly clock: Clock;
  readonly logger: Logger;
  /** BOOKMARK interval of watches that asked for bookmarks. */
  readonly bookmarkIntervalMs: number;
  /** Watches without timeoutSeconds end after a random time in [min, 2·min) (kube: 30–60 min). */
  readonly minWatchTimeoutSeconds: number;
  /** Reaches node agents for logs, exec, attach, port-forward and proxies. */
  readonly agents: AgentConnector;
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface RequestWriteOptions {
  readonly dryRun: boolean;
  readonly fieldManager: string;
  readonly fieldValidation: FieldValidation;
  readonly warnings: string[];
}

/** `?dryRun=All`. @throws ApiError 400 for other values */
export function parseDryRun(values: readonly string[]): boolean {
  for (const v of values)
    if (v !== 'All')
      throw badRequest(`Invalid dry run value: ${JSON.stringify(v)}; supported values: "All"`);
  return values.length > 0;
}

/** kube's default field manager: the User-Agent up to the first '/' (`kubectl`, `node-fetch`). */
export function defaultFieldManager(userAgent: string | undefined): string {
  const ua = (userAgent ?? '').split('/')[0] ?? '';
  return ua.slice(0, 128) || 'unknown';
}

export function writeOptionsOf(req: ApiRequest): RequestWriteOptions {
  const fv = req.query.get('fieldValidation') ?? '';
  let fieldValidation: FieldValidation;
  switch (fv.toLowerCase()) {
    case '':
    case 'warn':
      fieldValidation = 'Warn';
      break;
    case 'strict':
      fieldValidation = 'Strict';
      break;
    case 'ignore':
      fieldValidation = 'Ignore';
      break;
    default:
      throw badRequest(`fieldValidation "${fv}" is invalid, must be one of Ignore, Warn or Strict`);
  }
  const fm = req.query.get('fieldManager');
  if (fm !== null && fm.length > 128)
    throw badRequest(`fieldManager: Too long: may not be more than 128 bytes`);
  return {
    dryRun: parseDryRun(req.query.getAll('dryRun')),
    fieldManager: fm ?? defaultFieldManager(header(req, 'user-agent')),
    fieldValidation,
    warnings: [],
  };
}

/** The version objects of `rt` are served in, from the stored one. */
export function toServed(rt: ResourceType, obj: KubeObject): KubeObject {
  if (rt.storageResource === undefined) return obj;
  if (rt.group === 'extensions' && rt.resource === 'ingresses') return ingressV1ToV1beta1(obj);
  return obj;
}

/** The stored version of an object sent as `rt`. */
export function toStored(rt: ResourceType, obj: KubeObject): KubeObject {
  if (rt.storageResource === undefined) return obj;
  if (rt.group === 'extensions' && rt.resource === 'ingresses') return ingressV1beta1ToV1(obj);
  return obj;
}

export { storageResourceOf };

function gvOf(rt: ResourceType): string {
  return rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
}

/**
 * Checks a decoded object against the schema of `rt`: type errors are 400; unknown and duplicate
 * fields are 400 under Strict, warnings under Warn (and dropped), dropped under Ignore.
 */
export function validateFields(
  rt: ResourceType,
  object: unknown,
  duplicates: readonly string[],
  options: Pick<RequestWriteOptions, 'fieldValidation' | 'warnings'>,
): void {
  const cannot = `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}`;
  const te = typeError(rt, object);
  if (te !== undefined) throw badRequest(`${cannot}: ${te}`);
  if (options.fieldValidation === 'Ignore') {
    pruneUnknownFields(rt, object);
    return;
  }
  const unknown = unknownFields(rt, object);
  if (unknown.length === 0 && duplicates.length === 0) return;
  if (options.fieldValidation === 'Strict')
    throw badRequest(`${cannot}: ${strictDecodingMessage(unknown, duplicates)}`);
  for (const d of duplicates) options.warnings.push(`duplicate field ${JSON.stringify(d)}`);
  for (const u of unknown) options.warnings.push(`unknown field ${JSON.stringify(u)}`);
  pruneUnknownFields(rt, object);
}

/** Decodes and checks the body of a create or update of `rt` (served version). */
export function decodeObjectBody(
  req: ApiRequest,
  rt: ResourceType,
  options: Pick<RequestWriteOptions, 'fieldValidation' | 'warnings'>,
): KubeObject {
  if (req.body.length === 0) throw badRequest('the request body is empty');
  const decoded = decodeRequestBody(req.body, header(req, 'content-type'), rt);
  const body = decoded.object;
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    const apiVersion = jsonText(b['apiVersion']);
    if (apiVersion !== '' && apiVersion !== gvOf(rt))
      throw badRequest(
        `the API version in the data (${apiVersion}) does not match the expected API version (${gvOf(rt)})`,
      );
  }
  validateFields(rt, body, decoded.duplicateFields, options);
  return checkBodyType(rt, body);
}

/** PartialObjectMetadata of an object. */
export function partialMetadata(obj: KubeObject): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

/** One object in the form the client asked for (served version). */
export function objectResponse(
  ctx: HandlerContext,
  req: ApiRequest,
  rt: ResourceType,
  stored: KubeObject,
  status: number,
  warnings?: readonly string[],
): BodyResponse {
  const obj = toServed(rt, stored);
  const opts = warnings && warnings.length > 0 ? { warnings } : {};
  switch (negotiate(header(req, 'accept'))) {
    case 'table':
      return jsonResponse(
        status,
        toTable(rt, [obj], { now: ctx.clock.now(), includeObject: includeObjectOf(req.query) }),
        opts,
      );
    case 'metadata':
      return jsonResponse(status, partialMetadata(obj), opts);
    case 'object':
      return jsonResponse(status, obj, opts);
  }
}

/** Number query parameter. @throws ApiError 400 */
export function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v))
    throw badRequest(`${name}: invalid value ${JSON.stringify(v)}: must be an integer`);
  return Number(v);
}

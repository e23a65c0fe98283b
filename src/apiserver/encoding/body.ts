/**
 * The write paths of kube-apiserver's handlers, from request body to object, with its field
 * validation rules and error forms. The verb handlers call one of these:
 *
 * - create and update (POST, PUT): `decodeObjectBody`;
 * - JSON, merge and strategic merge patches: `patchObjectBody`;
 * - server-side apply: `applyObjectBody`.
 *
 * `fieldValidation` (default Warn): Strict rejects unknown and duplicate fields, Warn drops them
 * and returns one warning each (`unknown field "spec.portz"`: send as `Warning: 299 - "<w>"`),
 * Ignore drops them silently. Wrongly typed values are rejected in every mode.
 */
import * as field from '../../api/meta/fielderrors.js';
import { badRequest, invalid } from '../../api/meta/status.js';
import type { KubeObject } from '../../api/meta/types.js';
import { isObject } from '../../api/schema/walk.js';
import { apiVersionOf } from '../../api/scheme.js';
import { serverSideApply, type ApplyOptions } from './apply.js';
import { decodeRequestBody } from './decode.js';
import { goValue } from './gofmt.js';
import { applyPatch, patchKindOf } from './patch.js';
import { pruneUnknownFields, typeError, unknownFields, type KindRef } from './strict.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** The object decoded or patched, and the warnings to send (fieldValidation=Warn). */
export interface BodyResult {
  readonly object: KubeObject;
  readonly warnings: string[];
}

/**
 * The fieldValidation query parameter (default Warn).
 * @throws ApiError 422 for another value, as kube validates the request options
 */
export function fieldValidationOf(
  query: URLSearchParams,
  verb: 'create' | 'update' | 'patch' = 'create',
): FieldValidation {
  const v = query.get('fieldValidation') ?? '';
  if (v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  const kind =
    verb === 'create' ? 'CreateOptions' : verb === 'update' ? 'UpdateOptions' : 'PatchOptions';
  throw invalid('meta.k8s.io', kind, '', [
    field.notSupported('fieldValidation', v, ['', 'Ignore', 'Strict', 'Warn']),
  ]);
}

function cannotBeHandled(rt: KindRef, detail: string): Error {
  return badRequest(
    `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: ${detail}`,
  );
}

function strictErrors(unknown: readonly string[], duplicates: readonly string[]): string[] {
  return [
    ...duplicates.map((p) => `duplicate field ${JSON.stringify(p)}`),
    ...unknown.map((p) => `unknown field ${JSON.stringify(p)}`),
  ];
}

/**
 * A create or update body as an object of kind `rt`, apiVersion and kind filled in when absent.
 * @throws ApiError 400 (kube's `… cannot be handled as a …`) for bodies that do not decode, wrong
 *   types, an apiVersion or kind of another resource, and unknown or duplicate fields under
 *   Strict; 415 for unknown media types
 */
export function decodeObjectBody(
  body: Buffer,
  contentType: string | undefined,
  rt: KindRef,
  options: { readonly fieldValidation: FieldValidation },
): BodyResult {
  const decoded = decodeRequestBody(body, contentType);
  const obj = decoded.object;
  const terr = typeError(rt, obj);
  if (terr !== undefined) throw cannotBeHandled(rt, terr);
  const o = obj as Record<string, unknown>;
  const apiVersion = apiVersionOf(rt);
  const sentVersion = typeof o['apiVersion'] === 'string' ? o['apiVersion'] : '';
  const sentKind = typeof o['kind'] === 'string' ? o['kind'] : '';
  if (sentVersion !== '' && sentVersion !== apiVersion) {
    throw badRequest(
      `the API version in the data (${sentVersion}) does not match the expected API version (${apiVersion})`,
    );
  }
  if (sentKind !== '' && sentKind !== rt.kind) {
    throw badRequest(
      `the kind in the data (${sentKind}) does not match the expected kind (${rt.kind})`,
    );
  }
  o['apiVersion'] = apiVersion;
  o['kind'] = rt.kind;
  if (!isObject(o['metadata'])) o['metadata'] = {};
  const warnings = checkUnknown(rt, o, decoded.duplicateFields, options.fieldValidation, (errs) =>
    cannotBeHandled(rt, `strict decoding error: ${errs.join(', ')}`),
  );
  return { object: o as unknown as KubeObject, warnings };
}

/** Strict: throw; Warn: warnings and prune; Ignore: prune. */
function checkUnknown(
  rt: KindRef,
  obj: unknown,
  duplicates: readonly string[],
  mode: FieldValidation,
  fail: (errs: string[]) => Error,
): string[] {
  if (mode === 'Ignore') {
    pruneUnknownFields(rt, obj);
    return [];
  }
  const errs = strictErrors(unknownFields(rt, obj), duplicates);
  if (errs.length === 0) return [];
  if (mode === 'Strict') throw fail(errs);
  pruneUnknownFields(rt, obj);
  return errs;
}

/** kube's 422 for a patch whose result does not decode: ` "" is invalid: patch: Invalid value: …`. */
function patchInvalid(shown: string, detail: string): Error {
  return invalid('', '', '', [field.invalid('patch', shown, detail)]);
}

/**
 * Applies a JSON, merge or strategic merge patch body to `current` (not modified).
 * @throws ApiError 400 for a malformed patch, 415 for another content type, 422 for a patch that
 *   does not apply or whose result has wrong types or (Strict) unknown fields
 */
export function patchObjectBody(
  current: KubeObject,
  body: Buffer,
  contentType: string | undefined,
  rt: KindRef,
  options: { readonly fieldValidation: FieldValidation },
): BodyResult {
  const kind = patchKindOf(contentType);
  if (kind === 'apply') throw badRequest('apply patches are handled by applyObjectBody');
  const decoded = decodeRequestBody(body, contentType);
  const patched = applyPatch(kind, current, decoded.object, rt) as unknown as Record<
    string,
    unknown
  >;
  // What kube quotes as the bad value: the patched JSON for JSON and merge patches, the patch
  // map (Go's %+v) for strategic merge patches.
  const shown = (): string =>
    kind === 'strategic' ? goValue(decoded.object) : JSON.stringify(patched);
  const terr = typeError(rt, patched);
  if (terr !== undefined) throw patchInvalid(shown(), terr);
  const duplicates =
    kind === 'json'
      ? decoded.duplicateFields.map((d) => `json patch ${d}`)
      : decoded.duplicateFields;
  const warnings = checkUnknown(rt, patched, duplicates, options.fieldValidation, (errs) =>
    patchInvalid(shown(), `strict decoding error: ${errs.join(', ')}`),
  );
  return { object: patched as unknown as KubeObject, warnings };
}

/**
 * A server-side apply (`application/apply-patch+yaml`) of `body` onto `current` (undefined:
 * create). Unknown fields are rejected whatever fieldValidation says (kube cannot type them);
 * duplicate fields are an error under Strict and a warning under Warn.
 * @throws ApiError 400 for bodies that do not decode or apply, 409 on conflicts
 */
export function applyObjectBody(
  current: KubeObject | undefined,
  body: Buffer,
  contentType: string | undefined,
  rt: KindRef,
  options: ApplyOptions & { readonly fieldValidation: FieldValidation },
): BodyResult {
  const decoded = decodeRequestBody(body, contentType);
  if (!isObject(decoded.object))
    throw badRequest('error decoding YAML: the applied configuration must be an object');
  const warnings: string[] = [];
  if (decoded.duplicateFields.length > 0 && options.fieldValidation !== 'Ignore') {
    const errs = decoded.duplicateFields.map((d) => `duplicate field ${JSON.stringify(d)}`);
    if (options.fieldValidation === 'Strict')
      throw badRequest(`error strict decoding YAML: ${errs.join(', ')}`);
    warnings.push(...errs);
  }
  const object = serverSideApply(current, decoded.object as unknown as KubeObject, rt, options);
  return { object, warnings };
}

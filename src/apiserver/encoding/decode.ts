/**
 * Request bodies to objects: JSON, YAML and the `k8s\0` protobuf envelope kubectl 1.32 sends for
 * `kubectl create <generator>`. (Stub until the encoding work lands: JSON only.)
 */
import { badRequest, unsupportedMediaType } from '../../api/meta/status.js';
import type { ResourceType } from '../../api/scheme.js';

/** @throws ApiError 415 for an unknown content type, 400 for a body that does not parse. */
export function decodeBody(
  body: Buffer,
  contentType: string | undefined,
  _rt: ResourceType,
): unknown {
  const type = (contentType ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json' && type !== '') throw unsupportedMediaType(type);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (e) {
    throw badRequest(`the body of the request could not be decoded: ${(e as Error).message}`);
  }
}

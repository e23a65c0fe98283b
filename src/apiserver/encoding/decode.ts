/**
 * Request bodies to objects: JSON, YAML and the `k8s\0` protobuf envelope kubectl 1.32 sends for
 * `kubectl create <generator>`, plus the patch media types (JSON for the JSON, merge and strategic
 * merge patches; YAML, usually JSON text, for server-side apply).
 */
import { badRequest, unsupportedMediaType } from '../../api/meta/status.js';
import type { ResourceType } from '../../api/scheme.js';
import { duplicateJsonFields, JsonSyntaxError, parseJson } from './json.js';
import { decodeProtobufObject, ProtobufError, ProtobufKindError } from './protobuf.js';
import { parseYaml, YamlSyntaxError } from './yaml.js';

export const mediaTypes = {
  json: 'application/json',
  yaml: 'application/yaml',
  protobuf: 'application/vnd.kubernetes.protobuf',
  jsonPatch: 'application/json-patch+json',
  mergePatch: 'application/merge-patch+json',
  strategicMergePatch: 'application/strategic-merge-patch+json',
  applyPatch: 'application/apply-patch+yaml',
} as const;

export interface DecodedBody {
  readonly object: unknown;
  /** Paths of keys that appeared twice in one object (strict decoding reports them). */
  readonly duplicateFields: readonly string[];
  readonly format: 'json' | 'yaml' | 'protobuf';
}

/** The media type of a Content-Type header, lower-cased, parameters dropped; JSON when absent. */
export function mediaTypeOf(contentType: string | undefined): string {
  const t = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return t === '' ? mediaTypes.json : t;
}

function decodeJson(text: string, what: 'object' | 'patch'): DecodedBody {
  try {
    const object = parseJson(text);
    return { object, duplicateFields: duplicateJsonFields(text), format: 'json' };
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    throw badRequest(
      what === 'patch'
        ? `error decoding patch: ${e.message}`
        : `couldn't get version/kind; json parse error: ${e.message}`,
    );
  }
}

function decodeYaml(text: string, what: 'object' | 'apply'): DecodedBody {
  // Server-side apply bodies are JSON text in practice (kubectl sends JSON): parse that exactly.
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      const object = JSON.parse(text) as unknown;
      return { object, duplicateFields: duplicateJsonFields(text), format: 'json' };
    } catch {
      // not JSON after all: YAML below
    }
  }
  try {
    const { value, duplicates } = parseYaml(text);
    return { object: value, duplicateFields: duplicates, format: 'yaml' };
  } catch (e) {
    if (!(e instanceof YamlSyntaxError)) throw e;
    throw badRequest(what === 'apply' ? `error decoding YAML: ${e.message}` : e.message);
  }
}

/**
 * Decodes a body by its Content-Type, reporting duplicate fields.
 * @throws ApiError 415 for an unknown content type (or protobuf of a kind without a schema),
 *   400 for a body that does not parse.
 */
export function decodeRequestBody(
  body: Buffer,
  contentType: string | undefined,
  _rt?: ResourceType,
): DecodedBody {
  const type = mediaTypeOf(contentType);
  switch (type) {
    case mediaTypes.json:
      return decodeJson(body.toString('utf8'), 'object');
    case mediaTypes.jsonPatch:
    case mediaTypes.mergePatch:
    case mediaTypes.strategicMergePatch:
      return decodeJson(body.toString('utf8'), 'patch');
    case mediaTypes.yaml:
      return decodeYaml(body.toString('utf8'), 'object');
    case mediaTypes.applyPatch:
      return decodeYaml(body.toString('utf8'), 'apply');
    case mediaTypes.protobuf:
      try {
        return { object: decodeProtobufObject(body), duplicateFields: [], format: 'protobuf' };
      } catch (e) {
        if (e instanceof ProtobufKindError) throw unsupportedMediaType(type);
        if (e instanceof ProtobufError) {
          throw badRequest(
            `the body of the request could not be decoded as protobuf: ${e.message}`,
          );
        }
        throw e;
      }
    default:
      throw unsupportedMediaType(type);
  }
}

/** @throws ApiError 415 for an unknown content type, 400 for a body that does not parse. */
export function decodeBody(
  body: Buffer,
  contentType: string | undefined,
  rt: ResourceType,
): unknown {
  return decodeRequestBody(body, contentType, rt).object;
}

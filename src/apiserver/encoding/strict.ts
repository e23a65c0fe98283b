/**
 * Server-side field validation (`?fieldValidation=Strict|Warn|Ignore`): the paths of fields the
 * kind's schema does not know, e.g. `spec.portz`. (Stub until the schema lands: knows nothing.)
 */
import type { ResourceType } from '../../api/scheme.js';

/** Paths of unknown fields in `obj`, in document order. */
export function unknownFields(_rt: ResourceType, _obj: unknown): string[] {
  return [];
}

/** Drops unknown fields in place (fieldValidation=Ignore and Warn store only known fields). */
export function pruneUnknownFields(_rt: ResourceType, _obj: unknown): void {}

/**
 * Field errors in apimachinery's `field.Error` form: what validation returns, and what becomes the
 * `causes` of a 422 Invalid Status. Messages follow apimachinery's rendering exactly
 * (`spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive`).
 */
import type { CauseType, StatusCause } from './types.js';

export interface FieldError {
  readonly type: CauseType;
  /** The field path, e.g. `spec.ports[0].name`. */
  readonly field: string;
  readonly badValue?: unknown;
  readonly detail?: string;
}

/**
 * A bad value already rendered the way Go's `%#v` prints it (structs, slices, maps), for the
 * errors whose message shows a Go value (`Duplicate value: core.ServicePort{...}`).
 */
export class GoValue {
  readonly repr: string;
  constructor(repr: string) {
    this.repr = repr;
  }
}

/** Quotes a bad value the way apimachinery prints it: strings quoted, numbers and booleans bare. */
export function formatBadValue(v: unknown): string {
  if (v instanceof GoValue) return v.repr;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  return JSON.stringify(v);
}

/** The body part of the message (after `field: `). */
export function fieldErrorBody(e: FieldError): string {
  const d = e.detail ?? '';
  switch (e.type) {
    case 'FieldValueRequired':
      return d ? `Required value: ${d}` : 'Required value';
    case 'FieldValueForbidden':
      return d ? `Forbidden: ${d}` : 'Forbidden';
    case 'FieldValueDuplicate':
      return `Duplicate value: ${formatBadValue(e.badValue)}${d ? `: ${d}` : ''}`;
    case 'FieldValueNotSupported':
      return `Unsupported value: ${formatBadValue(e.badValue)}${d ? `: ${d}` : ''}`;
    case 'FieldValueTooLong':
      return `Too long: ${d}`;
    case 'FieldValueTooMany':
      return e.badValue === undefined
        ? `Too many: ${d}`
        : `Too many: ${formatBadValue(e.badValue)}: ${d}`;
    case 'FieldValueNotFound':
      return `Not found: ${formatBadValue(e.badValue)}${d ? `: ${d}` : ''}`;
    case 'InternalError':
      return `Internal error: ${d}`;
    case 'FieldValueTypeInvalid':
      return `Invalid value: ${formatBadValue(e.badValue)}${d ? `: ${d}` : ''}`;
    case 'FieldValueInvalid':
    default:
      return `Invalid value: ${formatBadValue(e.badValue)}${d ? `: ${d}` : ''}`;
  }
}

/** `field: body` as apimachinery's `field.Error.Error()` prints it. */
export function fieldErrorMessage(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

export function toCause(e: FieldError): StatusCause {
  return { reason: e.type, message: fieldErrorBody(e), field: e.field };
}

// ---- constructors, named as in apimachinery's field package ----

export const required = (field: string, detail = ''): FieldError => ({
  type: 'FieldValueRequired',
  field,
  detail,
});
export const invalid = (field: string, badValue: unknown, detail = ''): FieldError => ({
  type: 'FieldValueInvalid',
  field,
  badValue,
  detail,
});
export const forbidden = (field: string, detail: string): FieldError => ({
  type: 'FieldValueForbidden',
  field,
  detail,
});
export const duplicate = (field: string, badValue: unknown): FieldError => ({
  type: 'FieldValueDuplicate',
  field,
  badValue,
});
export const tooLong = (field: string, badValue: unknown, max: number): FieldError => ({
  type: 'FieldValueTooLong',
  field,
  badValue,
  detail: `may not be more than ${max} bytes`,
});
export const notFound = (field: string, badValue: unknown, detail = ''): FieldError => ({
  type: 'FieldValueNotFound',
  field,
  badValue,
  detail,
});
/** `Too many: 1001: must have at most 1000 items` */
export const tooMany = (field: string, actual: number, max: number): FieldError => ({
  type: 'FieldValueTooMany',
  field,
  badValue: actual,
  detail: `must have at most ${max} items`,
});
export const internalError = (field: string, detail: string): FieldError => ({
  type: 'InternalError',
  field,
  detail,
});
/** `Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"` */
export const notSupported = (
  field: string,
  badValue: unknown,
  supported: readonly string[],
): FieldError => ({
  type: 'FieldValueNotSupported',
  field,
  badValue,
  detail: `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
});

/** Builds field paths: `path('spec').child('ports').index(0).child('name').toString()`. */
export class FieldPath {
  readonly #s: string;
  constructor(s = '') {
    this.#s = s;
  }
  child(name: string): FieldPath {
    return new FieldPath(this.#s === '' ? name : `${this.#s}.${name}`);
  }
  index(i: number): FieldPath {
    return new FieldPath(`${this.#s}[${i}]`);
  }
  key(k: string): FieldPath {
    return new FieldPath(`${this.#s}[${k}]`);
  }
  toString(): string {
    return this.#s;
  }
}

export const path = (root: string): FieldPath => new FieldPath(root);

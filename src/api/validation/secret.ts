/** Secret validation (ValidateSecret / ValidateSecretUpdate): key names, 1 MiB, per-type keys. */
import { forbidden, invalid, required, tooLong, type FieldError } from '../meta/fielderrors.js';
import type { Secret } from '../types/core.js';
import { semanticEqual } from './equality.js';
import { validateImmutable, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isConfigMapKey, nameIsDNSSubdomain } from './names.js';

/** 1 MiB: the most a Secret or ConfigMap may hold. */
export const maxSecretSize = 1024 * 1024;

/** Bytes of a base64 value once decoded. */
export function decodedLength(b64: string): number {
  return Buffer.from(b64, 'base64').length;
}

/** ValidateSecret. `data` values are base64 (the wire form); sizes count decoded bytes. */
export function validateSecret(secret: Secret): FieldError[] {
  const errs = validateObjectMeta(secret.metadata, {
    namespaced: true,
    nameFn: nameIsDNSSubdomain,
  });
  const data = secret.data ?? {};
  let total = 0;
  for (const [key, value] of Object.entries(data)) {
    for (const m of isConfigMapKey(key)) errs.push(invalid(`data[${key}]`, key, m));
    total += decodedLength(value);
  }
  if (total > maxSecretSize) errs.push(tooLong('data', '', maxSecretSize));
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(data, k);
  switch (secret.type ?? '') {
    case 'kubernetes.io/service-account-token':
      if (!secret.metadata.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
      }
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const key = secret.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(key)) {
        errs.push(required(`data[${key}]`));
        break;
      }
      try {
        const parsed: unknown = JSON.parse(Buffer.from(data[key] ?? '', 'base64').toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('not an object');
      } catch (e) {
        errs.push(
          invalid(
            `data[${key}]`,
            '<secret contents redacted>',
            e instanceof Error ? e.message : String(e),
          ),
        );
      }
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(required('data[username]'), required('data[password]'));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!data['ssh-privatekey']) errs.push(required('data[ssh-privatekey]'));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(required('data[tls.crt]'));
      if (!has('tls.key')) errs.push(required('data[tls.key]'));
      break;
    default:
      break;
  }
  return errs;
}

/** ValidateSecretUpdate: type is immutable; so is everything of an `immutable: true` Secret. */
export function validateSecretUpdate(secret: Secret, old: Secret): FieldError[] {
  const errs = validateObjectMetaUpdate(secret.metadata, old.metadata);
  errs.push(...validateImmutable(secret.type, old.type, 'type'));
  if (old.immutable === true) {
    if (secret.immutable !== true)
      errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
    if (!semanticEqual(secret.data, old.data))
      errs.push(forbidden('data', 'field is immutable when `immutable` is set'));
  }
  return errs.concat(validateSecret(secret));
}

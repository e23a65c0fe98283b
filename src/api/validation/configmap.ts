/** ConfigMap validation (ValidateConfigMap / ValidateConfigMapUpdate). */
import { forbidden, invalid, tooLong, type FieldError } from '../meta/fielderrors.js';
import type { ConfigMap } from '../types/core.js';
import { semanticEqual } from './equality.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isConfigMapKey, nameIsDNSSubdomain } from './names.js';
import { decodedLength, maxSecretSize } from './secret.js';

export function validateConfigMap(cm: ConfigMap): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  let total = 0;
  const binary = cm.binaryData ?? {};
  for (const [key, value] of Object.entries(cm.data ?? {})) {
    for (const m of isConfigMapKey(key)) errs.push(invalid(`data[${key}]`, key, m));
    if (Object.prototype.hasOwnProperty.call(binary, key)) {
      errs.push(invalid(`data[${key}]`, key, 'duplicate of key present in binaryData'));
    }
    total += Buffer.byteLength(value);
  }
  for (const [key, value] of Object.entries(binary)) {
    for (const m of isConfigMapKey(key)) errs.push(invalid(`binaryData[${key}]`, key, m));
    total += decodedLength(value);
  }
  // kube reports the whole object (an empty path) here.
  if (total > maxSecretSize) errs.push(tooLong('', '', maxSecretSize));
  return errs;
}

export function validateConfigMapUpdate(cm: ConfigMap, old: ConfigMap): FieldError[] {
  const errs = validateObjectMetaUpdate(cm.metadata, old.metadata);
  if (old.immutable === true) {
    if (cm.immutable !== true)
      errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
    if (!semanticEqual(cm.data, old.data))
      errs.push(forbidden('data', 'field is immutable when `immutable` is set'));
    if (!semanticEqual(cm.binaryData, old.binaryData)) {
      errs.push(forbidden('binaryData', 'field is immutable when `immutable` is set'));
    }
  }
  return errs.concat(validateConfigMap(cm));
}

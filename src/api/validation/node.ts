/** Node validation: names, taints, pod CIDRs (set once), providerID (set once), unique addresses. */
import {
  duplicate,
  forbidden,
  GoValue,
  invalid,
  notSupported,
  required,
  type FieldError,
} from '../meta/fielderrors.js';
import type { Node } from '../types/core.js';
import { goQuote, goStringSlice } from './gorepr.js';
import { parseCIDR } from './ip.js';
import { validateCIDR } from './ip-fields.js';
import { validateLabelName, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isValidLabelValue, nameIsDNSSubdomain } from './names.js';
import { parseQuantity, quantityFormatError } from './quantity.js';

const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

function validateTaints(node: Node): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Map<string, Set<string>>();
  (node.spec?.taints ?? []).forEach((t, i) => {
    // kube reports taints under metadata (its validator was handed the metadata path).
    const p = `metadata.taints[${i}]`;
    errs.push(...validateLabelName(t.key, `${p}.key`));
    const vmsgs = isValidLabelValue(t.value ?? '');
    if (vmsgs.length > 0) errs.push(invalid(`${p}.value`, t.value ?? '', vmsgs.join(';')));
    if (!t.effect) errs.push(required(`${p}.effect`));
    else if (!(taintEffects as readonly string[]).includes(t.effect))
      errs.push(notSupported(`${p}.effect`, t.effect, taintEffects));
    const keys = seen.get(t.effect) ?? new Set<string>();
    if (keys.has(t.key)) {
      errs.push({
        ...duplicate(
          p,
          new GoValue(
            `core.Taint{Key:${goQuote(t.key)}, Value:${goQuote(t.value ?? '')}, Effect:${goQuote(t.effect)}, TimeAdded:<nil>}`,
          ),
        ),
        detail: 'taints must be unique by key and effect pair',
      });
      return;
    }
    keys.add(t.key);
    seen.set(t.effect, keys);
  });
  return errs;
}

function validateResources(node: Node): FieldError[] {
  const errs: FieldError[] = [];
  for (const kind of ['capacity', 'allocatable'] as const) {
    for (const [k, v] of Object.entries(node.status?.[kind] ?? {})) {
      const q = parseQuantity(v);
      if (q === undefined) errs.push(invalid(`status.${kind}.${k}`, v, quantityFormatError));
      else if (q < 0)
        errs.push(invalid(`status.${kind}.${k}`, v, 'must be greater than or equal to 0'));
    }
  }
  return errs;
}

export function validateNode(node: Node): FieldError[] {
  const errs = validateObjectMeta(node.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  errs.push(...validateTaints(node));
  errs.push(...validateResources(node));
  const cidrs = node.spec?.podCIDRs ?? [];
  cidrs.forEach((c, i) => errs.push(...validateCIDR(c, `spec.podCIDRs[${i}]`)));
  if (cidrs.length > 1) {
    const fams = cidrs.map((c) => parseCIDR(c)?.network.family);
    if (cidrs.length > 2 || fams[0] === fams[1]) {
      errs.push(
        invalid(
          'spec.podCIDRs',
          goStringSlice(cidrs),
          'may specify no more than one CIDR for each IP family',
        ),
      );
    }
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(duplicate(`spec.podCIDRs[${i}]`, c));
      seen.add(c);
    });
  }
  return errs;
}

export function validateNodeUpdate(node: Node, old: Node): FieldError[] {
  const errs = validateObjectMetaUpdate(node.metadata, old.metadata);
  errs.push(...validateResources(node));
  const addrs = new Set<string>();
  (node.status?.addresses ?? []).forEach((a, i) => {
    const key = `${a.type}/${a.address}`;
    if (addrs.has(key)) {
      errs.push(
        duplicate(
          `status.addresses[${i}]`,
          new GoValue(`core.NodeAddress{Type:${goQuote(a.type)}, Address:${goQuote(a.address)}}`),
        ),
      );
    }
    addrs.add(key);
  });
  const oldCIDRs = old.spec?.podCIDRs ?? [];
  const newCIDRs = node.spec?.podCIDRs ?? [];
  const cidrMsg = 'node updates may not change podCIDR except from "" to valid';
  if (oldCIDRs.length > 0) {
    if (oldCIDRs.length !== newCIDRs.length) errs.push(forbidden('spec.podCIDRs', cidrMsg));
    else
      oldCIDRs.forEach((c, i) => {
        if (c !== newCIDRs[i]) errs.push(forbidden('spec.podCIDRs', cidrMsg));
      });
  }
  if (old.spec?.providerID && old.spec.providerID !== node.spec?.providerID) {
    errs.push(
      forbidden(
        'spec.providerID',
        'node updates may not change providerID except from "" to valid',
      ),
    );
  }
  errs.push(...validateTaints(node));
  return errs;
}

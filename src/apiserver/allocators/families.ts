/**
 * ipFamilies and ipFamilyPolicy of a Service, initialised against the cluster's configured
 * families before allocation (kube's Allocators.initIPFamilyFields, registry/core/service/storage).
 */
import { invalid as fieldInvalid, type FieldError } from '../../api/meta/fielderrors.js';
import { invalid } from '../../api/meta/status.js';
import type { IPFamily, Service } from '../../api/types/core.js';
import { goStringSlice } from '../../api/validation/gorepr.js';
import { parseIP } from '../../api/validation/ip.js';
import { validateServiceClusterIPsRelatedFields } from '../../api/validation/service.js';

const sameList = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((x, i) => x === (b ?? [])[i]);

function familyOf(ip: string): IPFamily | 'unknown' {
  return parseIP(ip)?.family ?? 'unknown';
}

/** A PreferDualStack service whose IP fields did not change: nothing to (re)initialise. */
function matchingPreferDualStack(svc: Service, old: Service | undefined): boolean {
  if (!old) return false;
  const spec = svc.spec ?? {};
  if (spec.ipFamilyPolicy === undefined) return false;
  if (old.spec?.type !== spec.type) return false;
  if (spec.type !== 'ClusterIP' && spec.type !== 'NodePort' && spec.type !== 'LoadBalancer')
    return false;
  if (spec.ipFamilyPolicy !== 'PreferDualStack') return false;
  const o = old.spec ?? {};
  if (o.ipFamilyPolicy !== undefined && o.ipFamilyPolicy !== 'PreferDualStack') return false;
  return sameList(o.clusterIPs, spec.clusterIPs) && sameList(o.ipFamilies, spec.ipFamilies);
}

/**
 * Fills ipFamilyPolicy (SingleStack; RequireDualStack for selector-less headless services; the
 * old policy on update) and ipFamilies (from the clusterIPs given, else the cluster's default
 * family, plus the other family for dual-stack policies when the cluster has both).
 * @throws ApiError 422 when the request cannot be met on this cluster
 */
export function initIPFamilyFields(
  svc: Service,
  old: Service | undefined,
  configured: ReadonlySet<IPFamily>,
  defaultFamily: IPFamily,
): void {
  const spec = (svc.spec ??= {});
  if (spec.type === 'ExternalName') return;
  if (matchingPreferDualStack(svc, old)) return;
  const name = svc.metadata.name ?? '';
  if (spec.ipFamilyPolicy === undefined) {
    if (old?.spec?.ipFamilyPolicy !== undefined) spec.ipFamilyPolicy = old.spec.ipFamilyPolicy;
    else if (spec.clusterIP === 'None' && Object.keys(spec.selector ?? {}).length === 0) {
      spec.ipFamilyPolicy = 'RequireDualStack';
    } else spec.ipFamilyPolicy = 'SingleStack';
  }
  const pre = validateServiceClusterIPsRelatedFields(svc);
  if (pre.length > 0) throw invalid('', 'Service', name, pre);

  const errs: FieldError[] = [];
  if (old) {
    if (spec.ipFamilyPolicy === 'SingleStack') {
      // Going single-stack with unchanged IPs and families is clear intent: drop the secondary.
      if (sameList(old.spec?.clusterIPs, spec.clusterIPs) && (spec.clusterIPs ?? []).length > 1) {
        spec.clusterIPs = (spec.clusterIPs ?? []).slice(0, 1);
      }
      if (sameList(old.spec?.ipFamilies, spec.ipFamilies) && (spec.ipFamilies ?? []).length > 1) {
        spec.ipFamilies = (spec.ipFamilies ?? []).slice(0, 1);
      }
    } else {
      const reduced = (
        a: readonly string[] | undefined,
        b: readonly string[] | undefined,
      ): boolean => (a ?? []).length > 0 && (a ?? []).length < (b ?? []).length;
      if (reduced(spec.clusterIPs, old.spec?.clusterIPs)) {
        errs.push(
          fieldInvalid(
            'spec.ipFamilyPolicy',
            spec.ipFamilyPolicy,
            "must be 'SingleStack' to release the secondary cluster IP",
          ),
        );
      }
      if (reduced(spec.ipFamilies, old.spec?.ipFamilies)) {
        errs.push(
          fieldInvalid(
            'spec.ipFamilyPolicy',
            spec.ipFamilyPolicy,
            "must be 'SingleStack' to release the secondary IP family",
          ),
        );
      }
    }
  }
  if (spec.ipFamilyPolicy === 'SingleStack') {
    if ((spec.clusterIPs ?? []).length === 2) {
      errs.push(
        fieldInvalid(
          'spec.ipFamilyPolicy',
          spec.ipFamilyPolicy,
          "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified",
        ),
      );
    }
    if ((spec.ipFamilies ?? []).length === 2) {
      errs.push(
        fieldInvalid(
          'spec.ipFamilyPolicy',
          spec.ipFamilyPolicy,
          "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified",
        ),
      );
    }
  }
  // Infer ipFamilies from the clusterIPs asked for.
  const clusterIPs = spec.clusterIPs ?? [];
  for (let i = 0; i < clusterIPs.length; i++) {
    const ip = clusterIPs[i] ?? '';
    if (ip === 'None') break;
    const fam = familyOf(ip);
    if (i >= (spec.ipFamilies ?? []).length) {
      if (fam === 'unknown' || !configured.has(fam)) {
        errs.push(
          fieldInvalid(
            `spec.clusterIPs[${i}]`,
            goStringSlice(clusterIPs),
            `${fam} is not configured on this cluster`,
          ),
        );
      } else {
        spec.ipFamilies = [...(spec.ipFamilies ?? []), fam];
      }
    }
  }
  if (errs.length > 0) throw invalid('', 'Service', name, errs);

  // Headless without selector: any families are fine, dual-stack unless asked otherwise.
  if (spec.clusterIP === 'None' && Object.keys(spec.selector ?? {}).length === 0) {
    if ((spec.ipFamilies ?? []).length === 0) spec.ipFamilies = [defaultFamily];
    const fams = spec.ipFamilies ?? [defaultFamily];
    if (fams.length < 2 && spec.ipFamilyPolicy !== 'SingleStack') {
      spec.ipFamilies = [...fams, fams[0] === 'IPv4' ? 'IPv6' : 'IPv4'];
    }
    return;
  }
  if (spec.ipFamilyPolicy === 'RequireDualStack' && configured.size < 2) {
    errs.push(
      fieldInvalid(
        'spec.ipFamilyPolicy',
        spec.ipFamilyPolicy,
        'this cluster is not configured for dual-stack services',
      ),
    );
  }
  (spec.ipFamilies ?? []).forEach((fam, i) => {
    if (!configured.has(fam))
      errs.push(fieldInvalid(`spec.ipFamilies[${i}]`, fam, 'not configured on this cluster'));
  });
  if (errs.length > 0) throw invalid('', 'Service', name, errs);
  if ((spec.ipFamilies ?? []).length === 0) spec.ipFamilies = [defaultFamily];
  const fams = spec.ipFamilies ?? [];
  if (spec.ipFamilyPolicy !== 'SingleStack' && fams.length === 1 && configured.size === 2) {
    spec.ipFamilies = [...fams, fams[0] === 'IPv4' ? 'IPv6' : 'IPv4'];
  }
}

/**
 * Service validation, as kube's ValidateService / validateServicePort /
 * ValidateServiceClusterIPsRelatedFields / validateServiceExternalTrafficPolicy /
 * validateClientIPAffinityConfig and the update rules (clusterIPs and ipFamilies may not change,
 * healthCheckNodePort stays). The object is expected defaulted and normalized (clusterIPs[0] ==
 * clusterIP). Allocation happens after validation here, so fields the allocator fills (clusterIPs,
 * nodePorts, healthCheckNodePort, ipFamilies) may still be empty and are not required.
 */
import {
  duplicate,
  forbidden,
  invalid,
  notSupported,
  required,
  type FieldError,
} from '../meta/fielderrors.js';
import type { Service, ServicePort } from '../types/core.js';
import { goServicePortKey, goStringSlice } from './gorepr.js';
import { parseIP } from './ip.js';
import { validateCIDR, validateIP, validateNonSpecialIP } from './ip-fields.js';
import {
  validateLabelName,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta.js';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  nameIsDNS1035Label,
} from './names.js';
import { validatePortNum, validatePortNumOrName, validateProtocol } from './ports.js';
import { validateLoadBalancerStatus } from './loadbalancer.js';

export const maxClientIPServiceAffinitySeconds = 86400;
const annotationLoadBalancerSourceRanges = 'service.beta.kubernetes.io/load-balancer-source-ranges';
const annotationTopologyMode = 'service.kubernetes.io/topology-mode';
const annotationTopologyAwareHints = 'service.kubernetes.io/topology-aware-hints';

const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'] as const;
const sessionAffinityTypes = ['ClientIP', 'None'] as const;
const ipFamilies = ['IPv4', 'IPv6'] as const;
const ipFamilyPolicies = ['PreferDualStack', 'RequireDualStack', 'SingleStack'] as const;
const trafficPolicies = ['Cluster', 'Local'] as const;
const trafficDistributions = ['PreferClose'] as const;

/** clusterIPs == ["None"]. */
export function isHeadlessService(svc: Service): boolean {
  const ips = svc.spec?.clusterIPs ?? [];
  return ips.length === 1 && ips[0] === 'None';
}

/** LoadBalancer, NodePort, or ClusterIP with externalIPs (apiservice.ExternallyAccessible). */
export function externallyAccessible(svc: Service): boolean {
  const t = svc.spec?.type;
  return (
    t === 'LoadBalancer' ||
    t === 'NodePort' ||
    (t === 'ClusterIP' && (svc.spec?.externalIPs ?? []).length > 0)
  );
}

/** LoadBalancer with externalTrafficPolicy Local (apiservice.NeedsHealthCheck). */
export function needsHealthCheck(svc: Service): boolean {
  return svc.spec?.type === 'LoadBalancer' && svc.spec.externalTrafficPolicy === 'Local';
}

function validateServicePort(
  sp: ServicePort,
  requireName: boolean,
  allNames: Set<string>,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const name = sp.name ?? '';
  if (requireName && name.length === 0) {
    errs.push(required(`${path}.name`));
  } else if (name.length !== 0) {
    for (const msg of isDNS1123Label(name)) errs.push(invalid(`${path}.name`, name, msg));
    if (allNames.has(name)) errs.push(duplicate(`${path}.name`, name));
    else allNames.add(name);
  }
  errs.push(...validatePortNum(sp.port, `${path}.port`));
  errs.push(...validateProtocol(sp.protocol, `${path}.protocol`));
  errs.push(...validatePortNumOrName(sp.targetPort, `${path}.targetPort`));
  if (sp.appProtocol !== undefined) {
    for (const msg of isQualifiedName(sp.appProtocol)) {
      errs.push(invalid(`${path}.appProtocol`, sp.appProtocol, msg));
    }
  }
  return errs;
}

function validateClientIPAffinityConfig(svc: Service): FieldError[] {
  const path = 'spec.sessionAffinityConfig';
  const detail = 'when session affinity type is ClientIP';
  const config = svc.spec?.sessionAffinityConfig;
  if (!config) return [required(path, detail)];
  if (!config.clientIP) return [required(`${path}.clientIP`, detail)];
  const timeout = config.clientIP.timeoutSeconds;
  if (timeout === undefined) return [required(`${path}.clientIP.timeoutSeconds`, detail)];
  if (timeout <= 0 || timeout > maxClientIPServiceAffinitySeconds) {
    return [
      invalid(
        `${path}.clientIP.timeoutSeconds`,
        timeout,
        `must be greater than 0 and less than ${maxClientIPServiceAffinitySeconds}`,
      ),
    ];
  }
  return [];
}

/**
 * ValidateServiceClusterIPsRelatedFields: clusterIP/clusterIPs agree, ipFamilies and
 * ipFamilyPolicy hold known values, IPs are valid, at most one per family. Also run by the
 * allocator on the object it is about to allocate for.
 */
export function validateServiceClusterIPsRelatedFields(svc: Service): FieldError[] {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  let hasInvalidIPs = false;
  const clusterIPs = spec.clusterIPs ?? [];
  const clusterIP = spec.clusterIP ?? '';
  if (clusterIP.length !== 0) {
    if (clusterIPs.length === 0) errs.push(required('spec.clusterIPs'));
    else if (clusterIPs[0] !== clusterIP) {
      errs.push(
        invalid('spec.clusterIPs', goStringSlice(clusterIPs), 'first value must match `clusterIP`'),
      );
    }
  } else if (clusterIPs.length !== 0) {
    errs.push(
      invalid(
        'spec.clusterIPs',
        goStringSlice(clusterIPs),
        'must be empty when `clusterIP` is not specified',
      ),
    );
  }
  const seen = new Set<string>();
  (spec.ipFamilies ?? []).forEach((fam, i) => {
    if (!(ipFamilies as readonly string[]).includes(fam)) {
      errs.push(notSupported(`spec.ipFamilies[${i}]`, fam, ipFamilies));
    }
    if (seen.has(fam)) errs.push(duplicate(`spec.ipFamilies[${i}]`, fam));
    seen.add(fam);
  });
  if (
    spec.ipFamilyPolicy !== undefined &&
    !(ipFamilyPolicies as readonly string[]).includes(spec.ipFamilyPolicy)
  ) {
    errs.push(notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, ipFamilyPolicies));
  }
  clusterIPs.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (clusterIPs.length > 1) {
        hasInvalidIPs = true;
        errs.push(
          invalid(
            'spec.clusterIPs',
            goStringSlice(clusterIPs),
            "'None' must be the first and only value",
          ),
        );
      }
      return;
    }
    const ipErrs = validateIP(ip, `spec.clusterIPs[${i}]`);
    if (ipErrs.length > 0) hasInvalidIPs = true;
    errs.push(...ipErrs);
  });
  if (clusterIPs.length > 2) {
    errs.push(
      invalid('spec.clusterIPs', goStringSlice(clusterIPs), 'may only hold up to 2 values'),
    );
  }
  if (hasInvalidIPs) return errs;
  if (clusterIPs.length > 1) {
    const fams = clusterIPs.map((ip) => parseIP(ip)?.family);
    const dualStack = clusterIPs.length === 2 && fams[0] !== fams[1];
    if (!dualStack) {
      errs.push(
        invalid(
          'spec.clusterIPs',
          goStringSlice(clusterIPs),
          'may specify no more than one IP for each IP family',
        ),
      );
    }
  }
  const families = spec.ipFamilies ?? [];
  if (!isHeadlessService(svc) && clusterIPs.length > 0 && families.length > 0) {
    clusterIPs.forEach((ip, i) => {
      if (i > families.length - 1) return;
      const isV6 = parseIP(ip)?.family === 'IPv6';
      if (families[i] === 'IPv4' && isV6) {
        errs.push(
          invalid(
            `spec.clusterIPs[${i}]`,
            ip,
            `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``,
          ),
        );
      }
      if (families[i] === 'IPv6' && !isV6) {
        errs.push(
          invalid(
            `spec.clusterIPs[${i}]`,
            ip,
            `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``,
          ),
        );
      }
    });
  }
  return errs;
}

function validateLoadBalancerClass(svc: Service, old: Service | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const cls = svc.spec?.loadBalancerClass;
  if (old && old.spec?.type === 'LoadBalancer' && svc.spec?.type === 'LoadBalancer') {
    if ((old.spec.loadBalancerClass ?? null) !== (cls ?? null)) {
      errs.push(invalid('spec.loadBalancerClass', cls ?? null, 'may not change once set'));
    }
  }
  if (svc.spec?.type === 'LoadBalancer') {
    if (cls !== undefined) errs.push(...validateLabelName(cls, 'spec.loadBalancerClass'));
  } else if (cls !== undefined) {
    errs.push(
      forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"),
    );
  }
  return errs;
}

function validateTrafficPolicies(svc: Service): FieldError[] {
  const spec = svc.spec ?? {};
  const errs: FieldError[] = [];
  if (!externallyAccessible(svc)) {
    if (spec.externalTrafficPolicy) {
      errs.push(
        invalid(
          'spec.externalTrafficPolicy',
          spec.externalTrafficPolicy,
          'may only be set for externally-accessible services',
        ),
      );
    }
  } else if (!spec.externalTrafficPolicy) {
    errs.push(required('spec.externalTrafficPolicy'));
  } else if (!(trafficPolicies as readonly string[]).includes(spec.externalTrafficPolicy)) {
    errs.push(
      notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, trafficPolicies),
    );
  }
  const hc = spec.healthCheckNodePort ?? 0;
  if (!needsHealthCheck(svc)) {
    if (hc !== 0) {
      errs.push(
        invalid(
          'spec.healthCheckNodePort',
          hc,
          "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        ),
      );
    }
  } else if (hc !== 0) {
    // 0 means "allocate one": the allocator runs after validation here.
    errs.push(...validatePortNum(hc, 'spec.healthCheckNodePort'));
  }
  if (spec.internalTrafficPolicy === undefined) {
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP') {
      errs.push(required('spec.internalTrafficPolicy'));
    }
  } else if (!(trafficPolicies as readonly string[]).includes(spec.internalTrafficPolicy)) {
    errs.push(
      notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, trafficPolicies),
    );
  }
  if (
    spec.trafficDistribution !== undefined &&
    !(trafficDistributions as readonly string[]).includes(spec.trafficDistribution)
  ) {
    errs.push(
      notSupported('spec.trafficDistribution', spec.trafficDistribution, trafficDistributions),
    );
  }
  return errs;
}

/** ValidateService (create). */
export function validateService(svc: Service): FieldError[] {
  const errs = validateObjectMeta(svc.metadata, { namespaced: true, nameFn: nameIsDNS1035Label });
  const annotations = svc.metadata.annotations ?? {};
  const modeVal = annotations[annotationTopologyMode];
  const hintsVal = annotations[annotationTopologyAwareHints];
  if (modeVal !== undefined && hintsVal !== undefined && modeVal !== hintsVal) {
    errs.push(
      invalid(
        `metadata.annotations[${annotationTopologyMode}]`,
        modeVal,
        `must match annotations[${annotationTopologyAwareHints}] when both are specified`,
      ),
    );
  }
  const spec = svc.spec ?? {};
  const ports = spec.ports ?? [];
  const headless = isHeadlessService(svc);
  if (ports.length === 0 && !headless && spec.type !== 'ExternalName') {
    errs.push(required('spec.ports'));
  }
  switch (spec.type) {
    case 'LoadBalancer':
      if (headless)
        errs.push(
          invalid(
            'spec.clusterIPs[0]',
            'None',
            "may not be set to 'None' for LoadBalancer services",
          ),
        );
      break;
    case 'NodePort':
      if (headless)
        errs.push(
          invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for NodePort services"),
        );
      break;
    case 'ExternalName': {
      if ((spec.clusterIPs ?? []).length > 0) {
        errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
      }
      if ((spec.ipFamilies ?? []).length > 0) {
        errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
      }
      if (spec.ipFamilyPolicy !== undefined) {
        errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
      }
      // A CNAME may end with a dot to say it is fully qualified.
      const cname = (spec.externalName ?? '').replace(/\.$/, '');
      if (cname.length > 0) {
        for (const msg of isDNS1123Subdomain(cname))
          errs.push(invalid('spec.externalName', cname, msg));
      } else {
        errs.push(required('spec.externalName'));
      }
      break;
    }
    default:
      break;
  }
  const allNames = new Set<string>();
  ports.forEach((p, i) =>
    errs.push(...validateServicePort(p, ports.length > 1, allNames, `spec.ports[${i}]`)),
  );
  if (spec.selector !== undefined) errs.push(...validateLabels(spec.selector, 'spec.selector'));
  if (!spec.sessionAffinity) errs.push(required('spec.sessionAffinity'));
  else if (!(sessionAffinityTypes as readonly string[]).includes(spec.sessionAffinity)) {
    errs.push(notSupported('spec.sessionAffinity', spec.sessionAffinity, sessionAffinityTypes));
  }
  if (spec.sessionAffinity === 'ClientIP') errs.push(...validateClientIPAffinityConfig(svc));
  else if (spec.sessionAffinity === 'None' && spec.sessionAffinityConfig !== undefined) {
    errs.push(
      forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'),
    );
  }
  errs.push(...validateServiceClusterIPsRelatedFields(svc));
  (spec.externalIPs ?? []).forEach((ip, i) => {
    const p = `spec.externalIPs[${i}]`;
    const ipErrs = validateIP(ip, p);
    errs.push(...(ipErrs.length > 0 ? ipErrs : validateNonSpecialIP(ip, p)));
  });
  if (!spec.type) errs.push(required('spec.type'));
  else if (!(serviceTypes as readonly string[]).includes(spec.type)) {
    errs.push(notSupported('spec.type', spec.type, serviceTypes));
  }
  if (spec.type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if ((p.nodePort ?? 0) !== 0) {
        errs.push(
          forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"),
        );
      }
    });
  }
  // Duplicate nodePorts and ports, considering (protocol, port) pairs.
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if ((p.nodePort ?? 0) === 0) return;
    const key = `${p.protocol ?? ''}/${p.nodePort ?? 0}`;
    if (nodePorts.has(key)) errs.push(duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
    nodePorts.add(key);
  });
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${p.protocol ?? ''}/${p.port}`;
    if (portKeys.has(key))
      errs.push(duplicate(`spec.ports[${i}]`, goServicePortKey(p.protocol ?? '', p.port)));
    portKeys.add(key);
  });
  const ranges = spec.loadBalancerSourceRanges ?? [];
  if (ranges.length > 0) {
    const p = 'spec.LoadBalancerSourceRanges';
    if (spec.type !== 'LoadBalancer')
      errs.push(forbidden(p, "may only be used when `type` is 'LoadBalancer'"));
    // Values may be space-padded (a historical accident of the annotation form).
    ranges.forEach((r, i) => errs.push(...validateCIDR(r.trim(), `${p}[${i}]`)));
  } else if (annotations[annotationLoadBalancerSourceRanges] !== undefined) {
    const p = `metadata.annotations[${annotationLoadBalancerSourceRanges}]`;
    if (spec.type !== 'LoadBalancer')
      errs.push(forbidden(p, "may only be used when `type` is 'LoadBalancer'"));
    const val = (annotations[annotationLoadBalancerSourceRanges] ?? '').trim();
    if (val !== '') for (const r of val.split(',')) errs.push(...validateCIDR(r.trim(), p));
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.type !== 'LoadBalancer') {
    errs.push(
      forbidden(
        'spec.allocateLoadBalancerNodePorts',
        "may only be used when `type` is 'LoadBalancer'",
      ),
    );
  }
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined) {
    // Path without "spec." exactly as kube reports it.
    errs.push(required('allocateLoadBalancerNodePorts'));
  }
  errs.push(...validateLoadBalancerClass(svc, undefined));
  errs.push(...validateTrafficPolicies(svc));
  return errs;
}

function validateUpgradeDowngradeClusterIPs(old: Service, svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  if (svc.spec?.type === 'ExternalName' || old.spec?.type === 'ExternalName') return errs;
  if (isHeadlessService(old) && isHeadlessService(svc)) return errs;
  const oldIPs = old.spec?.clusterIPs ?? [];
  const newIPs = svc.spec?.clusterIPs ?? [];
  const shown = goStringSlice(svc.spec?.clusterIPs);
  if (oldIPs.length === newIPs.length) {
    oldIPs.forEach((ip, i) => {
      if (ip !== newIPs[i])
        errs.push(invalid(`spec.clusterIPs[${i}]`, shown, 'may not change once set'));
    });
  } else if (oldIPs.length > newIPs.length) {
    if (newIPs.length === 0)
      errs.push(invalid('spec.clusterIPs[0]', shown, 'primary clusterIP can not be unset'));
    if (oldIPs.length > 0 && newIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
      errs.push(invalid('spec.clusterIPs[0]', shown, 'may not change once set'));
    }
    if (newIPs.length === 1 && svc.spec?.ipFamilyPolicy !== 'SingleStack') {
      errs.push(
        invalid(
          'spec.ipFamilyPolicy',
          svc.spec?.ipFamilyPolicy ?? null,
          "must be set to 'SingleStack' when releasing the secondary clusterIP",
        ),
      );
    }
  } else if (oldIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
    errs.push(invalid('spec.clusterIPs[0]', shown, 'may not change once set'));
  }
  return errs;
}

function validateUpgradeDowngradeIPFamilies(old: Service, svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  if (svc.spec?.type === 'ExternalName' || old.spec?.type === 'ExternalName') return errs;
  if (isHeadlessService(old) !== isHeadlessService(svc) || isHeadlessService(svc)) return errs;
  const oldF = old.spec?.ipFamilies ?? [];
  const newF = svc.spec?.ipFamilies ?? [];
  const shownF = goStringSlice(svc.spec?.ipFamilies, 'core.IPFamily');
  const shownIPs = goStringSlice(svc.spec?.clusterIPs);
  if (oldF.length === newF.length) {
    oldF.forEach((f, i) => {
      if (f !== newF[i])
        errs.push(invalid('spec.ipFamilies[0]', shownF, 'may not change once set'));
    });
  } else if (oldF.length > newF.length) {
    if ((svc.spec?.clusterIPs ?? []).length === 0) {
      errs.push(invalid('spec.ipFamilies[0]', shownF, 'primary ipFamily can not be unset'));
    }
    if (newF.length > 0 && newF[0] !== oldF[0])
      errs.push(invalid('spec.ipFamilies[0]', shownIPs, 'may not change once set'));
    if (newF.length === 1 && svc.spec?.ipFamilyPolicy !== 'SingleStack') {
      errs.push(
        invalid(
          'spec.ipFamilyPolicy',
          svc.spec?.ipFamilyPolicy ?? null,
          "must be set to 'SingleStack' when releasing the secondary ipFamily",
        ),
      );
    }
  } else if (oldF.length > 0 && newF.length > 0 && newF[0] !== oldF[0]) {
    errs.push(invalid('spec.ipFamilies[0]', shownIPs, 'may not change once set'));
  }
  return errs;
}

/** ValidateServiceUpdate. */
export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  errs.push(...validateUpgradeDowngradeClusterIPs(old, svc));
  errs.push(...validateUpgradeDowngradeIPFamilies(old, svc));
  errs.push(...validateLoadBalancerClass(svc, old));
  if (needsHealthCheck(old) && needsHealthCheck(svc)) {
    const before = old.spec?.healthCheckNodePort ?? 0;
    const after = svc.spec?.healthCheckNodePort ?? 0;
    if (after !== before && after !== 0) {
      errs.push(forbidden('spec.healthCheckNodePort', 'field is immutable'));
    }
  }
  return errs.concat(validateService(svc));
}

/** ValidateServiceStatusUpdate. */
export function validateServiceStatusUpdate(svc: Service, old: Service): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  return errs.concat(
    validateLoadBalancerStatus(svc.status?.loadBalancer, 'status.loadBalancer', svc.spec?.type),
  );
}

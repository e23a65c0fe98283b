/**
 * The Service strategy: defaults, the clusterIP/clusterIPs bookkeeping of kube's service
 * registry (normalizeClusterIPs, patchAllocatedValues, dropTypeDependentFields), validation, and
 * allocation of clusterIPs and nodePorts through ServiceAllocators.
 */
import { setServiceDefaults } from '../../api/defaults/service.js';
import type { Service } from '../../api/types/core.js';
import {
  externallyAccessible,
  needsHealthCheck,
  validateService,
  validateServiceStatusUpdate,
  validateServiceUpdate,
} from '../../api/validation/service.js';
import type { ServiceAllocators } from '../allocators/service.js';
import { errorsOf, prepareCreate, prepareStatusUpdate, prepareUpdate, settle } from './common.js';
import type { Strategy } from './strategy.js';

const sameList = (a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((x, i) => x === (b ?? [])[i]);

const needsClusterIP = (svc: Service): boolean => svc.spec?.type !== 'ExternalName';
const needsNodePort = (svc: Service): boolean =>
  svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer';

/**
 * Keeps clusterIP and clusterIPs in step: old clients send only clusterIP; a client that clears
 * clusterIP without touching clusterIPs means to clear both.
 */
export function normalizeClusterIPs(svc: Service, old: Service | undefined): void {
  const spec = (svc.spec ??= {});
  if (!old) {
    if (spec.clusterIP && (spec.clusterIPs ?? []).length === 0) spec.clusterIPs = [spec.clusterIP];
    return;
  }
  const o = old.spec ?? {};
  if ((o.clusterIPs ?? []).length > 0 && (spec.clusterIPs ?? []).length === 0) {
    if ((o.clusterIP ?? '') === (spec.clusterIP ?? '') && o.clusterIPs)
      spec.clusterIPs = [...o.clusterIPs];
  }
  if ((o.clusterIP ?? '') !== (spec.clusterIP ?? '')) {
    if (o.clusterIP && !spec.clusterIP) {
      if (sameList(o.clusterIPs, spec.clusterIPs)) delete spec.clusterIPs;
    } else if (sameList(o.clusterIPs, spec.clusterIPs)) {
      spec.clusterIPs = [spec.clusterIP ?? ''];
    }
  }
}

/**
 * Fills in what the server allocated and the client left out (so that re-applying the original
 * manifest keeps the clusterIP and nodePorts): clusterIP(s), nodePorts matched by port name, and
 * the healthCheckNodePort.
 */
export function patchAllocatedValues(svc: Service, old: Service): void {
  const spec = (svc.spec ??= {});
  const o = old.spec ?? {};
  if (needsClusterIP(old) && needsClusterIP(svc)) {
    if (!spec.clusterIP && o.clusterIP) spec.clusterIP = o.clusterIP;
    if ((spec.clusterIPs ?? []).length === 0 && (o.clusterIPs ?? []).length > 0 && o.clusterIPs) {
      spec.clusterIPs = [...o.clusterIPs];
    }
  }
  if (needsNodePort(old) && needsNodePort(svc)) {
    const used = (s: Service): Set<number> =>
      new Set((s.spec?.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n !== 0));
    const oldUsed = used(old);
    const newUsed = used(svc);
    const kept = new Set([...oldUsed].filter((n) => newUsed.has(n)));
    const byName = new Map<string, number>();
    for (const p of o.ports ?? []) byName.set(p.name ?? '', p.nodePort ?? 0);
    for (const p of spec.ports ?? []) {
      if (p.nodePort) continue;
      const v = byName.get(p.name ?? '') ?? 0;
      if (v !== 0 && !kept.has(v)) p.nodePort = v;
    }
  }
  if (
    needsHealthCheck(old) &&
    needsHealthCheck(svc) &&
    !spec.healthCheckNodePort &&
    o.healthCheckNodePort
  ) {
    spec.healthCheckNodePort = o.healthCheckNodePort;
  }
}

/**
 * Wipes fields that the new type does not use when the client did not change them (a ClusterIP
 * service patched to ExternalName loses its clusterIPs; NodePort patched to ClusterIP loses its
 * nodePorts). Values the client changed are left for validation to reject.
 */
export function dropTypeDependentFields(svc: Service, old: Service): void {
  const spec = (svc.spec ??= {});
  const o = old.spec ?? {};
  if (needsClusterIP(old) && !needsClusterIP(svc)) {
    if (sameList(o.clusterIPs, spec.clusterIPs) && (o.clusterIP ?? '') === (spec.clusterIP ?? '')) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (sameList(o.ipFamilies, spec.ipFamilies)) delete spec.ipFamilies;
    if (o.ipFamilyPolicy === spec.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  if (needsNodePort(old) && !needsNodePort(svc)) {
    const same = sameList(
      (o.ports ?? []).map((p) => p.nodePort ?? 0),
      (spec.ports ?? []).map((p) => p.nodePort ?? 0),
    );
    if (same) for (const p of spec.ports ?? []) delete p.nodePort;
  }
  if (
    needsHealthCheck(old) &&
    !needsHealthCheck(svc) &&
    (o.healthCheckNodePort ?? 0) === (spec.healthCheckNodePort ?? 0)
  ) {
    delete spec.healthCheckNodePort;
  }
  if (o.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (
      spec.allocateLoadBalancerNodePorts !== undefined &&
      o.allocateLoadBalancerNodePorts === spec.allocateLoadBalancerNodePorts
    ) {
      delete spec.allocateLoadBalancerNodePorts;
    }
    if (o.loadBalancerClass === spec.loadBalancerClass) delete spec.loadBalancerClass;
  }
  if (
    externallyAccessible(old) &&
    !externallyAccessible(svc) &&
    o.externalTrafficPolicy === spec.externalTrafficPolicy
  ) {
    delete spec.externalTrafficPolicy;
  }
}

/** The Service strategy over a shared set of allocators. */
export function serviceStrategy(allocators: ServiceAllocators): Strategy<Service> {
  return {
    defaults: setServiceDefaults,
    prepareForCreate(svc) {
      prepareCreate(svc, { initialStatus: () => ({ loadBalancer: {} }) });
      normalizeClusterIPs(svc, undefined);
    },
    prepareForUpdate(svc, old) {
      prepareUpdate(svc, old, {});
      patchAllocatedValues(svc, old);
      normalizeClusterIPs(svc, old);
      dropTypeDependentFields(svc, old);
    },
    validate: (svc) => errorsOf(validateService(svc)),
    validateUpdate: (svc, old) => errorsOf(validateServiceUpdate(svc, old)),
    prepareForStatusUpdate(svc, old) {
      prepareStatusUpdate(svc, old);
      if (svc.spec?.type === 'LoadBalancer') {
        for (const ing of svc.status?.loadBalancer?.ingress ?? [])
          if (ing.ip && ing.ipMode === undefined) ing.ipMode = 'VIP';
      }
      svc.status ??= {};
      svc.status.loadBalancer ??= {};
    },
    validateStatusUpdate: (svc, old) => errorsOf(validateServiceStatusUpdate(svc, old)),
    selectableFields: (svc) => ({
      'spec.clusterIP': svc.spec?.clusterIP ?? '',
      'spec.type': svc.spec?.type ?? '',
    }),
    allocate: (svc, old) =>
      settle(() => (old ? allocators.allocateUpdate(svc, old) : allocators.allocateCreate(svc))),
    release: (svc) => allocators.release(svc),
  };
}

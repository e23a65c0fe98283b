/** SetDefaults_Service (k8s.io/kubernetes/pkg/apis/core/v1/defaults.go). */
import type { Service } from '../types/core.js';

/** Seconds of ClientIP affinity when none is given (3 hours). */
export const defaultClientIPServiceAffinitySeconds = 10800;

/** LoadBalancer, NodePort, or ClusterIP with externalIPs. */
function externallyAccessible(svc: Service): boolean {
  const t = svc.spec?.type;
  return (
    t === 'LoadBalancer' ||
    t === 'NodePort' ||
    (t === 'ClusterIP' && (svc.spec?.externalIPs ?? []).length > 0)
  );
}

/**
 * Defaults a Service in place: type ClusterIP, sessionAffinity None (ClientIP gets a 10800 s
 * timeout), port protocol TCP, targetPort = port when unset/0/"", externalTrafficPolicy Cluster
 * when externally accessible, internalTrafficPolicy Cluster, allocateLoadBalancerNodePorts and
 * ipMode VIP for LoadBalancers, `status.loadBalancer: {}`. ClusterIPs, ipFamilies and
 * ipFamilyPolicy are the allocator's (they depend on the cluster's configuration).
 */
export function setServiceDefaults(svc: Service): void {
  const spec = (svc.spec ??= {});
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (
    spec.sessionAffinity === 'ClientIP' &&
    spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined
  ) {
    spec.sessionAffinityConfig = {
      clientIP: { timeoutSeconds: defaultClientIPServiceAffinitySeconds },
    };
  }
  if (!spec.type) spec.type = 'ClusterIP';
  for (const p of spec.ports ?? []) {
    if (!p.protocol) p.protocol = 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '')
      p.targetPort = p.port;
  }
  if (externallyAccessible(svc) && !spec.externalTrafficPolicy)
    spec.externalTrafficPolicy = 'Cluster';
  if (
    spec.internalTrafficPolicy === undefined &&
    (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP')
  ) {
    spec.internalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts === undefined) spec.allocateLoadBalancerNodePorts = true;
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
      if (ing.ip && ing.ipMode === undefined) ing.ipMode = 'VIP';
    }
  }
  const status = (svc.status ??= {});
  status.loadBalancer ??= {};
}

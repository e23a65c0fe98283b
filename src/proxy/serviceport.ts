/**
 * Service → ServicePortInfo, per IP family. Pure: the same Service always gives the same ports.
 * The filters are kube-proxy's: headless and ExternalName Services, and Services labelled
 * `service.kubernetes.io/service-proxy-name` (another proxy owns them) or
 * `service.kubernetes.io/headless`, are left alone.
 */
import type { Service } from '../api/types/core.js';
import { labelHeadless, labelServiceProxyName } from '../api/types/discovery.js';
import type { IPFamily, ServicePortInfo } from './types.js';
import { familyOf } from './types.js';

/** Kubernetes' default `sessionAffinityConfig.clientIP.timeoutSeconds` (3 hours). */
export const defaultAffinityTimeoutSeconds = 10800;

/** Why the proxy ignores a Service entirely, or undefined when it programs it. */
export function skipReason(svc: Service): string | undefined {
  const labels = svc.metadata.labels ?? {};
  if (labelServiceProxyName in labels) return 'service-proxy-name label';
  if (labelHeadless in labels) return 'headless label';
  const spec = svc.spec;
  if (!spec) return 'no spec';
  if (spec.type === 'ExternalName') return 'ExternalName';
  const ip = spec.clusterIP;
  if (ip === 'None') return 'headless';
  if (ip === undefined || ip === '') return 'no clusterIP';
  return undefined;
}

/** The `namespace/name` key of an object. */
export function serviceKey(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

/** The ports of `svc` the proxy programs for `family`; empty when the Service is ignored. */
export function servicePorts(svc: Service, family: IPFamily): ServicePortInfo[] {
  if (skipReason(svc) !== undefined) return [];
  const spec = svc.spec;
  if (!spec) return [];
  const clusterIPs =
    spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : [spec.clusterIP ?? ''];
  const clusterIP = clusterIPs.find((ip) => ip !== '' && ip !== 'None' && familyOf(ip) === family);
  if (clusterIP === undefined) return [];
  const namespace = svc.metadata.namespace ?? 'default';
  const name = svc.metadata.name ?? '';
  const externalIPs = uniq((spec.externalIPs ?? []).filter((ip) => familyOf(ip) === family));
  const loadBalancerIPs =
    spec.type === 'LoadBalancer'
      ? uniq(
          (svc.status?.loadBalancer?.ingress ?? [])
            .filter((i) => i.ip !== undefined && i.ip !== '' && i.ipMode !== 'Proxy')
            .map((i) => i.ip ?? '')
            .filter((ip) => familyOf(ip) === family),
        )
      : [];
  const withNodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  const ports = spec.ports ?? [];
  const externallyAccessible =
    externalIPs.length > 0 ||
    loadBalancerIPs.length > 0 ||
    (withNodePorts && ports.some((p) => (p.nodePort ?? 0) > 0));
  const externalPolicyLocal = externallyAccessible && spec.externalTrafficPolicy === 'Local';
  const affinityTimeoutSeconds =
    spec.sessionAffinity === 'ClientIP'
      ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? defaultAffinityTimeoutSeconds)
      : 0;
  const healthCheckNodePort =
    spec.type === 'LoadBalancer' && externalPolicyLocal ? (spec.healthCheckNodePort ?? 0) : 0;
  const out: ServicePortInfo[] = [];
  for (const p of ports) {
    const protocol = p.protocol ?? 'TCP';
    if (!(p.port > 0 && p.port < 65536)) continue;
    out.push({
      service: `${namespace}/${name}`,
      namespace,
      name,
      portName: p.name ?? '',
      key: `${namespace}/${name}/${protocol.toLowerCase()}/${p.port}`,
      protocol,
      port: p.port,
      clusterIP,
      nodePort: withNodePorts ? (p.nodePort ?? 0) : 0,
      externalIPs,
      loadBalancerIPs,
      loadBalancerSourceRanges:
        loadBalancerIPs.length > 0
          ? uniq(
              (spec.loadBalancerSourceRanges ?? [])
                .map((r) => r.trim())
                .filter((r) => r !== '' && familyOf(r.split('/')[0] ?? '') === family),
            )
          : [],
      affinityTimeoutSeconds,
      externalPolicyLocal,
      internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
      healthCheckNodePort,
      trafficDistribution: spec.trafficDistribution,
    });
  }
  return out;
}

/** True when the port is reachable from outside through a node port, external IP or LB IP. */
export function externallyAccessible(sp: ServicePortInfo): boolean {
  return sp.nodePort > 0 || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;
}

function uniq(values: readonly string[]): string[] {
  return [...new Set(values)];
}

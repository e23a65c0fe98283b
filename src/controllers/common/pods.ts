/**
 * Pod predicates shared by the controllers, with the semantics of Kubernetes'
 * `pkg/api/v1/pod` and `endpointslice/util` helpers (readiness, terminal phases, named ports).
 */
import type { Pod, ServicePort } from '../../api/types/core.js';

/** The pod's Ready condition, if the kubelet (or our node lifecycle controller) has set one. */
export function podReadyCondition(
  pod: Pod,
): NonNullable<NonNullable<Pod['status']>['conditions']>[number] | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/** Succeeded or Failed: the pod will never run again. */
export function isPodTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Counts toward a ReplicaSet's replicas: not terminal and not being deleted (kube's IsPodActive). */
export function isPodActive(pod: Pod): boolean {
  return !isPodTerminal(pod) && pod.metadata.deletionTimestamp === undefined;
}

/** Every IP of the pod: `status.podIPs`, or `status.podIP` when only that is set. */
export function podIPs(pod: Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip) => ip !== '');
  if (ips.length > 0) return ips;
  const ip = pod.status?.podIP;
  return ip !== undefined && ip !== '' ? [ip] : [];
}

/**
 * Whether a pod is an endpoint at all (kube's ShouldPodBeInEndpoints): it has an IP, is not
 * terminal, and, unless `includeTerminating`, is not being deleted.
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (podIPs(pod).length === 0) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp !== undefined) return false;
  return true;
}

/**
 * The container port a service port targets on this pod (kube's FindPort): a numeric targetPort
 * is used as is (the port itself when unset); a named one is looked up among the pod's
 * container ports of the same protocol, and undefined is returned when the pod has no such name.
 */
export function findPort(pod: Pod, servicePort: ServicePort): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target === 0 ? servicePort.port : target;
  const protocol = servicePort.protocol ?? 'TCP';
  for (const container of pod.spec?.containers ?? []) {
    for (const port of container.ports ?? []) {
      if (port.name === target && (port.protocol ?? 'TCP') === protocol) return port.containerPort;
    }
  }
  return undefined;
}

/**
 * When the Ready condition last changed, in ms since the epoch (the trigger of an endpoint
 * change); undefined when unknown.
 */
export function podReadyTransitionMs(pod: Pod): number | undefined {
  const t = podReadyCondition(pod)?.lastTransitionTime;
  if (t === undefined) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Ready for at least `minReadySeconds` (kube's IsPodAvailable). `now` is ms since the epoch.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = podReadyTransitionMs(pod);
  return since !== undefined && since + minReadySeconds * 1000 <= now;
}

/**
 * Pod and pod-template defaults: SetDefaults_PodSpec, SetDefaults_Container, SetDefaults_Probe,
 * SetDefaults_HTTPGetAction, volume defaults, and for Pods also SetDefaults_Pod plus what kube's
 * default admission plugins add (service account, priority, not-ready/unreachable tolerations).
 */
import type { Container, Pod, PodSpec, PodTemplateSpec, Probe, Toleration } from '../types/core.js';

export const defaultTerminationGracePeriodSeconds = 30;
export const defaultSchedulerName = 'default-scheduler';
export const terminationMessagePathDefault = '/dev/termination-log';
/** DefaultTolerationSeconds admission: 5 minutes on a NotReady or unreachable node. */
export const defaultNotReadyTolerationSeconds = 300;

/** The tag of an image reference; "latest" when it has neither tag nor digest. */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) return name.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}

function setProbeDefaults(p: Probe | undefined): void {
  if (!p) return;
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  if (p.httpGet) {
    if (!p.httpGet.path) p.httpGet.path = '/';
    if (!p.httpGet.scheme) p.httpGet.scheme = 'HTTP';
  }
  if (p.grpc && p.grpc.service === undefined) p.grpc.service = '';
}

/** SetDefaults_Container and the defaults of what it holds. */
export function setContainerDefaults(c: Container): void {
  if (!c.imagePullPolicy)
    c.imagePullPolicy = imageTag(c.image ?? '') === 'latest' ? 'Always' : 'IfNotPresent';
  if (!c.terminationMessagePath) c.terminationMessagePath = terminationMessagePathDefault;
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  for (const port of c.ports ?? []) if (!port.protocol) port.protocol = 'TCP';
  setProbeDefaults(c.livenessProbe);
  setProbeDefaults(c.readinessProbe);
  setProbeDefaults(c.startupProbe);
  for (const h of [c.lifecycle?.postStart, c.lifecycle?.preStop]) {
    if (h?.httpGet) {
      if (!h.httpGet.path) h.httpGet.path = '/';
      if (!h.httpGet.scheme) h.httpGet.scheme = 'HTTP';
    }
  }
  for (const ev of c.env ?? []) {
    if (ev.valueFrom?.fieldRef && !ev.valueFrom.fieldRef.apiVersion)
      ev.valueFrom.fieldRef.apiVersion = 'v1';
  }
}

/** SetDefaults_PodSpec (also applied to every pod template). */
export function setPodSpecDefaults(spec: PodSpec): void {
  spec.containers ??= [];
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  spec.securityContext ??= {};
  if (spec.terminationGracePeriodSeconds === undefined) {
    spec.terminationGracePeriodSeconds = defaultTerminationGracePeriodSeconds;
  }
  if (!spec.schedulerName) spec.schedulerName = defaultSchedulerName;
  for (const c of spec.containers) setContainerDefaults(c);
  for (const c of spec.initContainers ?? []) setContainerDefaults(c);
  for (const v of spec.volumes ?? []) {
    // SetDefaults_Volume: a volume with no source at all is an emptyDir
    if (Object.keys(v).every((k) => k === 'name')) v.emptyDir = {};
    if (v.secret && v.secret.defaultMode === undefined) v.secret.defaultMode = 0o644;
    if (v.configMap && v.configMap.defaultMode === undefined) v.configMap.defaultMode = 0o644;
    if (v.hostPath && v.hostPath.type === undefined) v.hostPath.type = '';
  }
  if (spec.hostNetwork) {
    // A host-network container listens on the node: its hostPort is its containerPort.
    for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
      for (const p of c.ports ?? []) if (!p.hostPort) p.hostPort = p.containerPort;
    }
  }
}

/** Defaults of a template embedded in an RC, ReplicaSet or Deployment. */
export function setPodTemplateDefaults(t: PodTemplateSpec | undefined): void {
  if (!t) return;
  t.spec ??= { containers: [] };
  setPodSpecDefaults(t.spec);
}

function tolerates(tolerations: readonly Toleration[], key: string): boolean {
  return tolerations.some(
    (t) =>
      (t.key === key || (!t.key && t.operator === 'Exists')) &&
      (!t.effect || t.effect === 'NoExecute'),
  );
}

/**
 * A Pod's defaults: the spec defaults, requests from limits, enableServiceLinks, and the fields
 * kube-apiserver's default admission chain fills (serviceAccountName, priority,
 * preemptionPolicy, tolerations for not-ready and unreachable nodes).
 */
export function setPodDefaults(pod: Pod): void {
  const spec = (pod.spec ??= { containers: [] });
  setPodSpecDefaults(spec);
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
    const limits = c.resources?.limits;
    if (!limits || !c.resources) continue;
    c.resources.requests ??= {};
    for (const [k, v] of Object.entries(limits)) c.resources.requests[k] ??= v;
  }
  if (spec.enableServiceLinks === undefined) spec.enableServiceLinks = true;
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
  if (!spec.serviceAccount) spec.serviceAccount = spec.serviceAccountName;
  if (spec.priority === undefined) spec.priority = 0;
  if (spec.preemptionPolicy === undefined) spec.preemptionPolicy = 'PreemptLowerPriority';
  const tolerations = (spec.tolerations ??= []);
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tolerates(tolerations, key)) {
      tolerations.push({
        key,
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: defaultNotReadyTolerationSeconds,
      });
    }
  }
}

/** The QoS class kube computes for a pod (GetPodQOS). */
export function podQOSClass(spec: PodSpec | undefined): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined || lim[r] !== undefined) any = true;
      if (lim[r] === undefined || (req[r] !== undefined && String(req[r]) !== String(lim[r])))
        guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

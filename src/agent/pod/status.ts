/**
 * The pod status as kubelet reports it (kubelet_pods.go generateAPIPodStatus, getPhase,
 * convertToAPIContainerStatuses; pkg/kubelet/status generate.go), computed from what the runtime
 * reports, the reasons the last sync left (ErrImagePull, CrashLoopBackOff…) and the probes.
 * Pure: the caller supplies the time.
 */
import type { Condition } from '../../api/meta/types.js';
import type {
  Container,
  ContainerState as ApiContainerState,
  ContainerStatus as ApiContainerStatus,
  Pod,
  PodPhase,
  PodStatus,
} from '../../api/types/core.js';
import { parseReference, repository, formatReference } from '../images/reference.js';
import type { ContainerStatus as RtContainer, Sandbox } from '../runtime/types.js';

/** Why a container waits, as the last sync found (kubelet's reasonCache). */
export interface WaitingReason {
  readonly reason: string;
  readonly message: string;
}

export interface ProbeView {
  /** Readiness of a running container; undefined when it has no readiness probe. */
  ready(containerId: string): boolean | undefined;
  /** Whether the startup probe succeeded; undefined when it has no startup probe. */
  started(containerId: string): boolean | undefined;
}

export interface StatusInput {
  readonly pod: Pod;
  /** This pod's sandboxes. */
  readonly sandboxes: readonly Sandbox[];
  /** This pod's containers, in every sandbox. */
  readonly containers: readonly RtContainer[];
  /** Waiting reasons by container name (absent once a start succeeded). */
  readonly reasons: ReadonlyMap<string, WaitingReason>;
  readonly probes: ProbeView;
  readonly hostIPs: readonly string[];
  /** No container of the pod will run again (finished, or killed for deletion). */
  readonly terminal: boolean;
  readonly now: number;
}

/** `runc://<id>`: the runtime's name and the container id, as kubelet's containerID reads. */
export function containerID(id: string): string {
  return `runc://${id}`;
}

/** metav1.Time: RFC 3339 with seconds. */
export function apiTime(t: number | string): string {
  const ms = typeof t === 'number' ? t : Date.parse(t);
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function imageName(ref: string): string {
  try {
    return formatReference(parseReference(ref));
  } catch {
    return ref;
  }
}

function imageRef(ref: string, imageId: string): string {
  if (!imageId.startsWith('sha256:')) return imageId;
  try {
    return `${repository(parseReference(ref))}@${imageId}`;
  } catch {
    return imageId;
  }
}

/** A restartable init container is a sidecar (`restartPolicy: Always`). */
export function isSidecar(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

function stateOf(rt: RtContainer): ApiContainerState {
  const s = rt.state;
  switch (s.state) {
    case 'created':
      return { waiting: { reason: 'ContainerCreating' } };
    case 'running':
      return { running: { startedAt: apiTime(s.startedAt) } };
    case 'exited':
      return {
        terminated: {
          exitCode: s.exitCode,
          ...(s.signal ? { signal: s.signal } : {}),
          reason: s.reason,
          ...(s.message ? { message: s.message } : {}),
          startedAt: apiTime(s.startedAt ?? s.finishedAt),
          finishedAt: apiTime(s.finishedAt),
          containerID: containerID(rt.id),
        },
      };
  }
}

/** Instances of one container name, newest (highest attempt) first. */
function instances(containers: readonly RtContainer[], name: string): RtContainer[] {
  return containers.filter((c) => c.name === name).sort((a, b) => b.attempt - a.attempt);
}

function containerStatuses(
  input: StatusInput,
  specs: readonly Container[],
  init: boolean,
): ApiContainerStatus[] {
  const old = new Map(
    (init ? input.pod.status?.initContainerStatuses : input.pod.status?.containerStatuses)?.map(
      (s) => [s.name, s],
    ) ?? [],
  );
  const hasInit = (input.pod.spec?.initContainers ?? []).length > 0;
  return specs.map((spec) => {
    const all = instances(input.containers, spec.name);
    const latest = all[0];
    const previous = all[1];
    const prior = old.get(spec.name);
    let status: ApiContainerStatus;
    if (!latest) {
      status = {
        name: spec.name,
        state: { waiting: { reason: !init && hasInit ? 'PodInitializing' : 'ContainerCreating' } },
        ready: false,
        restartCount: prior?.restartCount ?? 0,
        image: imageName(spec.image ?? ''),
        imageID: '',
        started: false,
        ...(prior?.lastState?.terminated ? { lastState: prior.lastState } : {}),
      };
      if (prior?.state?.terminated && input.terminal) status = { ...prior, ready: false };
    } else {
      const state = stateOf(latest);
      const running = latest.state.state === 'running';
      const id = latest.id;
      const startupOk = input.probes.started(id) ?? true;
      const started = running && startupOk;
      let ready: boolean;
      if (init && !isSidecar(spec)) {
        ready = latest.state.state === 'exited' && latest.state.exitCode === 0;
      } else {
        ready = started && (input.probes.ready(id) ?? true);
      }
      status = {
        name: spec.name,
        state,
        ready,
        restartCount: latest.attempt,
        image: imageName(latest.image || spec.image || ''),
        imageID: imageRef(latest.image || spec.image || '', latest.imageId),
        containerID: containerID(id),
        started,
        ...(previous ? { lastState: stateOf(previous) } : {}),
      };
      if (!previous && prior?.lastState?.terminated && prior.restartCount === latest.attempt)
        status.lastState = prior.lastState;
    }
    const why = input.reasons.get(spec.name);
    if (why && !(status.state?.running ?? false)) {
      if (status.state?.terminated) status.lastState = status.state;
      status.state = { waiting: { reason: why.reason, message: why.message } };
      status.ready = false;
      status.started = false;
    }
    if (status.lastState && Object.keys(status.lastState).length === 0) delete status.lastState;
    return status;
  });
}

function findStatus(
  statuses: readonly ApiContainerStatus[],
  name: string,
): ApiContainerStatus | undefined {
  return statuses.find((s) => s.name === name);
}

/** Whether any regular container has ever started (kubecontainer.HasAnyRegularContainerStarted). */
function anyRegularStarted(pod: Pod, statuses: readonly ApiContainerStatus[]): boolean {
  return (pod.spec?.containers ?? []).some((c) => {
    const s = findStatus(statuses, c.name);
    return (
      s !== undefined &&
      (s.state?.running !== undefined ||
        s.state?.terminated !== undefined ||
        s.lastState?.terminated !== undefined)
    );
  });
}

/** kubelet's getPhase. */
export function podPhase(
  pod: Pod,
  initStatuses: readonly ApiContainerStatus[],
  statuses: readonly ApiContainerStatus[],
  terminal: boolean,
): PodPhase {
  const spec = pod.spec;
  const restartPolicy = spec?.restartPolicy ?? 'Always';
  let pendingInit = 0;
  let failedInit = 0;
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec?.initContainers ?? []) {
    const s = findStatus(initStatuses, c.name);
    if (isSidecar(c)) {
      if (!s) {
        unknown++;
        continue;
      }
      if (s.state?.running) {
        if (!s.started) pendingInit++;
        running++;
      } else if (s.state?.terminated) {
        // terminated sidecars are ignored
      } else if (s.state?.waiting) {
        if (!s.lastState?.terminated) {
          pendingInit++;
          waiting++;
        }
      } else {
        pendingInit++;
        unknown++;
      }
      continue;
    }
    if (!s) {
      pendingInit++;
      continue;
    }
    if (s.state?.running) pendingInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInit++;
      } else pendingInit++;
    } else pendingInit++;
  }
  for (const c of spec?.containers ?? []) {
    const s = findStatus(statuses, c.name);
    if (!s) {
      unknown++;
      continue;
    }
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (failedInit > 0 && restartPolicy === 'Never') return 'Failed';
  if ((pendingInit > 0 && !anyRegularStarted(pod, statuses)) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

type PodCondition = Condition & { lastProbeTime?: string | null };

function goList(names: readonly string[]): string {
  return `[${names.join(' ')}]`;
}

function containersReadyCondition(
  pod: Pod,
  all: readonly ApiContainerStatus[],
  phase: PodPhase,
): PodCondition {
  const unknown: string[] = [];
  const unready: string[] = [];
  const check = (name: string): void => {
    const s = findStatus(all, name);
    if (!s) unknown.push(name);
    else if (!s.ready) unready.push(name);
  };
  for (const c of pod.spec?.initContainers ?? []) if (isSidecar(c)) check(c.name);
  for (const c of pod.spec?.containers ?? []) check(c.name);
  if ((phase === 'Succeeded' && unknown.length === 0) || phase === 'Failed')
    return {
      type: 'ContainersReady',
      status: 'False',
      reason: phase === 'Failed' ? 'PodFailed' : 'PodCompleted',
    };
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length > 0) messages.push(`containers with unready status: ${goList(unready)}`);
  if (messages.length > 0)
    return {
      type: 'ContainersReady',
      status: 'False',
      reason: 'ContainersNotReady',
      message: messages.join(', '),
    };
  return { type: 'ContainersReady', status: 'True' };
}

function readyCondition(
  pod: Pod,
  containersReady: PodCondition,
  oldConditions: readonly PodCondition[],
): PodCondition {
  if (containersReady.status !== 'True') return { ...containersReady, type: 'Ready' };
  const missing: string[] = [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const c = oldConditions.find((x) => x.type === gate.conditionType);
    if (!c)
      missing.push(
        `corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`,
      );
    else if (c.status !== 'True')
      missing.push(
        `the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`,
      );
  }
  if (missing.length > 0)
    return {
      type: 'Ready',
      status: 'False',
      reason: 'ReadinessGatesNotReady',
      message: missing.join(', '),
    };
  return { type: 'Ready', status: 'True' };
}

function initializedCondition(
  pod: Pod,
  initStatuses: readonly ApiContainerStatus[],
  statuses: readonly ApiContainerStatus[],
  phase: PodPhase,
): PodCondition {
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of pod.spec?.initContainers ?? []) {
    const s = findStatus(initStatuses, c.name);
    if (!s) {
      unknown.push(c.name);
      continue;
    }
    if (isSidecar(c)) {
      if (!s.started) incomplete.push(c.name);
      continue;
    }
    if (!s.ready) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0)
    return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  if (anyRegularStarted(pod, statuses)) return { type: 'Initialized', status: 'True' };
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length > 0)
    messages.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (messages.length > 0)
    return {
      type: 'Initialized',
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: messages.join(', '),
    };
  return { type: 'Initialized', status: 'True' };
}

/** The condition types kubelet owns; others (readiness gates, DisruptionTarget…) are kept. */
export const kubeletConditions = new Set([
  'PodReadyToStartContainers',
  'Initialized',
  'Ready',
  'ContainersReady',
  'PodScheduled',
]);

/** kubelet's GetPodQOS. */
export function qosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      const q = req[r];
      const l = lim[r];
      if (q !== undefined && String(q) !== '0') any = true;
      if (l !== undefined && String(l) !== '0') any = true;
      if (l === undefined || (q !== undefined && String(q) !== String(l))) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** The status kubelet would write now. */
export function generatePodStatus(input: StatusInput): PodStatus {
  const { pod } = input;
  const old = pod.status ?? {};
  const initStatuses = containerStatuses(input, pod.spec?.initContainers ?? [], true);
  const statuses = containerStatuses(input, pod.spec?.containers ?? [], false);
  const phase = podPhase(pod, initStatuses, statuses, input.terminal);
  const newest = [...input.sandboxes].sort((a, b) => b.attempt - a.attempt)[0];
  const sandboxReady = newest?.state === 'ready';
  const all = [...initStatuses, ...statuses];
  const oldConditions = (old.conditions ?? []) as PodCondition[];
  const containersReady = containersReadyCondition(pod, all, phase);
  const generated: PodCondition[] = [
    { type: 'PodReadyToStartContainers', status: sandboxReady ? 'True' : 'False' },
    initializedCondition(pod, initStatuses, statuses, phase),
    readyCondition(pod, containersReady, oldConditions),
    containersReady,
    { type: 'PodScheduled', status: 'True' },
  ];
  const now = apiTime(input.now);
  const conditions: PodCondition[] = generated.map((c) => {
    const prev = oldConditions.find((o) => o.type === c.type);
    const lastTransitionTime =
      prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
    return { ...c, lastProbeTime: null, lastTransitionTime };
  });
  for (const o of oldConditions) if (!kubeletConditions.has(o.type)) conditions.push(o);
  let podIPs = newest?.ip && newest.state === 'ready' ? [newest.ip] : [];
  if (
    podIPs.length === 0 &&
    (old.podIPs?.length ?? 0) > 0 &&
    (newest !== undefined || input.terminal)
  )
    podIPs = (old.podIPs ?? []).map((p) => p.ip);
  const status: PodStatus = {
    phase,
    conditions,
    ...(input.hostIPs[0]
      ? { hostIP: input.hostIPs[0], hostIPs: input.hostIPs.map((ip) => ({ ip })) }
      : {}),
    ...(podIPs[0] ? { podIP: podIPs[0], podIPs: podIPs.map((ip) => ({ ip })) } : {}),
    startTime: old.startTime ?? now,
    ...(initStatuses.length > 0 ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: statuses,
    qosClass: qosClass(pod),
  };
  return status;
}

/**
 * The final status of a pod that was deleted and stopped (kubelet's TerminatePod): a container
 * that is not terminated is reported terminated with ContainerStatusUnknown, and the phase
 * becomes Failed unless every container succeeded.
 */
export function terminatedPodStatus(status: PodStatus, now: number): PodStatus {
  const fix = (list: ApiContainerStatus[] | undefined): ApiContainerStatus[] | undefined =>
    list?.map((s) => {
      if (s.state?.terminated) return { ...s, ready: false, started: false };
      const next: ApiContainerStatus = {
        ...s,
        ready: false,
        started: false,
        state: {
          terminated: {
            exitCode: 137,
            reason: 'ContainerStatusUnknown',
            message: 'The container could not be located when the pod was terminated',
            startedAt: apiTime(now),
            finishedAt: apiTime(now),
          },
        },
      };
      if (s.state?.running === undefined && s.lastState === undefined) delete next.lastState;
      return next;
    });
  const containerStatuses = fix(status.containerStatuses) ?? [];
  const initContainerStatuses = fix(status.initContainerStatuses);
  let phase = status.phase;
  if (phase !== 'Succeeded' && phase !== 'Failed') {
    const allOk = containerStatuses.every((s) => s.state?.terminated?.exitCode === 0);
    phase = allOk && containerStatuses.length > 0 ? 'Succeeded' : 'Failed';
  }
  const reason = phase === 'Failed' ? 'PodFailed' : 'PodCompleted';
  const conditions = (status.conditions ?? []).map((c) =>
    (c.type === 'Ready' || c.type === 'ContainersReady') && c.status === 'True'
      ? { ...c, status: 'False' as const, reason, lastTransitionTime: apiTime(now) }
      : c,
  );
  return {
    ...status,
    phase,
    conditions,
    containerStatuses,
    ...(initContainerStatuses ? { initContainerStatuses } : {}),
  };
}

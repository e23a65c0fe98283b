/**
 * One pod's level-triggered sync, kubelet's syncPod / computePodActions in TypeScript: from the
 * pod spec and what the runtime reports, do the next steps and say when to look again.
 *
 *   sandbox    missing or dead → (kill what is left and) create one with the next attempt;
 *              a restartPolicy Never pod whose containers ran gets no new sandbox;
 *   init       the first init container that has not succeeded runs; a failed one is restarted
 *              (with back-off) unless restartPolicy is Never (then the pod fails); sidecars
 *              (restartPolicy Always init containers) start in order and keep running;
 *   containers each one runs; a dead one restarts per restartPolicy with CrashLoopBackOff
 *              (10 s doubling to 5 min); a failed liveness/startup probe or a changed image
 *              kills and restarts it;
 *   images     an image the store lacks is ErrImagePull, then ImagePullBackOff with back-off;
 *   errors     env/volume problems are CreateContainerConfigError, runtime ones
 *              CreateContainerError / RunContainerError, kept as the container's waiting reason.
 *
 * Termination (`kill`): preStop hooks, then SIGTERM → grace → SIGKILL for every container in
 * parallel (sidecars after the others), then the sandbox is stopped.
 */
import type { Container, Pod, PodStatus, Service } from '../../api/types/core.js';
import type { EventRecorder } from '../../client/events.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log/logger.js';
import { podResolvConf } from '../runtime/etcfiles.js';
import type {
  ContainerSpec,
  ContainerStatus as RtContainer,
  Runtime,
  Sandbox,
} from '../runtime/types.js';
import { goDuration, KeyedBackoff } from './backoff.js';
import type { PodRuntimeView, RuntimeCache } from './cache.js';
import { containerEnv, EnvError, expandCommand, parseQuantity, type EnvSources } from './env.js';
import { runHook } from './handlers.js';
import type { ProbeManager } from './prober.js';
import { serviceEnvMap } from './servicelinks.js';
import { generatePodStatus, isSidecar, type WaitingReason } from './status.js';
import { containerMounts, removePodDir, setUpVolumes, VolumeError } from './volumes.js';

/** What the sync needs to know about the node. */
export interface NodeContext {
  readonly name: string;
  hostIPs(): readonly string[];
  /** Cluster DNS server IPs (kubelet --cluster-dns). */
  readonly clusterDNS: readonly string[];
  readonly clusterDomain: string;
  /** The node's resolv.conf text. */
  hostResolvConf(): string;
  /** The pod network is set up (pods with their own network may start). */
  networkReady(): boolean;
  /** Allocatable cpu (millicores) and memory (bytes), for resourceFieldRef defaults. */
  allocatable(): { cpuMillis: number; memoryBytes: number };
}

export interface PodSyncerOptions {
  readonly runtime: Runtime;
  readonly cache: RuntimeCache;
  readonly prober: ProbeManager;
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly node: NodeContext;
  /** Every Service the node knows; undefined until the informer has listed. */
  readonly services: () => readonly Service[] | undefined;
  readonly sources: EnvSources;
  /** `<data dir>/pods`. */
  readonly podsDir: string;
}

export interface SyncOutcome {
  /** Sync again after this long (a back-off ends, a sandbox retry); undefined = on events only. */
  readonly requeueAfterMs?: number;
}

/** Annotations the agent puts on runtime objects (it reads them back after a restart). */
export const annotations = {
  podName: 'io.portico.pod.name',
  podNamespace: 'io.portico.pod.namespace',
  podUID: 'io.portico.pod.uid',
  image: 'io.portico.container.image',
  init: 'io.portico.container.init',
} as const;

const minGraceSeconds = 2;

/**
 * When to look again after an image error: kubelet requeues a pod whose sync failed after 10 s
 * with up to 50 % jitter, so ErrImagePull and ImagePullBackOff alternate as the back-off grows.
 */
function imageRetryMs(): number {
  return Math.round(10_000 * (1 + Math.random() * 0.5));
}

function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/** kubelet's format.Pod: `name_namespace(uid)`. */
function formatPod(pod: Pod): string {
  return `${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})`;
}

function newestSandbox(view: PodRuntimeView): Sandbox | undefined {
  return [...view.sandboxes].sort((a, b) => b.attempt - a.attempt)[0];
}

function instancesOf(view: PodRuntimeView, name: string): RtContainer[] {
  return view.containers.filter((c) => c.name === name).sort((a, b) => b.attempt - a.attempt);
}

function securityContext(pod: Pod, c: Container): Partial<ContainerSpec> {
  const sc = (c.securityContext ?? {}) as {
    privileged?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
    runAsUser?: number;
    runAsGroup?: number;
    readOnlyRootFilesystem?: boolean;
  };
  const psc = (pod.spec?.securityContext ?? {}) as { runAsUser?: number; runAsGroup?: number };
  const runAsUser = sc.runAsUser ?? psc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? psc.runAsGroup;
  return {
    ...(sc.privileged !== undefined ? { privileged: sc.privileged } : {}),
    ...(sc.capabilities ? { capabilities: sc.capabilities } : {}),
    ...(runAsUser !== undefined ? { runAsUser } : {}),
    ...(runAsGroup !== undefined ? { runAsGroup } : {}),
    ...(sc.readOnlyRootFilesystem !== undefined
      ? { readOnlyRootFilesystem: sc.readOnlyRootFilesystem }
      : {}),
  };
}

function resourcesOf(c: Container): ContainerSpec['resources'] {
  const mem = c.resources?.limits?.['memory'];
  const cpuLimit = c.resources?.limits?.['cpu'];
  const cpuReq = c.resources?.requests?.['cpu'];
  const out: { memoryLimitBytes?: number; cpuLimitMillis?: number; cpuRequestMillis?: number } = {};
  if (mem !== undefined && Number.isFinite(parseQuantity(mem)))
    out.memoryLimitBytes = Math.round(parseQuantity(mem));
  if (cpuLimit !== undefined && Number.isFinite(parseQuantity(cpuLimit)))
    out.cpuLimitMillis = Math.round(parseQuantity(cpuLimit) * 1000);
  if (cpuReq !== undefined && Number.isFinite(parseQuantity(cpuReq)))
    out.cpuRequestMillis = Math.round(parseQuantity(cpuReq) * 1000);
  return Object.keys(out).length > 0 ? out : undefined;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class PodSyncer {
  readonly #o: PodSyncerOptions;
  /** Waiting reasons by pod UID and container name (kubelet's reasonCache). */
  readonly #reasons = new Map<string, Map<string, WaitingReason>>();
  readonly crashBackoff: KeyedBackoff;
  readonly imageBackoff: KeyedBackoff;

  constructor(options: PodSyncerOptions) {
    this.#o = options;
    this.crashBackoff = new KeyedBackoff({
      initialMs: 10_000,
      maxMs: 300_000,
      clock: options.clock,
    });
    this.imageBackoff = new KeyedBackoff({
      initialMs: 10_000,
      maxMs: 300_000,
      clock: options.clock,
    });
  }

  reasons(uid: string): ReadonlyMap<string, WaitingReason> {
    return this.#reasons.get(uid) ?? new Map();
  }

  #setReason(pod: Pod, name: string, reason: string, message: string): void {
    const uid = pod.metadata.uid ?? '';
    let m = this.#reasons.get(uid);
    if (!m) {
      m = new Map();
      this.#reasons.set(uid, m);
    }
    m.set(name, { reason, message });
  }

  #clearReason(pod: Pod, name: string): void {
    this.#reasons.get(pod.metadata.uid ?? '')?.delete(name);
  }

  #event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#o.recorder.event(pod, type, reason, message);
  }

  /** The pod's status now. */
  status(pod: Pod, terminal: boolean): PodStatus {
    const uid = pod.metadata.uid ?? '';
    const view = this.#o.cache.get(uid);
    return generatePodStatus({
      pod,
      sandboxes: view.sandboxes,
      containers: view.containers,
      reasons: this.reasons(uid),
      probes: this.#o.prober,
      hostIPs: this.#o.node.hostIPs(),
      terminal,
      now: this.#o.clock.now(),
    });
  }

  /** Whether no container of the pod will run again (kubelet: the pod is terminal). */
  isTerminal(pod: Pod): boolean {
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return true;
    const s = this.status(pod, false);
    return s.phase === 'Succeeded' || s.phase === 'Failed';
  }

  /** Brings the pod's sandbox and containers one step closer to its spec. */
  async sync(pod: Pod): Promise<SyncOutcome> {
    const uid = pod.metadata.uid ?? '';
    let view = await this.#o.cache.refresh(uid);
    const spec = pod.spec;
    if (!spec) return {};
    const restartPolicy = spec.restartPolicy ?? 'Always';
    if (this.isTerminal(pod)) {
      await this.#stopSandboxes(view);
      return {};
    }
    const hostNetwork = spec.hostNetwork ?? false;
    if (!hostNetwork && !this.#o.node.networkReady()) {
      for (const c of spec.containers)
        this.#setReason(pod, c.name, 'ContainerCreating', 'the pod network is not ready yet');
      return { requeueAfterMs: 1000 };
    }
    let sandbox = newestSandbox(view);
    if (!sandbox || sandbox.state !== 'ready') {
      const ran = view.containers.length > 0;
      if (sandbox && restartPolicy === 'Never' && ran) {
        // kubelet does not give a Never pod a second sandbox: its containers are done.
        await this.#killContainers(pod, view, 0, 'SandboxChanged');
        return {};
      }
      if (sandbox) {
        this.#event(
          pod,
          'Normal',
          'SandboxChanged',
          'Pod sandbox changed, it will be killed and re-created.',
        );
        await this.#killContainers(pod, view, 0, 'SandboxChanged');
      }
      const attempt = sandbox ? sandbox.attempt + 1 : 0;
      try {
        sandbox = await this.#createSandbox(pod, attempt);
      } catch (e) {
        this.#event(
          pod,
          'Warning',
          'FailedCreatePodSandBox',
          `Failed to create pod sandbox: ${errorMessage(e)}`,
        );
        this.#o.logger.error(e, 'Creating the pod sandbox failed', { pod: podKey(pod) });
        return { requeueAfterMs: 5000 };
      }
      view = this.#o.cache.get(uid);
    }
    let volumes: Map<string, { path: string; readOnly: boolean }>;
    try {
      volumes = await setUpVolumes(
        {
          podsDir: this.#o.podsDir,
          sources: this.#o.sources,
          podIPs: sandbox.ip ? [sandbox.ip] : [],
          hostIPs: this.#o.node.hostIPs(),
        },
        pod,
      );
    } catch (e) {
      const msg = errorMessage(e);
      this.#event(pod, 'Warning', 'FailedMount', `MountVolume.SetUp failed: ${msg}`);
      return { requeueAfterMs: 2000 };
    }
    const inSandbox = (name: string): RtContainer | undefined =>
      instancesOf(view, name).find((c) => c.sandboxId === sandbox.id);
    let requeue: number | undefined;
    const later = (ms: number | undefined): void => {
      if (ms !== undefined) requeue = requeue === undefined ? ms : Math.min(requeue, ms);
    };

    // ---- init containers ----
    for (const c of spec.initContainers ?? []) {
      const cur = inSandbox(c.name);
      if (isSidecar(c)) {
        if (!cur || cur.state.state === 'exited' || cur.state.state === 'created') {
          later(await this.#startOrBackoff(pod, c, sandbox, view, volumes, true));
          return { ...(requeue !== undefined ? { requeueAfterMs: requeue } : {}) };
        }
        if (await this.#restartIfUnhealthy(pod, c, cur)) return { requeueAfterMs: 0 };
        if (this.#o.prober.started(cur.id) === false) return {};
        continue;
      }
      if (cur?.state.state === 'exited' && cur.state.exitCode === 0) continue;
      if (cur?.state.state === 'running') return {};
      if (cur?.state.state === 'exited' && restartPolicy === 'Never') {
        // the pod fails: its status says so, and it is torn down as terminal
        return { requeueAfterMs: 0 };
      }
      later(await this.#startOrBackoff(pod, c, sandbox, view, volumes, true));
      return { ...(requeue !== undefined ? { requeueAfterMs: requeue } : {}) };
    }

    // ---- regular containers ----
    await Promise.all(
      spec.containers.map(async (c) => {
        const cur = inSandbox(c.name);
        if (cur?.state.state === 'running') {
          if (!(await this.#restartIfUnhealthy(pod, c, cur))) return;
          // killed for a failed probe or a new image: start the next instance now
          later(
            await this.#startOrBackoff(pod, c, sandbox, this.#o.cache.get(uid), volumes, false),
          );
          return;
        }
        if (cur?.state.state === 'exited') {
          const restart =
            restartPolicy === 'Always' ||
            (restartPolicy === 'OnFailure' && cur.state.exitCode !== 0);
          if (!restart) return;
        }
        later(await this.#startOrBackoff(pod, c, sandbox, view, volumes, false));
      }),
    );
    await this.#gc(view, sandbox);
    return requeue !== undefined ? { requeueAfterMs: requeue } : {};
  }

  async #createSandbox(pod: Pod, attempt: number): Promise<Sandbox> {
    const spec = pod.spec;
    const hostname = (spec?.hostname || pod.metadata.name || '').slice(0, 63);
    const resolvConf = podResolvConf({
      ...(spec?.dnsPolicy ? { dnsPolicy: spec.dnsPolicy } : {}),
      ...(spec?.hostNetwork ? { hostNetwork: true } : {}),
      namespace: pod.metadata.namespace ?? 'default',
      ...(spec?.dnsConfig ? { dnsConfig: spec.dnsConfig } : {}),
      clusterDNS: this.#o.node.clusterDNS,
      clusterDomain: this.#o.node.clusterDomain,
      hostResolvConf: this.#o.node.hostResolvConf(),
    });
    const sandbox = await this.#o.runtime.runSandbox({
      podUID: pod.metadata.uid ?? '',
      namespace: pod.metadata.namespace ?? 'default',
      name: pod.metadata.name ?? '',
      attempt,
      hostname,
      ...(spec?.subdomain ? { subdomain: spec.subdomain } : {}),
      clusterDomain: this.#o.node.clusterDomain,
      ...(spec?.hostAliases
        ? {
            hostAliases: spec.hostAliases.map((a) => ({ ip: a.ip, hostnames: a.hostnames ?? [] })),
          }
        : {}),
      resolvConf,
      ...(spec?.hostNetwork ? { hostNetwork: true } : {}),
      ...(spec?.hostIPC ? { hostIPC: true } : {}),
      ...(spec?.hostPID ? { hostPID: true } : {}),
      ...(spec?.shareProcessNamespace ? { shareProcessNamespace: true } : {}),
      annotations: {
        [annotations.podName]: pod.metadata.name ?? '',
        [annotations.podNamespace]: pod.metadata.namespace ?? '',
        [annotations.podUID]: pod.metadata.uid ?? '',
      },
    });
    this.#o.cache.putSandbox(sandbox);
    return sandbox;
  }

  /** Kills a running container whose liveness/startup probe failed or whose image changed. */
  async #restartIfUnhealthy(pod: Pod, c: Container, cur: RtContainer): Promise<boolean> {
    const failed = this.#o.prober.failed(cur.id);
    const imageChanged = (cur.annotations[annotations.image] ?? c.image) !== c.image;
    if (!failed && !imageChanged) return false;
    const message = failed
      ? `Container ${c.name} failed ${failed} probe, will be restarted`
      : `Container ${c.name} definition changed, will be restarted`;
    const probe =
      failed === 'liveness' ? c.livenessProbe : failed === 'startup' ? c.startupProbe : undefined;
    const grace =
      probe?.terminationGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    await this.#killContainer(pod, c, cur, grace, message);
    return true;
  }

  /** Starts a container unless it is backing off; returns when to look again. */
  async #startOrBackoff(
    pod: Pod,
    c: Container,
    sandbox: Sandbox,
    view: PodRuntimeView,
    volumes: ReadonlyMap<string, { path: string; readOnly: boolean }>,
    init: boolean,
  ): Promise<number | undefined> {
    const all = instancesOf(view, c.name);
    const latest = all[0];
    const created = all.find((x) => x.sandboxId === sandbox.id && x.state.state === 'created');
    if (created) {
      await this.#start(pod, c, created, sandbox);
      return undefined;
    }
    const key = `${pod.metadata.uid ?? ''}/${c.name}`;
    if (latest?.state.state === 'exited') {
      const finished = Date.parse(latest.state.finishedAt);
      if (this.crashBackoff.inBackoffSince(key, finished)) {
        const wait = this.crashBackoff.remaining(key, finished);
        const msg = `back-off ${goDuration(this.crashBackoff.get(key))} restarting failed container=${c.name} pod=${formatPod(pod)}`;
        const prior = this.reasons(pod.metadata.uid ?? '').get(c.name);
        if (prior?.reason !== 'CrashLoopBackOff' || prior.message !== msg)
          this.#event(
            pod,
            'Warning',
            'BackOff',
            `Back-off restarting failed container ${c.name} in pod ${formatPod(pod)}`,
          );
        this.#setReason(pod, c.name, 'CrashLoopBackOff', msg);
        return wait + 10;
      }
      this.crashBackoff.next(key, finished);
    }
    const attempt = latest ? latest.attempt + 1 : 0;
    return this.#createAndStart(pod, c, sandbox, attempt, volumes, init);
  }

  async #createAndStart(
    pod: Pod,
    c: Container,
    sandbox: Sandbox,
    attempt: number,
    volumes: ReadonlyMap<string, { path: string; readOnly: boolean }>,
    init: boolean,
  ): Promise<number | undefined> {
    const image = c.image ?? '';
    const uid = pod.metadata.uid ?? '';
    // ---- image ----
    const pullKey = `${uid}/${image}`;
    try {
      await this.#o.runtime.images.resolve(image);
      this.#event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'E_IMAGE_INVALID_REFERENCE') {
        const msg = `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`;
        this.#setReason(pod, c.name, 'InvalidImageName', msg);
        this.#event(pod, 'Warning', 'InspectFailed', msg);
        return undefined;
      }
      if (c.imagePullPolicy === 'Never') {
        const msg = `Container image "${image}" is not present with pull policy of Never`;
        this.#setReason(pod, c.name, 'ErrImageNeverPull', msg);
        this.#event(pod, 'Warning', 'ErrImageNeverPull', msg);
        return 10_000;
      }
      if (this.imageBackoff.inBackoffSinceUpdate(pullKey)) {
        const msg = `Back-off pulling image "${image}"`;
        this.#setReason(pod, c.name, 'ImagePullBackOff', msg);
        this.#event(pod, 'Normal', 'BackOff', msg);
        this.#event(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff');
        return imageRetryMs();
      }
      this.#event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
      const why = `failed to pull and unpack image "${image}": ${errorMessage(e)}`;
      this.#event(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${why}`);
      this.#event(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
      this.imageBackoff.next(pullKey, this.#o.clock.now());
      this.#setReason(pod, c.name, 'ErrImagePull', why);
      return imageRetryMs();
    }
    // ---- environment and mounts ----
    let spec: ContainerSpec;
    try {
      spec = await this.#containerSpec(pod, c, sandbox, attempt, volumes, init);
    } catch (e) {
      if (e instanceof EnvError || e instanceof VolumeError) {
        this.#setReason(pod, c.name, 'CreateContainerConfigError', e.message);
        this.#event(pod, 'Warning', 'Failed', `Error: ${e.message}`);
        return 2000;
      }
      throw e;
    }
    // ---- create and start ----
    let id: string;
    try {
      id = await this.#o.runtime.createContainer(sandbox.id, spec);
    } catch (e) {
      const msg = errorMessage(e);
      this.#setReason(pod, c.name, 'CreateContainerError', msg);
      this.#event(pod, 'Warning', 'Failed', `Error: ${msg}`);
      return 5000;
    }
    this.#o.cache.putContainer(await this.#o.runtime.containerStatus(id));
    this.#event(pod, 'Normal', 'Created', `Created container ${c.name}`);
    const created = await this.#o.runtime.containerStatus(id);
    await this.#start(pod, c, created, sandbox);
    return undefined;
  }

  async #start(pod: Pod, c: Container, created: RtContainer, sandbox: Sandbox): Promise<void> {
    try {
      await this.#o.runtime.startContainer(created.id);
    } catch (e) {
      const msg = errorMessage(e);
      this.#setReason(pod, c.name, 'RunContainerError', msg);
      this.#event(pod, 'Warning', 'Failed', `Error: ${msg}`);
      this.#o.cache.putContainer(await this.#o.runtime.containerStatus(created.id));
      return;
    }
    this.#clearReason(pod, c.name);
    const started = await this.#o.runtime.containerStatus(created.id);
    this.#o.cache.putContainer(started);
    this.#event(pod, 'Normal', 'Started', `Started container ${c.name}`);
    this.#o.logger
      .v(2)
      .info('Container started', { pod: podKey(pod), container: c.name, attempt: created.attempt });
    if (c.lifecycle?.postStart) {
      const err = await runHook(
        {
          runtime: this.#o.runtime,
          containerId: created.id,
          container: c,
          podIP: sandbox.ip ?? this.#o.node.hostIPs()[0] ?? '',
          timeoutMs: (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000,
        },
        c.lifecycle.postStart,
        (ms, signal) => this.#o.clock.sleep(ms, signal),
      );
      if (err) {
        this.#event(pod, 'Warning', 'FailedPostStartHook', err);
        await this.#killContainer(
          pod,
          c,
          started,
          pod.spec?.terminationGracePeriodSeconds ?? 30,
          `FailedPostStartHook`,
        );
      }
    }
  }

  async #containerSpec(
    pod: Pod,
    c: Container,
    sandbox: Sandbox,
    attempt: number,
    volumes: ReadonlyMap<string, { path: string; readOnly: boolean }>,
    init: boolean,
  ): Promise<ContainerSpec> {
    const services = this.#o.services();
    if (!services)
      throw new EnvError('services have not yet been read at least once, cannot construct envvars');
    const podIPs = sandbox.ip ? [sandbox.ip] : [];
    const env = await containerEnv({
      pod,
      container: c,
      podIPs,
      hostIPs: this.#o.node.hostIPs(),
      serviceEnv: serviceEnvMap(
        services,
        pod.metadata.namespace ?? 'default',
        pod.spec?.enableServiceLinks ?? true,
      ),
      sources: this.#o.sources,
      nodeAllocatable: this.#o.node.allocatable(),
    });
    const cmd = expandCommand(c, env);
    const resources = resourcesOf(c);
    return {
      name: c.name,
      image: c.image ?? '',
      ...(cmd.command ? { command: cmd.command } : {}),
      ...(cmd.args ? { args: cmd.args } : {}),
      env,
      ...(c.workingDir ? { workingDir: c.workingDir } : {}),
      attempt,
      ...(c.tty ? { tty: true } : {}),
      ...(c.stdin ? { stdin: true } : {}),
      ...(c.stdinOnce ? { stdinOnce: true } : {}),
      mounts: containerMounts(c, volumes),
      ...securityContext(pod, c),
      ...(resources ? { resources } : {}),
      annotations: {
        [annotations.podUID]: pod.metadata.uid ?? '',
        [annotations.image]: c.image ?? '',
        ...(init ? { [annotations.init]: 'true' } : {}),
      },
    };
  }

  /** preStop, then stop with the rest of the grace period. */
  async #killContainer(
    pod: Pod,
    c: Container | undefined,
    cur: RtContainer,
    graceSeconds: number,
    message: string,
  ): Promise<void> {
    const started = this.#o.clock.now();
    const graceMs = Math.max(minGraceSeconds, graceSeconds) * 1000;
    this.#event(pod, 'Normal', 'Killing', message || `Stopping container ${cur.name}`);
    if (c?.lifecycle?.preStop && cur.state.state === 'running') {
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), graceMs);
      try {
        const err = await runHook(
          {
            runtime: this.#o.runtime,
            containerId: cur.id,
            container: c,
            podIP: newestSandbox(this.#o.cache.get(pod.metadata.uid ?? ''))?.ip ?? '',
            timeoutMs: graceMs,
            signal: ac.signal,
          },
          c.lifecycle.preStop,
          (ms, signal) => this.#o.clock.sleep(ms, signal),
        );
        if (err) this.#event(pod, 'Warning', 'FailedPreStopHook', err);
      } finally {
        clearTimeout(timer);
      }
    }
    const left = Math.max(minGraceSeconds * 1000, graceMs - (this.#o.clock.now() - started));
    await this.#o.runtime.stopContainer(cur.id, left);
    this.#o.cache.putContainer(await this.#o.runtime.containerStatus(cur.id));
    this.#o.prober.sync(pod, this.#o.cache.get(pod.metadata.uid ?? '').containers);
  }

  async #killContainers(
    pod: Pod,
    view: PodRuntimeView,
    graceSeconds: number,
    why: string,
  ): Promise<void> {
    const specs = new Map(
      [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => [
        c.name,
        c,
      ]),
    );
    const running = view.containers.filter(
      (c) => c.state.state === 'running' || c.state.state === 'created',
    );
    const sidecars = running.filter((c) => {
      const s = specs.get(c.name);
      return s !== undefined && isSidecar(s);
    });
    const others = running.filter((c) => !sidecars.includes(c));
    const kill = (list: readonly RtContainer[]) =>
      Promise.all(
        list.map((c) =>
          this.#killContainer(
            pod,
            specs.get(c.name),
            c,
            graceSeconds,
            why === 'SandboxChanged' ? '' : `Stopping container ${c.name}`,
          ).catch((e: unknown) =>
            this.#o.logger.error(e, 'Stopping a container failed', {
              pod: podKey(pod),
              container: c.name,
            }),
          ),
        ),
      );
    await kill(others);
    await kill(sidecars);
  }

  async #stopSandboxes(view: PodRuntimeView): Promise<void> {
    for (const s of view.sandboxes) {
      if (s.state !== 'ready') continue;
      await this.#o.runtime.stopSandbox(s.id, 0);
      this.#o.cache.putSandbox(await this.#o.runtime.sandboxStatus(s.id));
    }
  }

  /**
   * Terminates the pod: every container (preStop, SIGTERM, grace, SIGKILL), then its sandbox.
   * `graceSeconds` is the pod's deletion grace period.
   */
  async kill(pod: Pod, graceSeconds: number): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    this.#o.prober.removePod(uid);
    const view = await this.#o.cache.refresh(uid);
    await this.#killContainers(pod, view, graceSeconds, 'Terminating');
    await this.#stopSandboxes(this.#o.cache.get(uid));
    this.#reasons.delete(uid);
  }

  /** Removes everything the pod left on the node (after it is gone from the API). */
  async remove(uid: string): Promise<void> {
    this.#o.prober.removePod(uid);
    const view = await this.#o.cache.refresh(uid);
    for (const s of view.sandboxes) {
      await this.#o.runtime.removeSandbox(s.id);
      this.#o.cache.dropSandbox(uid, s.id);
    }
    for (const c of this.#o.cache.get(uid).containers) {
      await this.#o.runtime.removeContainer(c.id);
      this.#o.cache.dropContainer(uid, c.id);
    }
    this.#o.cache.forget(uid);
    removePodDir(this.#o.podsDir, uid);
    this.#reasons.delete(uid);
    this.crashBackoff.forgetPrefix(`${uid}/`);
    this.imageBackoff.forgetPrefix(`${uid}/`);
  }

  /**
   * Keeps the newest two instances of each container (the current one and the one before, for
   * lastState and `logs --previous`) and drops old sandboxes that hold nothing kept.
   */
  async #gc(view: PodRuntimeView, current: Sandbox): Promise<void> {
    const keep = new Set<string>();
    const names = new Set(view.containers.map((c) => c.name));
    for (const n of names) for (const c of instancesOf(view, n).slice(0, 2)) keep.add(c.id);
    for (const c of view.containers) {
      if (keep.has(c.id) || c.state.state === 'running') continue;
      await this.#o.runtime.removeContainer(c.id);
      this.#o.cache.dropContainer(view.uid, c.id);
    }
    const left = this.#o.cache.get(view.uid);
    for (const s of left.sandboxes) {
      if (s.id === current.id) continue;
      if (left.containers.some((c) => c.sandboxId === s.id)) {
        if (s.state === 'ready') await this.#o.runtime.stopSandbox(s.id, 0);
        continue;
      }
      await this.#o.runtime.removeSandbox(s.id);
      this.#o.cache.dropSandbox(view.uid, s.id);
    }
  }
}

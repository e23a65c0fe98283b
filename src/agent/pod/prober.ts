/**
 * Probes, as kubelet's prober manager runs them: one worker per running container and probe type.
 *
 * - readiness starts as "not ready" (or as the API status says for a container this agent found
 *   running after a restart), liveness as "alive", startup as "not started";
 * - nothing is probed before `initialDelaySeconds` after the container started; liveness and
 *   readiness wait for the startup probe to succeed; once it has, the startup probe stops;
 * - a result changes only after `successThreshold` / `failureThreshold` equal results in a row;
 * - a liveness or startup failure puts the worker on hold until the container is replaced (the
 *   pod worker kills and restarts it);
 * - each failed attempt is an `Unhealthy` event ("Readiness probe failed: …");
 * - every change of a result calls `onChange` at once (readiness reaches the API in ms).
 */
import type { Container, Pod, Probe } from '../../api/types/core.js';
import type { EventRecorder } from '../../client/events.js';
import type { Clock } from '../../lib/clock.js';
import { sleepUnlessAborted } from '../../lib/clock.js';
import type { Logger } from '../../lib/log/logger.js';
import type { ContainerStatus as RtContainer, Runtime } from '../runtime/types.js';
import { runProbeAction, type ProbeResult } from './handlers.js';

export type ProbeType = 'readiness' | 'liveness' | 'startup';

const probeName: Record<ProbeType, string> = {
  readiness: 'Readiness',
  liveness: 'Liveness',
  startup: 'Startup',
};

export interface ProbeManagerOptions {
  readonly runtime: Runtime;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly recorder: EventRecorder;
  /** A result changed: the pod's status (or its containers) need attention. */
  readonly onChange: (podUID: string, type: ProbeType, result: ProbeResult) => void;
  /** The IP probes connect to (the pod sandbox's; the node's for hostNetwork pods). */
  readonly podIP: (pod: Pod) => string | undefined;
}

interface Worker {
  readonly key: string;
  readonly podUID: string;
  readonly containerId: string;
  readonly type: ProbeType;
  readonly abort: AbortController;
}

interface Results {
  readiness?: ProbeResult;
  liveness?: ProbeResult;
  startup?: ProbeResult;
}

function probeOf(c: Container, type: ProbeType): Probe | undefined {
  return type === 'readiness'
    ? c.readinessProbe
    : type === 'liveness'
      ? c.livenessProbe
      : c.startupProbe;
}

export class ProbeManager {
  readonly #o: ProbeManagerOptions;
  readonly #workers = new Map<string, Worker>();
  readonly #results = new Map<string, Results>();
  /** Containers whose liveness or startup probe failed for good. */
  readonly #restart = new Map<string, ProbeType>();
  readonly #started: number;

  constructor(options: ProbeManagerOptions) {
    this.#o = options;
    this.#started = options.clock.now();
  }

  /** Readiness of a container with a readiness probe; undefined without one. */
  ready(containerId: string): boolean | undefined {
    const r = this.#results.get(containerId)?.readiness;
    return r === undefined ? undefined : r === 'success';
  }

  /** Whether the startup probe succeeded; undefined without one. */
  started(containerId: string): boolean | undefined {
    const r = this.#results.get(containerId)?.startup;
    return r === undefined ? undefined : r === 'success';
  }

  /** The liveness or startup probe failed: the container must be restarted. */
  failed(containerId: string): ProbeType | undefined {
    return this.#restart.get(containerId);
  }

  /**
   * Makes the workers match the pod's running containers: starts probes for new containers and
   * stops those of containers that are gone or stopped.
   */
  sync(pod: Pod, containers: readonly RtContainer[]): void {
    const uid = pod.metadata.uid ?? '';
    const specs = new Map(
      [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => [
        c.name,
        c,
      ]),
    );
    const wanted = new Set<string>();
    const old = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.containerID ?? '', s]));
    for (const c of containers) {
      if (c.state.state !== 'running' || pod.metadata.deletionTimestamp) continue;
      const spec = specs.get(c.name);
      if (!spec) continue;
      for (const type of ['startup', 'readiness', 'liveness'] as const) {
        const probe = probeOf(spec, type);
        if (!probe) continue;
        const key = `${c.id}/${type}`;
        wanted.add(key);
        if (this.#workers.has(key)) continue;
        const results = this.#results.get(c.id) ?? {};
        if (results[type] === undefined) {
          const prior = old.get(`runc://${c.id}`);
          results[type] =
            type === 'liveness'
              ? 'success'
              : type === 'readiness'
                ? prior?.ready === true
                  ? 'success'
                  : 'failure'
                : prior?.started === true
                  ? 'success'
                  : 'failure';
        }
        this.#results.set(c.id, results);
        const w: Worker = {
          key,
          podUID: uid,
          containerId: c.id,
          type,
          abort: new AbortController(),
        };
        this.#workers.set(key, w);
        const startedAt = Date.parse(c.state.startedAt);
        void this.#run(w, pod, spec, probe, startedAt).catch((e: unknown) =>
          this.#o.logger.error(e, 'Probe worker failed', {
            pod: `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`,
            container: spec.name,
            probe: type,
          }),
        );
      }
    }
    for (const [key, w] of this.#workers) {
      if (w.podUID === uid && !wanted.has(key)) this.#stop(w);
    }
    const running = new Set(containers.filter((c) => c.state.state === 'running').map((c) => c.id));
    for (const c of containers) {
      if (!running.has(c.id)) {
        this.#results.delete(c.id);
        this.#restart.delete(c.id);
      }
    }
  }

  /** Stops every probe of a pod. */
  removePod(uid: string): void {
    for (const w of [...this.#workers.values()]) {
      if (w.podUID === uid) {
        this.#stop(w);
        this.#results.delete(w.containerId);
        this.#restart.delete(w.containerId);
      }
    }
  }

  stop(): void {
    for (const w of [...this.#workers.values()]) this.#stop(w);
  }

  #stop(w: Worker): void {
    w.abort.abort();
    this.#workers.delete(w.key);
  }

  async #run(w: Worker, pod: Pod, spec: Container, probe: Probe, startedAt: number): Promise<void> {
    const clock = this.#o.clock;
    const signal = w.abort.signal;
    const periodMs = Math.max(1, probe.periodSeconds ?? 10) * 1000;
    const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
    const successThreshold = w.type === 'readiness' ? Math.max(1, probe.successThreshold ?? 1) : 1;
    const failureThreshold = Math.max(1, probe.failureThreshold ?? 3);
    const initialDelayMs = (probe.initialDelaySeconds ?? 0) * 1000;
    // After an agent restart, spread the first probes over a period (kubelet does the same).
    if (
      w.type !== 'startup' &&
      clock.now() - this.#started < periodMs &&
      clock.now() - startedAt > periodMs
    )
      await sleepUnlessAborted(clock, Math.random() * periodMs, signal);
    let last: ProbeResult | undefined;
    let run = 0;
    let onHold = false;
    const podName = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    while (!signal.aborted) {
      const results = this.#results.get(w.containerId) ?? {};
      const startupPending = spec.startupProbe !== undefined && results.startup !== 'success';
      const skip =
        onHold ||
        (w.type === 'startup' ? results.startup === 'success' : startupPending) ||
        clock.now() - startedAt < initialDelayMs;
      if (w.type === 'startup' && results.startup === 'success') return;
      if (!skip) {
        const podIP = this.#o.podIP(pod) ?? pod.status?.podIP ?? '';
        const outcome = await runProbeAction(
          {
            runtime: this.#o.runtime,
            containerId: w.containerId,
            container: spec,
            podIP,
            timeoutMs,
            signal,
          },
          probe,
        );
        if (signal.aborted) return;
        if (outcome.result === 'failure') {
          this.#o.recorder.event(
            pod,
            'Warning',
            'Unhealthy',
            `${probeName[w.type]} probe failed: ${outcome.message.trim()}`,
          );
        }
        if (outcome.result === last) run++;
        else {
          last = outcome.result;
          run = 1;
        }
        const threshold = outcome.result === 'success' ? successThreshold : failureThreshold;
        if (run >= threshold && results[w.type] !== outcome.result) {
          results[w.type] = outcome.result;
          this.#results.set(w.containerId, results);
          this.#o.logger.v(2).info('Probe result changed', {
            pod: podName,
            container: spec.name,
            probe: w.type,
            result: outcome.result,
          });
          this.#o.onChange(w.podUID, w.type, outcome.result);
        }
        if (outcome.result === 'failure' && run >= threshold && w.type !== 'readiness') {
          onHold = true;
          run = 0;
          this.#restart.set(w.containerId, w.type);
          this.#o.onChange(w.podUID, w.type, 'failure');
        }
        if (w.type === 'startup' && results.startup === 'success') return;
      }
      await sleepUnlessAborted(clock, periodMs, signal);
    }
  }
}

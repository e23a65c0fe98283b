/**
 * The `endpoints.kubernetes.io/last-change-trigger-time` annotation, as Kubernetes computes it
 * (pkg/controller/util/endpoint/trigger_time_tracker.go): the earliest change, since the last
 * sync of a service, among the service's creation and its pods' Ready transitions. Downstream
 * components subtract it from the time they program the change to measure end-to-end latency.
 */
import type { Pod, Service } from '../../api/types/core.js';
import { podReadyCondition } from '../common/pods.js';

interface State {
  serviceTrigger: string;
  podTriggers: Map<string, string>;
}

/** Per-service memory of the trigger times already published. */
export class TriggerTimeTracker {
  readonly #services = new Map<string, State>();

  /** Returns the trigger time for this sync (undefined = nothing changed) and records the state. */
  compute(serviceKey: string, service: Service, pods: readonly Pod[]): string | undefined {
    const previous = this.#services.get(serviceKey);
    const next: State = {
      serviceTrigger: service.metadata.creationTimestamp ?? '',
      podTriggers: new Map(),
    };
    let min: string | undefined;
    const consider = (t: string): void => {
      if (t === '') return;
      if (min === undefined || Date.parse(t) < Date.parse(min)) min = t;
    };
    if (previous === undefined || previous.serviceTrigger !== next.serviceTrigger) {
      consider(next.serviceTrigger);
    }
    for (const pod of pods) {
      const t = podReadyCondition(pod)?.lastTransitionTime ?? '';
      const name = pod.metadata.name ?? '';
      next.podTriggers.set(name, t);
      if (previous?.podTriggers.get(name) !== t) consider(t);
    }
    this.#services.set(serviceKey, next);
    return min;
  }

  delete(serviceKey: string): void {
    this.#services.delete(serviceKey);
  }
}

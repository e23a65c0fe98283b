/**
 * Services ↔ pods through selectors, with indexes so that neither direction scans a namespace:
 * pods are indexed by each `namespace/key=value` label pair and services by each pair of their
 * selector. A pod event costs one index lookup per pod label plus a selector match per
 * candidate service; listing a service's pods costs one lookup plus a match per candidate pod.
 */
import { selectorFromSet, type Selector } from '../../api/meta/labels.js';
import type { Pod, Service } from '../../api/types/core.js';
import { objectKey } from '../../client/keys.js';
import type { Informer } from '../../client/types.js';

const podLabelIndex = 'common/pod-labels';
const serviceSelectorIndex = 'common/service-selector';

const pairs = (
  ns: string | undefined,
  set: Readonly<Record<string, string>> | undefined,
): string[] => Object.entries(set ?? {}).map(([k, v]) => `${ns ?? ''}/${k}=${v}`);

/** A service's selector, or undefined when it has none (or an empty one: selects nothing). */
export function serviceSelector(service: Service): Selector | undefined {
  const sel = service.spec?.selector;
  if (sel === undefined || Object.keys(sel).length === 0) return undefined;
  return selectorFromSet(sel);
}

export class ServiceSelectorCache {
  readonly #services: Informer<Service>;
  readonly #pods: Informer<Pod>;
  readonly #cache = new Map<string, { rv: string; selector: Selector | undefined }>();

  /** Registers the label indexes on the (shared) informers. */
  constructor(services: Informer<Service>, pods: Informer<Pod>) {
    this.#services = services;
    this.#pods = pods;
    services.addIndex(serviceSelectorIndex, (s) => pairs(s.metadata.namespace, s.spec?.selector));
    pods.addIndex(podLabelIndex, (p) => pairs(p.metadata.namespace, p.metadata.labels));
  }

  selector(service: Service): Selector | undefined {
    const key = objectKey(service);
    const rv = service.metadata.resourceVersion ?? '';
    const hit = this.#cache.get(key);
    if (hit !== undefined && hit.rv === rv) return hit.selector;
    const selector = serviceSelector(service);
    this.#cache.set(key, { rv, selector });
    return selector;
  }

  /** Keys of the services (with a selector) that select a pod with these labels. */
  servicesFor(namespace: string, labels: Readonly<Record<string, string>> | undefined): string[] {
    const out = new Set<string>();
    for (const pair of pairs(namespace, labels)) {
      for (const svc of this.#services.lister.byIndex(serviceSelectorIndex, pair)) {
        const key = objectKey(svc);
        if (out.has(key)) continue;
        const sel = this.selector(svc);
        if (sel !== undefined && sel.matches(labels)) out.add(key);
      }
    }
    return [...out];
  }

  /** The pods a service selects (none without a selector). */
  podsFor(service: Service): Pod[] {
    const sel = this.selector(service);
    const first = pairs(service.metadata.namespace, service.spec?.selector)[0];
    if (sel === undefined || first === undefined) return [];
    return this.#pods.lister
      .byIndex(podLabelIndex, first)
      .filter((p) => sel.matches(p.metadata.labels));
  }

  forget(key: string): void {
    this.#cache.delete(key);
  }
}

/** The fields of a pod that endpoint controllers read; equal fingerprints need no sync. */
export function podEndpointFingerprint(pod: Pod): string {
  return JSON.stringify([
    pod.metadata.deletionTimestamp ?? '',
    pod.status?.phase ?? '',
    pod.status?.podIP ?? '',
    pod.status?.podIPs ?? [],
    pod.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '',
    pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '',
    pod.spec?.nodeName ?? '',
    pod.spec?.hostname ?? '',
    pod.spec?.subdomain ?? '',
  ]);
}

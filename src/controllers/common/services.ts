/**
 * Which Services select a pod: the handlers of the endpoint controllers turn pod events into
 * service keys with this. Compiled selectors are cached per service resourceVersion, so a pod
 * event costs one label match per service of its namespace.
 */
import { selectorFromSet, type Selector } from '../../api/meta/labels.js';
import type { Pod, Service } from '../../api/types/core.js';
import { objectKey } from '../../client/keys.js';
import type { Lister } from '../../client/types.js';

/** A service's selector, or undefined when it has none (or an empty one: selects nothing). */
export function serviceSelector(service: Service): Selector | undefined {
  const sel = service.spec?.selector;
  if (sel === undefined || Object.keys(sel).length === 0) return undefined;
  return selectorFromSet(sel);
}

export class ServiceSelectorCache {
  readonly #services: Lister<Service>;
  readonly #cache = new Map<string, { rv: string; selector: Selector | undefined }>();

  constructor(services: Lister<Service>) {
    this.#services = services;
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
    const out: string[] = [];
    for (const svc of this.#services.list(namespace)) {
      const sel = this.selector(svc);
      if (sel !== undefined && sel.matches(labels)) out.push(objectKey(svc));
    }
    return out;
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

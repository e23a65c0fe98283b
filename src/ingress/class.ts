/**
 * Which Ingresses are ours, as ingress-nginx decides it:
 * - `spec.ingressClassName` set: ours when that IngressClass exists and its `spec.controller` is
 *   our controller name; a class that does not exist is nobody's (ING-13).
 * - else the legacy annotation `kubernetes.io/ingress.class`: ours when it names our class.
 * - else (no class at all): ours when we watch Ingresses without a class (ingress-nginx's
 *   `--watch-ingress-without-class`; on by default here so that manifests written before
 *   IngressClass existed, like the seeds' extensions/v1beta1 Ingress, work unchanged).
 */
import type { Ingress, IngressClass } from '../api/types/networking.js';

/** The IngressClass controller value Portico answers to. */
export const defaultControllerName = 'portico.dev/ingress';
/** The IngressClass Portico creates when it is absent. */
export const defaultClassName = 'portico';
export const annotationIngressClass = 'kubernetes.io/ingress.class';

export interface ClassFilterOptions {
  /** Our IngressClass name (for the legacy annotation). */
  readonly className: string;
  /** Our `spec.controller` value. */
  readonly controllerName: string;
  readonly watchWithoutClass: boolean;
}

/** Whether an Ingress is ours, given a lookup of IngressClasses by name. */
export function isOurIngress(
  ing: Ingress,
  classOf: (name: string) => IngressClass | undefined,
  o: ClassFilterOptions,
): boolean {
  const name = ing.spec?.ingressClassName;
  if (name !== undefined && name !== '') {
    return classOf(name)?.spec?.controller === o.controllerName;
  }
  const legacy = ing.metadata.annotations?.[annotationIngressClass];
  if (legacy !== undefined && legacy !== '') return legacy === o.className;
  return o.watchWithoutClass;
}

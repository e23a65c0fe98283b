/** Ingress and IngressClass strategies, with kube's DefaultIngressClass admission. */
import { setIngressClassDefaults } from '../../api/defaults/misc.js';
import { resources } from '../../api/scheme.js';
import {
  annotationIsDefaultClass,
  type Ingress,
  type IngressClass,
} from '../../api/types/networking.js';
import {
  validateIngress,
  validateIngressClass,
  validateIngressClassUpdate,
  validateIngressStatusUpdate,
  validateIngressUpdate,
} from '../../api/validation/ingress.js';
import { semanticEqual } from '../../api/validation/equality.js';
import { errorsOf, prepareCreate, prepareStatusUpdate, prepareUpdate } from './common.js';
import type { Strategy, StrategyContext } from './strategy.js';

const annotationIngressClass = 'kubernetes.io/ingress.class';

/**
 * The default IngressClass: the one annotated `ingressclass.kubernetes.io/is-default-class:
 * "true"`; with several, the newest (then the first by name), as kube has done since 1.28.
 */
export async function defaultIngressClass(ctx: StrategyContext): Promise<IngressClass | undefined> {
  const classes = (await ctx.list(resources.ingressclasses)) as IngressClass[];
  const defaults = classes.filter(
    (c) => c.metadata.annotations?.[annotationIsDefaultClass] === 'true',
  );
  defaults.sort((a, b) => {
    const ta = a.metadata.creationTimestamp ?? '';
    const tb = b.metadata.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? 1 : -1;
    return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
  });
  return defaults[0];
}

export function ingressStrategy(): Strategy<Ingress> {
  return {
    prepareForCreate: (ing) =>
      prepareCreate(ing, { generation: true, initialStatus: () => ({ loadBalancer: {} }) }),
    prepareForUpdate: (ing, old) =>
      prepareUpdate(ing, old, {
        generation: true,
        specChanged: (a, b) => !semanticEqual((a as Ingress).spec, (b as Ingress).spec),
      }),
    /** DefaultIngressClass admission: on create, an Ingress that names no class gets the default one. */
    async admit(ing, old, ctx) {
      if (old) return;
      if (ing.spec?.ingressClassName !== undefined) return;
      if (ing.metadata.annotations?.[annotationIngressClass] !== undefined) return;
      const cls = await defaultIngressClass(ctx);
      if (cls?.metadata.name) (ing.spec ??= {}).ingressClassName = cls.metadata.name;
    },
    validate: (ing) => errorsOf(validateIngress(ing)),
    validateUpdate: (ing, old) => errorsOf(validateIngressUpdate(ing, old)),
    prepareForStatusUpdate: (ing, old) => prepareStatusUpdate(ing, old),
    validateStatusUpdate: (ing, old) => errorsOf(validateIngressStatusUpdate(ing, old)),
  };
}

export function ingressClassStrategy(): Strategy<IngressClass> {
  return {
    defaults: setIngressClassDefaults,
    prepareForCreate: (ic) => prepareCreate(ic, { generation: true }),
    prepareForUpdate: (ic, old) => prepareUpdate(ic, old, { generation: true, keepStatus: false }),
    validate: (ic) => errorsOf(validateIngressClass(ic)),
    validateUpdate: (ic, old) => errorsOf(validateIngressClassUpdate(ic, old)),
  };
}

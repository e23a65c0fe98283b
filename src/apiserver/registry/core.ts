/**
 * Strategies of the core kinds without allocations: Namespace, Node, Secret, ConfigMap,
 * Endpoints, EndpointSlice, Event, ServiceAccount, Lease.
 */
import {
  setEndpointSliceDefaults,
  setEndpointsDefaults,
  setNamespaceDefaults,
  setNodeDefaults,
  setSecretDefaults,
} from '../../api/defaults/misc.js';
import type { Lease } from '../../api/types/coordination.js';
import type {
  ConfigMap,
  Endpoints,
  Event,
  Namespace,
  Node,
  Secret,
  ServiceAccount,
} from '../../api/types/core.js';
import type { EndpointSlice } from '../../api/types/discovery.js';
import { validateConfigMap, validateConfigMapUpdate } from '../../api/validation/configmap.js';
import {
  validateEndpointSlice,
  validateEndpointSliceUpdate,
} from '../../api/validation/endpointslice.js';
import { validateEndpoints, validateEndpointsUpdate } from '../../api/validation/endpoints.js';
import { semanticEqual } from '../../api/validation/equality.js';
import {
  validateEvent,
  validateEventUpdate,
  validateLease,
  validateLeaseUpdate,
  validateServiceAccount,
  validateServiceAccountUpdate,
} from '../../api/validation/misc.js';
import {
  validateNamespace,
  validateNamespaceFinalizeUpdate,
  validateNamespaceStatusUpdate,
  validateNamespaceUpdate,
} from '../../api/validation/namespace.js';
import { validateNode, validateNodeUpdate } from '../../api/validation/node.js';
import { validateSecret, validateSecretUpdate } from '../../api/validation/secret.js';
import {
  boolField,
  errorsOf,
  prepareCreate,
  prepareStatusUpdate,
  prepareUpdate,
} from './common.js';
import type { Strategy } from './strategy.js';

/** The finalizer that makes namespace deletion wait for the namespace controller. */
export const finalizerKubernetes = 'kubernetes';

export function namespaceStrategy(): Strategy<Namespace> {
  return {
    defaults: setNamespaceDefaults,
    prepareForCreate(ns) {
      prepareCreate(ns, { initialStatus: () => ({ phase: 'Active' }) });
      const finalizers = (ns.spec ??= {}).finalizers ?? [];
      if (!finalizers.includes(finalizerKubernetes))
        ns.spec.finalizers = [...finalizers, finalizerKubernetes];
    },
    prepareForUpdate(ns, old) {
      prepareUpdate(ns, old, {});
      // spec.finalizers change only through the finalize subresource.
      ns.spec = structuredClone(old.spec ?? {});
    },
    validate: (ns) => errorsOf(validateNamespace(ns)),
    validateUpdate: (ns, old) => errorsOf(validateNamespaceUpdate(ns, old)),
    prepareForStatusUpdate: (ns, old) => prepareStatusUpdate(ns, old),
    validateStatusUpdate: (ns, old) => errorsOf(validateNamespaceStatusUpdate(ns, old)),
    prepareForFinalizeUpdate(ns, old) {
      const finalizers = ns.spec?.finalizers;
      prepareStatusUpdate(ns, old);
      ns.status = structuredClone(old.status ?? {});
      ns.spec = { ...(ns.spec ?? {}) };
      if (finalizers === undefined) delete ns.spec.finalizers;
      else ns.spec.finalizers = finalizers;
    },
    validateFinalizeUpdate: (ns, old) => errorsOf(validateNamespaceFinalizeUpdate(ns, old)),
    selectableFields: (ns) => ({ 'status.phase': ns.status?.phase ?? '' }),
  };
}

export function nodeStrategy(): Strategy<Node> {
  return {
    defaults: setNodeDefaults,
    // Kubelets register with a status: keep it.
    prepareForCreate: (node) => prepareCreate(node, { keepStatus: true }),
    prepareForUpdate: (node, old) => prepareUpdate(node, old, {}),
    validate: (node) => errorsOf(validateNode(node)),
    validateUpdate: (node, old) => errorsOf(validateNodeUpdate(node, old), validateNode(node)),
    prepareForStatusUpdate: (node, old) => prepareStatusUpdate(node, old),
    validateStatusUpdate: (node, old) => errorsOf(validateNodeUpdate(node, old)),
    selectableFields: (node) => ({ 'spec.unschedulable': boolField(node.spec?.unschedulable) }),
  };
}

/** Kinds that hold data but no status. */
function plain<T extends Secret | ConfigMap | Endpoints | Event | ServiceAccount | Lease>(
  defaults: ((o: T) => void) | undefined,
  validate: (o: T) => ReturnType<typeof validateSecret>,
  validateUpdate: (o: T, old: T) => ReturnType<typeof validateSecret>,
): Strategy<T> {
  return {
    ...(defaults ? { defaults } : {}),
    prepareForCreate: (o) => prepareCreate(o, { keepStatus: true }),
    prepareForUpdate: (o, old) => prepareUpdate(o, old, { keepStatus: false }),
    validate: (o) => errorsOf(validate(o)),
    validateUpdate: (o, old) => errorsOf(validateUpdate(o, old)),
  };
}

export function secretStrategy(): Strategy<Secret> {
  return {
    ...plain<Secret>(setSecretDefaults, validateSecret, validateSecretUpdate),
    selectableFields: (s) => ({ type: s.type ?? '' }),
  };
}

export const configMapStrategy = (): Strategy<ConfigMap> =>
  plain<ConfigMap>(undefined, validateConfigMap, validateConfigMapUpdate);
export const endpointsStrategy = (): Strategy<Endpoints> =>
  plain<Endpoints>(setEndpointsDefaults, validateEndpoints, validateEndpointsUpdate);
export const serviceAccountStrategy = (): Strategy<ServiceAccount> =>
  plain<ServiceAccount>(undefined, validateServiceAccount, validateServiceAccountUpdate);
export const leaseStrategy = (): Strategy<Lease> =>
  plain<Lease>(undefined, validateLease, validateLeaseUpdate);

export function eventStrategy(): Strategy<Event> {
  return {
    ...plain<Event>(undefined, validateEvent, validateEventUpdate),
    selectableFields: (ev) => ({
      'involvedObject.kind': ev.involvedObject?.kind ?? '',
      'involvedObject.namespace': ev.involvedObject?.namespace ?? '',
      'involvedObject.name': ev.involvedObject?.name ?? '',
      'involvedObject.uid': ev.involvedObject?.uid ?? '',
      'involvedObject.apiVersion': ev.involvedObject?.apiVersion ?? '',
      'involvedObject.resourceVersion': ev.involvedObject?.resourceVersion ?? '',
      'involvedObject.fieldPath': ev.involvedObject?.fieldPath ?? '',
      reason: ev.reason ?? '',
      reportingComponent: ev.reportingComponent ?? '',
      source: ev.source?.component ?? '',
      type: ev.type ?? '',
    }),
  };
}

export function endpointSliceStrategy(): Strategy<EndpointSlice> {
  return {
    defaults: setEndpointSliceDefaults,
    prepareForCreate: (s) => prepareCreate(s, { generation: true, keepStatus: true }),
    prepareForUpdate: (s, old) =>
      prepareUpdate(s, old, {
        generation: true,
        keepStatus: false,
        specChanged: (a, b) => {
          const x = a as EndpointSlice;
          const y = b as EndpointSlice;
          return (
            !semanticEqual(x.endpoints, y.endpoints) ||
            !semanticEqual(x.ports, y.ports) ||
            x.addressType !== y.addressType
          );
        },
      }),
    validate: (s) => errorsOf(validateEndpointSlice(s)),
    validateUpdate: (s, old) => errorsOf(validateEndpointSliceUpdate(s, old)),
  };
}

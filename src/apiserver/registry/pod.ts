/** The Pod strategy: defaults, Pending status on create, immutable spec, status writes from nodes. */
import { podQOSClass, setPodDefaults } from '../../api/defaults/pod.js';
import type { Pod } from '../../api/types/core.js';
import {
  validatePod,
  validatePodStatusUpdate,
  validatePodUpdate,
} from '../../api/validation/pod.js';
import {
  boolField,
  errorsOf,
  prepareCreate,
  prepareStatusUpdate,
  prepareUpdate,
} from './common.js';
import type { Strategy } from './strategy.js';

export function podStrategy(): Strategy<Pod> {
  return {
    defaults: setPodDefaults,
    prepareForCreate(pod) {
      prepareCreate(pod, {
        initialStatus: (o) => ({ phase: 'Pending', qosClass: podQOSClass((o as Pod).spec) }),
      });
    },
    prepareForUpdate: (pod, old) => prepareUpdate(pod, old, {}),
    validate: (pod) => errorsOf(validatePod(pod)),
    validateUpdate: (pod, old) => errorsOf(validatePodUpdate(pod, old)),
    prepareForStatusUpdate(pod, old) {
      prepareStatusUpdate(pod, old);
      if (old.metadata.ownerReferences === undefined) delete pod.metadata.ownerReferences;
      else pod.metadata.ownerReferences = structuredClone(old.metadata.ownerReferences);
    },
    validateStatusUpdate: (pod, old) => errorsOf(validatePodStatusUpdate(pod, old)),
    selectableFields: (pod) => ({
      'spec.nodeName': pod.spec?.nodeName ?? '',
      'spec.restartPolicy': pod.spec?.restartPolicy ?? '',
      'spec.schedulerName': pod.spec?.schedulerName ?? '',
      'spec.serviceAccountName': pod.spec?.serviceAccountName ?? '',
      'spec.hostNetwork': boolField(pod.spec?.hostNetwork),
      'status.phase': pod.status?.phase ?? '',
      'status.podIP': pod.status?.podIPs?.[0]?.ip ?? pod.status?.podIP ?? '',
      'status.nominatedNodeName': pod.status?.nominatedNodeName ?? '',
    }),
  };
}

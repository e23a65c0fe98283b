/** ReplicationController, ReplicaSet and Deployment strategies: generation, status, selectors. */
import {
  setDeploymentDefaults,
  setReplicaSetDefaults,
  setReplicationControllerDefaults,
} from '../../api/defaults/workloads.js';
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import type { ReplicationController } from '../../api/types/core.js';
import { semanticEqual } from '../../api/validation/equality.js';
import {
  validateDeployment,
  validateDeploymentStatusUpdate,
  validateDeploymentUpdate,
  validateReplicaSet,
  validateReplicaSetStatusUpdate,
  validateReplicaSetUpdate,
  validateReplicationController,
  validateReplicationControllerStatusUpdate,
  validateReplicationControllerUpdate,
} from '../../api/validation/workloads.js';
import { errorsOf, prepareCreate, prepareStatusUpdate, prepareUpdate } from './common.js';
import type { Strategy } from './strategy.js';

export function replicationControllerStrategy(): Strategy<ReplicationController> {
  return {
    defaults: setReplicationControllerDefaults,
    prepareForCreate: (rc) =>
      prepareCreate(rc, { generation: true, initialStatus: () => ({ replicas: 0 }) }),
    prepareForUpdate: (rc, old) => prepareUpdate(rc, old, { generation: true }),
    validate: (rc) => errorsOf(validateReplicationController(rc)),
    validateUpdate: (rc, old) => errorsOf(validateReplicationControllerUpdate(rc, old)),
    prepareForStatusUpdate: (rc, old) => prepareStatusUpdate(rc, old),
    validateStatusUpdate: (rc, old) => errorsOf(validateReplicationControllerStatusUpdate(rc, old)),
    selectableFields: (rc) => ({ 'status.replicas': String(rc.status?.replicas ?? 0) }),
  };
}

export function replicaSetStrategy(): Strategy<ReplicaSet> {
  return {
    defaults: setReplicaSetDefaults,
    prepareForCreate: (rs) =>
      prepareCreate(rs, { generation: true, initialStatus: () => ({ replicas: 0 }) }),
    prepareForUpdate: (rs, old) => prepareUpdate(rs, old, { generation: true }),
    validate: (rs) => errorsOf(validateReplicaSet(rs)),
    validateUpdate: (rs, old) => errorsOf(validateReplicaSetUpdate(rs, old)),
    prepareForStatusUpdate: (rs, old) => prepareStatusUpdate(rs, old, { keepLabels: true }),
    validateStatusUpdate: (rs, old) => errorsOf(validateReplicaSetStatusUpdate(rs, old)),
    selectableFields: (rs) => ({ 'status.replicas': String(rs.status?.replicas ?? 0) }),
  };
}

export function deploymentStrategy(): Strategy<Deployment> {
  return {
    defaults: setDeploymentDefaults,
    prepareForCreate: (d) => prepareCreate(d, { generation: true, initialStatus: () => ({}) }),
    prepareForUpdate: (d, old) =>
      prepareUpdate(d, old, {
        generation: true,
        // Annotations count too: kube's rollback request used to travel in one.
        specChanged: (a, b) =>
          !semanticEqual((a as Deployment).spec, (b as Deployment).spec) ||
          !semanticEqual(a.metadata.annotations, b.metadata.annotations),
      }),
    validate: (d) => errorsOf(validateDeployment(d)),
    validateUpdate: (d, old) => errorsOf(validateDeploymentUpdate(d, old)),
    prepareForStatusUpdate: (d, old) => prepareStatusUpdate(d, old, { keepLabels: true }),
    validateStatusUpdate: (d, old) => errorsOf(validateDeploymentStatusUpdate(d, old)),
  };
}

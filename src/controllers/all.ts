/**
 * Every controller `portico controllers` can run, with kube-controller-manager's names where it
 * has them and the number of workers each runs by default. `--controllers` picks from these
 * (`*` = those enabled by default, `-name` turns one off, `name` turns one on).
 */
import type { ControllerContext, Reconciler } from './context.js';
import { DeploymentController } from './deployment/controller.js';
import { EndpointsController } from './endpoints/controller.js';
import { EndpointSliceController } from './endpointslice/controller.js';
import { GarbageCollector } from './garbagecollector/controller.js';
import { MirroringController } from './mirroring/controller.js';
import { NamespaceController } from './namespace/controller.js';
import { NodeIpamController } from './nodeipam/controller.js';
import { NodeLifecycleController } from './nodelifecycle/controller.js';
import { replicaSetKind, replicationControllerKind } from './replicaset/kinds.js';
import { ReplicaSetController } from './replicaset/controller.js';
import { SchedulerController } from './scheduler/controller.js';
import { ServiceLBController } from './servicelb/controller.js';

export interface ControllerDescriptor {
  readonly name: string;
  readonly description: string;
  readonly workers: number;
  /** Whether `*` includes it; servicelb also needs a pool. */
  readonly enabledByDefault: (ctx: ControllerContext) => boolean;
  readonly create: (ctx: ControllerContext) => Reconciler;
}

const always = (): boolean => true;

export const controllerDescriptors: readonly ControllerDescriptor[] = [
  {
    name: 'endpointslice',
    description: 'EndpointSlices of Services with a selector',
    workers: 5,
    enabledByDefault: always,
    create: (c) => new EndpointSliceController(c),
  },
  {
    name: 'endpoints',
    description: 'legacy Endpoints of Services with a selector',
    workers: 5,
    enabledByDefault: always,
    create: (c) => new EndpointsController(c),
  },
  {
    name: 'endpointslicemirroring',
    description: 'user Endpoints mirrored to EndpointSlices',
    workers: 5,
    enabledByDefault: always,
    create: (c) => new MirroringController(c),
  },
  {
    name: 'replicaset',
    description: 'pods of ReplicaSets',
    workers: 5,
    enabledByDefault: always,
    create: (c) => new ReplicaSetController(c, replicaSetKind),
  },
  {
    name: 'replicationcontroller',
    description: 'pods of ReplicationControllers',
    workers: 5,
    enabledByDefault: always,
    create: (c) => new ReplicaSetController(c, replicationControllerKind),
  },
  {
    name: 'deployment',
    description: 'ReplicaSets and rollouts of Deployments',
    workers: 5,
    enabledByDefault: always,
    create: (c) => new DeploymentController(c),
  },
  {
    name: 'scheduler',
    description: 'binds pods to nodes',
    workers: 1,
    enabledByDefault: always,
    create: (c) => new SchedulerController(c),
  },
  {
    name: 'garbagecollector',
    description: 'deletes dependents of deleted owners',
    workers: 10,
    enabledByDefault: always,
    create: (c) => new GarbageCollector(c),
  },
  {
    name: 'namespace',
    description: 'empties and finalizes terminating namespaces',
    workers: 5,
    enabledByDefault: always,
    create: (c) => new NamespaceController(c),
  },
  {
    name: 'nodelifecycle',
    description: 'marks nodes whose lease expired NotReady',
    workers: 1,
    enabledByDefault: always,
    create: (c) => new NodeLifecycleController(c),
  },
  {
    name: 'nodeipam',
    description: 'pod CIDRs for nodes',
    workers: 1,
    enabledByDefault: always,
    create: (c) => new NodeIpamController(c),
  },
  {
    name: 'servicelb',
    description: 'LoadBalancer IPs from --lb-pool',
    workers: 1,
    enabledByDefault: (c) => c.config.lbPool.length > 0,
    create: (c) => new ServiceLBController(c),
  },
];

/** Thrown for an unknown name in --controllers. */
export class UnknownControllerError extends Error {
  readonly code = 'E_UNKNOWN_CONTROLLER';
}

/**
 * The controllers a `--controllers` list selects, in the order above.
 * @throws UnknownControllerError
 */
export function selectControllers(
  spec: readonly string[],
  ctx: ControllerContext,
): ControllerDescriptor[] {
  const names = new Set(controllerDescriptors.map((d) => d.name));
  const on = new Set<string>();
  const off = new Set<string>();
  let star = false;
  for (const raw of spec.map((s) => s.trim()).filter((s) => s !== '')) {
    if (raw === '*') star = true;
    else {
      const name = raw.startsWith('-') ? raw.slice(1) : raw;
      if (!names.has(name))
        throw new UnknownControllerError(
          `unknown controller ${JSON.stringify(name)}; known: ${[...names].join(', ')}`,
        );
      (raw.startsWith('-') ? off : on).add(name);
    }
  }
  return controllerDescriptors.filter(
    (d) => !off.has(d.name) && (on.has(d.name) || (star && d.enabledByDefault(ctx))),
  );
}

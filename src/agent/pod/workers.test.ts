import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, PodStatus } from '../../api/types/core.js';
import { realClock } from '../../lib/clock.js';
import { discardLogger } from '../../lib/log/logger.js';
import type { RuntimeCache } from './cache.js';
import type { ProbeManager } from './prober.js';
import type { StatusManager } from './statusmanager.js';
import type { PodSyncer } from './sync.js';
import { needsReadinessReconcile, PodWorkers, withOwnStatus } from './workers.js';

const gate = 'example.com/ready';

type PodCondition = NonNullable<PodStatus['conditions']>[number];

function gatedPod(conditions: PodCondition[]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'gated', namespace: 'default', uid: 'u1', resourceVersion: '1' },
    spec: {
      nodeName: 'n1',
      readinessGates: [{ conditionType: gate }],
      containers: [{ name: 'c', image: 'busybox' }],
    },
    status: { phase: 'Running', conditions },
  };
}

const cond = (type: string, status: 'True' | 'False'): PodCondition => ({ type, status });

test('needsReadinessReconcile(): Ready disagrees with ContainersReady and the gates', () => {
  // The gate turned True while Ready is still False: reconcile.
  assert.equal(
    needsReadinessReconcile(
      gatedPod([cond('ContainersReady', 'True'), cond('Ready', 'False'), cond(gate, 'True')]),
    ),
    true,
  );
  // The gate turned False while Ready is still True: reconcile.
  assert.equal(
    needsReadinessReconcile(
      gatedPod([cond('ContainersReady', 'True'), cond('Ready', 'True'), cond(gate, 'False')]),
    ),
    true,
  );
  // A missing gate condition counts as not True.
  assert.equal(
    needsReadinessReconcile(gatedPod([cond('ContainersReady', 'True'), cond('Ready', 'True')])),
    true,
  );
  // In agreement: nothing to do.
  assert.equal(
    needsReadinessReconcile(
      gatedPod([cond('ContainersReady', 'True'), cond('Ready', 'True'), cond(gate, 'True')]),
    ),
    false,
  );
  assert.equal(
    needsReadinessReconcile(
      gatedPod([cond('ContainersReady', 'False'), cond('Ready', 'False'), cond(gate, 'True')]),
    ),
    false,
  );
  // No gates: never.
  const plain = gatedPod([cond('ContainersReady', 'True'), cond('Ready', 'False')]);
  assert.equal(needsReadinessReconcile({ ...plain, spec: { containers: [] } }), false);
});

test('withOwnStatus(): the agent’s own conditions, the gates from the API object', () => {
  const api = gatedPod([cond('Ready', 'True'), cond(gate, 'False')]);
  const mine: PodStatus = {
    phase: 'Running',
    podIP: '10.244.0.9',
    conditions: [cond('Ready', 'True'), cond('ContainersReady', 'True'), cond(gate, 'True')],
  };
  const merged = withOwnStatus(api, mine);
  assert.equal(merged.status?.podIP, '10.244.0.9');
  assert.deepEqual(merged.status?.conditions, [
    cond('Ready', 'True'),
    cond('ContainersReady', 'True'),
    cond(gate, 'False'),
  ]);
  assert.equal(withOwnStatus(api, undefined), api);
});

test('PodWorkers syncs on a status-only change when a readiness gate flipped, not otherwise', async () => {
  const synced: Pod[] = [];
  const syncer = {
    sync: (p: Pod) => {
      synced.push(p);
      return Promise.resolve({});
    },
    status: (p: Pod) => p.status ?? {},
    kill: () => Promise.resolve(),
    remove: () => Promise.resolve(),
  } as unknown as PodSyncer;
  const status = {
    get: () => undefined,
    set: () => undefined,
    forget: () => undefined,
    finalize: () => undefined,
  } as unknown as StatusManager;
  const prober = { sync: () => undefined } as unknown as ProbeManager;
  const cache = {
    get: () => ({ sandboxes: [], containers: [] }),
  } as unknown as RuntimeCache;
  const w = new PodWorkers({
    syncer,
    status,
    prober,
    cache,
    clock: realClock,
    logger: discardLogger,
  });
  const ready = gatedPod([
    cond('ContainersReady', 'True'),
    cond('Ready', 'True'),
    cond(gate, 'True'),
  ]);
  w.update('u1', ready);
  await w.idle();
  assert.equal(synced.length, 1);
  // The agent's own write coming back (status only, in agreement): no sync.
  w.update('u1', { ...ready, metadata: { ...ready.metadata, resourceVersion: '2' } });
  await w.idle();
  assert.equal(synced.length, 1);
  // Someone sets the gate False: the agent syncs, seeing the gate from the API.
  w.update(
    'u1',
    gatedPod([cond('ContainersReady', 'True'), cond('Ready', 'True'), cond(gate, 'False')]),
  );
  await w.idle();
  assert.equal(synced.length, 2);
  assert.ok(synced[1]?.status?.conditions?.some((c) => c.type === gate && c.status === 'False'));
  w.stop();
});

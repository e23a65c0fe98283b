import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import { planDeployment } from './plan.js';
import { computeHash, maxSurge, maxUnavailable, resolveIntOrPercent } from './util.js';

function deployment(
  image: string,
  replicas: number,
  strategy: Deployment['spec'] extends infer S
    ? S extends { strategy?: infer T }
      ? T
      : never
    : never = {},
): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'kubia', namespace: 'default', uid: 'uid-d', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'kubia' } },
      template: {
        metadata: { labels: { app: 'kubia' } },
        spec: { containers: [{ name: 'kubia', image }] },
      },
      strategy,
    },
  };
}

/**
 * Runs syncs to completion, playing the ReplicaSet controller (each RS's pods become available
 * one sync after they are asked for). Checks the rollout bounds at every step.
 */
function rollout(
  d: Deployment,
  rss: Map<string, ReplicaSet>,
  check?: (all: ReplicaSet[]) => void,
): { d: Deployment; rss: Map<string, ReplicaSet>; steps: number } {
  let clock = Date.parse('2024-01-01T00:00:00Z');
  for (let step = 0; step < 100; step++) {
    clock += 1000;
    const plan = planDeployment({
      deployment: d,
      replicaSets: [...rss.values()],
      oldPodsRunning: [...rss.values()].some(
        (r) =>
          (r.status?.replicas ?? 0) > 0 &&
          r.spec?.template?.spec?.containers[0]?.image !==
            d.spec?.template.spec?.containers[0]?.image,
      ),
      now: clock,
    });
    for (const a of plan.actions) {
      const name = a.rs.metadata.name ?? '';
      if (a.kind === 'delete') rss.delete(name);
      else
        rss.set(name, {
          ...structuredClone(a.rs),
          metadata: {
            ...a.rs.metadata,
            creationTimestamp:
              rss.get(name)?.metadata.creationTimestamp ?? new Date(clock).toISOString(),
          },
        });
    }
    d = {
      ...d,
      status: plan.status,
      metadata: {
        ...d.metadata,
        annotations: {
          ...d.metadata.annotations,
          ...(plan.revision ? { 'deployment.kubernetes.io/revision': plan.revision } : {}),
        },
      },
    };
    // The ReplicaSet controller: status follows spec (new pods are available one step later).
    for (const [name, rs] of rss) {
      const want = rs.spec?.replicas ?? 0;
      const had = rs.status?.replicas ?? 0;
      const avail = Math.min(want, had);
      rss.set(name, {
        ...rs,
        status: {
          replicas: want,
          readyReplicas: avail,
          availableReplicas: avail,
          observedGeneration: 0,
        },
      });
    }
    check?.([...rss.values()]);
    if (
      plan.actions.length === 0 &&
      d.status?.updatedReplicas === d.spec?.replicas &&
      d.status?.availableReplicas === d.spec?.replicas &&
      d.status?.replicas === d.spec?.replicas
    ) {
      return { d, rss, steps: step };
    }
  }
  assert.fail('rollout did not finish in 100 steps');
}

test('resolveIntOrPercent(), maxSurge() and maxUnavailable() follow the kube defaults', () => {
  assert.equal(resolveIntOrPercent('25%', 10, true, 0), 3);
  assert.equal(resolveIntOrPercent('25%', 10, false, 0), 2);
  assert.equal(maxSurge(deployment('a', 4)), 1);
  assert.equal(maxUnavailable(deployment('a', 4)), 1);
  assert.equal(
    maxUnavailable(deployment('a', 3, { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } })),
    0,
  );
  assert.equal(
    maxUnavailable(deployment('a', 3, { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } })),
    1,
    'never both zero',
  );
});

test('computeHash() is stable, template-dependent and uses the safe alphabet', () => {
  const a = computeHash(deployment('a', 1).spec?.template);
  assert.equal(a, computeHash(deployment('a', 1).spec?.template));
  assert.notEqual(a, computeHash(deployment('b', 1).spec?.template));
  assert.notEqual(a, computeHash(deployment('a', 1).spec?.template, 1));
  assert.match(a, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
});

test('planDeployment() creates <name>-<hash> with the pod-template-hash label and revision 1', () => {
  const d = deployment('luksa/kubia:v1', 3);
  const plan = planDeployment({ deployment: d, replicaSets: [], oldPodsRunning: false, now: 0 });
  assert.equal(plan.actions.length, 1);
  const a = plan.actions[0]!;
  assert.equal(a.kind, 'create');
  const hash = computeHash(d.spec?.template);
  assert.equal(a.rs.metadata.name, `kubia-${hash}`);
  assert.equal(a.rs.spec?.replicas, 3);
  assert.deepEqual(a.rs.spec?.selector, {
    matchLabels: { app: 'kubia', 'pod-template-hash': hash },
  });
  assert.equal(a.rs.spec?.template?.metadata?.labels?.['pod-template-hash'], hash);
  assert.equal(a.rs.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
  assert.equal(a.rs.metadata.ownerReferences?.[0]?.kind, 'Deployment');
  assert.equal(plan.revision, '1');
  assert.deepEqual(plan.events, [
    { reason: 'ScalingReplicaSet', message: `Scaled up replica set kubia-${hash} from 0 to 3` },
  ]);
  assert.equal(
    plan.status.conditions?.find((c) => c.type === 'Progressing')?.reason,
    'NewReplicaSetCreated',
  );
});

for (const strategy of [
  { name: 'defaults (25 %/25 %)', s: {} },
  {
    name: 'maxSurge 1, maxUnavailable 0',
    s: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
  },
  {
    name: 'maxSurge 0, maxUnavailable 1',
    s: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
  },
  { name: 'maxSurge 100%', s: { rollingUpdate: { maxSurge: '100%', maxUnavailable: 0 } } },
] as const) {
  test(`planDeployment() rolls v1 → v2 within the bounds: ${strategy.name}`, () => {
    const replicas = 4;
    let d = deployment('kubia:v1', replicas, strategy.s);
    const first = rollout(d, new Map());
    const d1 = first.d;
    let rss = first.rss;
    assert.equal(rss.size, 1);
    d = {
      ...deployment('kubia:v2', replicas, strategy.s),
      metadata: { ...d1.metadata, generation: 2 },
      status: d1.status!,
    };
    const surge = maxSurge(d);
    const unavailable = maxUnavailable(d);
    const result = rollout(d, rss, (all) => {
      const total = all.reduce((n, r) => n + (r.spec?.replicas ?? 0), 0);
      const available = all.reduce((n, r) => n + (r.status?.availableReplicas ?? 0), 0);
      assert.ok(total <= replicas + surge, `at most ${replicas + surge} pods, saw ${total}`);
      assert.ok(
        available >= replicas - unavailable,
        `at least ${replicas - unavailable} available, saw ${available}`,
      );
    });
    rss = result.rss;
    const byImage = [...rss.values()].map((r) => [
      r.spec?.template?.spec?.containers[0]?.image,
      r.spec?.replicas,
    ]);
    assert.deepEqual(byImage.sort(), [
      ['kubia:v1', 0],
      ['kubia:v2', replicas],
    ]);
    const v2 = [...rss.values()].find(
      (r) => r.spec?.template?.spec?.containers[0]?.image === 'kubia:v2',
    );
    assert.equal(v2?.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    assert.equal(result.d.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    assert.equal(
      result.d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason,
      'NewReplicaSetAvailable',
    );
    assert.equal(result.d.status?.conditions?.find((c) => c.type === 'Available')?.status, 'True');
  });
}

test('planDeployment() Recreate scales old to zero before creating the new ReplicaSet', () => {
  let d = deployment('kubia:v1', 3, { type: 'Recreate' });
  const first = rollout(d, new Map());
  d = {
    ...deployment('kubia:v2', 3, { type: 'Recreate' }),
    metadata: { ...first.d.metadata, generation: 2 },
    status: first.d.status!,
  };
  const plan1 = planDeployment({
    deployment: d,
    replicaSets: [...first.rss.values()],
    oldPodsRunning: true,
    now: 0,
  });
  assert.deepEqual(
    plan1.actions.map((a) => [a.kind, a.rs.spec?.replicas]),
    [['update', 0]],
  );
  const scaledDown = [...first.rss.values()].map((r) => ({
    ...r,
    spec: { ...r.spec!, replicas: 0 },
  }));
  const waiting = planDeployment({
    deployment: d,
    replicaSets: scaledDown,
    oldPodsRunning: true,
    now: 0,
  });
  assert.equal(waiting.actions.length, 0, 'waits while old pods still run');
  const go = planDeployment({
    deployment: d,
    replicaSets: scaledDown,
    oldPodsRunning: false,
    now: 0,
  });
  assert.deepEqual(
    go.actions.map((a) => [a.kind, a.rs.spec?.replicas]),
    [['create', 3]],
  );
});

test('planDeployment() applies a scale change to the only active ReplicaSet', () => {
  const first = rollout(deployment('kubia:v1', 3), new Map());
  const d = { ...first.d, spec: { ...first.d.spec!, replicas: 5 } };
  const plan = planDeployment({
    deployment: d,
    replicaSets: [...first.rss.values()],
    oldPodsRunning: false,
    now: 0,
  });
  assert.equal(plan.actions.length, 1);
  assert.equal(plan.actions[0]!.rs.spec?.replicas, 5);
  assert.equal(
    plan.actions[0]!.rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'],
    '5',
  );
});

test('planDeployment() spreads a scale-up mid-rollout proportionally', () => {
  const old: ReplicaSet = {
    metadata: {
      name: 'kubia-old',
      creationTimestamp: '2024-01-01T00:00:00Z',
      annotations: {
        'deployment.kubernetes.io/revision': '1',
        'deployment.kubernetes.io/desired-replicas': '10',
        'deployment.kubernetes.io/max-replicas': '13',
      },
    },
    spec: { replicas: 8, selector: {}, template: deployment('kubia:v1', 1).spec!.template },
    status: { replicas: 8, availableReplicas: 8 },
  };
  const cur: ReplicaSet = {
    metadata: {
      name: 'kubia-new',
      creationTimestamp: '2024-01-02T00:00:00Z',
      annotations: {
        'deployment.kubernetes.io/revision': '2',
        'deployment.kubernetes.io/desired-replicas': '10',
        'deployment.kubernetes.io/max-replicas': '13',
      },
    },
    spec: { replicas: 5, selector: {}, template: deployment('kubia:v2', 1).spec!.template },
    status: { replicas: 5, availableReplicas: 0 },
  };
  const d = deployment('kubia:v2', 20);
  const plan = planDeployment({
    deployment: d,
    replicaSets: [old, cur],
    oldPodsRunning: true,
    now: 0,
  });
  const sizes: Record<string, number> = Object.fromEntries(
    plan.actions.map((a) => [a.rs.metadata.name ?? '', a.rs.spec?.replicas ?? 0]),
  );
  assert.equal((sizes['kubia-old'] ?? 0) + (sizes['kubia-new'] ?? 0), 20 + maxSurge(d));
  assert.ok((sizes['kubia-old'] ?? 0) > 8 && (sizes['kubia-new'] ?? 0) > 5, JSON.stringify(sizes));
});

test('planDeployment() deletes ReplicaSets beyond revisionHistoryLimit once complete', () => {
  let d = deployment('kubia:v1', 1);
  d.spec!.revisionHistoryLimit = 1;
  let r = rollout(d, new Map());
  for (const v of ['v2', 'v3']) {
    d = { ...deployment(`kubia:${v}`, 1), metadata: r.d.metadata, status: r.d.status! };
    d.spec!.revisionHistoryLimit = 1;
    r = rollout(d, r.rss);
  }
  const plan = planDeployment({
    deployment: r.d,
    replicaSets: [...r.rss.values()],
    oldPodsRunning: false,
    now: 0,
  });
  assert.deepEqual(plan.actions, []);
  assert.equal(r.rss.size, 2, 'the current and one old ReplicaSet remain');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultClusterConfig } from '../../api/cluster.js';
import { isApiError } from '../../api/meta/status.js';
import { resources } from '../../api/scheme.js';
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import type { ReplicationController } from '../../api/types/core.js';
import { buildStrategies } from './strategies.js';
import { TestPipeline } from './testpipeline.js';

interface Cause {
  reason?: string;
  field?: string;
  message?: string;
}

async function causesOf(f: () => Promise<unknown>): Promise<Cause[]> {
  try {
    await f();
  } catch (e) {
    if (isApiError(e, 'Invalid')) return e.status.details?.causes ?? [];
    throw e;
  }
  assert.fail('expected 422 Invalid');
}

const template = (labels: Record<string, string>) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'kubia', image: 'luksa/kubia', ports: [{ containerPort: 8080 }] }] },
});

function rc(name: string, spec: ReplicationController['spec']): ReplicationController {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name, namespace: 'default' },
    ...(spec ? { spec } : {}),
  };
}

test('RC defaults: selector and labels from the template, one replica, generation 1, status replicas 0', async () => {
  const p = new TestPipeline(buildStrategies(defaultClusterConfig));
  const created = await p.create(
    resources.replicationcontrollers,
    rc('kubia', { template: template({ app: 'kubia' }) }),
  );
  assert.deepEqual(created.spec?.selector, { app: 'kubia' });
  assert.deepEqual(created.metadata.labels, { app: 'kubia' });
  assert.equal(created.spec?.replicas, 1);
  assert.equal(created.metadata.generation, 1);
  assert.deepEqual(created.status, { replicas: 0 });
  const tc = created.spec?.template?.spec?.containers[0];
  assert.equal(tc?.ports?.[0]?.protocol, 'TCP', 'describe rc shows 8080/TCP');
  assert.equal(created.spec?.template?.spec?.restartPolicy, 'Always');

  const ref = { namespace: 'default', name: 'kubia' };
  const scaled = await p.update<ReplicationController>(
    resources.replicationcontrollers,
    (cur) => ({ ...cur, spec: { ...cur.spec, replicas: 3 } }),
    ref,
  );
  assert.equal(scaled.metadata.generation, 2, 'a spec change bumps generation');
  const labelled = await p.update<ReplicationController>(
    resources.replicationcontrollers,
    (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { app: 'kubia', x: 'y' } } }),
    ref,
  );
  assert.equal(labelled.metadata.generation, 2, 'a metadata change does not');
  const status = await p.update<ReplicationController>(
    resources.replicationcontrollers,
    (cur) => ({
      ...cur,
      spec: { ...cur.spec, replicas: 9 },
      status: { replicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 2 },
    }),
    ref,
    { status: true },
  );
  assert.equal(status.spec?.replicas, 3, 'status writes keep the spec');
  assert.equal(status.status?.readyReplicas, 3);
  assert.deepEqual(
    await causesOf(() =>
      p.update<ReplicationController>(
        resources.replicationcontrollers,
        (cur) => ({ ...cur, status: { replicas: 1, readyReplicas: 2 } }),
        ref,
        { status: true },
      ),
    ),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'status.readyReplicas',
        message: 'Invalid value: 2: cannot be greater than status.replicas',
      },
    ],
  );
});

test('RC validation: selector must match the template, replicas not negative, restartPolicy Always', async () => {
  const p = new TestPipeline(buildStrategies(defaultClusterConfig));
  const rcs = resources.replicationcontrollers;
  assert.deepEqual(
    await causesOf(() =>
      p.create(rcs, rc('a', { selector: { app: 'other' }, template: template({ app: 'kubia' }) })),
    ),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.template.metadata.labels',
        message:
          'Invalid value: map[string]string{"app":"kubia"}: `selector` does not match template `labels`',
      },
    ],
  );
  assert.deepEqual(
    await causesOf(() =>
      p.create(rcs, rc('b', { replicas: -1, template: template({ app: 'kubia' }) })),
    ),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.replicas',
        message: 'Invalid value: -1: must be greater than or equal to 0',
      },
    ],
  );
  const never = template({ app: 'x' });
  assert.deepEqual(
    await causesOf(() =>
      p.create(
        rcs,
        rc('c', { template: { ...never, spec: { ...never.spec, restartPolicy: 'Never' } } }),
      ),
    ),
    [
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.template.spec.restartPolicy',
        message: 'Unsupported value: "Never": supported values: "Always"',
      },
    ],
  );
  assert.deepEqual(await causesOf(() => p.create(rcs, rc('d', {}))), [
    { reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' },
    { reason: 'FieldValueRequired', field: 'spec.template', message: 'Required value' },
  ]);
});

test('ReplicaSet and Deployment: defaults, selectors, strategy, immutable selector', async () => {
  const p = new TestPipeline(buildStrategies(defaultClusterConfig));
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'my-kubia-rs-1', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'kubia' } }, template: template({ app: 'kubia' }) },
  };
  const createdRS = await p.create(resources.replicasets, rs);
  assert.equal(createdRS.spec?.replicas, 1);
  assert.deepEqual(
    await causesOf(() =>
      p.update<ReplicaSet>(
        resources.replicasets,
        (cur) => ({
          ...cur,
          spec: {
            ...(cur.spec ?? { selector: {} }),
            selector: { matchLabels: { app: 'kubia', v: '2' } },
            template: template({ app: 'kubia', v: '2' }),
          },
        }),
        { namespace: 'default', name: 'my-kubia-rs-1' },
      ),
    ),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.selector',
        message:
          'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"kubia", "v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      },
    ],
  );
  const empty: ReplicaSet = {
    ...rs,
    metadata: { name: 'empty', namespace: 'default' },
    spec: { selector: {}, template: template({ app: 'kubia' }) },
  };
  assert.deepEqual(await causesOf(() => p.create(resources.replicasets, empty)), [
    {
      reason: 'FieldValueInvalid',
      field: 'spec.selector',
      message:
        'Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
    },
  ]);
  const exprs: ReplicaSet = {
    ...rs,
    metadata: { name: 'exprs', namespace: 'default' },
    spec: {
      selector: {
        matchExpressions: [
          { key: 'app', operator: 'In', values: ['kubia'] },
          { key: 'tier', operator: 'Exists', values: ['x'] },
        ],
      },
      template: template({ app: 'kubia', tier: 'web' }),
    },
  };
  assert.deepEqual(await causesOf(() => p.create(resources.replicasets, exprs)), [
    {
      reason: 'FieldValueForbidden',
      field: 'spec.selector.matchExpressions[1].values',
      message: "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    },
  ]);

  const dep: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'kubia', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'kubia' } }, template: template({ app: 'kubia' }) },
  };
  const createdDep = await p.create(resources.deployments, dep);
  assert.deepEqual(
    {
      replicas: createdDep.spec?.replicas,
      strategy: createdDep.spec?.strategy,
      rhl: createdDep.spec?.revisionHistoryLimit,
      pds: createdDep.spec?.progressDeadlineSeconds,
    },
    {
      replicas: 1,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
      },
      rhl: 10,
      pds: 600,
    },
  );
  assert.deepEqual(createdDep.status, {});
  const bad: Deployment = {
    ...dep,
    metadata: { name: 'bad', namespace: 'default' },
    spec: {
      ...(dep.spec ?? { selector: {}, template: {} }),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } },
    },
  };
  assert.deepEqual(await causesOf(() => p.create(resources.deployments, bad)), [
    {
      reason: 'FieldValueInvalid',
      field: 'spec.strategy.rollingUpdate.maxUnavailable',
      message: 'Invalid value: 0: may not be 0 when `maxSurge` is 0',
    },
  ]);
  const recreate: Deployment = {
    ...dep,
    metadata: { name: 'recreate', namespace: 'default' },
    spec: {
      ...(dep.spec ?? { selector: {}, template: {} }),
      strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } },
    },
  };
  assert.deepEqual(await causesOf(() => p.create(resources.deployments, recreate)), [
    {
      reason: 'FieldValueForbidden',
      field: 'spec.strategy.rollingUpdate',
      message: "Forbidden: may not be specified when strategy `type` is 'Recreate'",
    },
  ]);
  const annotated = await p.update<Deployment>(
    resources.deployments,
    (cur) => ({
      ...cur,
      metadata: { ...cur.metadata, annotations: { 'kubernetes.io/change-cause': 'x' } },
    }),
    { namespace: 'default', name: 'kubia' },
  );
  assert.equal(annotated.metadata.generation, 2, 'deployments count annotation changes');
  const st = await p.update<Deployment>(
    resources.deployments,
    (cur) => ({
      ...cur,
      metadata: { ...cur.metadata, labels: { sneaky: 'yes' } },
      status: { replicas: 1 },
    }),
    { namespace: 'default', name: 'kubia' },
    { status: true },
  );
  assert.equal(st.metadata.labels, undefined, 'deployment status writes keep the labels');
});

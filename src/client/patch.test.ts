import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.js';
import { isApiError } from '../api/meta/status.js';

test('applyMergePatch() follows the RFC 7386 examples', () => {
  const cases: { name: string; target: unknown; patch: unknown; want: unknown }[] = [
    { name: 'replace', target: { a: 'b' }, patch: { a: 'c' }, want: { a: 'c' } },
    { name: 'add', target: { a: 'b' }, patch: { b: 'c' }, want: { a: 'b', b: 'c' } },
    { name: 'null removes', target: { a: 'b', b: 'c' }, patch: { a: null }, want: { b: 'c' } },
    {
      name: 'arrays replace',
      target: { a: ['b'] },
      patch: { a: ['c', 'd'] },
      want: { a: ['c', 'd'] },
    },
    {
      name: 'nested',
      target: { a: { b: 'c' } },
      patch: { a: { b: 'd', c: null } },
      want: { a: { b: 'd' } },
    },
    { name: 'non-object target', target: ['c'], patch: { a: 'b' }, want: { a: 'b' } },
    { name: 'scalar patch', target: { a: 'b' }, patch: 'x', want: 'x' },
    {
      name: 'nested null kept out',
      target: {},
      patch: { a: { bb: { ccc: null } } },
      want: { a: { bb: {} } },
    },
  ];
  for (const c of cases) assert.deepEqual(applyMergePatch(c.target, c.patch), c.want, c.name);
});

test('applyJsonPatch() applies RFC 6902 operations and rejects failing ones with 422', () => {
  const doc = { a: { b: [1, 2, 3] }, 'x/y': 1, 't~': 2 };
  assert.deepEqual(
    applyJsonPatch(doc, [
      { op: 'add', path: '/a/b/1', value: 9 },
      { op: 'add', path: '/a/b/-', value: 10 },
      { op: 'remove', path: '/a/b/0' },
      { op: 'replace', path: '/x~1y', value: 5 },
      { op: 'copy', from: '/t~0', path: '/c' },
      { op: 'move', from: '/c', path: '/d' },
      { op: 'test', path: '/d', value: 2 },
    ]),
    { a: { b: [9, 2, 3, 10] }, 'x/y': 5, 't~': 2, d: 2 },
  );
  assert.deepEqual(doc.a.b, [1, 2, 3], 'the input is not modified');
  for (const bad of [
    [{ op: 'test', path: '/a', value: 1 }],
    [{ op: 'remove', path: '/nope' }],
    [{ op: 'replace', path: '/nope', value: 1 }],
    [{ op: 'add', path: '/a/b/7', value: 1 }],
    [{ op: 'frob', path: '/a' }],
    { op: 'add' },
  ])
    assert.throws(
      () => applyJsonPatch(doc, bad),
      (e) => isApiError(e, 'Invalid'),
      JSON.stringify(bad),
    );
});

test('applyStrategicMergePatch() merges keyed lists, unions finalizers and honours directives', () => {
  const pod = {
    metadata: { finalizers: ['a'], labels: { x: '1' } },
    spec: {
      containers: [
        { name: 'app', image: 'v1', ports: [{ containerPort: 80, name: 'http' }] },
        { name: 'side', image: 's' },
      ],
      tolerations: [{ key: 'a' }],
    },
    status: {
      conditions: [
        { type: 'Ready', status: 'False' },
        { type: 'Initialized', status: 'True' },
      ],
    },
  };
  const out = applyStrategicMergePatch(pod, {
    metadata: { finalizers: ['b'], labels: { x: null } },
    spec: {
      containers: [
        { name: 'app', image: 'v2', ports: [{ containerPort: 81 }] },
        { name: 'side', $patch: 'delete' },
        { name: 'new', image: 'n' },
      ],
      tolerations: [{ key: 'b' }],
    },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  });
  assert.deepEqual(out, {
    metadata: { finalizers: ['a', 'b'], labels: {} },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'v2',
          ports: [{ containerPort: 80, name: 'http' }, { containerPort: 81 }],
        },
        { name: 'new', image: 'n' },
      ],
      tolerations: [{ key: 'b' }],
    },
    status: {
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'Initialized', status: 'True' },
      ],
    },
  });
  assert.deepEqual(
    applyStrategicMergePatch(pod, {
      metadata: {
        '$deleteFromPrimitiveList/finalizers': ['a'],
      },
      spec: { $patch: 'replace', containers: [] },
    }),
    {
      metadata: { finalizers: [], labels: { x: '1' } },
      spec: { containers: [] },
      status: pod.status,
    },
  );
});

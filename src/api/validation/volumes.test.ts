import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../types/core.js';
import { setPodDefaults } from '../defaults/pod.js';
import { validatePod } from './pod.js';

function pod(volumes: NonNullable<NonNullable<Pod['spec']>['volumes']>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default' },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'busybox',
          volumeMounts: volumes.map((v) => ({ name: v.name, mountPath: `/m/${v.name}` })),
        },
      ],
      volumes,
    },
  };
}

test('volumes of every source are kept by defaulting and accepted by validation', () => {
  const p = pod([
    {
      name: 'info',
      downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] },
    },
    { name: 'all', projected: { sources: [{ configMap: { name: 'cfg' } }] } },
    { name: 'claim', persistentVolumeClaim: { claimName: 'data' } },
    { name: 'plain' },
  ]);
  setPodDefaults(p);
  const vols = p.spec?.volumes ?? [];
  assert.equal(vols[0]?.emptyDir, undefined, 'a downwardAPI volume does not become an emptyDir');
  assert.equal(vols[1]?.emptyDir, undefined);
  assert.equal(vols[2]?.emptyDir, undefined);
  assert.deepEqual(vols[3]?.emptyDir, {}, 'a volume without a source is an emptyDir');
  assert.deepEqual(validatePod(p), []);
});

test('volume validation: one source only, downwardAPI items need a path and a field', () => {
  const two = pod([{ name: 'x', emptyDir: {}, downwardAPI: { items: [] } }]);
  assert.match(
    validatePod(two)
      .map((e) => `${e.field}: ${e.detail ?? ''}`)
      .join('\n'),
    /spec\.volumes\[0\]\.downwardAPI: may not specify more than 1 volume type/,
  );
  const bad = pod([{ name: 'x', downwardAPI: { items: [{ path: '' }] } }]);
  const fields = validatePod(bad).map((e) => e.field);
  assert.ok(fields.includes('spec.volumes[0].downwardAPI.items[0].path'), fields.join(','));
  assert.ok(fields.includes('spec.volumes[0].downwardAPI.items[0]'), fields.join(','));
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, ManagedFieldsEntry } from '../../api/meta/types.js';
import { resources } from '../../api/scheme.js';
import { FieldSet, pathString } from './fieldpath.js';
import {
  capUpdateManagers,
  decodeManagers,
  updateManagedFields,
  type Managers,
} from './managedfields.js';

const t0 = '2026-01-01T00:00:00Z';
const t1 = '2026-01-01T00:01:00Z';
const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

/** A Service as the server holds it after defaulting (kubectl apply of kubia-svc.yaml). */
function kubiaSvc(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kubia',
      namespace: 'default',
      annotations: { [lastApplied]: '{"apiVersion":"v1"}\n' },
    },
    spec: {
      ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }],
      selector: { app: 'kubia' },
      sessionAffinity: 'None',
      type: 'ClusterIP',
      internalTrafficPolicy: 'Cluster',
    },
    status: { loadBalancer: {} },
  } as KubeObject;
}

function entry(obj: KubeObject, manager: string): ManagedFieldsEntry {
  const e = obj.metadata.managedFields?.find((m) => m.manager === manager);
  assert.ok(e, `an entry for ${manager} in ${JSON.stringify(obj.metadata.managedFields)}`);
  return e;
}

describe('FieldSet', () => {
  it('round-trips FieldsV1 with "." for members that have children, sorted as kube sorts', () => {
    const fv1 = {
      'f:spec': {
        'f:ports': {
          '.': {},
          'k:{"port":443,"protocol":"TCP"}': { '.': {}, 'f:port': {} },
          'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {} },
        },
        'f:selector': {},
      },
    };
    const s = FieldSet.fromFieldsV1(fv1);
    assert.deepEqual(
      Object.keys(
        (s.toFieldsV1()['f:spec'] as Record<string, Record<string, unknown>>)['f:ports'] ?? {},
      ),
      ['.', 'k:{"port":80,"protocol":"TCP"}', 'k:{"port":443,"protocol":"TCP"}'],
    );
    assert.deepEqual(s.toFieldsV1(), {
      'f:spec': {
        'f:ports': {
          '.': {},
          'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {} },
          'k:{"port":443,"protocol":"TCP"}': { '.': {}, 'f:port': {} },
        },
        'f:selector': {},
      },
    });
    assert.equal(
      pathString(['f:spec', 'f:ports', 'k:{"port":80,"protocol":"TCP"}', 'f:targetPort']),
      '.spec.ports[port=80,protocol="TCP"].targetPort',
    );
  });

  it('set algebra', () => {
    const a = FieldSet.of(['f:a', 'f:b'], ['f:a', 'f:c'], ['f:d']);
    const b = FieldSet.of(['f:a', 'f:b'], ['f:e']);
    assert.deepEqual(a.difference(b).paths(), [['f:a', 'f:c'], ['f:d']]);
    assert.deepEqual(a.intersection(b).paths(), [['f:a', 'f:b']]);
    assert.equal(a.union(b).paths().length, 4);
    assert.ok(a.has(['f:a', 'f:c']) && !a.has(['f:a']));
  });

  it('rejects malformed FieldsV1', () => {
    assert.throws(() => FieldSet.fromFieldsV1({ 'x:y': {} }));
    assert.throws(() => FieldSet.fromFieldsV1({ 'f:a': 1 }));
    assert.throws(() => FieldSet.fromFieldsV1({ 'k:{bad': {} }));
  });
});

describe('updateManagedFields', () => {
  it('create by kubectl-client-side-apply owns what it set, defaults included, as kube records it', () => {
    const obj = kubiaSvc();
    updateManagedFields(resources.services, undefined, obj, {
      manager: 'kubectl-client-side-apply',
      now: t0,
    });
    assert.deepEqual(obj.metadata.managedFields, [
      {
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        apiVersion: 'v1',
        time: t0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': {
            'f:annotations': { '.': {}, [`f:${lastApplied}`]: {} },
          },
          'f:spec': {
            'f:internalTrafficPolicy': {},
            'f:ports': {
              '.': {},
              'k:{"port":80,"protocol":"TCP"}': {
                '.': {},
                'f:port': {},
                'f:protocol': {},
                'f:targetPort': {},
              },
            },
            'f:selector': {},
            'f:sessionAffinity': {},
            'f:type': {},
          },
        },
      },
    ]);
  });

  it('a later writer takes the fields it changes; removed fields leave every owner', () => {
    const created = kubiaSvc();
    updateManagedFields(resources.services, undefined, created, {
      manager: 'kubectl-client-side-apply',
      now: t0,
    });
    const edited = structuredClone(created) as KubeObject & { spec: Record<string, unknown> };
    edited.spec['sessionAffinity'] = 'ClientIP';
    delete edited.spec['internalTrafficPolicy'];
    edited.metadata.labels = { env: 'prod' };
    updateManagedFields(resources.services, created, edited, { manager: 'kubectl-edit', now: t1 });
    const csa = entry(edited, 'kubectl-client-side-apply').fieldsV1 as Record<
      string,
      Record<string, unknown>
    >;
    assert.equal(csa['f:spec']?.['f:sessionAffinity'], undefined, 'sessionAffinity moved');
    assert.equal(
      csa['f:spec']?.['f:internalTrafficPolicy'],
      undefined,
      'removed field has no owner',
    );
    const edit = entry(edited, 'kubectl-edit');
    assert.equal(edit.time, t1);
    assert.deepEqual(edit.fieldsV1, {
      'f:metadata': { 'f:labels': { '.': {}, 'f:env': {} } },
      'f:spec': { 'f:sessionAffinity': {} },
    });
    assert.deepEqual(
      edited.metadata.managedFields?.map((m) => m.manager),
      ['kubectl-client-side-apply', 'kubectl-edit'],
      'sorted by time',
    );
  });

  it('a write that changes nothing adds no entry', () => {
    const created = kubiaSvc();
    updateManagedFields(resources.services, undefined, created, { manager: 'a', now: t0 });
    const same = structuredClone(created);
    updateManagedFields(resources.services, created, same, { manager: 'b', now: t1 });
    assert.deepEqual(
      same.metadata.managedFields?.map((m) => m.manager),
      ['a'],
    );
  });

  it('status writes are recorded with their subresource and keep the live entries', () => {
    const created = kubiaSvc();
    updateManagedFields(resources.services, undefined, created, { manager: 'a', now: t0 });
    const withStatus = structuredClone(created) as KubeObject & { status: unknown };
    withStatus.status = { loadBalancer: { ingress: [{ ip: '203.0.113.1' }] } };
    withStatus.metadata.managedFields = [];
    updateManagedFields(resources.services, created, withStatus, {
      manager: 'lb',
      now: t1,
      subresource: 'status',
    });
    const lb = entry(withStatus, 'lb');
    assert.equal(lb.subresource, 'status');
    assert.deepEqual(lb.fieldsV1, { 'f:status': { 'f:loadBalancer': { 'f:ingress': {} } } });
    assert.ok(entry(withStatus, 'a'));
  });

  it('an empty managedFields list sent by a client resets the record', () => {
    const created = kubiaSvc();
    updateManagedFields(resources.services, undefined, created, { manager: 'a', now: t0 });
    const next = structuredClone(created) as KubeObject & { spec: Record<string, unknown> };
    next.metadata.managedFields = [];
    next.spec['type'] = 'NodePort';
    updateManagedFields(resources.services, created, next, { manager: 'b', now: t1 });
    assert.deepEqual(
      next.metadata.managedFields?.map((m) => m.manager),
      ['b'],
    );
  });

  it('caps Update managers at 10, folding the oldest into ancient-changes', () => {
    const managers: Managers = new Map();
    for (let i = 0; i < 12; i++) {
      const rec = {
        manager: `m${i}`,
        operation: 'Update' as const,
        apiVersion: 'v1',
        subresource: '',
        time: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`,
        set: FieldSet.of([`f:f${i}`]),
      };
      managers.set(`m${i}`, rec);
    }
    capUpdateManagers(managers);
    assert.equal(managers.size, 10);
    const ancient = [...managers.values()].find((r) => r.manager === 'ancient-changes');
    assert.deepEqual(ancient?.set.paths(), [['f:f0'], ['f:f1'], ['f:f2']]);
  });

  it('decodes entries and rejects bad ones', () => {
    assert.equal(
      decodeManagers([
        {
          manager: 'a',
          operation: 'Apply',
          apiVersion: 'v1',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:a': {} },
        },
      ]).size,
      1,
    );
    assert.throws(() => decodeManagers([{ manager: 'a', operation: 'Update', apiVersion: 'v1' }]));
  });
});

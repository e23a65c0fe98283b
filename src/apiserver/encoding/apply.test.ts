import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isApiError } from '../../api/meta/status.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { Service } from '../../api/types/core.js';
import { resources } from '../../api/scheme.js';
import { serverSideApply, type ApplyOptions } from './apply.js';
import { updateManagedFields } from './managedfields.js';

const t0 = '2026-01-01T00:00:00Z';
const t1 = '2026-01-01T00:01:00Z';
const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';
const rt = resources.services;

const opts = (manager: string, force = false, now = t1): ApplyOptions => ({ manager, force, now });

function svc(spec: Record<string, unknown>, meta: Record<string, unknown> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubia', namespace: 'default', ...meta },
    spec,
  };
}

/** What the server holds after `kubectl apply -f` (client-side) created the service, defaults applied. */
function createdByClientSideApply(): Service {
  const manifest = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { annotations: {}, name: 'kubia', namespace: 'default' },
    spec: { ports: [{ port: 80, targetPort: 8080 }], selector: { app: 'kubia' } },
  };
  const obj = svc(
    {
      ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }],
      selector: { app: 'kubia' },
      sessionAffinity: 'None',
      type: 'ClusterIP',
    },
    { annotations: { [lastApplied]: `${JSON.stringify(manifest)}\n` } },
  );
  updateManagedFields(rt, undefined, obj, { manager: 'kubectl-client-side-apply', now: t0 });
  obj.spec = { ...obj.spec, clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'] }; // allocated after
  return obj;
}

function fields(obj: KubeObject, manager: string): unknown {
  return obj.metadata.managedFields?.find((m) => m.manager === manager)?.fieldsV1;
}

function conflict(fn: () => unknown): { message: string; causes: unknown } {
  let out: { message: string; causes: unknown } | undefined;
  assert.throws(fn, (e: unknown) => {
    assert.ok(isApiError(e), String(e));
    assert.equal(e.httpStatus, 409);
    assert.equal(e.reason, 'Conflict');
    out = { message: e.status.message ?? '', causes: e.status.details?.causes };
    return true;
  });
  assert.ok(out);
  return out;
}

describe('serverSideApply', () => {
  it('creates: the applier owns the applied fields (Apply entry, no apiVersion in its identity)', () => {
    const applied = svc(
      { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 8080 }], selector: { app: 'kubia' } },
      { labels: { app: 'kubia' } },
    );
    const out = serverSideApply(undefined, applied, rt, opts('kubectl'));
    assert.deepEqual(out.metadata.managedFields, [
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        time: t1,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:ports': {
              'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {}, 'f:targetPort': {} },
            },
            'f:selector': {},
            'f:type': {},
          },
        },
      },
    ]);
    assert.deepEqual((out as Service).spec, applied.spec);
    assert.equal(out.metadata.name, 'kubia');
  });

  it("conflicts with a field a client-side apply set, in kube's words", () => {
    const live = createdByClientSideApply();
    const applied = svc({
      ports: [{ port: 80, targetPort: 8080 }],
      selector: { app: 'kubia' },
      sessionAffinity: 'ClientIP',
    });
    const c = conflict(() => serverSideApply(live, applied, rt, opts('kubectl-ssa')));
    assert.equal(
      c.message,
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .spec.sessionAffinity',
    );
    assert.deepEqual(c.causes, [
      {
        reason: 'FieldManagerConflict',
        message: 'conflict with "kubectl-client-side-apply" using v1',
        field: '.spec.sessionAffinity',
      },
    ]);
  });

  it('lists several conflicts grouped by manager', () => {
    const live = createdByClientSideApply();
    const applied = svc({
      ports: [{ port: 80, targetPort: 9090 }],
      sessionAffinity: 'ClientIP',
      type: 'NodePort',
    });
    const c = conflict(() => serverSideApply(live, applied, rt, opts('other')));
    assert.equal(
      c.message,
      'Apply failed with 3 conflicts: conflicts with "kubectl-client-side-apply" using v1:\n' +
        '- .spec.ports[port=80,protocol="TCP"].targetPort\n- .spec.sessionAffinity\n- .spec.type',
    );
  });

  it('force takes ownership from the other manager', () => {
    const live = createdByClientSideApply();
    const applied = svc({ sessionAffinity: 'ClientIP' });
    const out = serverSideApply(live, applied, rt, opts('kubectl-ssa', true)) as Service;
    assert.equal(out.spec?.sessionAffinity, 'ClientIP');
    assert.equal(out.spec?.clusterIP, '10.96.0.20', 'unowned server-set fields stay');
    const csa = fields(out, 'kubectl-client-side-apply') as Record<string, Record<string, unknown>>;
    assert.equal(csa['f:spec']?.['f:sessionAffinity'], undefined);
    assert.deepEqual(fields(out, 'kubectl-ssa'), { 'f:spec': { 'f:sessionAffinity': {} } });
  });

  it('applying the value another manager set is no conflict: both own it', () => {
    const live = createdByClientSideApply();
    const out = serverSideApply(live, svc({ sessionAffinity: 'None' }), rt, opts('kubectl-ssa'));
    assert.deepEqual(fields(out, 'kubectl-ssa'), { 'f:spec': { 'f:sessionAffinity': {} } });
    const csa = fields(out, 'kubectl-client-side-apply') as Record<string, Record<string, unknown>>;
    assert.deepEqual(csa['f:spec']?.['f:sessionAffinity'], {});
  });

  it('kubectl takes over fields whose last-applied values still hold', () => {
    const live = createdByClientSideApply();
    // targetPort was in the client-side manifest and still has its value: no conflict for "kubectl".
    const applied = svc(
      { ports: [{ port: 80, targetPort: 9090 }], selector: { app: 'kubia' } },
      { annotations: {} },
    );
    const out = serverSideApply(live, applied, rt, opts('kubectl')) as Service;
    assert.equal(out.spec?.ports?.[0]?.targetPort, 9090);
    // The annotation follows the applied configuration.
    const ann = JSON.parse(out.metadata.annotations?.[lastApplied] ?? '{}') as Service;
    assert.equal(ann.spec?.ports?.[0]?.targetPort, 9090);
    // Another manager name gets the conflict.
    conflict(() => serverSideApply(live, applied, rt, opts('someone-else')));
  });

  it('fields dropped from the configuration are removed unless someone else owns them', () => {
    const v1 = svc(
      { ports: [{ port: 80 }, { port: 443 }], selector: { app: 'a' } },
      { labels: { a: '1', b: '2' } },
    );
    let live = serverSideApply(undefined, v1, rt, opts('mgr', false, t0));
    // another manager co-owns label b by setting it to the same value
    live = serverSideApply(live, svc({}, { labels: { b: '2' } }), rt, opts('other', false, t0));
    const v2 = svc({ ports: [{ port: 80 }], selector: { app: 'a' } }, { labels: { a: '1' } });
    const out = serverSideApply(live, v2, rt, opts('mgr')) as Service;
    assert.deepEqual(out.metadata.labels, { a: '1', b: '2' }, 'b is still owned by other');
    assert.deepEqual(out.spec?.ports, [{ port: 80 }], 'port 443 is gone');
    const v3 = svc({ selector: { app: 'a' } });
    const out3 = serverSideApply(out, v3, rt, opts('mgr')) as Service;
    assert.equal(out3.spec?.ports, undefined, 'the emptied list goes too');
    assert.deepEqual(out3.metadata.labels, { b: '2' });
  });

  it('merges list maps by key: configuration order first, live-only items after their predecessors', () => {
    let live = serverSideApply(
      undefined,
      svc({
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 81 },
        ],
      }),
      rt,
      opts('one', false, t0),
    );
    live = serverSideApply(
      live,
      svc({
        ports: [
          { name: 'c', port: 82 },
          { name: 'a', port: 80 },
        ],
      }),
      rt,
      opts('two'),
    );
    assert.deepEqual(
      (live as Service).spec?.ports?.map((p) => p.name),
      ['c', 'a', 'b'],
    );
  });

  it('same port number with two protocols are two items', () => {
    const out = serverSideApply(
      undefined,
      svc({
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
      }),
      rt,
      opts('m'),
    );
    const f = fields(out, 'm') as Record<string, Record<string, Record<string, unknown>>>;
    assert.deepEqual(Object.keys(f['f:spec']?.['f:ports'] ?? {}), [
      'k:{"port":53,"protocol":"TCP"}',
      'k:{"port":53,"protocol":"UDP"}',
    ]);
  });

  const rejects: { name: string; applied: unknown; message: RegExp }[] = [
    {
      name: 'a wrong apiVersion',
      applied: { apiVersion: 'v2', kind: 'Service', metadata: { name: 'x' } },
      message:
        /Incorrect version specified in apply patch. Specified patch version: v2, expected: v1/,
    },
    {
      name: 'managedFields in the configuration',
      applied: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x', managedFields: [] } },
      message: /metadata.managedFields must be nil/,
    },
    {
      name: 'an undeclared field',
      applied: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { portz: 1 } },
      message:
        /failed to create typed patch object \(\/x; v1, Kind=Service\): \.spec\.portz: field not declared in schema/,
    },
    {
      name: 'duplicate list-map keys',
      applied: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'x' },
        spec: { ports: [{ port: 80 }, { port: 80 }] },
      },
      message: /duplicate entries for key/,
    },
  ];
  for (const r of rejects) {
    it(`rejects ${r.name} with 400`, () => {
      assert.throws(
        () => serverSideApply(undefined, r.applied as KubeObject, rt, opts('m')),
        (e: unknown) =>
          isApiError(e) && e.httpStatus === 400 && r.message.test(e.status.message ?? ''),
      );
    });
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isApiError } from '../../api/meta/status.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { Service } from '../../api/types/core.js';
import { resources } from '../../api/scheme.js';
import { applyPatch, patchKindOf } from './patch.js';

const svc = (): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubia', labels: { app: 'kubia', 'a/b': 'x' } },
    spec: {
      ports: [{ port: 80, targetPort: 8080 }],
      selector: { app: 'kubia' },
      type: 'ClusterIP',
    },
  }) as KubeObject;

function rejects(fn: () => unknown, code: number, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isApiError(e), String(e));
    assert.equal(e.httpStatus, code);
    const text = `${e.status.message ?? ''} ${JSON.stringify(e.status.details ?? {})}`;
    if (message) assert.match(text, message);
    return true;
  });
}

describe('JSON patch (RFC 6902)', () => {
  const cases: { name: string; patch: unknown; want: (o: Service) => void }[] = [
    {
      name: 'add a member and append to a list with -',
      patch: [
        { op: 'add', path: '/spec/sessionAffinity', value: 'ClientIP' },
        { op: 'add', path: '/spec/ports/-', value: { port: 443 } },
      ],
      want: (o) => {
        assert.equal(o.spec?.sessionAffinity, 'ClientIP');
        assert.deepEqual(o.spec?.ports?.[1], { port: 443 });
      },
    },
    {
      name: 'insert at an index, escaped keys (~1 is /)',
      patch: [
        { op: 'add', path: '/spec/ports/0', value: { port: 1 } },
        { op: 'replace', path: '/metadata/labels/a~1b', value: 'y' },
      ],
      want: (o) => {
        assert.deepEqual(
          o.spec?.ports?.map((p) => p.port),
          [1, 80],
        );
        assert.equal(o.metadata.labels?.['a/b'], 'y');
      },
    },
    {
      name: 'remove, move, copy and a passing test',
      patch: [
        { op: 'test', path: '/spec/type', value: 'ClusterIP' },
        { op: 'copy', from: '/spec/selector', path: '/metadata/annotations' },
        { op: 'move', from: '/metadata/labels/app', path: '/metadata/labels/moved' },
        { op: 'remove', path: '/spec/ports/0/targetPort' },
        { op: 'test', path: '/spec/missing', value: null },
      ],
      want: (o) => {
        assert.deepEqual(o.metadata.annotations, { app: 'kubia' });
        assert.deepEqual(o.metadata.labels, { 'a/b': 'x', moved: 'kubia' });
        assert.deepEqual(o.spec?.ports, [{ port: 80 }]);
      },
    },
    {
      name: 'negative indices count from the end',
      patch: [{ op: 'replace', path: '/spec/ports/-1/port', value: 81 }],
      want: (o) => assert.equal(o.spec?.ports?.[0]?.port, 81),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const cur = svc();
      const out = applyPatch('json', cur, c.patch, resources.services);
      c.want(out);
      assert.deepEqual(cur, svc(), 'the current object is not modified');
    });
  }

  const failures: { name: string; patch: unknown; code: number; message: RegExp }[] = [
    {
      name: 'a failed test is 422 and says which path',
      patch: [{ op: 'test', path: '/spec/type', value: 'NodePort' }],
      code: 422,
      message:
        /rejected our request due to an error in our request.*testing value \/spec\/type failed: test failed/,
    },
    {
      name: 'removing a missing key',
      patch: [{ op: 'remove', path: '/spec/nothing' }],
      code: 422,
      message: /Unable to remove nonexistent key: nothing: missing value/,
    },
    {
      name: 'adding under a missing parent',
      patch: [{ op: 'add', path: '/status/loadBalancer/ingress', value: [] }],
      code: 422,
      message:
        /add operation does not apply: doc is missing path: \\"\/status\/loadBalancer\/ingress\\"/,
    },
    {
      name: 'replacing a missing key',
      patch: [{ op: 'replace', path: '/spec/clusterIP', value: 'x' }],
      code: 422,
      message: /replace operation does not apply: doc is missing key: \/spec\/clusterIP/,
    },
    {
      name: 'an index past the end',
      patch: [{ op: 'add', path: '/spec/ports/5', value: {} }],
      code: 422,
      message: /Unable to access invalid index: 5/,
    },
    {
      name: 'an unknown operation',
      patch: [{ op: 'frobnicate', path: '/spec' }],
      code: 422,
      message: /Unexpected kind: frobnicate/,
    },
    {
      name: 'a patch that is an object, not a list',
      patch: { op: 'add' },
      code: 400,
      message: /cannot unmarshal object into Go value of type jsonpatch.Patch/,
    },
    {
      name: 'more than 10000 operations',
      patch: Array.from({ length: 10001 }, () => ({ op: 'test', path: '/kind', value: 'Service' })),
      code: 413,
      message: /maximum operations in a JSON patch is 10000, got 10001/,
    },
  ];
  for (const f of failures) {
    it(`rejects: ${f.name}`, () =>
      rejects(() => applyPatch('json', svc(), f.patch, resources.services), f.code, f.message));
  }
});

describe('JSON merge patch (RFC 7386)', () => {
  it('merges objects, replaces lists, null removes, nulls in new objects vanish', () => {
    const out = applyPatch(
      'merge',
      svc(),
      {
        metadata: { labels: { app: null, env: 'prod' }, annotations: { a: 'b', c: null } },
        spec: { ports: [{ port: 81 }] },
      },
      resources.services,
    ) as Service;
    assert.deepEqual(out.metadata, {
      name: 'kubia',
      labels: { 'a/b': 'x', env: 'prod' },
      annotations: { a: 'b' },
    });
    assert.deepEqual(out.spec?.ports, [{ port: 81 }]);
  });

  it('kubectl scale and label bodies', () => {
    const rc: KubeObject & { spec: unknown } = {
      metadata: { name: 'kubia' },
      spec: { replicas: 3 },
    };
    const out = applyPatch(
      'merge',
      rc,
      { spec: { replicas: 5 } },
      resources.replicationcontrollers,
    );
    assert.deepEqual(out, { metadata: { name: 'kubia' }, spec: { replicas: 5 } });
  });

  it('rejects a patch that is not an object', () => {
    rejects(() => applyPatch('merge', svc(), [1], resources.services), 400, /Invalid JSON Patch/);
  });
});

describe('patchKindOf', () => {
  it('maps the patch media types', () => {
    assert.equal(patchKindOf('application/json-patch+json'), 'json');
    assert.equal(patchKindOf('application/merge-patch+json; charset=utf-8'), 'merge');
    assert.equal(patchKindOf('application/strategic-merge-patch+json'), 'strategic');
    assert.equal(patchKindOf('application/apply-patch+yaml'), 'apply');
    rejects(() => patchKindOf('application/json'), 415);
  });
});

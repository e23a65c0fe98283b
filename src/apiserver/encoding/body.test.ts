import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isApiError } from '../../api/meta/status.js';
import type { KubeObject } from '../../api/meta/types.js';
import { resources } from '../../api/scheme.js';
import { applyObjectBody, decodeObjectBody, fieldValidationOf, patchObjectBody } from './body.js';

const rt = resources.services;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const svcBody = (spec: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'kubia' },
  spec,
});
const live = (): KubeObject => ({
  ...svcBody({ ports: [{ port: 80 }] }),
  metadata: { name: 'kubia', namespace: 'default' },
});

function fails(fn: () => unknown, code: number, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isApiError(e), String(e));
    assert.equal(e.httpStatus, code);
    if (typeof message === 'string') assert.equal(e.status.message, message);
    else assert.match(e.status.message ?? '', message);
    return true;
  });
}

describe('decodeObjectBody', () => {
  it('Strict rejects unknown fields in kube\'s words (kubectl prints it after "error when creating")', () => {
    fails(
      () =>
        decodeObjectBody(json(svcBody({ portz: [{ port: 80 }] })), 'application/json', rt, {
          fieldValidation: 'Strict',
        }),
      400,
      'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.portz"',
    );
  });

  it('Strict rejects duplicate fields too', () => {
    const text = '{"apiVersion":"v1","kind":"Service","metadata":{"name":"a","name":"b"}}';
    fails(
      () =>
        decodeObjectBody(Buffer.from(text), 'application/json', rt, { fieldValidation: 'Strict' }),
      400,
      'Service in version "v1" cannot be handled as a Service: strict decoding error: duplicate field "metadata.name"',
    );
  });

  it('Warn drops unknown fields and returns a warning for each', () => {
    const r = decodeObjectBody(
      json(svcBody({ portz: 1, ports: [{ port: 80, bogus: 1 }] })),
      undefined,
      rt,
      { fieldValidation: 'Warn' },
    );
    assert.deepEqual(r.warnings, [
      'unknown field "spec.portz"',
      'unknown field "spec.ports[0].bogus"',
    ]);
    assert.deepEqual((r.object as unknown as { spec: unknown }).spec, { ports: [{ port: 80 }] });
  });

  it('Ignore drops them silently', () => {
    const r = decodeObjectBody(json(svcBody({ portz: 1 })), undefined, rt, {
      fieldValidation: 'Ignore',
    });
    assert.deepEqual(r.warnings, []);
    assert.deepEqual((r.object as unknown as { spec: unknown }).spec, {});
  });

  it('rejects wrong types whatever the mode', () => {
    fails(
      () =>
        decodeObjectBody(json(svcBody({ ports: [{ port: '80' }] })), undefined, rt, {
          fieldValidation: 'Ignore',
        }),
      400,
      'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32',
    );
  });

  it('checks apiVersion and kind against the resource, and fills them when absent', () => {
    fails(
      () =>
        decodeObjectBody(json({ apiVersion: 'apps/v1', kind: 'Service' }), undefined, rt, {
          fieldValidation: 'Strict',
        }),
      400,
      /the API version in the data \(apps\/v1\) does not match the expected API version \(v1\)/,
    );
    fails(
      () =>
        decodeObjectBody(json({ apiVersion: 'v1', kind: 'Pod' }), undefined, rt, {
          fieldValidation: 'Strict',
        }),
      400,
      /the kind in the data \(Pod\)/,
    );
    const r = decodeObjectBody(json({ spec: {} }), undefined, rt, { fieldValidation: 'Strict' });
    assert.deepEqual(r.object, { spec: {}, apiVersion: 'v1', kind: 'Service', metadata: {} });
  });
});

describe('fieldValidationOf', () => {
  it('defaults to Warn and rejects unknown values with 422', () => {
    assert.equal(fieldValidationOf(new URLSearchParams('')), 'Warn');
    assert.equal(fieldValidationOf(new URLSearchParams('fieldValidation=Strict')), 'Strict');
    fails(
      () => fieldValidationOf(new URLSearchParams('fieldValidation=strict')),
      422,
      /fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"/,
    );
  });
});

describe('patchObjectBody', () => {
  it('Strict strategic merge patch with an unknown field is 422, quoting the patch as Go prints it', () => {
    fails(
      () =>
        patchObjectBody(
          live(),
          json({ spec: { portz: 1 } }),
          'application/strategic-merge-patch+json',
          rt,
          { fieldValidation: 'Strict' },
        ),
      422,
      ' "" is invalid: patch: Invalid value: "map[spec:map[portz:1]]": strict decoding error: unknown field "spec.portz"',
    );
  });

  it('Warn merge patch keeps the known part and warns', () => {
    const r = patchObjectBody(
      live(),
      json({ metadata: { labels: { a: 'b' } }, spec: { portz: 1 } }),
      'application/merge-patch+json',
      rt,
      { fieldValidation: 'Warn' },
    );
    assert.deepEqual(r.warnings, ['unknown field "spec.portz"']);
    assert.deepEqual(r.object.metadata.labels, { a: 'b' });
  });

  it('a JSON patch whose result has a wrong type is 422', () => {
    fails(
      () =>
        patchObjectBody(
          live(),
          json([{ op: 'replace', path: '/spec/ports/0/port', value: 'x' }]),
          'application/json-patch+json',
          rt,
          { fieldValidation: 'Ignore' },
        ),
      422,
      /patch: Invalid value: .*json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32/,
    );
  });
});

describe('applyObjectBody', () => {
  it('applies, and under Strict rejects duplicate fields', () => {
    const opts = { manager: 'kubectl', force: false, now: '2026-01-01T00:00:00Z' };
    const r = applyObjectBody(
      undefined,
      json(svcBody({ type: 'NodePort' })),
      'application/apply-patch+yaml',
      rt,
      { ...opts, fieldValidation: 'Strict' },
    );
    assert.equal(r.object.metadata.managedFields?.[0]?.operation, 'Apply');
    const dup = Buffer.from(
      '{"apiVersion":"v1","kind":"Service","metadata":{"name":"a"},"spec":{"type":"NodePort","type":"ClusterIP"}}',
    );
    fails(
      () =>
        applyObjectBody(undefined, dup, 'application/apply-patch+yaml', rt, {
          ...opts,
          fieldValidation: 'Strict',
        }),
      400,
      /error strict decoding YAML: duplicate field "spec.type"/,
    );
    const warned = applyObjectBody(undefined, dup, 'application/apply-patch+yaml', rt, {
      ...opts,
      fieldValidation: 'Warn',
    });
    assert.deepEqual(warned.warnings, ['duplicate field "spec.type"']);
    fails(
      () =>
        applyObjectBody(
          undefined,
          json(svcBody({ ports: [{ port: 'x' }] })),
          'application/apply-patch+yaml',
          rt,
          { ...opts, fieldValidation: 'Ignore' },
        ),
      400,
      /failed to create typed patch object/,
    );
  });
});

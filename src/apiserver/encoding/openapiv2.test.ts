import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openapiV2Document, openapiV2ETag, openapiV2Protobuf } from './openapiv2.js';
import { readFields } from './protobuf.js';

describe('OpenAPI v2', () => {
  it('describes every type with Swagger references and marks the kinds', () => {
    const doc = openapiV2Document();
    assert.equal(doc['swagger'], '2.0');
    const defs = doc['definitions'] as Record<string, Record<string, unknown>>;
    const svc = defs['io.k8s.api.core.v1.Service'];
    assert.deepEqual(svc?.['x-kubernetes-group-version-kind'], [
      { group: '', kind: 'Service', version: 'v1' },
    ]);
    const spec = defs['io.k8s.api.core.v1.ServiceSpec']?.['properties'] as Record<
      string,
      Record<string, unknown>
    >;
    assert.deepEqual(spec['ports']?.['items'], {
      $ref: '#/definitions/io.k8s.api.core.v1.ServicePort',
    });
    assert.equal(spec['ports']?.['x-kubernetes-patch-merge-key'], 'port');
    const port = defs['io.k8s.api.core.v1.ServicePort']?.['properties'] as Record<string, unknown>;
    assert.deepEqual(port['targetPort'], {
      type: 'string',
      format: 'int-or-string',
      description: 'Port number or named container port on the pods; defaults to port.',
    });
  });

  it('encodes gnostic protobuf: Document{1 swagger, 9 definitions{NamedSchema}} with YAML vendor extensions', () => {
    const pb = openapiV2Protobuf();
    const top = readFields(pb);
    assert.equal(top.find((f) => f.num === 1)?.bytes.toString(), '2.0');
    const defs = readFields(top.find((f) => f.num === 9)?.bytes ?? Buffer.alloc(0));
    const named = defs.map((d) => readFields(d.bytes));
    const svc = named.find(
      (n) => n.find((f) => f.num === 1)?.bytes.toString() === 'io.k8s.api.core.v1.Service',
    );
    assert.ok(svc, 'Service definition');
    const schema = readFields(svc.find((f) => f.num === 2)?.bytes ?? Buffer.alloc(0));
    const ext = schema.filter((f) => f.num === 31).map((f) => readFields(f.bytes));
    const gvk = ext.find(
      (e) => e.find((f) => f.num === 1)?.bytes.toString() === 'x-kubernetes-group-version-kind',
    );
    const yaml = readFields(gvk?.find((f) => f.num === 2)?.bytes ?? Buffer.alloc(0)).find(
      (f) => f.num === 2,
    );
    assert.deepEqual(JSON.parse(yaml?.bytes.toString() ?? 'null'), [
      { group: '', kind: 'Service', version: 'v1' },
    ]);
    assert.match(openapiV2ETag(), /^"[0-9A-F]{64}"$/);
  });
});

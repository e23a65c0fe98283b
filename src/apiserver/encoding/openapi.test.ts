/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access -- walking arbitrary JSON documents */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allResources } from '../../api/scheme.js';
import { openapiV3Document, openapiV3Hash, openapiV3Index } from './openapi.js';

type Json = Record<string, any>;

function refs(v: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(v)) v.forEach((x) => refs(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') out.add(x);
      else refs(x, out);
    }
  }
  return out;
}

describe('OpenAPI v3', () => {
  it('indexes every group-version with a hash that identifies its document', () => {
    const index = openapiV3Index();
    assert.deepEqual(Object.keys(index.paths).sort(), [
      'api/v1',
      'apis/apps/v1',
      'apis/coordination.k8s.io/v1',
      'apis/discovery.k8s.io/v1',
      'apis/extensions/v1beta1',
      'apis/networking.k8s.io/v1',
    ]);
    const url = index.paths['api/v1']?.serverRelativeURL ?? '';
    assert.match(url, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
    assert.deepEqual(openapiV3Index(), index, 'stable');
    assert.notEqual(openapiV3Hash('api/v1'), openapiV3Hash('apis/apps/v1'));
    assert.equal(openapiV3Document('apis/nothing/v1'), undefined);
  });

  it('every resource has a PATCH operation with its GVK and the fieldValidation parameter', () => {
    for (const rt of allResources) {
      const key = rt.group === '' ? `api/${rt.version}` : `apis/${rt.group}/${rt.version}`;
      const doc = openapiV3Document(key) as Json;
      const ops = Object.values(doc['paths'] as Json)
        .map((p: Json) => p['patch'] as Json | undefined)
        .filter((op): op is Json => op?.['x-kubernetes-group-version-kind']?.kind === rt.kind);
      assert.ok(ops.length > 0, `patch operation for ${rt.kind} in ${key}`);
      for (const op of ops) {
        assert.ok(
          (op['parameters'] as Json[]).some(
            (p) => p['name'] === 'fieldValidation' && p['in'] === 'query',
          ),
          `${op['operationId']} takes fieldValidation`,
        );
      }
    }
  });

  it('documents refer only to schemas they contain', () => {
    for (const key of Object.keys(openapiV3Index().paths)) {
      const doc = openapiV3Document(key) as Json;
      const schemas = doc['components'].schemas as Json;
      for (const r of refs(doc, new Set())) {
        assert.ok(schemas[r.replace('#/components/schemas/', '')], `${key}: ${r}`);
      }
    }
  });

  it('carries patch strategies, list types and kinds for kubectl', () => {
    const doc = openapiV3Document('api/v1') as Json;
    const schemas = doc['components'].schemas as Json;
    const ports = schemas['io.k8s.api.core.v1.ServiceSpec'].properties.ports as Json;
    assert.equal(ports['x-kubernetes-patch-merge-key'], 'port');
    assert.equal(ports['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(ports['x-kubernetes-list-type'], 'map');
    assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['port', 'protocol']);
    assert.deepEqual(ports['items'].allOf, [
      { $ref: '#/components/schemas/io.k8s.api.core.v1.ServicePort' },
    ]);
    assert.deepEqual(schemas['io.k8s.api.core.v1.ServicePort'].required, ['port']);
    assert.deepEqual(schemas['io.k8s.api.core.v1.Service']['x-kubernetes-group-version-kind'], [
      { group: '', kind: 'Service', version: 'v1' },
    ]);
    const volumes = schemas['io.k8s.api.core.v1.PodSpec'].properties.volumes as Json;
    assert.equal(volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys');
    const legacy = openapiV3Document('apis/extensions/v1beta1') as Json;
    assert.ok(
      legacy['components'].schemas['io.k8s.api.extensions.v1beta1.IngressBackend'].properties
        .serviceName,
    );
  });
});

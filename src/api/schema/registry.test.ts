import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allResources } from '../scheme.js';
import { descriptions } from './docs.js';
import type { Field, Schema } from './dsl.js';
import { parseField, SchemaError } from './dsl.js';
import { kindSchema, packageOf, schemaRegistry } from './registry.js';

function field(typeName: string, name: string): Field {
  const f = schemaRegistry().type(typeName).fields.get(name);
  assert.ok(f, `${typeName}.${name} exists`);
  return f;
}

function itemsOf(s: Schema): Schema {
  assert.equal(s.kind, 'list');
  return s.items;
}

describe('schema registry', () => {
  it('every object reference resolves to a defined type', () => {
    const reg = schemaRegistry();
    const visit = (s: Schema, where: string): void => {
      if (s.kind === 'object') assert.ok(reg.find(s.type), `${where} refers to ${s.type}`);
      else if (s.kind === 'list') visit(s.items, where);
      else if (s.kind === 'map') visit(s.values, where);
    };
    for (const t of reg.all())
      for (const f of t.fields.values()) visit(f.schema, `${t.name}.${f.name}`);
  });

  it('every served resource has a root type with apiVersion, kind and metadata', () => {
    for (const rt of allResources) {
      const t = kindSchema(rt);
      assert.ok(t, `schema for ${rt.group}/${rt.version} ${rt.kind}`);
      for (const f of ['apiVersion', 'kind', 'metadata'])
        assert.ok(t.fields.has(f), `${t.name}.${f}`);
    }
  });

  it('list-map keys and merge keys name fields of the item type', () => {
    const reg = schemaRegistry();
    for (const t of reg.all()) {
      for (const f of t.fields.values()) {
        if (f.schema.kind !== 'list') continue;
        const items = f.schema.items;
        const keys = [...f.schema.keys, ...(f.patchMergeKey ? [f.patchMergeKey] : [])];
        for (const k of keys) {
          assert.equal(items.kind, 'object', `${t.name}.${f.name}: keyed list of objects`);
          if (items.kind === 'object') {
            assert.ok(reg.type(items.type).fields.has(k), `${t.name}.${f.name}: key ${k}`);
          }
        }
      }
    }
  });

  it('protobuf numbers are unique within each message', () => {
    for (const t of schemaRegistry().all()) {
      const seen = new Set<number>();
      const own = [...t.protoFields.keys(), ...t.protoInline.keys()];
      for (const n of own) {
        assert.ok(!seen.has(n), `${t.name}: protobuf field ${n} twice`);
        seen.add(n);
      }
    }
  });

  it('every description names an existing type or field', () => {
    const reg = schemaRegistry();
    for (const key of Object.keys(descriptions)) {
      if (reg.find(key)) continue;
      const dot = key.lastIndexOf('.');
      const t = reg.find(key.slice(0, dot));
      assert.ok(t?.fields.has(key.slice(dot + 1)), `description key ${key}`);
    }
  });

  const semantics: {
    name: string;
    type: string;
    field: string;
    merge?: string;
    strategy?: string[];
    listType?: string;
    keys?: string[];
  }[] = [
    {
      name: 'service ports merge by port (SMP) and are keyed by port+protocol (SSA)',
      type: 'core.v1.ServiceSpec',
      field: 'ports',
      merge: 'port',
      strategy: ['merge'],
      listType: 'map',
      keys: ['port', 'protocol'],
    },
    {
      name: 'containers merge by name',
      type: 'core.v1.PodSpec',
      field: 'containers',
      merge: 'name',
      listType: 'map',
      keys: ['name'],
    },
    {
      name: 'volumes merge by name and retain keys',
      type: 'core.v1.PodSpec',
      field: 'volumes',
      merge: 'name',
      strategy: ['merge', 'retainKeys'],
    },
    { name: 'env merges by name', type: 'core.v1.Container', field: 'env', merge: 'name' },
    {
      name: 'container ports merge by containerPort',
      type: 'core.v1.Container',
      field: 'ports',
      merge: 'containerPort',
      keys: ['containerPort', 'protocol'],
    },
    {
      name: 'volume mounts merge by mountPath',
      type: 'core.v1.Container',
      field: 'volumeMounts',
      merge: 'mountPath',
    },
    {
      name: 'pod conditions merge by type',
      type: 'core.v1.PodStatus',
      field: 'conditions',
      merge: 'type',
    },
    {
      name: 'node addresses merge by type',
      type: 'core.v1.NodeStatus',
      field: 'addresses',
      merge: 'type',
    },
    {
      name: 'endpoints subsets are atomic',
      type: 'core.v1.Endpoints',
      field: 'subsets',
      strategy: [],
      listType: 'atomic',
    },
    {
      name: 'finalizers are a set merged as primitives',
      type: 'meta.v1.ObjectMeta',
      field: 'finalizers',
      strategy: ['merge'],
      listType: 'set',
    },
  ];
  for (const c of semantics) {
    it(c.name, () => {
      const f = field(c.type, c.field);
      if (c.merge !== undefined) assert.equal(f.patchMergeKey, c.merge);
      if (c.strategy) assert.deepEqual(f.patchStrategy, c.strategy);
      assert.equal(f.schema.kind, 'list');
      if (f.schema.kind === 'list') {
        if (c.listType) assert.equal(f.schema.listType, c.listType);
        if (c.keys) assert.deepEqual(f.schema.keys, c.keys);
      }
    });
  }

  it('knows int-or-string, quantities, maps and protobuf numbers', () => {
    assert.deepEqual(field('core.v1.ServicePort', 'targetPort').schema, {
      kind: 'scalar',
      type: 'intstr',
    });
    assert.equal(field('core.v1.ServicePort', 'port').proto, 3);
    assert.equal(field('core.v1.ServicePort', 'protocol').default, 'TCP');
    const limits = field('core.v1.ResourceRequirements', 'limits').schema;
    assert.equal(limits.kind, 'map');
    if (limits.kind === 'map')
      assert.deepEqual(limits.values, { kind: 'scalar', type: 'quantity' });
    assert.equal(field('core.v1.Secret', 'data').schema.kind, 'map');
    assert.equal(itemsOf(field('core.v1.EndpointSubset', 'addresses').schema).kind, 'object');
  });

  it('flattens inline types into their hosts and keeps their protobuf message apart', () => {
    const vol = schemaRegistry().type('core.v1.Volume');
    assert.ok(vol.fields.has('name'));
    assert.ok(vol.fields.has('emptyDir'), 'VolumeSource fields are Volume fields in JSON');
    assert.equal(vol.protoInline.get(2), 'core.v1.VolumeSource');
    const rule = schemaRegistry().type('networking.v1.IngressRule');
    assert.ok(rule.fields.has('http'), 'http sits directly on the rule in JSON');
  });

  it('describes the legacy extensions/v1beta1 Ingress backend', () => {
    const b = schemaRegistry().type('extensions.v1beta1.IngressBackend');
    assert.deepEqual([...b.fields.keys()].sort(), ['resource', 'serviceName', 'servicePort']);
    assert.equal(b.fields.get('servicePort')?.schema.kind, 'scalar');
  });

  it('maps group-versions to packages', () => {
    assert.equal(packageOf('', 'v1'), 'core.v1');
    assert.equal(packageOf('networking.k8s.io', 'v1'), 'networking.v1');
    assert.equal(packageOf('extensions', 'v1beta1'), 'extensions.v1beta1');
  });

  it('rejects malformed field strings', () => {
    assert.throws(() => parseField('x', 'string', 'core.v1', false), SchemaError);
    assert.throws(() => parseField('x', 'string 1 bogus', 'core.v1', false), SchemaError);
    assert.throws(() => parseField('x', 'string 1 map=a', 'core.v1', false), SchemaError);
  });
});

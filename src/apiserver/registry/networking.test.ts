// Address plan: none (Ingress hosts are names; 10.0.0.1 stands for "an IP used as a host").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultClusterConfig } from '../../api/cluster.js';
import { isApiError } from '../../api/meta/status.js';
import { resources } from '../../api/scheme.js';
import type { Secret } from '../../api/types/core.js';
import type { HTTPIngressPath, Ingress, IngressClass } from '../../api/types/networking.js';
import { buildStrategies } from './strategies.js';
import { TestPipeline } from './testpipeline.js';

const ing = resources.ingresses;
const classes = resources.ingressclasses;

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

const backend = { service: { name: 'test-backend', port: { number: 8080 } } };

function ingress(
  name: string,
  spec: NonNullable<Ingress['spec']>,
  annotations?: Record<string, string>,
): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec,
  };
}

function withPath(path: Partial<HTTPIngressPath>, host?: string): NonNullable<Ingress['spec']> {
  return {
    rules: [{ ...(host !== undefined ? { host } : {}), http: { paths: [{ backend, ...path }] } }],
  };
}

function ingressClass(name: string, isDefault: boolean): IngressClass {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: {
      name,
      ...(isDefault
        ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } }
        : {}),
    },
    spec: { controller: 'example.com/controller' },
  };
}

test('ING-36: Ingress path validation', async () => {
  const p = new TestPipeline(buildStrategies(defaultClusterConfig));
  const base = 'spec.rules[0].http.paths[0]';
  const cases: { name: string; path: Partial<HTTPIngressPath>; want: Cause[] }[] = [
    {
      name: 'nopathtype',
      path: { path: '/' },
      want: [
        {
          reason: 'FieldValueRequired',
          field: `${base}.pathType`,
          message: 'Required value: pathType must be specified',
        },
      ],
    },
    {
      name: 'relative',
      path: { path: 'foo', pathType: 'Prefix' },
      want: [
        {
          reason: 'FieldValueInvalid',
          field: `${base}.path`,
          message: 'Invalid value: "foo": must be an absolute path',
        },
      ],
    },
    {
      name: 'relative-exact',
      path: { path: 'foo', pathType: 'Exact' },
      want: [
        {
          reason: 'FieldValueInvalid',
          field: `${base}.path`,
          message: 'Invalid value: "foo": must be an absolute path',
        },
      ],
    },
    {
      name: 'other',
      path: { path: '/', pathType: 'Other' as 'Exact' },
      want: [
        {
          reason: 'FieldValueNotSupported',
          field: `${base}.pathType`,
          message:
            'Unsupported value: "Other": supported values: "Exact", "ImplementationSpecific", "Prefix"',
        },
      ],
    },
    {
      name: 'dotdot-end',
      path: { path: '/foo/..', pathType: 'Prefix' },
      want: [
        {
          reason: 'FieldValueInvalid',
          field: `${base}.path`,
          message: 'Invalid value: "/foo/..": cannot end with \'/..\'',
        },
      ],
    },
    {
      name: 'dot-end',
      path: { path: '/foo/.', pathType: 'Exact' },
      want: [
        {
          reason: 'FieldValueInvalid',
          field: `${base}.path`,
          message: 'Invalid value: "/foo/.": cannot end with \'/.\'',
        },
      ],
    },
  ];
  for (const seq of ['//', '/./', '/../', '%2f', '%2F']) {
    cases.push({
      name: `seq ${seq}`,
      path: { path: `/a${seq}b`, pathType: 'Prefix' },
      want: [
        {
          reason: 'FieldValueInvalid',
          field: `${base}.path`,
          message: `Invalid value: "/a${seq}b": must not contain '${seq}'`,
        },
      ],
    });
  }
  for (const c of cases) {
    assert.deepEqual(
      await causesOf(() => p.create(ing, ingress('i', withPath(c.path)))),
      c.want,
      c.name,
    );
  }
  assert.deepEqual(
    await causesOf(() => p.create(ing, ingress('i', { rules: [{ http: { paths: [] } }] }))),
    [
      {
        reason: 'FieldValueRequired',
        field: 'spec.rules[0].http.paths',
        message: 'Required value',
      },
    ],
  );
  await p.create(ing, ingress('impl', withPath({ pathType: 'ImplementationSpecific' })));
  await p.create(ing, ingress('prefix', withPath({ path: '/', pathType: 'Prefix' })));
});

test('ING-37: Ingress host validation', async () => {
  const p = new TestPipeline(buildStrategies(defaultClusterConfig));
  const spec = (host: string): NonNullable<Ingress['spec']> =>
    withPath({ path: '/', pathType: 'Prefix' }, host);
  assert.deepEqual(await causesOf(() => p.create(ing, ingress('ip', spec('10.0.0.1')))), [
    {
      reason: 'FieldValueInvalid',
      field: 'spec.rules[0].host',
      message: 'Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
    },
  ]);
  for (const host of ['Foo.com', 'foo_bar.com']) {
    const causes = await causesOf(() => p.create(ing, ingress('sub', spec(host))));
    assert.equal(causes.length, 1, host);
    assert.match(causes[0]?.message ?? '', /a lowercase RFC 1123 subdomain must consist of/);
  }
  for (const host of ['*.*.foo.com', 'foo.*.com', '*foo.com']) {
    const causes = await causesOf(() => p.create(ing, ingress('wild', spec(host))));
    assert.match(
      causes[0]?.message ?? '',
      /^Invalid value: ".*": a wildcard DNS-1123 subdomain must start with '\*\.', followed by a valid DNS subdomain/,
      host,
    );
  }
  await p.create(ing, ingress('wildcard', spec('*.foo.com')));
});

test('Ingress needs rules or a default backend, and complete backends', async () => {
  const p = new TestPipeline(buildStrategies(defaultClusterConfig));
  assert.deepEqual(await causesOf(() => p.create(ing, ingress('empty', {}))), [
    {
      reason: 'FieldValueInvalid',
      field: 'spec',
      message:
        'Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified',
    },
  ]);
  assert.deepEqual(
    await causesOf(() =>
      p.create(ing, ingress('noport', { defaultBackend: { service: { name: 'x' } } })),
    ),
    [
      {
        reason: 'FieldValueRequired',
        field: 'spec.defaultBackend',
        message: 'Required value: port name or number is required',
      },
    ],
  );
  assert.deepEqual(
    await causesOf(() =>
      p.create(
        ing,
        ingress(
          'mismatch',
          { ingressClassName: 'a', defaultBackend: backend },
          { 'kubernetes.io/ingress.class': 'b' },
        ),
      ),
    ),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'annotations.kubernetes.io/ingress.class',
        message: 'Invalid value: "b": must match `ingressClassName` when both are specified',
      },
    ],
  );
  const created = await p.create(ing, ingress('ok', { defaultBackend: backend }));
  assert.equal(created.metadata.generation, 1);
  assert.deepEqual(created.status, { loadBalancer: {} });
  const updated = await p.update<Ingress>(
    ing,
    (cur) => ({
      ...cur,
      spec: { ...cur.spec, defaultBackend: { service: { name: 'other', port: { number: 80 } } } },
    }),
    { namespace: 'default', name: 'ok' },
  );
  assert.equal(updated.metadata.generation, 2);
});

test('ING-32/33: the default IngressClass is applied at admission, and only then', async () => {
  const p = new TestPipeline(buildStrategies(defaultClusterConfig));
  await p.create(classes, ingressClass('plain', false));
  const none = await p.create(ing, ingress('ingress0', { defaultBackend: backend }));
  assert.equal(none.spec?.ingressClassName, undefined, 'no default class: stays empty');
  await p.create(classes, ingressClass('ingressclass1', true));
  const one = await p.create(ing, ingress('ingress1', { defaultBackend: backend }));
  assert.equal(one.spec?.ingressClassName, 'ingressclass1');
  const annotated = await p.create(
    ing,
    ingress('ingress2', { defaultBackend: backend }, { 'kubernetes.io/ingress.class': 'nginx' }),
  );
  assert.equal(
    annotated.spec?.ingressClassName,
    undefined,
    'the legacy annotation counts as a class',
  );
  await p.create(classes, ingressClass('ingressclass2', true));
  const newest = await p.create(ing, ingress('ingress3', { defaultBackend: backend }));
  assert.equal(
    newest.spec?.ingressClassName,
    'ingressclass2',
    'with two defaults, the newest wins',
  );
  const upd = await p.update<Ingress>(ing, (cur) => cur, {
    namespace: 'default',
    name: 'ingress0',
  });
  assert.equal(upd.spec?.ingressClassName, undefined, 'updates are not defaulted');
});

test('ING-35 and IngressClass rules: parameters scope, controller immutable', async () => {
  const p = new TestPipeline(buildStrategies(defaultClusterConfig));
  const withParams = ingressClass('ns-params', false);
  withParams.spec = {
    controller: 'example.com/controller',
    parameters: {
      scope: 'Namespace',
      namespace: 'foo-ns',
      kind: 'fookind',
      name: 'fooname',
      apiGroup: 'example.com',
    },
  };
  const created = await p.create(classes, withParams);
  assert.equal(created.spec?.parameters?.scope, 'Namespace');
  const cluster = ingressClass('cluster-params', false);
  cluster.spec = { controller: 'example.com/controller', parameters: { kind: 'k', name: 'n' } };
  assert.equal(
    (await p.create(classes, cluster)).spec?.parameters?.scope,
    'Cluster',
    'scope defaults to Cluster',
  );
  const noNs = ingressClass('no-ns', false);
  noNs.spec = {
    controller: 'example.com/c',
    parameters: { scope: 'Namespace', kind: 'k', name: 'n' },
  };
  assert.deepEqual(await causesOf(() => p.create(classes, noNs)), [
    {
      reason: 'FieldValueRequired',
      field: 'spec.parameters.namespace',
      message: "Required value: `parameters.scope` is set to 'Namespace'",
    },
  ]);
  const bad = ingressClass('bad', false);
  bad.spec = { controller: 'nodomain' };
  assert.deepEqual(await causesOf(() => p.create(classes, bad)), [
    {
      reason: 'FieldValueInvalid',
      field: 'spec.controller',
      message: 'Invalid value: "nodomain": must be a domain-prefixed path (such as "acme.io/foo")',
    },
  ]);
  assert.deepEqual(
    await causesOf(() =>
      p.update<IngressClass>(
        classes,
        (cur) => ({ ...cur, spec: { ...cur.spec, controller: 'example.com/other' } }),
        { name: 'ns-params' },
      ),
    ),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.controller',
        message: 'Invalid value: "example.com/other": field is immutable',
      },
    ],
  );
});

test('ING-38: TLS Secrets need tls.crt and tls.key; stringData lands in data', async () => {
  const p = new TestPipeline(buildStrategies(defaultClusterConfig));
  const sec = resources.secrets;
  const tls = (name: string, data: Record<string, string>): Secret => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'default' },
    type: 'kubernetes.io/tls',
    data,
  });
  assert.deepEqual(await causesOf(() => p.create(sec, tls('nokey', { 'tls.crt': 'Y2VydA==' }))), [
    { reason: 'FieldValueRequired', field: 'data[tls.key]', message: 'Required value' },
  ]);
  await p.create(sec, tls('tls-secret', { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5' }));
  const opaque = await p.create<Secret>(sec, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'o', namespace: 'default' },
    stringData: { password: 'hunter2' },
  });
  assert.equal(opaque.type, 'Opaque');
  assert.deepEqual(opaque.data, { password: Buffer.from('hunter2').toString('base64') });
  assert.equal(opaque.stringData, undefined);
  assert.deepEqual(
    await causesOf(() =>
      p.create(sec, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'k', namespace: 'default' },
        data: { 'bad/key': 'eA==' },
      }),
    ),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'data[bad/key]',
        message:
          "Invalid value: \"bad/key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      },
    ],
  );
  const big = Buffer.alloc(1024 * 1024 + 1).toString('base64');
  assert.deepEqual(
    await causesOf(() =>
      p.create(sec, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'big', namespace: 'default' },
        data: { big },
      }),
    ),
    [
      {
        reason: 'FieldValueTooLong',
        field: 'data',
        message: 'Too long: may not be more than 1048576 bytes',
      },
    ],
  );
  assert.deepEqual(
    await causesOf(() =>
      p.update<Secret>(sec, (cur) => ({ ...cur, type: 'Opaque' }), {
        namespace: 'default',
        name: 'tls-secret',
      }),
    ),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'type',
        message: 'Invalid value: "Opaque": field is immutable',
      },
    ],
  );
});

/**
 * Route semantics, case by case (conformance.md §14, ingress-controller-conformance features),
 * and the HAProxy map encoding checked against the reference matcher over many requests.
 *
 * Address plan: endpoints in 10.244.1.0/24 (pods), 2001:db8::/32 (documentation, IPv6).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Ingress } from '../api/types/networking.js';
import {
  backend,
  defaultAndRuleIngress,
  defaultBackendIngress,
  hostRulesIngress,
  ingress,
  path,
  pathRulesIngress,
  service,
  slice,
  sources,
} from './fixtures.js';
import { emulateLookup, routeMaps } from './haproxy/maps.js';
import { buildRoutes, matchRoute, normalizeHost, prefixMatches, wildcardOf } from './routes.js';
import type { RouteTable } from './types.js';

const be = (svc: string, port: number | string = 8080) => `default_${svc}_${port}`;

function table(...ingresses: Ingress[]): RouteTable {
  return buildRoutes(sources({ ingresses }));
}

interface Case {
  readonly id: string;
  readonly host: string | undefined;
  readonly path: string;
  /** Backend name, or undefined for 404. */
  readonly want: string | undefined;
}

function check(t: RouteTable, cases: readonly Case[]): void {
  const maps = routeMaps(t);
  for (const c of cases) {
    assert.equal(
      matchRoute(t, c.host, c.path),
      c.want,
      `${c.id}: ${c.host ?? '<no host>'} ${c.path}`,
    );
    assert.equal(
      emulateLookup(maps, c.host, c.path),
      c.want,
      `${c.id} (HAProxy maps): ${c.host ?? '<no host>'} ${c.path}`,
    );
  }
}

describe('routes: ingress-controller-conformance cases', () => {
  test('ING-01…06: the default backend receives every host and path', () => {
    check(table(defaultBackendIngress()), [
      { id: 'ING-01', host: 'my-host', path: '/', want: be('echo-service') },
      { id: 'ING-02', host: 'my-host', path: '/sub-path', want: be('echo-service') },
      { id: 'ING-03', host: 'some-host', path: '/', want: be('echo-service') },
      { id: 'ING-04', host: undefined, path: '/resource', want: be('echo-service') },
      { id: 'ING-05', host: 'some-host', path: '/resource', want: be('echo-service') },
      { id: 'ING-06', host: 'my-host:80', path: '/resource', want: be('echo-service') },
    ]);
  });

  test('ING-07…12: host rules, exact and one-label wildcard', () => {
    const t = table(hostRulesIngress());
    check(t, [
      { id: 'ING-07/08', host: 'foo.bar.com', path: '/', want: be('foo-bar-com', 'http') },
      { id: 'ING-08 port', host: 'foo.bar.com:80', path: '/', want: be('foo-bar-com', 'http') },
      { id: 'ING-08 case', host: 'FOO.bar.COM', path: '/', want: be('foo-bar-com', 'http') },
      { id: 'ING-08 dot', host: 'foo.bar.com.', path: '/x', want: be('foo-bar-com', 'http') },
      { id: 'ING-09', host: 'subdomain.bar.com', path: '/', want: undefined },
      { id: 'ING-10', host: 'bar.foo.com', path: '/', want: be('wildcard-foo-com') },
      { id: 'ING-10 sub', host: 'bar.foo.com', path: '/a/b', want: be('wildcard-foo-com') },
      { id: 'ING-11 two labels', host: 'baz.bar.foo.com', path: '/', want: undefined },
      { id: 'ING-12', host: 'foo.com', path: '/', want: undefined },
      { id: 'no host', host: undefined, path: '/', want: undefined },
    ]);
    assert.deepEqual(
      t.certificates.map((c) => c.name),
      [],
      'the Secret is missing here, so no certificate',
    );
    assert.ok(t.problems.some((p) => p.reason === 'SecretNotFound'));
  });

  test('ING-15…29: Exact, Prefix, longest match, trailing slashes', () => {
    check(table(pathRulesIngress()), [
      { id: 'ING-15', host: 'exact-path-rules', path: '/foo', want: be('foo-exact') },
      { id: 'ING-16', host: 'exact-path-rules', path: '/foo/', want: undefined },
      { id: 'ING-17', host: 'exact-path-rules', path: '/FOO', want: undefined },
      { id: 'ING-18', host: 'exact-path-rules', path: '/bar', want: undefined },
      { id: 'ING-19', host: 'prefix-path-rules', path: '/foo', want: be('foo-prefix') },
      { id: 'ING-20', host: 'prefix-path-rules', path: '/foo/', want: be('foo-prefix') },
      { id: 'ING-21', host: 'prefix-path-rules', path: '/FOO', want: undefined },
      {
        id: 'ING-22',
        host: 'prefix-path-rules',
        path: '/aaa/bbb',
        want: be('aaa-slash-bbb-prefix'),
      },
      { id: 'ING-23', host: 'prefix-path-rules', path: '/aaa/bbbccc', want: be('aaa-prefix') },
      { id: 'ING-24', host: 'prefix-path-rules', path: '/aaa/ccc', want: be('aaa-prefix') },
      {
        id: 'ING-25',
        host: 'prefix-path-rules',
        path: '/aaa/bbb/ccc',
        want: be('aaa-slash-bbb-prefix'),
      },
      { id: 'ING-26', host: 'prefix-path-rules', path: '/foo/', want: be('foo-prefix') },
      { id: 'ING-27', host: 'prefix-path-rules', path: '/foobar', want: undefined },
      {
        id: 'ING-28',
        host: 'trailing-slash-path-rules',
        path: '/aaa/bbb',
        want: be('aaa-slash-bbb-slash-prefix'),
      },
      {
        id: 'ING-29',
        host: 'trailing-slash-path-rules',
        path: '/aaa/bbb/',
        want: be('aaa-slash-bbb-slash-prefix'),
      },
      {
        id: 'ING-30',
        host: 'trailing-slash-path-rules',
        path: '/aaa/bbb/ccc',
        want: be('aaa-slash-bbb-slash-prefix'),
      },
      {
        id: 'trailing exact',
        host: 'trailing-slash-path-rules',
        path: '/foo/',
        want: be('foo-slash-exact'),
      },
      { id: 'trailing exact 2', host: 'trailing-slash-path-rules', path: '/foo', want: undefined },
      { id: 'mixed exact', host: 'mixed-path-rules', path: '/foo', want: be('foo-exact') },
      { id: 'mixed prefix', host: 'mixed-path-rules', path: '/foo/', want: be('foo-prefix') },
      { id: 'mixed prefix sub', host: 'mixed-path-rules', path: '/foo/x', want: be('foo-prefix') },
      { id: 'query ignored', host: 'exact-path-rules', path: '/foo', want: be('foo-exact') },
      {
        id: 'double slash',
        host: 'prefix-path-rules',
        path: '/aaa//bbb/x',
        want: be('aaa-slash-bbb-prefix'),
      },
      { id: 'unknown host', host: 'nothing', path: '/foo', want: undefined },
    ]);
  });

  test('ING-31: the default backend catches what matches no rule', () => {
    check(table(defaultAndRuleIngress()), [
      { id: 'ING-31 rule', host: 'a.example', path: '/x', want: be('svc-x') },
      { id: 'ING-31 path', host: 'a.example', path: '/y', want: be('echo-service') },
      { id: 'ING-31 host', host: 'other', path: '/x', want: be('echo-service') },
    ]);
  });
});

describe('routes: more semantics', () => {
  test('the seeds: kubia.example.com / (ImplementationSpecific) → kubia-nodeport:80', () => {
    const seed = ingress('kubia', {
      rules: [
        {
          host: 'kubia.example.com',
          http: { paths: [path('/', 'ImplementationSpecific', 'kubia-nodeport', 80)] },
        },
      ],
    });
    check(table(seed), [
      { id: 'seed', host: 'kubia.example.com', path: '/', want: be('kubia-nodeport', 80) },
      { id: 'seed sub', host: 'kubia.example.com', path: '/x/y', want: be('kubia-nodeport', 80) },
      { id: 'seed other', host: 'other.example.com', path: '/', want: undefined },
    ]);
  });

  test('the seeds §4.2: paths of one host and rules of several hosts', () => {
    const multi = ingress('kubia', {
      rules: [
        {
          host: 'kubia.example.com',
          http: {
            paths: [
              path('/kubia', 'ImplementationSpecific', 'kubia', 80),
              path('/foo', 'ImplementationSpecific', 'bar', 80),
            ],
          },
        },
        { host: 'foo.example.com', http: { paths: [path('/', undefined, 'foo', 80)] } },
        { host: 'bar.example.com', http: { paths: [path('/', undefined, 'bar', 80)] } },
      ],
    });
    check(table(multi), [
      { id: 'kubia', host: 'kubia.example.com', path: '/kubia', want: be('kubia', 80) },
      { id: 'foo path', host: 'kubia.example.com', path: '/foo/x', want: be('bar', 80) },
      { id: 'root', host: 'kubia.example.com', path: '/', want: undefined },
      { id: 'foo host', host: 'foo.example.com', path: '/', want: be('foo', 80) },
      { id: 'bar host', host: 'bar.example.com', path: '/a', want: be('bar', 80) },
    ]);
  });

  test('rules without a host serve hosts that have no rules of their own, never a known one', () => {
    const t = table(
      ingress('a', {
        rules: [{ host: 'a.com', http: { paths: [path('/api', 'Prefix', 'api')] } }],
      }),
      ingress('b', { rules: [{ http: { paths: [path('/', 'Prefix', 'catchall')] } }] }),
    );
    check(t, [
      { id: 'host path', host: 'a.com', path: '/api/v1', want: be('api') },
      { id: 'host other path is 404', host: 'a.com', path: '/other', want: undefined },
      { id: 'other host', host: 'b.com', path: '/other', want: be('catchall') },
      { id: 'no host header', host: undefined, path: '/', want: be('catchall') },
    ]);
  });

  test('exact host beats wildcard; wildcard beats rules without a host', () => {
    const t = table(
      ingress('x', {
        rules: [
          { host: 'a.foo.com', http: { paths: [path('/', 'Prefix', 'exact')] } },
          { host: '*.foo.com', http: { paths: [path('/', 'Prefix', 'wild')] } },
          { http: { paths: [path('/', 'Prefix', 'any')] } },
        ],
      }),
    );
    check(t, [
      { id: 'exact', host: 'a.foo.com', path: '/', want: be('exact') },
      { id: 'wild', host: 'b.foo.com', path: '/', want: be('wild') },
      { id: 'any', host: 'foo.com', path: '/', want: be('any') },
      { id: 'any deep', host: 'x.a.foo.com', path: '/', want: be('any') },
    ]);
  });

  test('the oldest Ingress wins a conflict and the younger one hears about it', () => {
    const young = ingress(
      'young',
      { rules: [{ host: 'h', http: { paths: [path('/p', 'Prefix', 'young-svc')] } }] },
      { created: '2024-02-01T00:00:00Z' },
    );
    const old = ingress(
      'old',
      { rules: [{ host: 'h', http: { paths: [path('/p/', 'Prefix', 'old-svc')] } }] },
      { created: '2024-01-01T00:00:00Z' },
    );
    const t = table(young, old);
    check(t, [{ id: 'conflict', host: 'h', path: '/p', want: be('old-svc') }]);
    assert.deepEqual(
      t.problems.map((p) => [p.ingress, p.reason]),
      [['default/young', 'Conflict']],
    );
  });

  test('a host-level default comes from the Ingress that defines the host', () => {
    const a = ingress(
      'a',
      {
        defaultBackend: backend('a-default'),
        rules: [{ host: 'a.com', http: { paths: [path('/x', 'Exact', 'x')] } }],
      },
      { created: '2024-01-01T00:00:00Z' },
    );
    const b = ingress(
      'b',
      { rules: [{ host: 'b.com', http: { paths: [path('/x', 'Exact', 'x')] } }] },
      { created: '2023-01-01T00:00:00Z' },
    );
    check(table(a, b), [
      { id: 'a default', host: 'a.com', path: '/y', want: be('a-default') },
      { id: 'b has none', host: 'b.com', path: '/y', want: undefined },
      { id: 'unknown host', host: 'c.com', path: '/y', want: be('a-default') },
    ]);
  });

  test('ImplementationSpecific with no path is the root prefix', () => {
    const t = table(
      ingress('i', {
        rules: [{ host: 'h', http: { paths: [path(undefined, 'ImplementationSpecific', 's')] } }],
      }),
    );
    check(t, [{ id: 'root', host: 'h', path: '/anything', want: be('s') }]);
  });

  test('resource backends and paths HAProxy maps cannot hold are reported, not served', () => {
    const t = table(
      ingress('r', {
        rules: [
          {
            host: 'h',
            http: {
              paths: [
                {
                  path: '/r',
                  pathType: 'Prefix',
                  backend: { resource: { kind: 'Bucket', name: 'b' } },
                },
                path('/a b', 'Prefix', 's'),
                path('/ok', 'Prefix', 's'),
              ],
            },
          },
        ],
      }),
    );
    check(t, [
      { id: 'resource', host: 'h', path: '/r', want: undefined },
      { id: 'ok', host: 'h', path: '/ok', want: be('s') },
    ]);
    assert.deepEqual(
      t.problems.map((p) => p.reason),
      ['UnsupportedBackend', 'InvalidPath'],
    );
  });
});

describe('routes: backends', () => {
  test('endpoints are the ready addresses with the target port of the referenced Service port', () => {
    const t = buildRoutes(
      sources({
        ingresses: [hostRulesIngress()],
        services: [
          service('foo-bar-com', { portName: 'http', port: 8080, targetPort: 3000 }),
          service('wildcard-foo-com'),
        ],
        slices: [
          slice('foo-bar-com', ['10.244.1.12', '10.244.1.3', '10.244.1.4'], {
            portName: 'http',
            port: 3000,
            unready: ['10.244.1.4'],
          }),
          slice('foo-bar-com', ['10.244.1.3', '10.244.1.5'], {
            portName: 'http',
            port: 3000,
            name: 'foo-bar-com-second',
          }),
          slice('wildcard-foo-com', ['10.244.1.9'], { portName: 'other', port: 3000 }),
        ],
      }),
    );
    assert.deepEqual(t.backends.get(be('foo-bar-com', 'http'))?.endpoints, [
      { address: '10.244.1.3', port: 3000 },
      { address: '10.244.1.5', port: 3000 },
      { address: '10.244.1.12', port: 3000 },
    ]);
    // The wildcard service's port has no name; the slice's port is named otherwise.
    assert.deepEqual(t.backends.get(be('wildcard-foo-com'))?.endpoints, []);
  });

  test('a missing Service, a missing port and ExternalName are problems with no endpoints', () => {
    const ing = ingress('i', {
      rules: [
        {
          host: 'h',
          http: {
            paths: [
              path('/a', 'Prefix', 'absent'),
              path('/b', 'Prefix', 'present', 9999),
              path('/c', 'Prefix', 'present', 'named'),
              path('/d', 'Prefix', 'ext'),
            ],
          },
        },
      ],
    });
    const t = buildRoutes(
      sources({
        ingresses: [ing],
        services: [service('present'), service('ext', { type: 'ExternalName' })],
      }),
    );
    assert.match(t.backends.get(be('absent'))?.problem ?? '', /service default\/absent not found/);
    assert.match(t.backends.get(be('present', 9999))?.problem ?? '', /has no TCP port 9999/);
    assert.match(t.backends.get(be('present', 'named'))?.problem ?? '', /has no TCP port "named"/);
    assert.match(t.backends.get(be('ext'))?.problem ?? '', /ExternalName/);
  });

  test('IPv6 endpoints', () => {
    const t = buildRoutes(
      sources({
        ingresses: [defaultBackendIngress()],
        services: [service('echo-service')],
        slices: [slice('echo-service', ['2001:db8::2', '2001:db8::1'])],
      }),
    );
    assert.deepEqual(t.backends.get(be('echo-service'))?.endpoints, [
      { address: '2001:db8::1', port: 3000 },
      { address: '2001:db8::2', port: 3000 },
    ]);
  });
});

describe('routes: helpers', () => {
  test('normalizeHost and wildcardOf', () => {
    assert.equal(normalizeHost('Foo.Example.COM:8080'), 'foo.example.com');
    assert.equal(normalizeHost('foo.example.com.'), 'foo.example.com');
    assert.equal(normalizeHost('[2001:db8::1]:80'), '[2001:db8::1]');
    assert.equal(wildcardOf('bar.foo.com'), '*.foo.com');
    assert.equal(wildcardOf('localhost'), undefined);
    assert.equal(wildcardOf('.foo.com'), undefined);
  });

  test('prefixMatches is element-wise', () => {
    const rows: [string, string, boolean][] = [
      ['/', '/', true],
      ['/', '/x', true],
      ['/foo', '/foo', true],
      ['/foo', '/foo/', true],
      ['/foo', '/foo/bar', true],
      ['/foo', '/foobar', false],
      ['/foo/bar', '/foo', false],
      ['/foo/bar', '/foo//bar', true],
      ['/foo', 'foo', false],
    ];
    for (const [rule, req, want] of rows)
      assert.equal(prefixMatches(rule, req), want, `${rule} ${req}`);
  });
});

test('HAProxy maps agree with matchRoute over every combination of hosts and paths', () => {
  const t = table(
    pathRulesIngress(),
    hostRulesIngress(),
    defaultAndRuleIngress(),
    ingress('any', {
      rules: [
        {
          http: {
            paths: [
              path('/', 'Prefix', 'root'),
              path('/a/b/c', 'Exact', 'abc'),
              path('/a', 'Prefix', 'a'),
              path('/a/b', 'Exact', 'ab-exact'),
              path('/a/b', 'Prefix', 'ab-prefix'),
            ],
          },
        },
      ],
    }),
  );
  const maps = routeMaps(t);
  const hosts = [
    undefined,
    '',
    'exact-path-rules',
    'prefix-path-rules',
    'mixed-path-rules',
    'trailing-slash-path-rules',
    'foo.bar.com',
    'x.foo.com',
    'x.y.foo.com',
    'foo.com',
    'a.example',
    'A.EXAMPLE:443',
    'unknown',
    '*.foo.com',
  ];
  const paths = [
    '/',
    '//',
    '/foo',
    '/foo/',
    '/foo//',
    '/FOO',
    '/foo/bar',
    '/foobar',
    '/aaa',
    '/aaa/',
    '/aaa/bbb',
    '/aaa/bbb/',
    '/aaa/bbbb',
    '/aaa/bbb/c',
    '/aaa//bbb',
    '/a',
    '/a/b',
    '/a/b/',
    '/a/b/c',
    '/a/b/c/',
    '/a/bc',
    '/x',
    '/y',
    '/x/',
  ];
  let n = 0;
  for (const h of hosts)
    for (const p of paths) {
      assert.equal(emulateLookup(maps, h, p), matchRoute(t, h, p), `host ${String(h)} path ${p}`);
      n++;
    }
  assert.equal(n, hosts.length * paths.length);
});

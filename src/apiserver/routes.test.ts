import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute } from './routes.js';

const q = (s = ''): URLSearchParams => new URLSearchParams(s);

interface Case {
  name: string;
  method: string;
  path: string;
  query?: string;
  want: Record<string, unknown>;
}

const cases: Case[] = [
  { name: 'version', method: 'GET', path: '/version', want: { type: 'version' } },
  { name: 'readyz', method: 'GET', path: '/readyz', want: { type: 'health', check: 'readyz' } },
  { name: 'core discovery', method: 'GET', path: '/api', want: { type: 'discovery', core: true } },
  {
    name: 'groups discovery',
    method: 'GET',
    path: '/apis',
    want: { type: 'discovery', core: false },
  },
  {
    name: 'one group',
    method: 'GET',
    path: '/apis/apps',
    want: { type: 'discovery', group: 'apps' },
  },
  {
    name: 'group version',
    method: 'GET',
    path: '/apis/apps/v1',
    want: { type: 'discovery', group: 'apps', version: 'v1' },
  },
  {
    name: 'core version',
    method: 'GET',
    path: '/api/v1',
    want: { type: 'discovery', core: true, version: 'v1' },
  },
  {
    name: 'openapi index',
    method: 'GET',
    path: '/openapi/v3',
    want: { type: 'openapi', version: 'v3' },
  },
  {
    name: 'openapi document',
    method: 'GET',
    path: '/openapi/v3/apis/apps/v1',
    want: { type: 'openapi', version: 'v3', key: 'apis/apps/v1' },
  },
  {
    name: 'namespaced list',
    method: 'GET',
    path: '/api/v1/namespaces/default/services',
    want: { type: 'resource', verb: 'list', namespace: 'default', resource: 'services' },
  },
  {
    name: 'watch parameter',
    method: 'GET',
    path: '/api/v1/namespaces/default/services',
    query: 'watch=true',
    want: { verb: 'watch', namespace: 'default' },
  },
  {
    name: 'deprecated watch prefix',
    method: 'GET',
    path: '/api/v1/watch/namespaces/default/pods',
    want: { verb: 'watch', namespace: 'default', resource: 'pods' },
  },
  {
    name: 'cluster-wide list of a namespaced resource',
    method: 'GET',
    path: '/api/v1/pods',
    want: { verb: 'list', namespace: undefined, resource: 'pods' },
  },
  {
    name: 'create in a namespace',
    method: 'POST',
    path: '/apis/apps/v1/namespaces/ns/deployments',
    want: { verb: 'create', namespace: 'ns', resource: 'deployments' },
  },
  {
    name: 'create without a namespace is not served',
    method: 'POST',
    path: '/api/v1/pods',
    want: { type: 'resource', verb: undefined },
  },
  {
    name: 'namespace object',
    method: 'GET',
    path: '/api/v1/namespaces/default',
    want: { verb: 'get', name: 'default', resource: 'namespaces' },
  },
  {
    name: 'namespace finalize',
    method: 'PUT',
    path: '/api/v1/namespaces/gone/finalize',
    want: { verb: 'update', name: 'gone', subresource: 'finalize', resource: 'namespaces' },
  },
  {
    name: 'status subresource',
    method: 'PATCH',
    path: '/api/v1/namespaces/ns/services/s/status',
    want: { verb: 'patch', name: 's', subresource: 'status' },
  },
  {
    name: 'scale with PUT',
    method: 'PUT',
    path: '/api/v1/namespaces/ns/replicationcontrollers/kubia/scale',
    want: { verb: 'update', subresource: 'scale', name: 'kubia' },
  },
  {
    name: 'binding',
    method: 'POST',
    path: '/api/v1/namespaces/ns/pods/p/binding',
    want: { verb: 'create', subresource: 'binding', name: 'p' },
  },
  {
    name: 'exec is a connect',
    method: 'GET',
    path: '/api/v1/namespaces/ns/pods/p/exec',
    query: 'command=ls',
    want: { verb: 'connect', subresource: 'exec' },
  },
  {
    name: 'proxy with a path keeps it raw',
    method: 'GET',
    path: '/api/v1/namespaces/ns/services/http:web:80/proxy/a%2Fb/c/',
    want: { verb: 'connect', subresource: 'proxy', name: 'http:web:80', subpath: '/a%2Fb/c/' },
  },
  {
    name: 'proxy without trailing slash',
    method: 'GET',
    path: '/api/v1/namespaces/ns/pods/p/proxy',
    want: { subresource: 'proxy', subpath: '' },
  },
  {
    name: 'delete collection',
    method: 'DELETE',
    path: '/api/v1/namespaces/ns/services',
    want: { verb: 'deletecollection' },
  },
  {
    name: 'extensions ingress',
    method: 'GET',
    path: '/apis/extensions/v1beta1/namespaces/ns/ingresses/kubia',
    want: { verb: 'get', resource: 'ingresses', group: 'extensions' },
  },
  {
    name: 'unknown resource',
    method: 'GET',
    path: '/api/v1/namespaces/ns/widgets',
    want: { type: 'unknownResource', resource: 'widgets' },
  },
  {
    name: 'cluster-scoped resource under a namespace is not found',
    method: 'GET',
    path: '/api/v1/namespaces/ns/nodes',
    want: { type: 'notFound' },
  },
  { name: 'root', method: 'GET', path: '/', want: { type: 'notFound' } },
];

for (const c of cases) {
  test(`parseRoute(): ${c.name}`, () => {
    const r = parseRoute(c.method, c.path, q(c.query)) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(c.want)) {
      if (k === 'resource' && r['type'] === 'resource') {
        assert.equal((r['rt'] as { resource: string }).resource, v, k);
      } else if (k === 'group' && r['type'] === 'resource') {
        assert.equal((r['rt'] as { group: string }).group, v, k);
      } else assert.equal(r[k], v, k);
    }
  });
}

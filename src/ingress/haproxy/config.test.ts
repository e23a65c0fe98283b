/**
 * The generated haproxy.cfg, map files and crt-list as golden text, and HAProxy 2.6 accepting
 * them (`haproxy -c`) when it is installed.
 *
 * Address plan: endpoints in 10.244.1.0/24 and 2001:db8::/32 (documentation).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  hostRulesIngress,
  pathRulesIngress,
  service,
  slice,
  sources,
  tlsSecret,
} from '../fixtures.js';
import { buildRoutes } from '../routes.js';
import {
  allMaps,
  haproxyPaths,
  renderConfig,
  renderCrtList,
  type HaproxyConfigModel,
} from './config.js';
import { assertGolden } from './golden.js';
import { renderMap, routeMaps } from './maps.js';
import { initialSlots } from './slots.js';

const dir = '/var/lib/portico/ingress';

function model(over: Partial<HaproxyConfigModel> = {}): HaproxyConfigModel {
  return {
    dir,
    http: { addresses: ['0.0.0.0'], port: 80 },
    https: { addresses: ['0.0.0.0'], port: 443 },
    backends: [
      {
        name: 'default_foo-bar-com_http',
        slots: initialSlots(
          [
            { address: '10.244.1.3', port: 3000 },
            { address: '10.244.1.4', port: 3000 },
          ],
          4,
        ),
      },
      { name: 'default_v6_8080', slots: initialSlots([{ address: '2001:db8::1', port: 80 }], 4) },
      { name: 'default_wildcard-foo-com_8080', slots: initialSlots([], 4) },
    ],
    serverHeader: 'portico',
    ...over,
  };
}

function selfSigned(cn: string): { cert: string; key: string } {
  const d = mkdtempSync(join(tmpdir(), 'ptest-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(d, 'k'),
        '-out',
        join(d, 'c'),
        '-days',
        '2',
        '-subj',
        `/CN=${cn}`,
      ],
      { stdio: 'ignore' },
    );
    return {
      cert: execFileSync('cat', [join(d, 'c')]).toString(),
      key: execFileSync('cat', [join(d, 'k')]).toString(),
    };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

const haveTools = spawnSync('sh', ['-c', 'command -v haproxy && command -v openssl']).status === 0;

test('renderConfig: HTTP and HTTPS frontends, map lookups, slots (golden)', () => {
  assertGolden('basic.cfg', renderConfig(model()));
});

test('renderConfig: access log, threads, stats, IPv6 listeners, HTTP only (golden)', () => {
  const { https: _https, ...httpOnly } = model({
    http: { addresses: ['::', '127.0.0.1'], port: 8080 },
    accessLog: true,
    threads: 2,
    hardStopAfter: '1m',
    statsAddress: { host: '127.0.0.1', port: 8404 },
    serverHeader: 'my "proxy"',
  });
  assertGolden('options.cfg', renderConfig(httpOnly));
});

test('map files and crt-list of the conformance Ingresses (golden)', () => {
  const table = buildRoutes(sources({ ingresses: [hostRulesIngress(), pathRulesIngress()] }));
  const maps = routeMaps(table);
  assertGolden(
    'conformance.maps',
    allMaps.map((n) => `# ${n}.map\n${renderMap(maps[n])}`).join('\n'),
  );
  assert.equal(
    renderCrtList(dir, [
      { name: 'default_conformance-tls', hosts: ['foo.bar.com', '*.foo.com'] },
      { name: 'ns_any', hosts: [] },
    ]),
    `${dir}/certs/default_conformance-tls.pem foo.bar.com *.foo.com\n${dir}/certs/ns_any.pem\n`,
  );
});

test(
  'HAProxy 2.6 accepts the generated configuration with its maps and certificates',
  { skip: haveTools ? undefined : 'needs haproxy and openssl' },
  () => {
    const tmp = mkdtempSync(join(tmpdir(), 'ptest-haproxy-cfg-'));
    try {
      const tls = selfSigned('foo.bar.com');
      const table = buildRoutes(
        sources({
          ingresses: [hostRulesIngress(), pathRulesIngress()],
          services: [service('foo-bar-com', { portName: 'http' })],
          slices: [slice('foo-bar-com', ['10.244.1.3'], { portName: 'http' })],
          secrets: [tlsSecret('conformance-tls', tls.cert, tls.key)],
        }),
      );
      assert.equal(table.certificates.length, 1);
      const p = haproxyPaths(tmp);
      mkdirSync(p.mapDir, { recursive: true });
      mkdirSync(p.certDir, { recursive: true });
      const maps = routeMaps(table);
      for (const n of allMaps) writeFileSync(p.map(n), renderMap(maps[n]));
      const def = selfSigned('default');
      writeFileSync(p.defaultCert, def.cert + def.key);
      for (const c of table.certificates) writeFileSync(p.cert(c.name), c.pem);
      writeFileSync(p.crtList, renderCrtList(tmp, table.certificates));
      const cfg = renderConfig({
        ...model({ dir: tmp, statsAddress: { host: '127.0.0.1', port: 8404 }, accessLog: true }),
        backends: [...table.backends.values()].map((b) => ({
          name: b.name,
          slots: initialSlots(b.endpoints, 4),
        })),
      });
      writeFileSync(p.config, cfg);
      const r = spawnSync('haproxy', ['-c', '-f', p.config], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr + r.stdout);
      assert.doesNotMatch(r.stderr, /WARNING|ALERT/, r.stderr);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  },
);

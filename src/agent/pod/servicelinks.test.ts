import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Service } from '../../api/types/core.js';
import { fromServices, serviceEnvMap } from './servicelinks.js';

function svc(ns: string, name: string, spec: NonNullable<Service['spec']>): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec };
}

const kubernetes = svc('default', 'kubernetes', {
  clusterIP: '10.96.0.1',
  ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
});
const kubia = svc('default', 'kubia', {
  clusterIP: '10.111.249.153',
  ports: [{ port: 80, targetPort: 8080 }],
});

test('fromServices() names every variable as kubelet does (ENV-01, ENV-03)', () => {
  assert.deepEqual(Object.fromEntries(fromServices([kubernetes]).map((e) => [e.name, e.value])), {
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
    KUBERNETES_PORT_443_TCP_PORT: '443',
    KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
  });
  const multi = svc('ns1', 'kubia-multi', {
    clusterIP: '10.96.3.4',
    ports: [
      { name: 'http', port: 80, targetPort: 8080 },
      { name: 'dns-udp', port: 53, protocol: 'UDP' },
    ],
  });
  assert.deepEqual(fromServices([multi]), [
    { name: 'KUBIA_MULTI_SERVICE_HOST', value: '10.96.3.4' },
    { name: 'KUBIA_MULTI_SERVICE_PORT', value: '80' },
    { name: 'KUBIA_MULTI_SERVICE_PORT_HTTP', value: '80' },
    { name: 'KUBIA_MULTI_SERVICE_PORT_DNS_UDP', value: '53' },
    { name: 'KUBIA_MULTI_PORT', value: 'tcp://10.96.3.4:80' },
    { name: 'KUBIA_MULTI_PORT_80_TCP', value: 'tcp://10.96.3.4:80' },
    { name: 'KUBIA_MULTI_PORT_80_TCP_PROTO', value: 'tcp' },
    { name: 'KUBIA_MULTI_PORT_80_TCP_PORT', value: '80' },
    { name: 'KUBIA_MULTI_PORT_80_TCP_ADDR', value: '10.96.3.4' },
    { name: 'KUBIA_MULTI_PORT_53_UDP', value: 'udp://10.96.3.4:53' },
    { name: 'KUBIA_MULTI_PORT_53_UDP_PROTO', value: 'udp' },
    { name: 'KUBIA_MULTI_PORT_53_UDP_PORT', value: '53' },
    { name: 'KUBIA_MULTI_PORT_53_UDP_ADDR', value: '10.96.3.4' },
  ]);
  const v6 = svc('ns1', 'v6', { clusterIP: 'fd00::5', ports: [{ port: 80 }] });
  assert.equal(fromServices([v6]).find((e) => e.name === 'V6_PORT')?.value, 'tcp://[fd00::5]:80');
});

test('fromServices() skips headless and ExternalName Services (EXT-08)', () => {
  const headless = svc('default', 'kubia-headless', { clusterIP: 'None', ports: [{ port: 80 }] });
  const ext = svc('default', 'external', { type: 'ExternalName', externalName: 'x.example.com' });
  assert.deepEqual(fromServices([headless, ext]), []);
});

test('serviceEnvMap(): own namespace when links are on, default/kubernetes always (ENV-04, ENV-05)', () => {
  const bar = svc('ns2', 'bar', { clusterIP: '10.96.9.9', ports: [{ port: 80 }] });
  const foo = svc('ns1', 'foo', { clusterIP: '10.96.8.8', ports: [{ port: 81 }] });
  const all = [kubernetes, kubia, bar, foo];
  const a = serviceEnvMap(all, 'ns1', true);
  assert.equal(a.get('FOO_SERVICE_HOST'), '10.96.8.8');
  assert.equal(a.get('KUBERNETES_SERVICE_HOST'), '10.96.0.1');
  assert.equal(a.get('BAR_SERVICE_HOST'), undefined);
  assert.equal(a.get('KUBIA_SERVICE_HOST'), undefined);
  const b = serviceEnvMap(all, 'ns1', false);
  assert.equal(b.get('FOO_SERVICE_HOST'), undefined);
  assert.equal(b.get('KUBERNETES_PORT_443_TCP_ADDR'), '10.96.0.1');
  const d = serviceEnvMap(all, 'default', true);
  assert.equal(d.get('KUBIA_SERVICE_PORT'), '80');
  assert.equal(d.get('KUBIA_PORT_80_TCP'), 'tcp://10.111.249.153:80');
});

test("serviceEnvMap(): a namespace's own kubernetes Service wins, in either list order", () => {
  const own = svc('ns1', 'kubernetes', { clusterIP: '10.96.7.7', ports: [{ port: 8443 }] });
  for (const list of [
    [kubernetes, own],
    [own, kubernetes],
  ]) {
    const m = serviceEnvMap(list, 'ns1', true);
    assert.equal(m.get('KUBERNETES_SERVICE_HOST'), '10.96.7.7');
    assert.equal(m.get('KUBERNETES_SERVICE_PORT_HTTPS'), undefined);
  }
  assert.equal(
    serviceEnvMap([kubernetes, own], 'ns2', true).get('KUBERNETES_SERVICE_HOST'),
    '10.96.0.1',
  );
});

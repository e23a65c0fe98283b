/**
 * The cluster state the unit tests share (CoreDNS's APIConnServeTest data, and more).
 *
 * Address plan: services 10.0.0.0/24, 10.96.0.0/24 (kube-dns 10.96.0.10), IPv6 services
 * 1234:abcd::/64 and 10::/64; endpoints 172.0.0.0/24 and 5678:abcd::/64; pods 10.240.0.0/16.
 */
import { ep, port, slice, svc, type Fixture } from './testing.js';

export const fixture: Fixture = {
  namespaces: ['testns', 'kube-system', 'podns', 'test-1'],
  services: [
    svc('kube-system', 'kube-dns', {
      clusterIP: '10.96.0.10',
      ports: [port('dns', 53, 'UDP'), port('dns-tcp', 53), port('metrics', 9153)],
    }),
    svc('testns', 'svc1', {
      clusterIP: '10.0.0.1',
      ports: [port('http', 80)],
      selector: { a: 'b' },
    }),
    svc('testns', 'svcempty', { clusterIP: '10.0.0.4', ports: [port('http', 80)] }),
    svc('testns', 'svc6', { clusterIP: '1234:abcd::1', ports: [port('http', 80)] }),
    svc('testns', 'hdls1', { clusterIP: 'None', ports: [port('http', 80)] }),
    svc('testns', 'hdlsprtls', { clusterIP: 'None' }),
    svc('testns', 'hdlsnone', { clusterIP: 'None', ports: [port('http', 80)] }),
    svc('testns', 'external', { type: 'ExternalName', externalName: 'ext.interwebs.test' }),
    svc('testns', 'external-to-service', {
      type: 'ExternalName',
      externalName: 'svc1.testns.svc.cluster.local.',
    }),
    svc('testns', 'svc-dual-stack', {
      clusterIPs: ['10.0.0.3', '10::3'],
      ports: [port('http', 80)],
    }),
    svc('testns', 'svc2', { clusterIP: '10.0.0.2', ports: [port('http', 80)] }),
    svc('test-1', 'svc-1-a', {
      clusterIP: '10.96.0.100',
      ports: [port('http', 80), port('https', 443)],
    }),
    svc('test-1', 'dns-udp', { clusterIP: '10.96.0.101', ports: [port('dns', 53, 'UDP')] }),
    svc('nons', 'orphan', { clusterIP: '10.0.0.9', ports: [port('http', 80)] }),
  ],
  slices: [
    slice(
      'testns',
      'hdls1',
      'hdls1-v4',
      [{ name: 'http', port: 80 }],
      [
        ep(['172.0.0.2']),
        ep(['172.0.0.3']),
        ep(['172.0.0.4'], { hostname: 'dup-name' }),
        ep(['172.0.0.5'], { hostname: 'dup-name' }),
        ep(['172.0.0.9'], { ready: false }),
      ],
    ),
    slice(
      'testns',
      'hdls1',
      'hdls1-v6',
      [{ name: 'http', port: 80 }],
      [ep(['5678:abcd::1']), ep(['5678:abcd::2'])],
      'IPv6',
    ),
    slice('testns', 'hdlsprtls', 'hdlsprtls-1', null, [ep(['172.0.0.20'])]),
    slice(
      'testns',
      'hdlsnone',
      'hdlsnone-1',
      [{ name: 'http', port: 80 }],
      [ep(['172.0.0.30'], { ready: false })],
    ),
    slice(
      'testns',
      'svc1',
      'svc1-1',
      [{ name: 'http', port: 8080 }],
      [ep(['10.0.0.100'], { hostname: 'ep1a' }), ep(['172.0.0.40'])],
    ),
    // One endpoint address behind two services (PTR lists both), and twice in one service.
    slice('testns', 'svc2', 'svc2-1', [{ name: 'http', port: 80 }], [ep(['172.0.0.40'])]),
    slice('testns', 'svc2', 'svc2-2', [{ name: 'http', port: 80 }], [ep(['172.0.0.40'])]),
  ],
};

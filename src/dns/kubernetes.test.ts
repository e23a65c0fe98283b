/**
 * The cluster zone, case by case (CoreDNS's test.Case tables; conformance.md §9, §12, §13):
 * each case asks a question through the engine and compares the decoded answer.
 *
 * Address plan: services 10.0.0.0/24 and 10.96.0.10 (kube-dns), IPv6 services 1234:abcd::/64
 * and 10::/64; endpoints 172.0.0.0/24 and 5678:abcd::/64; pods 10.240.0.0/16.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cidrContains, parseCidr } from './ip.js';
import { fixture } from './fixtures.js';
import { ask, ep, newEngine, newZone, port, slice, svc } from './testing.js';
import { T } from './types.js';

const soa = (zone = 'cluster.local'): string =>
  `${zone}. 5 IN SOA ns.dns.${zone}. hostmaster.${zone}. 1499347823 7200 1800 86400 5`;

interface Case {
  readonly name: string;
  readonly q: readonly [string, number];
  readonly rcode: string;
  readonly answer?: readonly string[];
  readonly ns?: readonly string[];
  readonly extra?: readonly string[];
}

const NX = (name: string, q: readonly [string, number], zone = 'cluster.local'): Case => ({
  name,
  q,
  rcode: 'NXDOMAIN',
  ns: [soa(zone)],
});
const NODATA = (name: string, q: readonly [string, number]): Case => ({
  name,
  q,
  rcode: 'NOERROR',
  ns: [soa()],
});

const cases: readonly Case[] = [
  // ClusterIP services (DNS-12, DNS-13)
  {
    name: 'A of a ClusterIP service',
    q: ['svc1.testns.svc.cluster.local.', T.A],
    rcode: 'NOERROR',
    answer: ['svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1'],
  },
  {
    name: 'A of a service without endpoints',
    q: ['svcempty.testns.svc.cluster.local.', T.A],
    rcode: 'NOERROR',
    answer: ['svcempty.testns.svc.cluster.local. 5 IN A 10.0.0.4'],
  },
  {
    name: 'SRV on the bare service name',
    q: ['svc1.testns.svc.cluster.local.', T.SRV],
    rcode: 'NOERROR',
    answer: ['svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local.'],
    extra: ['svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1'],
  },
  {
    name: 'SRV of a named port (DNS-15)',
    q: ['_http._tcp.svc1.testns.svc.cluster.local.', T.SRV],
    rcode: 'NOERROR',
    answer: [
      '_http._tcp.svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local.',
    ],
    extra: ['svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1'],
  },
  {
    name: 'SRV of a named port of a service without endpoints',
    q: ['_http._tcp.svcempty.testns.svc.cluster.local.', T.SRV],
    rcode: 'NOERROR',
    answer: [
      '_http._tcp.svcempty.testns.svc.cluster.local. 5 IN SRV 0 100 80 svcempty.testns.svc.cluster.local.',
    ],
    extra: ['svcempty.testns.svc.cluster.local. 5 IN A 10.0.0.4'],
  },
  {
    name: 'SRV on the bare name lists every port, weights split (DNS-17)',
    q: ['svc-1-a.test-1.svc.cluster.local.', T.SRV],
    rcode: 'NOERROR',
    answer: [
      'svc-1-a.test-1.svc.cluster.local. 5 IN SRV 0 50 443 svc-1-a.test-1.svc.cluster.local.',
      'svc-1-a.test-1.svc.cluster.local. 5 IN SRV 0 50 80 svc-1-a.test-1.svc.cluster.local.',
    ],
    extra: ['svc-1-a.test-1.svc.cluster.local. 5 IN A 10.96.0.100'],
  },
  {
    name: 'SRV of a UDP port',
    q: ['_dns._udp.dns-udp.test-1.svc.cluster.local.', T.SRV],
    rcode: 'NOERROR',
    answer: [
      '_dns._udp.dns-udp.test-1.svc.cluster.local. 5 IN SRV 0 100 53 dns-udp.test-1.svc.cluster.local.',
    ],
    extra: ['dns-udp.test-1.svc.cluster.local. 5 IN A 10.96.0.101'],
  },
  NX('SRV of a port with the wrong protocol', [
    '_dns._tcp.dns-udp.test-1.svc.cluster.local.',
    T.SRV,
  ]),
  NX('SRV of an unknown port', ['_https._tcp.svc1.testns.svc.cluster.local.', T.SRV]),
  NODATA('the protocol label above a port name is an empty non-terminal', [
    '_tcp.svc1.testns.svc.cluster.local.',
    T.SRV,
  ]),
  NODATA('AAAA of an IPv4 service (DNS-14)', ['svc1.testns.svc.cluster.local.', T.AAAA]),
  NX('AAAA of a service that does not exist', ['svc0.testns.svc.cluster.local.', T.AAAA]),
  NX('A of a service that does not exist', ['svc0.testns.svc.cluster.local.', T.A]),
  NX('A in a namespace that does not exist', ['svc0.svc-nons.svc.cluster.local.', T.A]),
  NX('a service whose namespace is not known', ['orphan.nons.svc.cluster.local.', T.A]),
  {
    name: 'dns-version TXT (DNS-11)',
    q: ['dns-version.cluster.local.', T.TXT],
    rcode: 'NOERROR',
    answer: ['dns-version.cluster.local. 28800 IN TXT "1.1.0"'],
  },
  NODATA('TXT of a name with other records', ['svc1.testns.svc.cluster.local.', T.TXT]),
  NX('TXT of a name that does not exist', ['svc0.svc-nons.svc.cluster.local.', T.TXT]),
  // IPv6 and dual stack
  {
    name: 'AAAA of an IPv6 service',
    q: ['svc6.testns.svc.cluster.local.', T.AAAA],
    rcode: 'NOERROR',
    answer: ['svc6.testns.svc.cluster.local. 5 IN AAAA 1234:abcd::1'],
  },
  {
    name: 'SRV of an IPv6 service',
    q: ['_http._tcp.svc6.testns.svc.cluster.local.', T.SRV],
    rcode: 'NOERROR',
    answer: [
      '_http._tcp.svc6.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc6.testns.svc.cluster.local.',
    ],
    extra: ['svc6.testns.svc.cluster.local. 5 IN AAAA 1234:abcd::1'],
  },
  {
    name: 'A of a dual-stack service',
    q: ['svc-dual-stack.testns.svc.cluster.local.', T.A],
    rcode: 'NOERROR',
    answer: ['svc-dual-stack.testns.svc.cluster.local. 5 IN A 10.0.0.3'],
  },
  {
    name: 'AAAA of a dual-stack service',
    q: ['svc-dual-stack.testns.svc.cluster.local.', T.AAAA],
    rcode: 'NOERROR',
    answer: ['svc-dual-stack.testns.svc.cluster.local. 5 IN AAAA 10::3'],
  },
  {
    name: 'SRV of a dual-stack service: one record, both addresses',
    q: ['svc-dual-stack.testns.svc.cluster.local.', T.SRV],
    rcode: 'NOERROR',
    answer: [
      'svc-dual-stack.testns.svc.cluster.local. 5 IN SRV 0 50 80 svc-dual-stack.testns.svc.cluster.local.',
    ],
    extra: [
      'svc-dual-stack.testns.svc.cluster.local. 5 IN A 10.0.0.3',
      'svc-dual-stack.testns.svc.cluster.local. 5 IN AAAA 10::3',
    ],
  },
  // Headless (DNS-20, DNS-22, DNS-23, HL-04, HL-05)
  {
    name: 'A of a headless service: its ready IPv4 endpoints',
    q: ['hdls1.testns.svc.cluster.local.', T.A],
    rcode: 'NOERROR',
    answer: [
      'hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2',
      'hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.3',
      'hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4',
      'hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5',
    ],
  },
  {
    name: 'AAAA of a headless service: its ready IPv6 endpoints',
    q: ['hdls1.testns.svc.cluster.local.', T.AAAA],
    rcode: 'NOERROR',
    answer: [
      'hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1',
      'hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::2',
    ],
  },
  {
    name: 'SRV of a headless service: one per endpoint name',
    q: ['_http._tcp.hdls1.testns.svc.cluster.local.', T.SRV],
    rcode: 'NOERROR',
    answer: [
      '_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 172-0-0-2.hdls1.testns.svc.cluster.local.',
      '_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 172-0-0-3.hdls1.testns.svc.cluster.local.',
      '_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 5678-abcd--1.hdls1.testns.svc.cluster.local.',
      '_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 5678-abcd--2.hdls1.testns.svc.cluster.local.',
      '_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 dup-name.hdls1.testns.svc.cluster.local.',
    ],
    extra: [
      '172-0-0-2.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2',
      '172-0-0-3.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.3',
      '5678-abcd--1.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1',
      '5678-abcd--2.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::2',
      'dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4',
      'dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5',
    ],
  },
  {
    name: 'an endpoint by its dashed IPv6 name',
    q: ['5678-abcd--2.hdls1.testns.svc.cluster.local', T.AAAA],
    rcode: 'NOERROR',
    answer: ['5678-abcd--2.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::2'],
  },
  {
    name: 'an endpoint by its dashed IPv4 name',
    q: ['172-0-0-2.hdls1.testns.svc.cluster.local.', T.A],
    rcode: 'NOERROR',
    answer: ['172-0-0-2.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2'],
  },
  {
    name: 'two endpoints with one hostname',
    q: ['dup-name.hdls1.testns.svc.cluster.local.', T.A],
    rcode: 'NOERROR',
    answer: [
      'dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4',
      'dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5',
    ],
  },
  NX('an unready endpoint has no name', ['172-0-0-9.hdls1.testns.svc.cluster.local.', T.A]),
  NX('an endpoint that does not exist', ['bogusendpoint.hdls1.testns.svc.cluster.local.', T.A]),
  NX('an endpoint of a service that does not exist', [
    'bogusendpoint.svc0.testns.svc.cluster.local.',
    T.A,
  ]),
  {
    name: 'a headless service without ports',
    q: ['hdlsprtls.testns.svc.cluster.local.', T.A],
    rcode: 'NOERROR',
    answer: ['hdlsprtls.testns.svc.cluster.local. 5 IN A 172.0.0.20'],
  },
  {
    name: 'an endpoint of a headless service without ports',
    q: ['172-0-0-20.hdlsprtls.testns.svc.cluster.local.', T.A],
    rcode: 'NOERROR',
    answer: ['172-0-0-20.hdlsprtls.testns.svc.cluster.local. 5 IN A 172.0.0.20'],
  },
  NODATA('no SRV without ports', ['hdlsprtls.testns.svc.cluster.local.', T.SRV]),
  NX('a headless service with only unready endpoints', ['hdlsnone.testns.svc.cluster.local.', T.A]),
  {
    name: 'an endpoint name of a ClusterIP service',
    q: ['ep1a.svc1.testns.svc.cluster.local.', T.A],
    rcode: 'NOERROR',
    answer: ['ep1a.svc1.testns.svc.cluster.local. 5 IN A 10.0.0.100'],
  },
  {
    name: 'SRV of an endpoint name: its target port',
    q: ['ep1a.svc1.testns.svc.cluster.local.', T.SRV],
    rcode: 'NOERROR',
    answer: [
      'ep1a.svc1.testns.svc.cluster.local. 5 IN SRV 0 100 8080 ep1a.svc1.testns.svc.cluster.local.',
    ],
    extra: ['ep1a.svc1.testns.svc.cluster.local. 5 IN A 10.0.0.100'],
  },
  // ExternalName (EXT-06)
  {
    name: 'CNAME of an ExternalName service',
    q: ['external.testns.svc.cluster.local.', T.CNAME],
    rcode: 'NOERROR',
    answer: ['external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test.'],
  },
  {
    name: 'A of an ExternalName service, target unresolvable (no upstream): the CNAME',
    q: ['external.testns.svc.cluster.local.', T.A],
    rcode: 'NOERROR',
    answer: ['external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test.'],
  },
  {
    name: 'an ExternalName pointing in-cluster is chased',
    q: ['external-to-service.testns.svc.cluster.local', T.A],
    rcode: 'NOERROR',
    answer: [
      'external-to-service.testns.svc.cluster.local. 5 IN CNAME svc1.testns.svc.cluster.local.',
      'svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1',
    ],
  },
  NODATA('SRV of an ExternalName service', ['external.testns.svc.cluster.local.', T.SRV]),
  NX('a name below an ExternalName service', [
    'endpoint.external.testns.svc.cluster.local.',
    T.CNAME,
  ]),
  NX('two names below an ExternalName service', [
    'subdomain.subdomain.external.testns.svc.cluster.local.',
    T.CNAME,
  ]),
  NODATA('CNAME of a ClusterIP service', ['svc1.testns.svc.cluster.local.', T.CNAME]),
  // Structure and apex (DNS-28)
  NODATA('svc.<zone>', ['svc.cluster.local.', T.A]),
  NODATA('pod.<zone>', ['pod.cluster.local.', T.A]),
  NODATA('a namespace', ['testns.svc.cluster.local.', T.A]),
  NODATA('NS below the apex, existing', ['svc.cluster.local.', T.NS]),
  NODATA('NS of a namespace', ['testns.svc.cluster.local.', T.NS]),
  NX('NS below the apex, not existing', ['foo.cluster.local.', T.NS]),
  NX('a name under svc that does not exist', ['foo.svc.cluster.local.', T.NS]),
  NODATA('SOA below the apex', ['svc1.testns.svc.cluster.local.', T.SOA]),
  NODATA('SOA below the apex of a name that does not exist (CoreDNS)', [
    'nothing.here.svc.cluster.local.',
    T.SOA,
  ]),
  {
    name: 'SOA at the apex',
    q: ['cluster.local.', T.SOA],
    rcode: 'NOERROR',
    answer: [soa()],
  },
  {
    name: 'NS at the apex: the kube-dns Service with glue',
    q: ['cluster.local.', T.NS],
    rcode: 'NOERROR',
    answer: ['cluster.local. 5 IN NS kube-dns.kube-system.svc.cluster.local.'],
    extra: ['kube-dns.kube-system.svc.cluster.local. 5 IN A 10.96.0.10'],
  },
  NODATA('A at the apex', ['cluster.local.', T.A]),
  NODATA('AAAA at the apex', ['cluster.local.', T.AAAA]),
  NODATA('SRV at the apex', ['cluster.local.', T.SRV]),
  NODATA('HINFO at the apex', ['cluster.local.', T.HINFO]),
  NODATA('TXT at the apex', ['cluster.local.', T.TXT]),
  {
    name: 'the SOA MNAME resolves',
    q: ['ns.dns.cluster.local.', T.A],
    rcode: 'NOERROR',
    answer: ['ns.dns.cluster.local. 5 IN A 10.96.0.10'],
  },
  NX('names outside svc and pod', ['anything.cluster.local.', T.A]),
  // Wildcards are not special (DNS-32)
  NX('a * label is an ordinary name', ['*.testns.svc.cluster.local.', T.A]),
  NX('an any label is an ordinary name', ['any.testns.svc.cluster.local.', T.A]),
  NX('* as a service', ['*.*.svc.cluster.local.', T.A]),
  // Pods, insecure mode (DNS-29)
  {
    name: 'a dashed IPv4 pod name',
    q: ['10-240-0-1.podns.pod.cluster.local.', T.A],
    rcode: 'NOERROR',
    answer: ['10-240-0-1.podns.pod.cluster.local. 5 IN A 10.240.0.1'],
  },
  {
    name: 'a dashed IPv6 pod name',
    q: ['1234-abcd--5.podns.pod.cluster.local.', T.AAAA],
    rcode: 'NOERROR',
    answer: ['1234-abcd--5.podns.pod.cluster.local. 5 IN AAAA 1234:abcd::5'],
  },
  NODATA('A of an IPv6 pod name', ['1234-abcd--5.podns.pod.cluster.local.', T.A]),
  NX('a pod name that is not an address', ['blah.podns.pod.cluster.local.', T.A]),
  NX('a pod name that is not an address, AAAA', ['blah.podns.pod.cluster.local.', T.AAAA]),
  NX('a pod name that is not an address, HINFO', ['blah.podns.pod.cluster.local.', T.HINFO]),
  NX('a pod in a namespace that does not exist', ['10-240-0-1.pod-nons.pod.cluster.local.', T.A]),
  NODATA('the pod namespace itself', ['podns.pod.cluster.local.', T.A]),
  NX('labels below a pod name', ['x.10-240-0-1.podns.pod.cluster.local.', T.A]),
  // Reverse (DNS-18, DNS-19, DNS-25)
  {
    name: 'PTR of a ClusterIP',
    q: ['100.0.96.10.in-addr.arpa.', T.PTR],
    rcode: 'NOERROR',
    answer: ['100.0.96.10.in-addr.arpa. 5 IN PTR svc-1-a.test-1.svc.cluster.local.'],
  },
  {
    name: 'PTR of an IPv6 ClusterIP',
    q: ['1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.', T.PTR],
    rcode: 'NOERROR',
    answer: [
      '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa. 5 IN PTR svc6.testns.svc.cluster.local.',
    ],
  },
  {
    name: 'PTR of an endpoint with a hostname',
    q: ['100.0.0.10.in-addr.arpa.', T.PTR],
    rcode: 'NOERROR',
    answer: ['100.0.0.10.in-addr.arpa. 5 IN PTR ep1a.svc1.testns.svc.cluster.local.'],
  },
  {
    name: 'PTR of a headless endpoint',
    q: ['2.0.0.172.in-addr.arpa.', T.PTR],
    rcode: 'NOERROR',
    answer: ['2.0.0.172.in-addr.arpa. 5 IN PTR 172-0-0-2.hdls1.testns.svc.cluster.local.'],
  },
  {
    name: 'PTR of an IPv6 endpoint',
    q: ['1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.8.7.6.5.ip6.arpa.', T.PTR],
    rcode: 'NOERROR',
    answer: [
      '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.8.7.6.5.ip6.arpa. 5 IN PTR 5678-abcd--1.hdls1.testns.svc.cluster.local.',
    ],
  },
  {
    name: 'PTR of an address behind two services: both, once each',
    q: ['40.0.0.172.in-addr.arpa.', T.PTR],
    rcode: 'NOERROR',
    answer: [
      '40.0.0.172.in-addr.arpa. 5 IN PTR 172-0-0-40.svc1.testns.svc.cluster.local.',
      '40.0.0.172.in-addr.arpa. 5 IN PTR 172-0-0-40.svc2.testns.svc.cluster.local.',
    ],
  },
  NX(
    'PTR of an unknown address in the cluster ranges',
    ['99.0.0.10.in-addr.arpa.', T.PTR],
    'in-addr.arpa',
  ),
  NX(
    'PTR of an unknown address elsewhere, no upstream',
    ['1.2.0.192.in-addr.arpa.', T.PTR],
    'in-addr.arpa',
  ),
];

function sorted(a: readonly string[] | undefined): string[] {
  return [...(a ?? [])].sort();
}

describe('kubernetes zone', () => {
  const zone = newZone(
    { authoritativeCidrs: [parseCidr('10.0.0.0/8'), parseCidr('172.0.0.0/16')] },
    fixture,
  );
  const engine = newEngine(zone);
  for (const c of cases) {
    test(`${c.name}: ${c.q[0]} ${c.q[1]}`, async () => {
      const r = await ask(engine, c.q[0], c.q[1], { edns: 1232 });
      assert.equal(r.rcode, c.rcode, JSON.stringify(r));
      assert.deepEqual(sorted(r.answer), sorted(c.answer), 'answer');
      assert.deepEqual(sorted(r.authority), sorted(c.ns), 'authority');
      assert.deepEqual(sorted(r.additional), sorted(c.extra), 'additional');
      if (r.answer.length > 0 || r.rcode === 'NXDOMAIN' || r.authority.length > 0)
        assert.equal(r.flags.aa, true, 'authoritative');
      const cname = r.answer.findIndex((a) => a.includes(' IN CNAME '));
      if (cname >= 0) assert.equal(cname, 0, 'the CNAME comes before its target');
    });
  }

  test('the same answers over TCP', async () => {
    for (const c of cases.slice(0, 20)) {
      const r = await ask(engine, c.q[0], c.q[1], { tcp: true });
      assert.equal(r.opt, undefined, 'no OPT record without EDNS');
      assert.equal(r.rcode, c.rcode, c.name);
      assert.deepEqual(sorted(r.answer), sorted(c.answer), c.name);
    }
  });

  test('authoritative CIDRs: sanity of the address plan', () => {
    assert.ok(cidrContains(parseCidr('10.0.0.0/8'), '10.0.0.99'));
    assert.ok(!cidrContains(parseCidr('10.0.0.0/8'), '192.0.2.1'));
  });
});

describe('case is echoed, matching is not case-sensitive (DNS-26)', () => {
  const zone = newZone({}, fixture);
  const engine = newEngine(zone);
  test('A', async () => {
    const r = await ask(engine, 'SvC1.TeStNs.SvC.cLuStEr.LoCaL.', T.A);
    assert.deepEqual(r.answer, ['SvC1.TeStNs.SvC.cLuStEr.LoCaL. 5 IN A 10.0.0.1']);
  });
  test('SRV: owner in the query case, targets with the zone in the query case', async () => {
    const r = await ask(engine, '_HtTp._TcP.sVc1.TeStNs.SvC.cLuStEr.LoCaL.', T.SRV);
    assert.deepEqual(r.answer, [
      '_HtTp._TcP.sVc1.TeStNs.SvC.cLuStEr.LoCaL. 5 IN SRV 0 100 80 svc1.testns.svc.cLuStEr.LoCaL.',
    ]);
    assert.deepEqual(r.additional, ['svc1.testns.svc.cLuStEr.LoCaL. 5 IN A 10.0.0.1']);
  });
  test('negative answers carry the SOA in the query case', async () => {
    const r = await ask(engine, 'not-a-service.testns.svc.ClUsTeR.lOcAl.', T.A);
    assert.equal(r.rcode, 'NXDOMAIN');
    assert.deepEqual(r.authority, [
      'ClUsTeR.lOcAl. 5 IN SOA ns.dns.ClUsTeR.lOcAl. hostmaster.ClUsTeR.lOcAl. 1499347823 7200 1800 86400 5',
    ]);
  });
  test('SOA at the apex', async () => {
    const r = await ask(engine, 'Cluster.local.', T.SOA);
    assert.deepEqual(r.answer, [
      'Cluster.local. 5 IN SOA ns.dns.Cluster.local. hostmaster.Cluster.local. 1499347823 7200 1800 86400 5',
    ]);
  });
  test('a lower-case query after a mixed-case one still gets lower case', async () => {
    await ask(engine, 'SVC1.testns.svc.cluster.local.', T.A);
    const r = await ask(engine, 'svc1.testns.svc.cluster.local.', T.A);
    assert.deepEqual(r.answer, ['svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1']);
  });
});

describe('pod modes (DNS-29)', () => {
  const pods = { ...fixture, pods: [] };
  test('disabled: every pod name is NXDOMAIN, the namespace too', async () => {
    const engine = newEngine(newZone({ podMode: 'disabled' }, pods));
    assert.equal((await ask(engine, '10-240-0-1.podns.pod.cluster.local.', T.A)).rcode, 'NXDOMAIN');
    assert.equal((await ask(engine, 'podns.pod.cluster.local.', T.A)).rcode, 'NXDOMAIN');
    assert.equal((await ask(engine, 'pod.cluster.local.', T.A)).rcode, 'NOERROR');
  });
  test('verified: only addresses of pods in that namespace', async () => {
    const { pod } = await import('./testing.js');
    const zone = newZone(
      { podMode: 'verified' },
      {
        ...fixture,
        pods: [pod('podns', 'web', '10.240.0.1'), pod('testns', 'other', '10.240.0.2')],
      },
    );
    const engine = newEngine(zone);
    const ok = await ask(engine, '10-240-0-1.podns.pod.cluster.local.', T.A);
    assert.deepEqual(ok.answer, ['10-240-0-1.podns.pod.cluster.local. 5 IN A 10.240.0.1']);
    assert.equal((await ask(engine, '10-240-0-2.podns.pod.cluster.local.', T.A)).rcode, 'NXDOMAIN');
    assert.equal((await ask(engine, '172-0-0-2.podns.pod.cluster.local.', T.A)).rcode, 'NXDOMAIN');
    assert.equal((await ask(engine, 'pod-nons.pod.cluster.local.', T.A)).rcode, 'NXDOMAIN');
    zone.deletePod(pod('podns', 'web', '10.240.0.1'));
    assert.equal((await ask(engine, '10-240-0-1.podns.pod.cluster.local.', T.A)).rcode, 'NXDOMAIN');
  });
});

describe('before the informers synced (CoreDNS)', () => {
  test('NXDOMAIN becomes SERVFAIL; positive answers and NODATA are served', async () => {
    const engine = newEngine(newZone({}, fixture), { synced: false });
    assert.equal((await ask(engine, 'nothing.testns.svc.cluster.local.', T.A)).rcode, 'SERVFAIL');
    assert.equal((await ask(engine, 'svc1.testns.svc.cluster.local.', T.A)).rcode, 'NOERROR');
    assert.equal((await ask(engine, 'svc1.testns.svc.cluster.local.', T.AAAA)).rcode, 'NOERROR');
  });
});

describe('records follow changes (DNS-30, HL-06)', () => {
  test('a service added, an endpoint turning unready, a service deleted', async () => {
    const zone = newZone({}, fixture);
    const engine = newEngine(zone);
    const name = 'new-svc.test-1.svc.cluster.local.';
    assert.equal((await ask(engine, name, T.A)).rcode, 'NXDOMAIN');
    const s = svc('test-1', 'new-svc', { clusterIP: '10.96.0.222', ports: [port('http', 80)] });
    zone.upsertService(s);
    zone.upsertSlice(
      slice('test-1', 'new-svc', 'new-svc-1', [{ name: 'http', port: 80 }], [ep(['172.17.0.222'])]),
    );
    assert.deepEqual((await ask(engine, name, T.A)).answer, [`${name} 5 IN A 10.96.0.222`]);
    assert.deepEqual((await ask(engine, `172-17-0-222.${name}`, T.A)).answer, [
      `172-17-0-222.${name} 5 IN A 172.17.0.222`,
    ]);
    zone.upsertSlice(
      slice(
        'test-1',
        'new-svc',
        'new-svc-1',
        [{ name: 'http', port: 80 }],
        [ep(['172.17.0.222'], { ready: false })],
      ),
    );
    assert.equal((await ask(engine, `172-17-0-222.${name}`, T.A)).rcode, 'NXDOMAIN');
    zone.deleteService(s);
    assert.equal((await ask(engine, name, T.A)).rcode, 'NXDOMAIN');
    assert.equal((await ask(engine, '222.0.96.10.in-addr.arpa.', T.PTR)).rcode, 'NXDOMAIN');
  });

  test('a namespace deleted takes its services with it', async () => {
    const zone = newZone({}, fixture);
    const engine = newEngine(zone);
    zone.deleteNamespace('test-1');
    assert.equal((await ask(engine, 'svc-1-a.test-1.svc.cluster.local.', T.A)).rcode, 'NXDOMAIN');
    assert.equal((await ask(engine, 'test-1.svc.cluster.local.', T.A)).rcode, 'NXDOMAIN');
    zone.upsertNamespace('test-1');
    assert.equal((await ask(engine, 'svc-1-a.test-1.svc.cluster.local.', T.A)).rcode, 'NOERROR');
  });

  test('the SOA serial moves with changes', async () => {
    const { FakeClock } = await import('../lib/fakeclock.js');
    const clock = new FakeClock({ now: 1_000_000 });
    const zone = newZone({ clock }, fixture);
    const engine = newEngine(zone);
    const before = (await ask(engine, 'cluster.local.', T.SOA)).answer[0];
    await clock.advance(5000);
    zone.upsertService(svc('testns', 'later', { clusterIP: '10.0.0.77' }));
    const after = (await ask(engine, 'cluster.local.', T.SOA)).answer[0];
    assert.match(before ?? '', / 1000 7200 /);
    assert.match(after ?? '', / 1005 7200 /);
  });

  test('endpoint_pod_names names endpoints after their pods (DNS-33)', async () => {
    const zone = newZone(
      { endpointPodNames: true },
      {
        namespaces: ['test-3'],
        services: [
          svc('test-3', 'headless-1', { clusterIP: 'None', ports: [port('c-port', 1234)] }),
        ],
        slices: [
          slice(
            'test-3',
            'headless-1',
            'h-1',
            [{ name: 'c-port', port: 1234 }],
            [ep(['172.17.0.3'], { pod: 'test-name' }), ep(['172.17.0.4'], { pod: 'x'.repeat(64) })],
          ),
        ],
      },
    );
    const r = await ask(newEngine(zone), 'headless-1.test-3.svc.cluster.local.', T.SRV);
    assert.deepEqual(sorted(r.answer), [
      'headless-1.test-3.svc.cluster.local. 5 IN SRV 0 50 1234 172-17-0-4.headless-1.test-3.svc.cluster.local.',
      'headless-1.test-3.svc.cluster.local. 5 IN SRV 0 50 1234 test-name.headless-1.test-3.svc.cluster.local.',
    ]);
  });
});

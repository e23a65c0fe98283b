import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { managedHostsFile, nodeHostsFile, parseResolvConf, podResolvConf } from './etcfiles.js';

// Address plan: pod IPs from 10.244.1.0/24 (the node's pod CIDR), cluster DNS 10.96.0.10,
// host name servers from 192.0.2.0/24 (TEST-NET-1), alias IPs as in the upstream e2e test.

const header = [
  '# Kubernetes-managed hosts file.',
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'fe00::0\tip6-mcastprefix',
  'fe00::1\tip6-allnodes',
  'fe00::2\tip6-allrouters',
].join('\n');

describe('managedHostsFile()', () => {
  it('names the pod IP with its hostname', () => {
    assert.equal(
      managedHostsFile({ podIPs: ['10.244.1.5'], hostname: 'kubia-7nog1', namespace: 'default' }),
      `${header}\n10.244.1.5\tkubia-7nog1\n`,
    );
  });
  it('adds the FQDN with a subdomain', () => {
    const text = managedHostsFile({
      podIPs: ['10.244.1.5'],
      hostname: 'dns-querier-2',
      subdomain: 'dns-test-service-2',
      namespace: 'ns1',
    });
    assert.ok(
      text.endsWith(
        '10.244.1.5\tdns-querier-2.dns-test-service-2.ns1.svc.cluster.local\tdns-querier-2\n',
      ),
    );
  });
  it('appends hostAliases as kubelet does (DNS-34)', () => {
    const text = managedHostsFile({
      podIPs: ['10.244.1.5'],
      hostname: 'p',
      namespace: 'default',
      hostAliases: [{ ip: '123.45.67.89', hostnames: ['foo', 'bar'] }],
    });
    assert.ok(
      text.endsWith('10.244.1.5\tp\n\n# Entries added by HostAliases.\n123.45.67.89\tfoo\tbar\n'),
    );
  });
});

describe('nodeHostsFile()', () => {
  it('is the node file without the managed header, plus aliases', () => {
    const text = nodeHostsFile('127.0.0.1 localhost\n198.18.1.11 node1', [
      { ip: '192.0.2.1', hostnames: ['a'] },
    ]);
    assert.equal(
      text,
      '127.0.0.1 localhost\n198.18.1.11 node1\n\n# Entries added by HostAliases.\n192.0.2.1\ta\n',
    );
    assert.ok(!text.includes('Kubernetes-managed'));
  });
});

describe('podResolvConf()', () => {
  const hostResolvConf = '# generated\nnameserver 192.0.2.53\nsearch corp.example\noptions edns0\n';
  const cases = [
    {
      name: 'ClusterFirst (DNS-10)',
      given: {},
      want: 'search ns1.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\noptions ndots:5\n',
    },
    {
      name: 'Default is the node file',
      given: { dnsPolicy: 'Default' as const },
      want: 'search corp.example\nnameserver 192.0.2.53\noptions edns0\n',
    },
    {
      name: 'ClusterFirst on hostNetwork falls back to Default',
      given: { hostNetwork: true },
      want: 'search corp.example\nnameserver 192.0.2.53\noptions edns0\n',
    },
    {
      name: 'ClusterFirstWithHostNet on hostNetwork uses the cluster DNS',
      given: { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' as const },
      want: 'search ns1.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\noptions ndots:5\n',
    },
    {
      name: 'None with dnsConfig (DNS-08)',
      given: {
        dnsPolicy: 'None' as const,
        dnsConfig: { nameservers: ['1.1.1.1'], searches: ['resolv.conf.local'] },
      },
      want: 'search resolv.conf.local\nnameserver 1.1.1.1\n',
    },
    {
      name: 'dnsConfig options replace by name (DNS-09)',
      given: { dnsConfig: { options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } },
      want: 'search ns1.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\noptions ndots:2 edns0\n',
    },
    {
      name: 'at most three name servers',
      given: {
        dnsPolicy: 'None' as const,
        dnsConfig: { nameservers: ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'] },
      },
      want: 'nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\n',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(
        podResolvConf({ namespace: 'ns1', clusterDNS: ['10.96.0.10'], hostResolvConf, ...c.given }),
        c.want,
      );
    });
  }
  it('parseResolvConf() keeps the last search line and drops trailing dots', () => {
    assert.deepEqual(parseResolvConf('search a b\ndomain c.\nnameserver 192.0.2.1 # x\n'), {
      nameservers: ['192.0.2.1'],
      searches: ['c'],
      options: [],
    });
  });
});

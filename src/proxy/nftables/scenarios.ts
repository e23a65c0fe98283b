/**
 * Named cluster states shared by the golden-file tests, the packet traces, the incremental-sync
 * tests and the e2e `nft -c` check. Address plan (documentation ranges where arbitrary):
 *
 *   this node        node-a, zone-a, pod CIDR 10.244.1.0/24 (fd00:244:1::/64)
 *   other node       node-b, zone-b, pod CIDR 10.244.2.0/24
 *   service CIDR     10.96.0.0/12 (fd00:96::/112)
 *   external IPs     203.0.113.0/24      LoadBalancer IPs 198.51.100.0/24
 *   outside client   192.0.2.100
 */
import type { EndpointSlice } from '../../api/types/discovery.js';
import type { Service } from '../../api/types/core.js';
import { makeService, makeSlice } from '../fixtures.js';
import type { NftContext } from './ruleset.js';

export const ctx4: NftContext = {
  family: 'IPv4',
  node: { name: 'node-a', zone: 'zone-a' },
  localCIDRs: ['10.244.1.0/24'],
  serviceCIDRs: ['10.96.0.0/12'],
  masqueradeBit: 14,
};

export const ctx6: NftContext = {
  family: 'IPv6',
  node: { name: 'node-a', zone: 'zone-a' },
  localCIDRs: ['fd00:244:1::/64'],
  serviceCIDRs: ['fd00:96::/112'],
  masqueradeBit: 14,
};

export interface Scenario {
  readonly name: string;
  readonly ctx: NftContext;
  readonly services: readonly Service[];
  readonly slices: readonly EndpointSlice[];
}

const a = (ip: string): { ip: string; node: string; zone: string } => ({
  ip,
  node: 'node-a',
  zone: 'zone-a',
});
const b = (ip: string): { ip: string; node: string; zone: string } => ({
  ip,
  node: 'node-b',
  zone: 'zone-b',
});
const http = [{ name: 'http', port: 8080 }];

export const scenarios: readonly Scenario[] = [
  { name: 'empty', ctx: ctx4, services: [], slices: [] },
  {
    name: 'clusterip',
    ctx: ctx4,
    services: [
      makeService('web', '10.96.0.20'),
      makeService('kube-dns', '10.96.0.10', {
        namespace: 'kube-system',
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        ],
      }),
      makeService('empty', '10.96.0.30'),
      makeService('sctp', '10.96.0.40', { ports: [{ name: 'x', port: 9999, protocol: 'SCTP' }] }),
      makeService('db', 'None'),
      makeService('alias', '', { type: 'ExternalName', externalName: 'example.org' }),
      makeService('other-proxy', '10.96.0.50', {
        labels: { 'service.kubernetes.io/service-proxy-name': 'x' },
      }),
    ],
    slices: [
      makeSlice('web', http, [
        a('10.244.1.5'),
        b('10.244.2.6'),
        { ...b('10.244.2.7'), ready: false },
      ]),
      makeSlice(
        'kube-dns',
        [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
        [a('10.244.1.3')],
        { namespace: 'kube-system' },
      ),
      makeSlice('sctp', [{ name: 'x', port: 9999, protocol: 'SCTP' }], [b('10.244.2.9')]),
      makeSlice('db', http, [a('10.244.1.8')]),
      makeSlice('other-proxy', http, [a('10.244.1.9')]),
    ],
  },
  {
    name: 'nodeport',
    ctx: ctx4,
    services: [
      makeService('np-cluster', '10.96.1.1', {
        type: 'NodePort',
        ports: [{ name: 'http', port: 80, nodePort: 30080 }],
      }),
      makeService('np-local', '10.96.1.2', {
        type: 'NodePort',
        externalTrafficPolicy: 'Local',
        ports: [{ name: 'http', port: 80, nodePort: 30081 }],
      }),
      makeService('np-local-none', '10.96.1.3', {
        type: 'NodePort',
        externalTrafficPolicy: 'Local',
        ports: [{ name: 'http', port: 80, nodePort: 30082 }],
      }),
      makeService('np-udp', '10.96.1.4', {
        type: 'NodePort',
        ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }],
      }),
      makeService('np-empty', '10.96.1.5', {
        type: 'NodePort',
        ports: [{ name: 'http', port: 80, nodePort: 30085 }],
      }),
    ],
    slices: [
      makeSlice('np-cluster', http, [a('10.244.1.10'), b('10.244.2.10')]),
      makeSlice('np-local', http, [a('10.244.1.11'), b('10.244.2.11')]),
      makeSlice('np-local-none', http, [b('10.244.2.12')]),
      makeSlice('np-udp', [{ name: 'dns', port: 5353, protocol: 'UDP' }], [b('10.244.2.13')]),
    ],
  },
  {
    name: 'external',
    ctx: ctx4,
    services: [
      makeService('ext', '10.96.2.1', { externalIPs: ['203.0.113.10'] }),
      makeService('lb', '10.96.2.2', {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 32000,
        ports: [{ name: 'http', port: 80, nodePort: 30090 }],
        lbIngress: ['198.51.100.10'],
      }),
      makeService('lb-cluster', '10.96.2.3', {
        type: 'LoadBalancer',
        ports: [{ name: 'http', port: 80, nodePort: 30091 }],
        lbIngress: ['198.51.100.11'],
        loadBalancerSourceRanges: ['192.0.2.0/25', '203.0.113.0/24'],
      }),
    ],
    slices: [
      makeSlice('ext', http, [b('10.244.2.20')]),
      makeSlice('lb', http, [a('10.244.1.21'), b('10.244.2.21')]),
      makeSlice('lb-cluster', http, [b('10.244.2.22')]),
    ],
  },
  {
    name: 'affinity',
    ctx: ctx4,
    services: [
      makeService('sticky', '10.96.3.1', {
        type: 'NodePort',
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
        ports: [{ name: 'http', port: 80, nodePort: 30100 }],
      }),
      makeService('sticky-default', '10.96.3.2', { sessionAffinity: 'ClientIP' }),
    ],
    slices: [
      makeSlice('sticky', http, [a('10.244.1.30'), b('10.244.2.30')]),
      makeSlice('sticky-default', http, [b('10.244.2.31')]),
    ],
  },
  {
    name: 'policies',
    ctx: ctx4,
    services: [
      makeService('itp-local', '10.96.4.1', { internalTrafficPolicy: 'Local' }),
      makeService('itp-local-none', '10.96.4.2', { internalTrafficPolicy: 'Local' }),
      makeService('terminating', '10.96.4.3'),
      makeService('prefer-close', '10.96.4.4', { trafficDistribution: 'PreferClose' }),
      makeService('hinted', '10.96.4.5'),
    ],
    slices: [
      makeSlice('itp-local', http, [a('10.244.1.40'), b('10.244.2.40')]),
      makeSlice('itp-local-none', http, [b('10.244.2.41')]),
      makeSlice('terminating', http, [
        { ...a('10.244.1.42'), ready: false, serving: true, terminating: true },
        { ...b('10.244.2.42'), ready: false, serving: false, terminating: true },
      ]),
      makeSlice('prefer-close', http, [a('10.244.1.43'), b('10.244.2.43'), b('10.244.2.44')]),
      makeSlice('hinted', http, [
        { ...b('10.244.2.45'), zoneHints: ['zone-a'] },
        { ...b('10.244.2.46'), zoneHints: ['zone-b'] },
      ]),
    ],
  },
  {
    name: 'ipv6',
    ctx: ctx6,
    services: [
      makeService('web6', 'fd00:96::20', {
        type: 'NodePort',
        ipFamilies: ['IPv6'],
        ports: [{ name: 'http', port: 80, nodePort: 30200 }],
      }),
      makeService('sticky6', 'fd00:96::21', { sessionAffinity: 'ClientIP' }),
    ],
    slices: [
      makeSlice('web6', http, [a('fd00:244:1::5'), b('fd00:244:2::6')], { addressType: 'IPv6' }),
      makeSlice('sticky6', http, [a('fd00:244:1::7')], { addressType: 'IPv6' }),
    ],
  },
];

export function scenario(name: string): Scenario {
  const s = scenarios.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario ${name}`);
  return s;
}

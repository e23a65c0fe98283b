/**
 * Packet traces through the rulesets of scenarios.ts (address plan there). The node's own
 * addresses: 172.18.0.10 (its LAN address), 10.244.1.1 (the pod bridge), 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entriesOf } from '../changetracker.js';
import { FakeNft } from './fake.js';
import { TableIndex } from './index.js';
import { computeRuleset, rulesetFragments, tableComment } from './ruleset.js';
import { scenario } from './scenarios.js';
import type { TracePacket } from './trace.js';
import { inCIDR, summarize, tokenize, tracePacket } from './trace.js';

const env = { localAddresses: ['172.18.0.10', '10.244.1.1', '127.0.0.1', 'fd00:18::10', '::1'] };
const pod = '10.244.1.2';
const outside = '192.0.2.100';
const node = '172.18.0.10';

interface Case {
  readonly name: string;
  readonly packet: TracePacket;
  readonly want: readonly string[];
}

function tcp(from: TracePacket['from'], src: string, dst: string, dport: number): TracePacket {
  return { from, src, dst, dport, protocol: 'tcp' };
}

async function load(name: string): Promise<FakeNft> {
  const s = scenario(name);
  const nft = new FakeNft();
  const r = computeRuleset(s.ctx, entriesOf(s.services, s.slices, s.ctx.family));
  await nft.run(
    new TableIndex(s.ctx.family)
      .planFull(rulesetFragments(r), undefined, tableComment)
      .script.toString(),
  );
  return nft;
}

const tables: Record<string, readonly Case[]> = {
  clusterip: [
    {
      name: 'pod to ClusterIP keeps its source',
      packet: tcp('pod', pod, '10.96.0.20', 80),
      want: ['10.244.1.5:8080', '10.244.2.6:8080'],
    },
    {
      name: 'an endpoint reaching itself is masqueraded (hairpin), others not',
      packet: tcp('pod', '10.244.1.5', '10.96.0.20', 80),
      want: ['10.244.1.5:8080 masq', '10.244.2.6:8080'],
    },
    {
      name: 'the node itself is DNATed and masqueraded',
      packet: tcp('node', node, '10.96.0.20', 80),
      want: ['10.244.1.5:8080 masq', '10.244.2.6:8080 masq'],
    },
    {
      name: 'an outside client routed to a ClusterIP is masqueraded',
      packet: tcp('external', outside, '10.96.0.20', 80),
      want: ['10.244.1.5:8080 masq', '10.244.2.6:8080 masq'],
    },
    {
      name: 'a Service with no endpoints refuses',
      packet: tcp('pod', pod, '10.96.0.30', 80),
      want: ['reject'],
    },
    {
      name: 'the node gets the refusal too',
      packet: tcp('node', node, '10.96.0.30', 80),
      want: ['reject'],
    },
    {
      name: 'a port the ClusterIP does not expose is refused',
      packet: tcp('pod', pod, '10.96.0.20', 81),
      want: ['reject'],
    },
    {
      name: 'a service-CIDR address no Service holds is dropped',
      packet: tcp('pod', pod, '10.96.0.99', 80),
      want: ['drop'],
    },
    {
      name: 'and from the node as well',
      packet: tcp('node', node, '10.96.0.99', 80),
      want: ['drop'],
    },
    {
      name: 'UDP DNS',
      packet: { from: 'pod', src: pod, dst: '10.96.0.10', dport: 53, protocol: 'udp' },
      want: ['10.244.1.3:53'],
    },
    {
      name: 'TCP DNS on the same port',
      packet: tcp('pod', pod, '10.96.0.10', 53),
      want: ['10.244.1.3:53'],
    },
    {
      name: 'SCTP',
      packet: { from: 'pod', src: pod, dst: '10.96.0.40', dport: 9999, protocol: 'sctp' },
      want: ['10.244.2.9:9999'],
    },
    {
      name: 'other traffic is untouched',
      packet: tcp('pod', pod, '192.0.2.50', 80),
      want: ['accept'],
    },
    {
      name: 'headless Services are not proxied',
      packet: tcp('pod', pod, '10.96.0.50', 80),
      want: ['drop'],
    },
  ],
  nodeport: [
    {
      name: 'NodePort from outside, ETP Cluster: masqueraded, all endpoints',
      packet: tcp('external', outside, node, 30080),
      want: ['10.244.1.10:8080 masq', '10.244.2.10:8080 masq'],
    },
    {
      name: 'NodePort on the bridge address too',
      packet: tcp('external', outside, '10.244.1.1', 30080),
      want: ['10.244.1.10:8080 masq', '10.244.2.10:8080 masq'],
    },
    {
      name: 'ETP Local from outside: local endpoint, client IP kept',
      packet: tcp('external', outside, node, 30081),
      want: ['10.244.1.11:8080'],
    },
    {
      name: 'ETP Local from a local pod: short-circuit to all endpoints',
      packet: tcp('pod', pod, node, 30081),
      want: ['10.244.1.11:8080', '10.244.2.11:8080'],
    },
    {
      name: 'ETP Local from the node: all endpoints, masqueraded',
      packet: tcp('node', node, node, 30081),
      want: ['10.244.1.11:8080 masq', '10.244.2.11:8080 masq'],
    },
    {
      name: 'ETP Local with no local endpoint drops outside traffic',
      packet: tcp('external', outside, node, 30082),
      want: ['drop'],
    },
    {
      name: 'but a local pod still gets through',
      packet: tcp('pod', pod, node, 30082),
      want: ['10.244.2.12:8080'],
    },
    {
      name: 'a node port with no endpoints refuses',
      packet: tcp('external', outside, node, 30085),
      want: ['reject'],
    },
    {
      name: 'UDP node port',
      packet: { from: 'external', src: outside, dst: node, dport: 30053, protocol: 'udp' },
      want: ['10.244.2.13:5353 masq'],
    },
    {
      name: 'no node ports on loopback',
      packet: tcp('node', '127.0.0.1', '127.0.0.1', 30080),
      want: ['accept'],
    },
    {
      name: 'the node port belongs to its protocol only',
      packet: { from: 'external', src: outside, dst: node, dport: 30080, protocol: 'udp' },
      want: ['accept'],
    },
  ],
  external: [
    {
      name: 'external IP: DNAT and masquerade',
      packet: tcp('external', outside, '203.0.113.10', 80),
      want: ['10.244.2.20:8080 masq'],
    },
    {
      name: 'external IP from a pod: no masquerade for ETP Cluster? kube-proxy masquerades',
      packet: tcp('pod', pod, '203.0.113.10', 80),
      want: ['10.244.2.20:8080 masq'],
    },
    {
      name: 'LB IP with ETP Local from outside: local endpoint, client IP kept',
      packet: tcp('external', outside, '198.51.100.10', 80),
      want: ['10.244.1.21:8080'],
    },
    {
      name: 'LB IP with ETP Local from a pod: every endpoint',
      packet: tcp('pod', pod, '198.51.100.10', 80),
      want: ['10.244.1.21:8080', '10.244.2.21:8080'],
    },
    {
      name: 'LB IP with ETP Cluster',
      packet: tcp('external', outside, '198.51.100.11', 80),
      want: ['10.244.2.22:8080 masq'],
    },
    {
      name: 'an external IP on another port is not captured',
      packet: tcp('external', outside, '203.0.113.10', 443),
      want: ['accept'],
    },
    {
      name: 'loadBalancerSourceRanges drop other sources at the LB IP',
      packet: tcp('external', '192.0.2.200', '198.51.100.11', 80),
      want: ['drop'],
    },
  ],
  affinity: [
    {
      name: 'affinity Service picks among its endpoints',
      packet: tcp('pod', pod, '10.96.3.1', 80),
      want: ['10.244.1.30:8080', '10.244.2.30:8080'],
    },
    {
      name: 'affinity through the node port',
      packet: tcp('external', outside, node, 30100),
      want: ['10.244.1.30:8080 masq', '10.244.2.30:8080 masq'],
    },
    {
      name: 'hairpin with affinity',
      packet: tcp('pod', '10.244.1.30', '10.96.3.1', 80),
      want: ['10.244.1.30:8080 masq', '10.244.2.30:8080'],
    },
  ],
  policies: [
    {
      name: 'ITP Local: only the local endpoint',
      packet: tcp('pod', pod, '10.96.4.1', 80),
      want: ['10.244.1.40:8080'],
    },
    {
      name: 'ITP Local with no local endpoint drops pod traffic (TP-01)',
      packet: tcp('pod', pod, '10.96.4.2', 80),
      want: ['drop'],
    },
    {
      name: 'and node traffic (TP-02)',
      packet: tcp('node', node, '10.96.4.2', 80),
      want: ['drop'],
    },
    {
      name: 'terminating but serving endpoints are used when none is ready',
      packet: tcp('pod', pod, '10.96.4.3', 80),
      want: ['10.244.1.42:8080'],
    },
    {
      name: 'PreferClose keeps traffic in the zone',
      packet: tcp('pod', pod, '10.96.4.4', 80),
      want: ['10.244.1.43:8080'],
    },
    { name: 'zone hints', packet: tcp('pod', pod, '10.96.4.5', 80), want: ['10.244.2.45:8080'] },
  ],
  ipv6: [
    {
      name: 'IPv6 ClusterIP',
      packet: tcp('pod', 'fd00:244:1::2', 'fd00:96::20', 80),
      want: ['[fd00:244:1::5]:8080', '[fd00:244:2::6]:8080'],
    },
    {
      name: 'IPv6 node port',
      packet: tcp('external', 'fd00:18::100', 'fd00:18::10', 30200),
      want: ['[fd00:244:1::5]:8080 masq', '[fd00:244:2::6]:8080 masq'],
    },
    {
      name: 'IPv6 affinity',
      packet: tcp('pod', 'fd00:244:1::2', 'fd00:96::21', 80),
      want: ['[fd00:244:1::7]:8080'],
    },
    {
      name: 'IPv6 unallocated service address',
      packet: tcp('pod', 'fd00:244:1::2', 'fd00:96::99', 80),
      want: ['drop'],
    },
  ],
};

describe('packet traces', () => {
  for (const [name, cases] of Object.entries(tables)) {
    describe(`scenario ${name}`, () => {
      for (const c of cases) {
        it(c.name, async () => {
          const nft = await load(name);
          const family = c.packet.dst.includes(':') ? 'IPv6' : 'IPv4';
          assert.deepEqual(summarize(tracePacket(nft, family, c.packet, env)), [...c.want].sort());
        });
      }
    });
  }
});

describe('tracer helpers', () => {
  it('tokenize() keeps braces and quotes together', () => {
    assert.deepEqual(
      tokenize('numgen random mod 2 vmap { 0 : goto a, 1 : goto b } comment "x y"'),
      ['numgen', 'random', 'mod', '2', 'vmap', '{ 0 : goto a, 1 : goto b }', 'comment', '"x y"'],
    );
  });
  it('inCIDR() matches IPv4 and IPv6 prefixes', () => {
    assert.equal(inCIDR('10.244.1.7', '10.244.1.0/24'), true);
    assert.equal(inCIDR('10.244.2.7', '10.244.1.0/24'), false);
    assert.equal(inCIDR('fd00:244:1::9', 'fd00:244:1::/64'), true);
    assert.equal(inCIDR('fd00:244:2::9', 'fd00:244:1::/64'), false);
    assert.equal(inCIDR('10.0.0.1', 'fd00::/8'), false);
  });
});

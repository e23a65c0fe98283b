import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeService } from './fixtures.js';
import { servicePorts, skipReason } from './serviceport.js';
import { categorizeEndpoints } from './topology.js';
import type { EndpointInfo, ServicePortInfo } from './types.js';

const node = { name: 'node-a', zone: 'zone-a' };

function ep(ip: string, o: Partial<EndpointInfo> = {}): EndpointInfo {
  return {
    ip,
    port: 8080,
    ready: true,
    serving: true,
    terminating: false,
    nodeName: 'node-b',
    zone: 'zone-b',
    zoneHints: undefined,
    nodeHints: undefined,
    ...o,
  };
}

function port(o: Parameters<typeof makeService>[2] = {}): ServicePortInfo {
  const p = servicePorts(makeService('s', '10.96.0.1', o), 'IPv4')[0];
  assert.ok(p);
  return p;
}

const ips = (eps: readonly EndpointInfo[]): string[] => eps.map((e) => e.ip);

describe('categorizeEndpoints()', () => {
  const local = ep('10.244.1.2', { nodeName: 'node-a', zone: 'zone-a' });
  const remote = ep('10.244.2.2');
  const unready = ep('10.244.2.3', { ready: false, serving: false });

  it('uses ready endpoints for Cluster policies', () => {
    const c = categorizeEndpoints([local, remote, unready], port(), node);
    assert.deepEqual(ips(c.cluster), ['10.244.1.2', '10.244.2.2']);
    assert.deepEqual(c.local, []);
    assert.equal(c.hasAny, true);
  });

  it('uses node-local ones for internalTrafficPolicy Local, and knows others exist', () => {
    const c = categorizeEndpoints([remote], port({ internalTrafficPolicy: 'Local' }), node);
    assert.deepEqual(c.local, []);
    assert.deepEqual(c.cluster, []);
    assert.equal(c.hasAny, true, 'traffic is dropped, not refused');
  });

  it('keeps cluster endpoints for ETP Local (pods short-circuit) besides the local ones', () => {
    const c = categorizeEndpoints(
      [local, remote],
      port({
        type: 'NodePort',
        externalTrafficPolicy: 'Local',
        ports: [{ port: 80, nodePort: 30001 }],
      }),
      node,
    );
    assert.deepEqual(ips(c.cluster), ['10.244.1.2', '10.244.2.2']);
    assert.deepEqual(ips(c.local), ['10.244.1.2']);
  });

  it('falls back to serving terminating endpoints, locally too', () => {
    const term = ep('10.244.1.5', {
      ready: false,
      serving: true,
      terminating: true,
      nodeName: 'node-a',
    });
    const gone = ep('10.244.2.5', { ready: false, serving: false, terminating: true });
    assert.deepEqual(ips(categorizeEndpoints([term, gone], port(), node).cluster), ['10.244.1.5']);
    assert.deepEqual(
      ips(categorizeEndpoints([term, gone], port({ internalTrafficPolicy: 'Local' }), node).local),
      ['10.244.1.5'],
    );
    const c = categorizeEndpoints([gone], port(), node);
    assert.equal(c.hasAny, false, 'nothing serves: refuse');
  });

  it('follows zone hints only when every ready endpoint has them and one is for this zone', () => {
    const a = ep('10.244.2.10', { zoneHints: ['zone-a'] });
    const b = ep('10.244.2.11', { zoneHints: ['zone-b'] });
    assert.deepEqual(ips(categorizeEndpoints([a, b], port(), node).cluster), ['10.244.2.10']);
    const c = ep('10.244.2.12');
    assert.equal(categorizeEndpoints([a, b, c], port(), node).cluster.length, 3);
    assert.equal(categorizeEndpoints([b], port(), node).cluster.length, 1, 'no hint for us: all');
  });

  it('prefers same-zone endpoints for trafficDistribution PreferClose without hints', () => {
    assert.deepEqual(
      ips(
        categorizeEndpoints([local, remote], port({ trafficDistribution: 'PreferClose' }), node)
          .cluster,
      ),
      ['10.244.1.2'],
    );
    assert.equal(
      categorizeEndpoints([remote], port({ trafficDistribution: 'PreferClose' }), node).cluster
        .length,
      1,
    );
    assert.equal(
      categorizeEndpoints([local, remote], port(), node).cluster.length,
      2,
      'only when asked',
    );
  });
});

describe('servicePorts()', () => {
  it('skips what kube-proxy skips', () => {
    assert.equal(skipReason(makeService('h', 'None')), 'headless');
    assert.equal(
      skipReason(makeService('x', '', { type: 'ExternalName', externalName: 'example.org' })),
      'ExternalName',
    );
    assert.equal(
      skipReason(
        makeService('o', '10.96.0.3', {
          labels: { 'service.kubernetes.io/service-proxy-name': 'other' },
        }),
      ),
      'service-proxy-name label',
    );
    assert.equal(
      skipReason(
        makeService('l', '10.96.0.4', { labels: { 'service.kubernetes.io/headless': '' } }),
      ),
      'headless label',
    );
    assert.equal(skipReason(makeService('ok', '10.96.0.5')), undefined);
  });

  it('reads node ports, external and LB IPs, affinity and policies per family', () => {
    const [p] = servicePorts(
      makeService('lb', '10.96.0.6', {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 32100,
        externalIPs: ['203.0.113.5', '2001:db8::5'],
        sessionAffinity: 'ClientIP',
        loadBalancerSourceRanges: ['192.0.2.0/24'],
        ports: [{ name: 'http', port: 80, nodePort: 30080 }],
        lbIngress: ['198.51.100.6'],
      }),
      'IPv4',
    );
    assert.ok(p);
    assert.equal(p.key, 'default/lb/tcp/80');
    assert.equal(p.nodePort, 30080);
    assert.deepEqual(p.externalIPs, ['203.0.113.5']);
    assert.deepEqual(p.loadBalancerIPs, ['198.51.100.6']);
    assert.deepEqual(p.loadBalancerSourceRanges, ['192.0.2.0/24']);
    assert.equal(p.affinityTimeoutSeconds, 10800);
    assert.equal(p.externalPolicyLocal, true);
    assert.equal(p.healthCheckNodePort, 32100);
    assert.deepEqual(servicePorts(makeService('v4only', '10.96.0.7'), 'IPv6'), []);
  });

  it('ignores node ports of ClusterIP Services and Proxy-mode LB IPs', () => {
    const svc = makeService('c', '10.96.0.8', {
      ports: [{ name: 'x', port: 80, nodePort: 30099 }],
    });
    assert.equal(servicePorts(svc, 'IPv4')[0]?.nodePort, 0);
    const lb = makeService('lb', '10.96.0.9', {
      type: 'LoadBalancer',
      ports: [{ port: 80, nodePort: 30098 }],
    });
    lb.status = { loadBalancer: { ingress: [{ ip: '198.51.100.9', ipMode: 'Proxy' }] } };
    assert.deepEqual(servicePorts(lb, 'IPv4')[0]?.loadBalancerIPs, []);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { annotationLastChangeTriggerTime } from '../api/types/discovery.js';
import { ClusterState, triggerTime } from './changetracker.js';
import { makeService, makeSlice } from './fixtures.js';

const http = [{ name: 'http', port: 8080 }];

describe('ClusterState', () => {
  it('joins Service ports to slice ports by name and protocol, across slices (CIP-11)', () => {
    const s = new ClusterState('node-a');
    s.updateService(
      undefined,
      makeService('custom', '10.96.0.5', {
        ports: [
          { name: 'port80', port: 80 },
          { name: 'port81', port: 81 },
          { name: 'dns', port: 53, protocol: 'UDP' },
        ],
      }),
    );
    s.updateSlice(
      undefined,
      makeSlice('custom', [{ name: 'port80', port: 8090 }], ['10.244.1.9'], { sliceName: 'a' }),
      0,
    );
    s.updateSlice(
      undefined,
      makeSlice('custom', [{ name: 'port81', port: 9090 }], ['10.244.1.9'], { sliceName: 'b' }),
      0,
    );
    s.updateSlice(
      undefined,
      makeSlice('custom', [{ name: 'dns', port: 53, protocol: 'TCP' }], ['10.244.1.7'], {
        sliceName: 'c',
      }),
      0,
    );
    const byPort = Object.fromEntries(
      s
        .entries('default/custom', 'IPv4')
        .map((e) => [e.info.portName, e.endpoints.map((x) => `${x.ip}:${x.port}`)]),
    );
    assert.deepEqual(byPort, { port80: ['10.244.1.9:8090'], port81: ['10.244.1.9:9090'], dns: [] });
  });

  it('keeps one copy of an address that two slices list, the ready one', () => {
    const s = new ClusterState('node-a');
    s.updateService(undefined, makeService('web', '10.96.0.5'));
    s.updateSlice(
      undefined,
      makeSlice('web', http, [{ ip: '10.244.1.2', ready: false }], { sliceName: 'x' }),
      0,
    );
    s.updateSlice(
      undefined,
      makeSlice('web', http, ['10.244.1.2', '10.244.1.10'], { sliceName: 'y' }),
      0,
    );
    const eps = s.entries('default/web', 'IPv4')[0]?.endpoints ?? [];
    assert.deepEqual(
      eps.map((e) => [e.ip, e.ready]),
      [
        ['10.244.1.2', true],
        ['10.244.1.10', true],
      ],
    );
  });

  it('records a change only when something the rules use changed', () => {
    const s = new ClusterState('node-a');
    const svc = makeService('web', '10.96.0.5');
    assert.equal(s.updateService(undefined, svc), true);
    s.takeChanges();
    assert.equal(
      s.updateService(svc, { ...svc, metadata: { ...svc.metadata, resourceVersion: '7' } }),
      false,
    );
    assert.equal(s.pendingServices, 0);
    const slice = makeSlice('web', http, ['10.244.1.2']);
    assert.equal(s.updateSlice(undefined, slice, 0), true);
    assert.equal(
      s.updateSlice(slice, { ...slice, metadata: { ...slice.metadata, resourceVersion: '9' } }, 0),
      false,
    );
    assert.equal(s.updateSlice(slice, makeSlice('web', http, ['10.244.1.3']), 0), true);
    assert.deepEqual([...s.takeChanges().services], ['default/web']);
  });

  it('follows a slice relabelled to another Service, and deletes', () => {
    const s = new ClusterState('node-a');
    const a = makeSlice('a', http, ['10.244.1.2'], { sliceName: 'moving' });
    s.updateSlice(undefined, a, 0);
    s.takeChanges();
    const b = makeSlice('b', http, ['10.244.1.2'], { sliceName: 'moving' });
    s.updateSlice(a, b, 0);
    assert.deepEqual([...s.takeChanges().services].sort(), ['default/a', 'default/b']);
    assert.equal(s.slices('default/a').length, 0);
    assert.equal(s.slices('default/b').length, 1);
    s.updateSlice(b, undefined, 0);
    assert.deepEqual([...s.takeChanges().services], ['default/b']);
    assert.equal(s.slices('default/b').length, 0);
  });

  it('collects last-change-trigger-times for the latency metric and gives them back after a failure', () => {
    const s = new ClusterState('node-a');
    const at = '2024-05-01T10:00:00Z';
    s.updateSlice(
      undefined,
      makeSlice('web', http, ['10.244.1.2'], {
        annotations: { [annotationLastChangeTriggerTime]: at },
      }),
      Date.parse(at) + 5000,
    );
    const c = s.takeChanges();
    assert.deepEqual(c.triggerTimes.get('default/web'), [Date.parse(at)]);
    s.restoreChanges({ services: new Set(), triggerTimes: c.triggerTimes });
    assert.deepEqual(s.takeChanges().triggerTimes.get('default/web'), [Date.parse(at)]);
  });

  it('ignores trigger times that are missing, malformed or in the future', () => {
    const slice = (v: string) =>
      makeSlice('web', http, [], { annotations: { [annotationLastChangeTriggerTime]: v } });
    assert.equal(triggerTime(makeSlice('web', http, []), 0), undefined);
    assert.equal(triggerTime(slice('yesterday'), 0), undefined);
    assert.equal(
      triggerTime(slice('2030-01-01T00:00:00Z'), Date.parse('2024-01-01T00:00:00Z')),
      undefined,
    );
  });

  it('serves each family its own ClusterIP and slices', () => {
    const s = new ClusterState('node-a');
    s.updateService(
      undefined,
      makeService('dual', '10.96.0.9', {
        clusterIPs: ['10.96.0.9', 'fd00:96::9'],
        ipFamilies: ['IPv4', 'IPv6'],
      }),
    );
    s.updateSlice(undefined, makeSlice('dual', http, ['10.244.1.2'], { sliceName: 'v4' }), 0);
    s.updateSlice(
      undefined,
      makeSlice('dual', http, ['fd00:244:1::2'], { sliceName: 'v6', addressType: 'IPv6' }),
      0,
    );
    const v4 = s.entries('default/dual', 'IPv4')[0];
    const v6 = s.entries('default/dual', 'IPv6')[0];
    assert.equal(v4?.info.clusterIP, '10.96.0.9');
    assert.deepEqual(
      v4?.endpoints.map((e) => e.ip),
      ['10.244.1.2'],
    );
    assert.equal(v6?.info.clusterIP, 'fd00:96::9');
    assert.deepEqual(
      v6?.endpoints.map((e) => e.ip),
      ['fd00:244:1::2'],
    );
  });

  it('reports node changes that matter to the rules only', () => {
    const s = new ClusterState('node-a');
    const node = {
      metadata: { name: 'node-a', labels: { 'topology.kubernetes.io/zone': 'z1' } },
      spec: { podCIDR: '10.244.1.0/24' },
    };
    assert.equal(s.updateNode(node), true);
    assert.equal(
      s.updateNode({ ...node, metadata: { ...node.metadata, resourceVersion: '3' } }),
      false,
    );
    assert.deepEqual(s.node(), { name: 'node-a', zone: 'z1', podCIDRs: ['10.244.1.0/24'] });
  });
});

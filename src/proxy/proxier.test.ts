import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { annotationLastChangeTriggerTime } from '../api/types/discovery.js';
import { FakeClock } from './fakeclock.js';
import { makeService, makeSlice } from './fixtures.js';
import { ServiceHealthServer } from './health.js';
import { NftablesBackend } from './nftables/backend.js';
import { FakeNft } from './nftables/fake.js';
import { Proxier } from './proxier.js';

const http = [{ name: 'http', port: 8080 }];

function setup(): { clock: FakeClock; nft: FakeNft; proxier: Proxier } {
  const clock = new FakeClock();
  const nft = new FakeNft();
  const backend = new NftablesBackend({
    family: 'IPv4',
    nft,
    clusterCIDRs: ['10.244.0.0/16'],
    serviceCIDRs: ['10.96.0.0/12'],
  });
  const proxier = new Proxier({
    nodeName: 'node-a',
    backends: [backend],
    clock,
    minSyncPeriodMs: 1_000,
    syncPeriodMs: 30_000,
  });
  return { clock, nft, proxier };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

describe('Proxier', () => {
  it('programs nothing until both Services and EndpointSlices have been listed', async () => {
    const { nft, proxier } = setup();
    proxier.onServiceAdd(makeService('web', '10.96.0.20'));
    proxier.onServicesSynced();
    await proxier.sync();
    assert.equal(nft.scripts.length, 0);
    proxier.onSliceAdd(makeSlice('web', http, ['10.244.2.1']));
    proxier.onSlicesSynced();
    await proxier.sync();
    assert.equal(nft.scripts.length, 1);
    assert.match(nft.dump('IPv4'), /10\.96\.0\.20 \. 80 \. 0 : 10\.244\.2\.1 \. 8080/);
  });

  it('applies changes through the runner and measures network programming latency', async () => {
    const { clock, nft, proxier } = setup();
    const ac = new AbortController();
    proxier.onServicesSynced();
    proxier.onSlicesSynced();
    const loop = proxier.run(ac.signal);
    await clock.advance(10);
    assert.equal(nft.scripts.length, 1, 'the first sync runs at once');
    proxier.onServiceAdd(makeService('web', '10.96.0.20'));
    const trigger = new Date(clock.now() - 2_000).toISOString();
    proxier.onSliceAdd(
      makeSlice('web', http, ['10.244.2.1'], {
        annotations: { [annotationLastChangeTriggerTime]: trigger },
      }),
    );
    await clock.advance(1_500);
    assert.equal(nft.scripts.length, 2);
    assert.doesNotMatch(nft.scripts[1] ?? '', /add table/, 'a change is a partial sync');
    assert.equal(proxier.metrics.networkProgramming.count(), 1);
    assert.match(
      proxier.metrics.registry.expose(),
      /kubeproxy_network_programming_duration_seconds_sum 2\n/,
    );
    assert.equal(proxier.health.status().healthy, true);
    ac.abort();
    await loop;
  });

  it('ignores updates that change nothing the rules use', async () => {
    const { nft, proxier } = setup();
    proxier.onServicesSynced();
    proxier.onSlicesSynced();
    const svc = makeService('web', '10.96.0.20');
    proxier.onServiceAdd(svc);
    await proxier.sync();
    const count = nft.scripts.length;
    proxier.onServiceUpdate(svc, {
      ...svc,
      metadata: { ...svc.metadata, resourceVersion: '99', annotations: { note: 'x' } },
    });
    assert.equal(proxier.state.pendingServices, 0);
    await proxier.sync();
    assert.equal(nft.scripts.length, count);
  });

  it('retries a failed sync as a full one, counts the failure and reports unhealthy until then', async () => {
    const { clock, nft, proxier } = setup();
    const ac = new AbortController();
    proxier.onServicesSynced();
    proxier.onSlicesSynced();
    const loop = proxier.run(ac.signal);
    await clock.advance(10);
    nft.failNext = 'Error: Could not process rule: Device or resource busy';
    proxier.onServiceAdd(makeService('web', '10.96.0.20'));
    await clock.advance(1_500);
    assert.match(
      proxier.metrics.registry.expose(),
      /kubeproxy_sync_proxy_rules_nftables_sync_failures_total 1/,
    );
    await clock.advance(70_000);
    assert.equal(proxier.health.status().healthy, true);
    assert.match(nft.scripts.at(-1) ?? '', /^add table ip portico/m);
    assert.match(nft.dump('IPv4'), /10\.96\.0\.20/);
    ac.abort();
    await loop;
  });

  it('is unhealthy before the first sync and when a queued change is not applied in time', async () => {
    const { clock, nft, proxier } = setup();
    assert.equal(proxier.health.status().healthy, false);
    proxier.onServicesSynced();
    proxier.onSlicesSynced();
    await proxier.sync();
    assert.equal(proxier.health.status().healthy, true);
    proxier.onServiceAdd(makeService('web', '10.96.0.20'));
    nft.run = () => Promise.reject(new Error('nft is gone'));
    await proxier.sync();
    await clock.advance(61_000);
    assert.equal(proxier.health.status().healthy, false);
  });

  it('serves healthCheckNodePort with the number of local endpoints', async () => {
    const port = await freePort();
    const clock = new FakeClock();
    const nft = new FakeNft();
    const hc = new ServiceHealthServer({ host: '127.0.0.1' });
    const backend = new NftablesBackend({
      family: 'IPv4',
      nft,
      clusterCIDRs: [],
      serviceCIDRs: [],
    });
    const proxier = new Proxier({
      nodeName: 'node-a',
      backends: [backend],
      clock,
      serviceHealth: hc,
    });
    try {
      proxier.onServicesSynced();
      proxier.onSlicesSynced();
      proxier.onServiceAdd(
        makeService('lb', '10.96.0.30', {
          type: 'LoadBalancer',
          externalTrafficPolicy: 'Local',
          healthCheckNodePort: port,
          ports: [{ name: 'http', port: 80, nodePort: 30500 }],
        }),
      );
      proxier.onSliceAdd(
        makeSlice('lb', http, [
          { ip: '10.244.1.5', node: 'node-a' },
          { ip: '10.244.1.6', node: 'node-a' },
          { ip: '10.244.2.5', node: 'node-b' },
        ]),
      );
      await proxier.sync();
      let res = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        service: { namespace: 'default', name: 'lb' },
        localEndpoints: 2,
        serviceProxyHealthy: true,
      });
      proxier.onSliceUpdate(
        undefined,
        makeSlice('lb', http, [{ ip: '10.244.2.5', node: 'node-b' }]),
      );
      await proxier.sync();
      res = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { localEndpoints: number }).localEndpoints, 0);
      proxier.onServiceDelete(makeService('lb', '10.96.0.30'));
      await proxier.sync();
      assert.deepEqual(hc.ports, []);
    } finally {
      await hc.close();
    }
  });
});

/**
 * `portico dns` against the real API server (HTTPS, in-process) with the EndpointSlice and
 * mirroring controllers running in-process: records follow the API within a second, the DNS
 * publishes itself as kube-system/kube-dns and withdraws on stop. Queries go over UDP to
 * 127.0.0.1; there is no upstream.
 *
 * Address plan: node ptest-node at 192.0.2.20 (documentation range, never contacted); pods
 * 10.244.0.0/24; the DNS publishes 192.0.2.53.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultClusterConfig } from '../../src/api/cluster.js';
import { resources } from '../../src/api/scheme.js';
import type { Endpoints, Node, Pod, Service } from '../../src/api/types/core.js';
import type { EndpointSlice } from '../../src/api/types/discovery.js';
import { connect } from '../../src/client/connect.js';
import { InformerFactory } from '../../src/client/factory.js';
import { FakeRecorder } from '../../src/controllers/common/events.js';
import { defaultControllersConfig, type ControllerContext } from '../../src/controllers/context.js';
import { EndpointSliceController } from '../../src/controllers/endpointslice/controller.js';
import { MirroringController } from '../../src/controllers/mirroring/controller.js';
import { createController } from '../../src/controllers/runner.js';
import { startDns } from '../../src/dns/dns.js';
import { parseCidr } from '../../src/dns/ip.js';
import { queryUdp } from '../../src/dns/testing.js';
import { T } from '../../src/dns/types.js';
import { realClock } from '../../src/lib/clock.js';
import { discardLogger } from '../../src/lib/log/logger.js';
import { startTestApiServer } from '../../src/testing/apiserver.js';
import { waitFor } from '../../src/testing/wait.js';

const nodeName = 'ptest-node';

function readyPod(
  ns: string,
  name: string,
  ip: string,
  labels: Record<string, string>,
  ready: boolean,
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: ns, name, labels },
    spec: {
      nodeName,
      hostname: name,
      subdomain: 'web-headless',
      containers: [{ name: 'c', image: 'luksa/kubia' }],
    },
    status: podStatus(ip, ready),
  } as Pod;
}

function podStatus(ip: string, ready: boolean): Pod['status'] {
  const now = new Date().toISOString();
  return {
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    hostIP: '192.0.2.20',
    conditions: [
      { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
      { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now },
    ],
  };
}

test('portico dns follows the API and publishes itself', async (t) => {
  const api = await startTestApiServer(t);
  const { client } = connect({ kubeconfig: api.kubeconfig, userAgent: 'ptest-dns' });
  t.after(() => client.close());
  const ac = new AbortController();

  // The controllers that turn pods into slices and the DNS's Endpoints into a slice.
  const informers = new InformerFactory({ client, logger: discardLogger });
  const ctx: ControllerContext = {
    client,
    informers,
    clock: realClock,
    logger: discardLogger,
    recorder: () => new FakeRecorder(),
    config: defaultControllersConfig(defaultClusterConfig),
  };
  const controllers = [new EndpointSliceController(ctx), new MirroringController(ctx)].map((r) =>
    createController({ reconciler: r, logger: discardLogger }),
  );
  informers.start(ac.signal);
  const running = controllers.map((c) => c.run(ac.signal, 2));
  t.after(async () => {
    ac.abort();
    await Promise.all(running);
    await informers.stopped();
  });

  await client.create<Node>(resources.nodes, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: nodeName },
    status: { addresses: [{ type: 'InternalIP', address: '192.0.2.20' }] },
  });

  const dns = await startDns({
    client,
    logger: discardLogger,
    nodeName,
    zones: ['cluster.local'],
    ttl: 30,
    podMode: 'insecure',
    bindAddresses: ['127.0.0.1'],
    port: 0,
    metricsAddress: { host: '127.0.0.1', port: 0 },
    upstreams: [],
    cache: { capacity: 100, maxTtl: 30, maxDenialTtl: 30 },
    maxUdp: 1232,
    authoritativeCidrs: [parseCidr('10.96.0.0/12'), parseCidr('10.244.0.0/16')],
    publish: {
      namespace: 'kube-system',
      name: 'kube-dns',
      clusterIP: '10.96.0.10',
      advertiseAddress: '192.0.2.53',
    },
  });
  let stopped = false;
  t.after(() => (stopped ? undefined : dns.stop()));
  assert.equal(await dns.synced, true);
  const ask = (name: string, type: number = T.A) => queryUdp(dns.port, name, type);

  await t.test('the kubernetes Service resolves (DNS-01)', async () => {
    const r = await ask('kubernetes.default.svc.cluster.local');
    assert.deepEqual(r?.answer, ['kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1']);
  });

  await t.test(
    'published as kube-system/kube-dns: Service, Endpoints, mirrored slice',
    async () => {
      const svc = await client.get<Service>(resources.services, 'kube-system', 'kube-dns');
      assert.equal(svc.spec?.clusterIP, '10.96.0.10');
      assert.deepEqual(
        svc.spec?.ports?.map((p) => `${p.name}/${p.port}/${p.protocol}`),
        ['dns/53/UDP', 'dns-tcp/53/TCP', 'metrics/9153/TCP'],
      );
      assert.equal(svc.metadata.labels?.['k8s-app'], 'kube-dns');
      assert.equal(svc.spec?.selector, undefined);
      const ep = await waitFor(
        async () => {
          const e = await client.get<Endpoints>(resources.endpoints, 'kube-system', 'kube-dns');
          return e.subsets?.[0]?.addresses?.[0]?.ip === '192.0.2.53' ? e : undefined;
        },
        { what: 'our address in the kube-dns Endpoints', timeoutMs: 5000 },
      );
      assert.equal(ep.subsets?.[0]?.addresses?.[0]?.nodeName, nodeName);
      assert.deepEqual(
        ep.subsets?.[0]?.ports?.map((p) => `${p.name}/${p.port}/${p.protocol}`).sort(),
        [`dns-tcp/${dns.port}/TCP`, `dns/${dns.port}/UDP`, `metrics/${dns.http?.port ?? 0}/TCP`],
      );
      await waitFor(
        async () => {
          const l = await client.list<EndpointSlice>(resources.endpointslices, {
            namespace: 'kube-system',
            labelSelector: 'kubernetes.io/service-name=kube-dns',
          });
          return l.items.some((s) => s.endpoints.some((e) => e.addresses.includes('192.0.2.53')));
        },
        { what: 'the mirrored EndpointSlice of kube-dns', timeoutMs: 5000 },
      );
      const ns = await ask('cluster.local', T.NS);
      assert.deepEqual(ns?.answer, [
        'cluster.local. 30 IN NS kube-dns.kube-system.svc.cluster.local.',
      ]);
      assert.deepEqual(ns?.additional, [
        'kube-dns.kube-system.svc.cluster.local. 30 IN A 10.96.0.10',
      ]);
    },
  );

  await t.test('a Service created is answered, and NXDOMAIN once deleted, within 1 s', async () => {
    const name = 'backend-database.default.svc.cluster.local';
    assert.equal((await ask(name))?.rcode, 'NXDOMAIN');
    const created = await client.create<Service>(resources.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: 'default', name: 'backend-database' },
      spec: { ports: [{ name: 'pg', port: 5432 }], selector: { app: 'db' } },
    });
    const ip = created.spec?.clusterIP ?? '';
    await waitFor(async () => (await ask(name))?.answer[0] === `${name}. 30 IN A ${ip}`, {
      what: 'the new Service answered',
      timeoutMs: 1000,
      intervalMs: 10,
    });
    await client.delete(resources.services, 'default', 'backend-database');
    await waitFor(async () => (await ask(name))?.rcode === 'NXDOMAIN', {
      what: 'the deleted Service gone',
      timeoutMs: 1000,
      intervalMs: 10,
    });
  });

  await t.test('a pod turning unready leaves the headless answer within 1 s', async () => {
    await client.create<Service>(resources.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: 'default', name: 'web-headless' },
      spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }], selector: { app: 'web' } },
    });
    for (const [n, ip] of [
      ['web-0', '10.244.0.10'],
      ['web-1', '10.244.0.11'],
    ] as const) {
      // The API server drops status on create; the kubelet sets it through /status.
      await client.create<Pod>(resources.pods, readyPod('default', n, ip, { app: 'web' }, true));
      await client.patch(
        resources.pods,
        'default',
        n,
        'merge',
        { status: podStatus(ip, true) },
        { subresource: 'status' },
      );
    }
    const name = 'web-headless.default.svc.cluster.local';
    const ips = async (): Promise<string[]> =>
      ((await ask(name))?.answer ?? []).map((a) => a.split(' ').pop() ?? '').sort();
    await waitFor(async () => (await ips()).join() === '10.244.0.10,10.244.0.11', {
      what: 'both ready pods in the headless answer',
      timeoutMs: 5000,
    });
    const byHostname = await ask(`web-0.${name}`);
    assert.deepEqual(
      byHostname?.answer,
      [`web-0.${name}. 30 IN A 10.244.0.10`],
      'hostname.subdomain (DNS-07)',
    );
    const srv = await ask(`_http._tcp.${name}`, T.SRV);
    assert.equal(srv?.answer.length, 2);

    await client.patch(
      resources.pods,
      'default',
      'web-1',
      'merge',
      { status: podStatus('10.244.0.11', false) },
      { subresource: 'status' },
    );
    await waitFor(async () => (await ips()).join() === '10.244.0.10', {
      what: 'the unready pod gone from the headless answer',
      timeoutMs: 1000,
      intervalMs: 10,
    });
    const prog = (dns.metrics
      .expose()
      .match(
        /^coredns_kubernetes_dns_programming_duration_seconds_count\{service_kind="headless_with_selector"\} (\d+)$/m,
      ) ?? [])[1];
    assert.ok(Number(prog) > 0, 'programming latency observed');
  });

  await t.test('/metrics, /health and /ready', async () => {
    const base = `http://127.0.0.1:${dns.http?.port ?? 0}`;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(
      metrics,
      /^coredns_dns_requests_total\{family="1",proto="udp",server="dns:\/\/:0",type="A",zone="cluster.local."\} \d+$/m,
    );
    assert.match(metrics, /^coredns_dns_responses_total\{rcode="NXDOMAIN",/m);
    assert.equal((await fetch(`${base}/health`)).status, 200);
    assert.equal((await fetch(`${base}/ready`)).status, 200);
  });

  await t.test('a clean stop takes our address out of the Endpoints', async () => {
    await dns.stop();
    stopped = true;
    const e = await client.get<Endpoints>(resources.endpoints, 'kube-system', 'kube-dns');
    assert.ok(
      !(e.subsets ?? []).some((s) => (s.addresses ?? []).some((a) => a.ip === '192.0.2.53')),
    );
  });
});

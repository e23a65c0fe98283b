/**
 * The Endpoints / EndpointSlice cases of the conformance catalog (EP-*) against the real API
 * server, with the controllers running in-process over HTTPS. Tests play the node: they register
 * a Node and write pod status as a kubelet would.
 *
 * Address plan: pods 10.244.0.0/24 (node ptest-n1), user endpoints 10.1.2.0/24 and 10.0.0.0/24
 * (as in the upstream cases).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../src/api/scheme.js';
import type { Endpoints, Pod, Service } from '../../src/api/types/core.js';
import type { EndpointSlice } from '../../src/api/types/discovery.js';
import type { Client } from '../../src/client/types.js';
import { startTestApiServer } from '../../src/testing/apiserver.js';
import {
  adminClient,
  registerNode,
  setPodStatus,
  startTestControllers,
} from '../../src/testing/controllers.js';
import { waitFor } from '../../src/testing/wait.js';

const ns = 'default';

async function slices(client: Client, svc: string): Promise<EndpointSlice[]> {
  return (
    await client.list<EndpointSlice>(resources.endpointslices, {
      namespace: ns,
      labelSelector: `kubernetes.io/service-name=${svc}`,
    })
  ).items;
}

/** `{pod → [ports]}` from the controller-managed slices (the upstream validation's shape). */
async function slicePorts(client: Client, svc: string): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const s of await slices(client, svc)) {
    if (
      s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] !==
      'endpointslice-controller.k8s.io'
    )
      continue;
    for (const e of s.endpoints ?? []) {
      const name = e.targetRef?.name ?? '';
      out[name] = [...(out[name] ?? []), ...(s.ports ?? []).map((p) => p.port ?? 0)].sort();
    }
  }
  return out;
}

/** The same from the Endpoints object. */
async function endpointsPorts(
  client: Client,
  svc: string,
): Promise<Record<string, number[]> | undefined> {
  let ep: Endpoints;
  try {
    ep = await client.get<Endpoints>(resources.endpoints, ns, svc);
  } catch {
    return undefined;
  }
  const out: Record<string, number[]> = {};
  for (const s of ep.subsets ?? []) {
    for (const a of [...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])]) {
      const name = a.targetRef?.name ?? '';
      out[name] = [...(out[name] ?? []), ...(s.ports ?? []).map((p) => p.port)].sort();
    }
  }
  return out;
}

async function expectBoth(
  client: Client,
  svc: string,
  want: Record<string, number[]>,
  what: string,
): Promise<void> {
  await waitFor(
    async () => {
      const a = await slicePorts(client, svc);
      const b = await endpointsPorts(client, svc);
      return (
        JSON.stringify(a) === JSON.stringify(want) && JSON.stringify(b) === JSON.stringify(want)
      );
    },
    {
      what: `${what}: Endpoints and EndpointSlices of ${svc} = ${JSON.stringify(want)}`,
      timeoutMs: 10_000,
    },
  );
}

async function createPod(
  client: Client,
  name: string,
  labels: Record<string, string>,
  ports: { name?: string; containerPort: number; protocol?: 'TCP' | 'UDP' }[],
  ip: string,
  extra: Partial<NonNullable<Pod['spec']>> = {},
): Promise<void> {
  await client.create<Pod>(resources.pods, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { nodeName: 'ptest-n1', containers: [{ name: 'c', image: 'agnhost', ports }], ...extra },
  });
  await setPodStatus(client, ns, name, { ip, ready: true });
}

async function setup(t: TestContext) {
  const api = await startTestApiServer(t);
  const client = adminClient(api);
  await registerNode(client, 'ptest-n1');
  await startTestControllers(t, api, {
    controllers: ['endpointslice', 'endpoints', 'endpointslicemirroring'],
  });
  return { api, client };
}

test('EP-01: basic endpoints follow the pod lifecycle', async (t) => {
  const { client } = await setup(t);
  await client.create<Service>(resources.services, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'endpoint-test2', namespace: ns },
    spec: { selector: { testid: 'ep01' }, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] },
  });
  await expectBoth(client, 'endpoint-test2', {}, 'no pods');
  await createPod(client, 'pod1', { testid: 'ep01' }, [{ containerPort: 80 }], '10.244.0.11');
  await expectBoth(client, 'endpoint-test2', { pod1: [80] }, 'pod1');
  await createPod(client, 'pod2', { testid: 'ep01' }, [{ containerPort: 80 }], '10.244.0.12');
  await expectBoth(client, 'endpoint-test2', { pod1: [80], pod2: [80] }, 'pod1+pod2');
  await client.delete(resources.pods, ns, 'pod1', { gracePeriodSeconds: 0 });
  await expectBoth(client, 'endpoint-test2', { pod2: [80] }, 'pod2');
  await client.delete(resources.pods, ns, 'pod2', { gracePeriodSeconds: 0 });
  await expectBoth(client, 'endpoint-test2', {}, 'none again');
  const ep = await client.get<Endpoints>(resources.endpoints, ns, 'endpoint-test2');
  assert.equal(
    (ep.subsets ?? []).length,
    0,
    'with no pods the Endpoints object exists with no subsets',
  );
});

test('EP-02: named targetPorts resolved per pod', async (t) => {
  const { client } = await setup(t);
  await client.create<Service>(resources.services, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'multi-endpoint-test', namespace: ns },
    spec: {
      selector: { testid: 'ep02' },
      ports: [
        { name: 'portname1', port: 80, targetPort: 'svc1' },
        { name: 'portname2', port: 81, targetPort: 'svc2' },
      ],
    },
  });
  await expectBoth(client, 'multi-endpoint-test', {}, 'no pods');
  await createPod(
    client,
    'pod1',
    { testid: 'ep02' },
    [{ name: 'svc1', containerPort: 100 }],
    '10.244.0.21',
  );
  await expectBoth(client, 'multi-endpoint-test', { pod1: [100] }, 'pod1');
  await createPod(
    client,
    'pod2',
    { testid: 'ep02' },
    [{ name: 'svc2', containerPort: 101 }],
    '10.244.0.22',
  );
  await expectBoth(client, 'multi-endpoint-test', { pod1: [100], pod2: [101] }, 'both');
  const ep = await client.get<Endpoints>(resources.endpoints, ns, 'multi-endpoint-test');
  assert.equal(ep.subsets?.length, 2, 'two subsets, one per port');
  assert.deepEqual(ep.subsets?.map((s) => s.ports?.[0]?.name).sort(), ['portname1', 'portname2']);
  const managed = (await slices(client, 'multi-endpoint-test')).filter(
    (s) => s.endpoints.length > 0,
  );
  assert.equal(managed.length, 2, 'one slice per distinct port set');
  await client.delete(resources.pods, ns, 'pod1', { gracePeriodSeconds: 0 });
  await expectBoth(client, 'multi-endpoint-test', { pod2: [101] }, 'pod2');
});

test('EP-04: a service whose selector matches nothing has exactly one empty slice and an empty Endpoints', async (t) => {
  const { client } = await setup(t);
  await client.create<Service>(resources.services, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'example-empty-selector', namespace: ns },
    spec: {
      selector: {
        'does-not-match-anything': 'endpoints-and-endpoint-slices-should-still-be-created',
      },
      ports: [{ name: 'example', port: 80, protocol: 'TCP' }],
    },
  });
  const found = await waitFor(
    async () => {
      const s = await slices(client, 'example-empty-selector');
      return s.length === 1 ? s : undefined;
    },
    { what: 'one slice for example-empty-selector' },
  );
  assert.equal(
    found[0]!.metadata.labels?.['endpointslice.kubernetes.io/managed-by'],
    'endpointslice-controller.k8s.io',
  );
  assert.equal((found[0]!.endpoints ?? []).length, 0);
  assert.equal((found[0]!.ports ?? []).length, 0);
  assert.match(found[0]!.metadata.name ?? '', /^example-empty-selector-[a-z0-9]{5}$/);
  const ep = await waitFor(
    () => client.get<Endpoints>(resources.endpoints, ns, 'example-empty-selector'),
    { what: 'Endpoints' },
  );
  assert.equal((ep.subsets ?? []).length, 0);
  // Stays exactly one (no churn, no duplicates).
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await slices(client, 'example-empty-selector')).length, 1);
  await client.delete(resources.services, ns, 'example-empty-selector');
  await waitFor(
    async () => {
      try {
        await client.get(resources.endpoints, ns, 'example-empty-selector');
        return false;
      } catch {
        return true;
      }
    },
    { what: 'Endpoints gone after the service' },
  );
});

test('EP-06/EP-08/EP-11: Endpoints shape, hostname only for the matching subdomain, TCP+UDP on one port', async (t) => {
  const { client } = await setup(t);
  await client.create<Service>(resources.services, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'dns-test-service', namespace: ns },
    spec: {
      clusterIP: 'None',
      selector: { 'dns-test': 'true' },
      ports: [
        { name: 'tcp-port', port: 80, protocol: 'TCP' },
        { name: 'udp-port', port: 80, protocol: 'UDP' },
      ],
    },
  });
  await createPod(client, 'a', { 'dns-test': 'true' }, [{ containerPort: 80 }], '10.244.0.31', {
    hostname: 'dns-querier-1',
    subdomain: 'dns-test-service',
  });
  await createPod(client, 'b', { 'dns-test': 'true' }, [{ containerPort: 80 }], '10.244.0.32', {
    hostname: 'other',
    subdomain: 'some-other-svc',
  });
  const slice = await waitFor(
    async () => {
      const s = (await slices(client, 'dns-test-service')).find((x) => x.endpoints.length === 2);
      return s;
    },
    { what: 'slice with two endpoints' },
  );
  assert.equal(slice.metadata.labels?.['service.kubernetes.io/headless'], '');
  assert.deepEqual(slice.ports?.map((p) => `${p.name}:${p.port}/${p.protocol}`).sort(), [
    'tcp-port:80/TCP',
    'udp-port:80/UDP',
  ]);
  assert.equal(slice.endpoints.find((e) => e.targetRef?.name === 'a')?.hostname, 'dns-querier-1');
  assert.equal(slice.endpoints.find((e) => e.targetRef?.name === 'b')?.hostname, undefined);
  const ep = await waitFor(
    async () => {
      const e = await client.get<Endpoints>(resources.endpoints, ns, 'dns-test-service');
      return (e.subsets?.[0]?.addresses?.length ?? 0) === 2 ? e : undefined;
    },
    { what: 'Endpoints with both pods' },
  );
  assert.deepEqual(
    ep.subsets?.[0]?.ports?.map((p) => `${p.name ?? ''}:${p.port}/${p.protocol ?? ''}`).sort(),
    ['tcp-port:80/TCP', 'udp-port:80/UDP'],
  );
  const a = ep.subsets?.[0]?.addresses?.find((x) => x.targetRef?.name === 'a');
  assert.equal(a?.hostname, 'dns-querier-1');
  assert.equal(a?.nodeName, 'ptest-n1');
  assert.equal(a?.targetRef?.kind, 'Pod');
  assert.equal(ep.metadata.labels?.['service.kubernetes.io/headless'], '');
});

test('EP-07: custom Endpoints of a selector-less service are mirrored, followed and removed', async (t) => {
  const { client } = await setup(t);
  await client.create<Service>(resources.services, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'example-custom-endpoints', namespace: ns },
    spec: { ports: [{ name: 'example', port: 80, protocol: 'TCP' }] },
  });
  await client.create<Endpoints>(resources.endpoints, {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'example-custom-endpoints', namespace: ns },
    subsets: [
      { addresses: [{ ip: '10.1.2.3' }], ports: [{ name: 'example', port: 80, protocol: 'TCP' }] },
    ],
  });
  const mirrored = async () =>
    (await slices(client, 'example-custom-endpoints')).filter(
      (s) =>
        s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] ===
        'endpointslicemirroring-controller.k8s.io',
    );
  await waitFor(async () => (await mirrored())[0]?.endpoints[0]?.addresses[0] === '10.1.2.3', {
    what: 'mirrored slice',
  });
  const ep = await client.get<Endpoints>(resources.endpoints, ns, 'example-custom-endpoints');
  ep.subsets = [
    { addresses: [{ ip: '10.1.2.4' }], ports: [{ name: 'example', port: 8080, protocol: 'TCP' }] },
  ];
  await client.update(resources.endpoints, ep);
  await waitFor(
    async () => {
      const m = await mirrored();
      return (
        m.length === 1 &&
        m[0]!.endpoints[0]?.addresses[0] === '10.1.2.4' &&
        m[0]!.ports?.[0]?.port === 8080
      );
    },
    { what: 'mirrored slice follows the update' },
  );
  const all = await slices(client, 'example-custom-endpoints');
  assert.ok(
    all.every(
      (s) =>
        (s.endpoints ?? []).length === 0 ||
        s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] !==
          'endpointslice-controller.k8s.io',
    ),
    'no non-empty controller slice for a selector-less service',
  );
  // The user's Endpoints were not rewritten by the endpoints controller.
  assert.equal(
    (await client.get<Endpoints>(resources.endpoints, ns, 'example-custom-endpoints')).subsets?.[0]
      ?.addresses?.[0]?.ip,
    '10.1.2.4',
  );
  await client.delete(resources.endpoints, ns, 'example-custom-endpoints');
  await waitFor(async () => (await mirrored()).length === 0, {
    what: 'mirrored slice deleted with the Endpoints',
    timeoutMs: 5_000,
  });
});

test('EP-10 / RDY-03 / RDY-06: unready pods leave the ready set and return; relabelled pods leave', async (t) => {
  const { client } = await setup(t);
  await client.create<Service>(resources.services, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'tolerate-unready', namespace: ns },
    spec: { selector: { app: 'ep10' }, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  });
  await createPod(client, 'p1', { app: 'ep10' }, [{ containerPort: 80 }], '10.244.0.41');
  await createPod(client, 'p2', { app: 'ep10' }, [{ containerPort: 80 }], '10.244.0.42');
  const ready = async (name: string) =>
    (await slices(client, 'tolerate-unready'))
      .flatMap((s) => s.endpoints)
      .find((e) => e.targetRef?.name === name)?.conditions?.ready;
  await waitFor(async () => (await ready('p1')) === true && (await ready('p2')) === true, {
    what: 'both ready',
  });
  await setPodStatus(client, ns, 'p1', { ready: false });
  await waitFor(async () => (await ready('p1')) === false, { what: 'p1 ready:false in the slice' });
  await waitFor(
    async () => {
      const ep = await client.get<Endpoints>(resources.endpoints, ns, 'tolerate-unready');
      return ep.subsets?.[0]?.notReadyAddresses?.[0]?.targetRef?.name === 'p1';
    },
    { what: 'p1 under notReadyAddresses' },
  );
  await setPodStatus(client, ns, 'p1', { ready: true });
  await waitFor(async () => (await ready('p1')) === true, { what: 'p1 ready again' });
  // Relabel p2 out of the selector.
  await client.patch(resources.pods, ns, 'p2', 'merge', {
    metadata: { labels: { app: 'elsewhere' } },
  });
  await expectBoth(client, 'tolerate-unready', { p1: [80] }, 'p2 relabelled away');
  // p1 fails: gone from both, one empty slice remains (EP-10 B with publishNotReadyAddresses).
  await client.patch(resources.services, ns, 'tolerate-unready', 'merge', {
    spec: { publishNotReadyAddresses: true },
  });
  await setPodStatus(client, ns, 'p1', { ready: false, phase: 'Failed' });
  await expectBoth(client, 'tolerate-unready', {}, 'failed pod removed');
  assert.equal((await slices(client, 'tolerate-unready')).length, 1);
});

test('self-healing: a deleted or edited slice is put back, and nothing is duplicated', async (t) => {
  const { client } = await setup(t);
  await client.create<Service>(resources.services, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'heal', namespace: ns },
    spec: { selector: { app: 'heal' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
  });
  await createPod(client, 'h1', { app: 'heal' }, [{ containerPort: 8080 }], '10.244.0.51');
  const one = await waitFor(
    async () => {
      const s = await slices(client, 'heal');
      return s.length === 1 && s[0]!.endpoints.length === 1 ? s[0] : undefined;
    },
    { what: 'the slice' },
  );
  assert.ok(
    one.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'],
    'trigger time set',
  );
  assert.deepEqual(one.ports, [{ name: '', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(
    one.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.controller]),
    [['Service', 'heal', true]],
  );
  await client.delete(resources.endpointslices, ns, one.metadata.name ?? '');
  await waitFor(
    async () => {
      const s = await slices(client, 'heal');
      return (
        s.length === 1 && s[0]!.metadata.name !== one.metadata.name && s[0]!.endpoints.length === 1
      );
    },
    { what: 'a new slice after deletion' },
  );
  const current = (await slices(client, 'heal'))[0]!;
  current.endpoints = [{ addresses: ['203.0.113.66'], conditions: { ready: true } }];
  await client.update(resources.endpointslices, current);
  await waitFor(
    async () => {
      const s = await slices(client, 'heal');
      return s.length === 1 && s[0]!.endpoints[0]?.addresses[0] === '10.244.0.51';
    },
    { what: 'the edited slice put back' },
  );
});

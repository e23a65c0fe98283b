// Address plan: service CIDR 10.96.0.0/12 (kubeadm default), nodePorts 30000-32767; explicit
// clusterIPs from 10.96.0.0/24 (the static band); 192.168.1.1 and 203.0.113.0/24 stand for
// addresses outside the service CIDR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultClusterConfig } from '../../api/cluster.js';
import { isApiError } from '../../api/meta/status.js';
import { resources } from '../../api/scheme.js';
import type { Service, ServiceSpec } from '../../api/types/core.js';
import { parseCIDR, parseIP, cidrContains } from '../../api/validation/ip.js';
import { buildStrategies } from './strategies.js';
import { TestPipeline } from './testpipeline.js';

const svcs = resources.services;
const serviceCIDR = parseCIDR('10.96.0.0/12');

function svc(name: string, spec: ServiceSpec, extra: Partial<Service['metadata']> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', ...extra },
    spec,
  };
}

const port80 = { ports: [{ port: 80 }], selector: { app: 'd' } };

function newPipeline(): TestPipeline {
  return new TestPipeline(buildStrategies(defaultClusterConfig));
}

interface Cause {
  reason?: string;
  field?: string;
  message?: string;
}

/** Runs `f`, which must fail with 422 Invalid; returns the status message and causes. */
async function invalidOf(f: () => Promise<unknown>): Promise<{ message: string; causes: Cause[] }> {
  try {
    await f();
  } catch (e) {
    if (isApiError(e, 'Invalid')) {
      assert.equal(e.status.code, 422);
      return { message: e.status.message ?? '', causes: e.status.details?.causes ?? [] };
    }
    throw e;
  }
  assert.fail('expected 422 Invalid');
}

function inCIDR(ip: string | undefined): boolean {
  const p = parseIP(ip ?? '');
  return !!p && !!serviceCIDR && cidrContains(serviceCIDR, p);
}

test('API-10: Service names must be DNS-1035 labels', async () => {
  const p = newPipeline();
  const regexMsg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
  for (const name of ['1svc', 'My-Svc', 'svc.dotted', `a${'b'.repeat(63)}`]) {
    const r = await invalidOf(() => p.create(svcs, svc(name, port80)));
    const nameCauses = r.causes.filter((c) => c.field === 'metadata.name');
    assert.ok(nameCauses.length > 0, name);
    for (const c of nameCauses) assert.equal(c.reason, 'FieldValueInvalid');
    if (name.length > 63) {
      assert.ok(
        nameCauses.some(
          (c) => c.message === `Invalid value: "${name}": must be no more than 63 characters`,
        ),
        name,
      );
    } else {
      assert.equal(nameCauses[0]?.message, `Invalid value: "${name}": ${regexMsg}`);
      assert.equal(
        r.message,
        `Service "${name}" is invalid: metadata.name: Invalid value: "${name}": ${regexMsg}`,
      );
    }
  }
  const ok = await p.create(svcs, svc(`m${'y'.repeat(61)}s`, port80));
  assert.equal(ok.metadata.name?.length, 63);
});

test('API-11: ports are required unless headless or ExternalName', async () => {
  const p = newPipeline();
  const r = await invalidOf(() => p.create(svcs, svc('noports', { selector: { a: 'b' } })));
  assert.deepEqual(r.causes, [
    { reason: 'FieldValueRequired', field: 'spec.ports', message: 'Required value' },
  ]);
  await p.create(svcs, svc('hdlsprtls', { selector: { a: 'b' }, clusterIP: 'None' }));
  await p.create(svcs, svc('ext', { type: 'ExternalName', externalName: 'foo.example.com' }));
});

test('API-12: every port must be named when there is more than one', async () => {
  const p = newPipeline();
  const r = await invalidOf(() =>
    p.create(svcs, svc('two', { ports: [{ port: 80 }, { port: 81 }] })),
  );
  assert.deepEqual(r.causes, [
    { reason: 'FieldValueRequired', field: 'spec.ports[0].name', message: 'Required value' },
    { reason: 'FieldValueRequired', field: 'spec.ports[1].name', message: 'Required value' },
  ]);
  assert.equal(
    r.message,
    'Service "two" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: Required value]',
  );
  await p.create(svcs, svc('one', { ports: [{ port: 80 }] }));
});

test('API-14: duplicate (protocol, port) pairs are rejected; TCP and UDP may share a port', async () => {
  const p = newPipeline();
  const r = await invalidOf(() =>
    p.create(
      svcs,
      svc('dup', {
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 80 },
        ],
      }),
    ),
  );
  assert.deepEqual(r.causes, [
    {
      reason: 'FieldValueDuplicate',
      field: 'spec.ports[1]',
      message:
        'Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
    },
  ]);
  const ok = await p.create(
    svcs,
    svc('multiprotocol-test', {
      ports: [
        { name: 'tcp-port', port: 80, protocol: 'TCP' },
        { name: 'udp-port', port: 80, protocol: 'UDP' },
      ],
    }),
  );
  assert.equal(ok.spec?.ports?.length, 2);
});

test('API-15: port numbers, protocols and targetPorts', async () => {
  const p = newPipeline();
  const cases: {
    name: string;
    port: Record<string, unknown>;
    field: string;
    reason: string;
    message: string;
  }[] = [
    {
      name: 'port0',
      port: { port: 0 },
      field: 'spec.ports[0].port',
      reason: 'FieldValueInvalid',
      message: 'Invalid value: 0: must be between 1 and 65535, inclusive',
    },
    {
      name: 'port65536',
      port: { port: 65536 },
      field: 'spec.ports[0].port',
      reason: 'FieldValueInvalid',
      message: 'Invalid value: 65536: must be between 1 and 65535, inclusive',
    },
    {
      name: 'http',
      port: { port: 80, protocol: 'HTTP' },
      field: 'spec.ports[0].protocol',
      reason: 'FieldValueNotSupported',
      message: 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    },
    {
      name: 'tp70000',
      port: { port: 80, targetPort: 70000 },
      field: 'spec.ports[0].targetPort',
      reason: 'FieldValueInvalid',
      message: 'Invalid value: 70000: must be between 1 and 65535, inclusive',
    },
    {
      name: 'tpbad',
      port: { port: 80, targetPort: 'Bad_Name' },
      field: 'spec.ports[0].targetPort',
      reason: 'FieldValueInvalid',
      message:
        'Invalid value: "Bad_Name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    },
  ];
  for (const c of cases) {
    const r = await invalidOf(() =>
      p.create(svcs, svc(c.name, { ports: [c.port as unknown as { port: number }] })),
    );
    assert.deepEqual(
      r.causes.filter((x) => x.field === c.field),
      [{ reason: c.reason, field: c.field, message: c.message }],
      c.name,
    );
  }
  for (const [name, tp] of [
    ['tp0', 0],
    ['tpempty', ''],
    ['tpunset', undefined],
  ] as const) {
    const s = await p.create(
      svcs,
      svc(name, { ports: [{ port: 8080, ...(tp === undefined ? {} : { targetPort: tp }) }] }),
    );
    assert.equal(s.spec?.ports?.[0]?.targetPort, 8080, name);
  }
});

test('API-16: nodePort is forbidden on type ClusterIP', async () => {
  const p = newPipeline();
  const r = await invalidOf(() =>
    p.create(svcs, svc('cip', { type: 'ClusterIP', ports: [{ port: 80, nodePort: 30080 }] })),
  );
  assert.deepEqual(r.causes, [
    {
      reason: 'FieldValueForbidden',
      field: 'spec.ports[0].nodePort',
      message: "Forbidden: may not be used when `type` is 'ClusterIP'",
    },
  ]);
});

test('API-17: nodePorts outside 30000-32767 are rejected on create and update', async () => {
  const p = newPipeline();
  const s = await p.create(svcs, svc('np', { type: 'NodePort', ports: [{ port: 80 }] }));
  const np = s.spec?.ports?.[0]?.nodePort ?? 0;
  assert.ok(np >= 30000 && np <= 32767, `allocated ${np}`);
  const msg =
    'Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767';
  const upd = await invalidOf(() =>
    p.update<Service>(
      svcs,
      (cur) => {
        const first = cur.spec?.ports?.[0];
        if (first) first.nodePort = 80;
        return cur;
      },
      { namespace: 'default', name: 'np' },
    ),
  );
  assert.deepEqual(upd.causes, [
    { reason: 'FieldValueInvalid', field: 'spec.ports[0].nodePort', message: msg },
  ]);
  assert.equal(
    p.get(svcs, 'default', 'np')?.metadata.resourceVersion,
    s.metadata.resourceVersion,
    'stored object unchanged',
  );
  p.delete(svcs, { namespace: 'default', name: 'np' });
  const cr = await invalidOf(() =>
    p.create(svcs, svc('np', { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] })),
  );
  assert.equal(cr.message, `Service "np" is invalid: spec.ports[0].nodePort: ${msg}`);
});

test('API-18: nodePort collisions are rejected; the port is free again after delete', async () => {
  const p = newPipeline();
  const one = await p.create(
    svcs,
    svc('nodeport-collision-1', { type: 'NodePort', ports: [{ port: 80 }] }),
  );
  const n = one.spec?.ports?.[0]?.nodePort ?? 0;
  const two = svc('nodeport-collision-2', { type: 'NodePort', ports: [{ port: 80, nodePort: n }] });
  const r = await invalidOf(() => p.create(svcs, two));
  assert.deepEqual(r.causes, [
    {
      reason: 'FieldValueInvalid',
      field: 'spec.ports[0].nodePort',
      message: `Invalid value: ${n}: provided port is already allocated`,
    },
  ]);
  p.delete(svcs, { namespace: 'default', name: 'nodeport-collision-1' });
  const ok = await p.create(svcs, two);
  assert.equal(ok.spec?.ports?.[0]?.nodePort, n);
});

test('API-20: clusterIP may not change once set; resubmitting without it keeps the allocation', async () => {
  const p = newPipeline();
  const manifest = svc('s', {
    type: 'NodePort',
    selector: { app: 's' },
    ports: [{ name: 'http', port: 80 }],
  });
  const created = await p.create(svcs, manifest);
  const ip = created.spec?.clusterIP ?? '';
  const np = created.spec?.ports?.[0]?.nodePort ?? 0;
  assert.ok(inCIDR(ip));
  const r = await invalidOf(() =>
    p.update<Service>(
      svcs,
      (cur) => ({
        ...cur,
        spec: { ...cur.spec, clusterIP: '10.96.0.50', clusterIPs: ['10.96.0.50'] },
      }),
      { namespace: 'default', name: 's' },
    ),
  );
  assert.deepEqual(r.causes, [
    {
      reason: 'FieldValueInvalid',
      field: 'spec.clusterIPs[0]',
      message: 'Invalid value: []string{"10.96.0.50"}: may not change once set',
    },
  ]);
  // kubectl replace -f / apply with the original manifest: no clusterIP, no nodePort.
  const replaced = await p.update<Service>(
    svcs,
    (cur) => ({
      ...structuredClone(manifest),
      metadata: { ...manifest.metadata, resourceVersion: cur.metadata.resourceVersion ?? '' },
    }),
    { namespace: 'default', name: 's' },
  );
  assert.equal(replaced.spec?.clusterIP, ip);
  assert.deepEqual(replaced.spec?.clusterIPs, [ip]);
  assert.equal(replaced.spec?.ports?.[0]?.nodePort, np);
});

test('API-22: ExternalName validation', async () => {
  const p = newPipeline();
  const ext = (name: string, spec: ServiceSpec): Service =>
    svc(name, { type: 'ExternalName', ...spec });
  let r = await invalidOf(() => p.create(svcs, ext('noname', {})));
  assert.deepEqual(r.causes, [
    { reason: 'FieldValueRequired', field: 'spec.externalName', message: 'Required value' },
  ]);
  for (const bad of ['foo_bar.example.com', '-foo.example.com']) {
    r = await invalidOf(() => p.create(svcs, ext('bad', { externalName: bad })));
    assert.equal(r.causes[0]?.field, 'spec.externalName');
    assert.match(
      r.causes[0]?.message ?? '',
      /^Invalid value: ".*": a lowercase RFC 1123 subdomain must consist of/,
    );
  }
  const dotted = await p.create(svcs, ext('dotted', { externalName: 'foo.example.com.' }));
  assert.equal(dotted.spec?.externalName, 'foo.example.com.');
  for (const clusterIP of ['10.96.0.50', 'None']) {
    r = await invalidOf(() =>
      p.create(svcs, ext('withip', { externalName: 'foo.example.com', clusterIP })),
    );
    assert.deepEqual(r.causes, [
      {
        reason: 'FieldValueForbidden',
        field: 'spec.clusterIPs',
        message: 'Forbidden: may not be set for ExternalName services',
      },
    ]);
  }
  r = await invalidOf(() =>
    p.create(svcs, ext('fam', { externalName: 'foo.example.com', ipFamilies: ['IPv4'] })),
  );
  assert.deepEqual(
    r.causes.map((c) => c.field),
    ['spec.ipFamilies'],
  );
  r = await invalidOf(() =>
    p.create(svcs, ext('pol', { externalName: 'foo.example.com', ipFamilyPolicy: 'SingleStack' })),
  );
  assert.deepEqual(r.causes, [
    {
      reason: 'FieldValueForbidden',
      field: 'spec.ipFamilyPolicy',
      message: 'Forbidden: may not be set for ExternalName services',
    },
  ]);
});

test('API-23: headless is not allowed for NodePort and LoadBalancer', async () => {
  const p = newPipeline();
  for (const type of ['NodePort', 'LoadBalancer'] as const) {
    const r = await invalidOf(() =>
      p.create(svcs, svc('h', { type, clusterIP: 'None', ports: [{ port: 80 }] })),
    );
    assert.deepEqual(r.causes, [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.clusterIPs[0]',
        message: `Invalid value: "None": may not be set to 'None' for ${type} services`,
      },
    ]);
  }
});

test('API-25: defaults visible after create', async () => {
  const p = newPipeline();
  const d = await p.create(svcs, svc('d', { selector: { app: 'd' }, ports: [{ port: 80 }] }));
  const spec = d.spec ?? {};
  assert.equal(spec.type, 'ClusterIP');
  assert.equal(spec.sessionAffinity, 'None');
  assert.equal(spec.ports?.[0]?.protocol, 'TCP');
  assert.equal(spec.ports?.[0]?.targetPort, 80);
  assert.ok(inCIDR(spec.clusterIP));
  assert.deepEqual(spec.clusterIPs, [spec.clusterIP]);
  assert.deepEqual(spec.ipFamilies, ['IPv4']);
  assert.equal(spec.ipFamilyPolicy, 'SingleStack');
  assert.equal(spec.internalTrafficPolicy, 'Cluster');
  assert.equal(spec.externalTrafficPolicy, undefined);
  assert.deepEqual(d.status, { loadBalancer: {} });

  const np = await p.create(
    svcs,
    svc('d-np', {
      type: 'NodePort',
      selector: { app: 'd' },
      ports: [{ port: 80 }, { name: 'b', port: 81 }].map((x, i) => ({
        ...x,
        name: i === 0 ? 'a' : 'b',
      })),
    }),
  );
  for (const port of np.spec?.ports ?? [])
    assert.ok((port.nodePort ?? 0) >= 30000 && (port.nodePort ?? 0) <= 32767);
  assert.equal(np.spec?.externalTrafficPolicy, 'Cluster');
  assert.equal(np.spec?.allocateLoadBalancerNodePorts, undefined);

  const lb = await p.create(
    svcs,
    svc('d-lb', { type: 'LoadBalancer', selector: { app: 'd' }, ports: [{ port: 80 }] }),
  );
  assert.ok((lb.spec?.ports?.[0]?.nodePort ?? 0) >= 30000);
  assert.equal(lb.spec?.externalTrafficPolicy, 'Cluster');
  assert.equal(lb.spec?.allocateLoadBalancerNodePorts, true);

  const en = await p.create(
    svcs,
    svc('d-en', { type: 'ExternalName', externalName: 'example.com' }),
  );
  assert.equal(en.spec?.clusterIP, undefined);
  assert.equal(en.spec?.ports, undefined);
  assert.equal(en.spec?.internalTrafficPolicy, undefined);

  const headless = await p.create(
    svcs,
    svc('d-h', { clusterIP: 'None', selector: { app: 'd' }, ports: [{ port: 80 }] }),
  );
  assert.deepEqual(headless.spec?.clusterIPs, ['None']);
  assert.deepEqual(headless.spec?.ipFamilies, ['IPv4']);
  const selectorless = await p.create(svcs, svc('d-hs', { clusterIP: 'None' }));
  assert.equal(selectorless.spec?.ipFamilyPolicy, 'RequireDualStack');
  assert.deepEqual(selectorless.spec?.ipFamilies, ['IPv4', 'IPv6']);

  const affinity = await p.create(svcs, svc('d-aff', { ...port80, sessionAffinity: 'ClientIP' }));
  assert.deepEqual(affinity.spec?.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
});

test('API-27: type transitions through update', async () => {
  const p = newPipeline();
  const ref = { namespace: 'default', name: 't' };
  const setType =
    (type: NonNullable<ServiceSpec['type']>, more: ServiceSpec = {}) =>
    (cur: Service): Service => ({
      ...cur,
      spec: { ...cur.spec, type, ...more },
    });
  const en = await p.create(
    svcs,
    svc('t', { type: 'ExternalName', externalName: 'example.com', ports: [{ port: 80 }] }),
  );
  assert.equal(en.spec?.clusterIP, undefined);

  const cip = await p.update<Service>(svcs, setType('ClusterIP', { externalName: '' }), ref);
  const ip = cip.spec?.clusterIP ?? '';
  assert.ok(inCIDR(ip), 'ExternalName -> ClusterIP allocates a clusterIP');
  assert.deepEqual(cip.spec?.ipFamilies, ['IPv4']);

  const np = await p.update<Service>(svcs, setType('NodePort'), ref);
  assert.equal(np.spec?.clusterIP, ip, 'ClusterIP -> NodePort keeps the clusterIP');
  const nodePort = np.spec?.ports?.[0]?.nodePort ?? 0;
  assert.ok(nodePort >= 30000);

  // Add UDP 80 beside TCP 80 (names required with two ports).
  const two = await p.update<Service>(
    svcs,
    (cur) => ({
      ...cur,
      spec: {
        ...cur.spec,
        ports: [
          { ...(cur.spec?.ports?.[0] ?? { port: 80 }), name: 'tcp' },
          { name: 'udp', port: 80, protocol: 'UDP' },
        ],
      },
    }),
    ref,
  );
  const [tcp, udp] = two.spec?.ports ?? [];
  assert.equal(tcp?.nodePort, nodePort);
  assert.ok((udp?.nodePort ?? 0) >= 30000, 'the new UDP port gets a nodePort');

  const back = await p.update<Service>(
    svcs,
    setType('ExternalName', { externalName: 'example.com' }),
    ref,
  );
  assert.equal(back.spec?.clusterIP, undefined, 'ExternalName clears clusterIP');
  assert.equal(back.spec?.clusterIPs, undefined);
  assert.equal(back.spec?.ipFamilies, undefined);
  assert.equal(back.spec?.ipFamilyPolicy, undefined);
  assert.deepEqual(
    back.spec?.ports?.map((x) => x.nodePort),
    [undefined, undefined],
  );
  assert.equal(back.spec?.externalTrafficPolicy, undefined);

  // Everything was released: the same IP and ports can be asked for by another Service.
  await p.create(
    svcs,
    svc('taker', {
      clusterIP: ip,
      type: 'NodePort',
      ports: [
        { name: 'a', port: 80, nodePort },
        { name: 'b', port: 81, nodePort: udp?.nodePort ?? 0 },
      ],
    }),
  );
});

test('NodePort -> ClusterIP releases the nodePorts; LoadBalancer Local gets a healthCheckNodePort', async () => {
  const p = newPipeline();
  const ref = { namespace: 'default', name: 'lb' };
  const lb = await p.create(
    svcs,
    svc('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }] }),
  );
  const hc = lb.spec?.healthCheckNodePort ?? 0;
  const np = lb.spec?.ports?.[0]?.nodePort ?? 0;
  assert.ok(hc >= 30000 && hc !== np);
  const cluster = await p.update<Service>(
    svcs,
    (cur) => ({ ...cur, spec: { ...cur.spec, externalTrafficPolicy: 'Cluster' } }),
    ref,
  );
  assert.equal(
    cluster.spec?.healthCheckNodePort,
    undefined,
    'Local -> Cluster drops the health check port',
  );
  const local = await p.update<Service>(
    svcs,
    (cur) => ({ ...cur, spec: { ...cur.spec, externalTrafficPolicy: 'Local' } }),
    ref,
  );
  assert.ok((local.spec?.healthCheckNodePort ?? 0) >= 30000);
  const r = await invalidOf(() =>
    p.update<Service>(
      svcs,
      (cur) => ({ ...cur, spec: { ...cur.spec, healthCheckNodePort: 30001 } }),
      ref,
    ),
  );
  assert.deepEqual(r.causes, [
    {
      reason: 'FieldValueForbidden',
      field: 'spec.healthCheckNodePort',
      message: 'Forbidden: field is immutable',
    },
  ]);
  const cip = await p.update<Service>(
    svcs,
    (cur) => ({ ...cur, spec: { ...cur.spec, type: 'ClusterIP' } }),
    ref,
  );
  assert.equal(cip.spec?.ports?.[0]?.nodePort, undefined);
  assert.equal(cip.spec?.allocateLoadBalancerNodePorts, undefined);
  await p.create(svcs, svc('reuse', { type: 'NodePort', ports: [{ port: 80, nodePort: np }] }));
});

test('clusterIP requests: taken or outside the service CIDR', async () => {
  const p = newPipeline();
  await p.create(svcs, svc('a', { ...port80, clusterIP: '10.96.0.50' }));
  let r = await invalidOf(() => p.create(svcs, svc('b', { ...port80, clusterIP: '10.96.0.50' })));
  assert.deepEqual(r.causes, [
    {
      reason: 'FieldValueInvalid',
      field: 'spec.clusterIPs',
      message:
        'Invalid value: []string{"10.96.0.50"}: failed to allocate IP 10.96.0.50: provided IP is already allocated',
    },
  ]);
  r = await invalidOf(() => p.create(svcs, svc('c', { ...port80, clusterIP: '192.168.1.1' })));
  assert.match(
    r.causes[0]?.message ?? '',
    /failed to allocate IP 192\.168\.1\.1: provided IP 192\.168\.1\.1 is not in the valid range$/,
  );
  r = await invalidOf(() => p.create(svcs, svc('d', { ...port80, clusterIP: '10.96.0.300' })));
  assert.deepEqual(r.causes, [
    {
      reason: 'FieldValueInvalid',
      field: 'spec.clusterIPs[0]',
      message:
        'Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    },
  ]);
  r = await invalidOf(() =>
    p.create(svcs, svc('e', { ...port80, ipFamilyPolicy: 'RequireDualStack' })),
  );
  assert.deepEqual(r.causes, [
    {
      reason: 'FieldValueInvalid',
      field: 'spec.ipFamilyPolicy',
      message:
        'Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
    },
  ]);
});

test('session affinity, traffic policies, externalIPs and source ranges', async () => {
  const p = newPipeline();
  const cases: { name: string; spec: ServiceSpec; cause: Cause }[] = [
    {
      name: 'aff0',
      spec: {
        ...port80,
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } },
      },
      cause: {
        reason: 'FieldValueInvalid',
        field: 'spec.sessionAffinityConfig.clientIP.timeoutSeconds',
        message: 'Invalid value: 0: must be greater than 0 and less than 86400',
      },
    },
    {
      name: 'aff-big',
      spec: {
        ...port80,
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 86401 } },
      },
      cause: {
        reason: 'FieldValueInvalid',
        field: 'spec.sessionAffinityConfig.clientIP.timeoutSeconds',
        message: 'Invalid value: 86401: must be greater than 0 and less than 86400',
      },
    },
    {
      name: 'aff-none',
      spec: { ...port80, sessionAffinity: 'Sticky' as 'None' },
      cause: {
        reason: 'FieldValueNotSupported',
        field: 'spec.sessionAffinity',
        message: 'Unsupported value: "Sticky": supported values: "ClientIP", "None"',
      },
    },
    {
      name: 'etp',
      spec: { ...port80, externalTrafficPolicy: 'Local' },
      cause: {
        reason: 'FieldValueInvalid',
        field: 'spec.externalTrafficPolicy',
        message: 'Invalid value: "Local": may only be set for externally-accessible services',
      },
    },
    {
      name: 'itp',
      spec: { ...port80, internalTrafficPolicy: 'Nearby' as 'Local' },
      cause: {
        reason: 'FieldValueNotSupported',
        field: 'spec.internalTrafficPolicy',
        message: 'Unsupported value: "Nearby": supported values: "Cluster", "Local"',
      },
    },
    {
      name: 'extip',
      spec: { ...port80, externalIPs: ['127.0.0.1'] },
      cause: {
        reason: 'FieldValueInvalid',
        field: 'spec.externalIPs[0]',
        message:
          'Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      },
    },
    {
      name: 'extip-bad',
      spec: { ...port80, externalIPs: ['1.2.3'] },
      cause: {
        reason: 'FieldValueInvalid',
        field: 'spec.externalIPs[0]',
        message:
          'Invalid value: "1.2.3": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      },
    },
    {
      name: 'lbsr',
      spec: { ...port80, loadBalancerSourceRanges: ['203.0.113.0/24'] },
      cause: {
        reason: 'FieldValueForbidden',
        field: 'spec.LoadBalancerSourceRanges',
        message: "Forbidden: may only be used when `type` is 'LoadBalancer'",
      },
    },
    {
      name: 'lbsr-bad',
      spec: { ...port80, type: 'LoadBalancer', loadBalancerSourceRanges: ['203.0.113.0/33'] },
      cause: {
        reason: 'FieldValueInvalid',
        field: 'spec.LoadBalancerSourceRanges[0]',
        message:
          'Invalid value: "203.0.113.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      },
    },
    {
      name: 'hc',
      spec: { ...port80, type: 'NodePort', healthCheckNodePort: 30999 },
      cause: {
        reason: 'FieldValueInvalid',
        field: 'spec.healthCheckNodePort',
        message:
          "Invalid value: 30999: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
      },
    },
  ];
  for (const c of cases) {
    const r = await invalidOf(() => p.create(svcs, svc(c.name, c.spec)));
    assert.deepEqual(r.causes, [c.cause], c.name);
  }
  const withExt = await p.create(
    svcs,
    svc('ext-ips', { ...port80, externalIPs: ['198.51.100.7'] }),
  );
  assert.equal(
    withExt.spec?.externalTrafficPolicy,
    'Cluster',
    'ClusterIP with externalIPs is externally accessible',
  );
});

test('a failed store write gives the allocations back', async () => {
  const p = newPipeline();
  const ref = { namespace: 'default', name: 'f' };
  const s = await p.create(svcs, svc('f', { ...port80 }));
  await assert.rejects(
    p.update<Service>(
      svcs,
      (cur) => ({
        ...cur,
        spec: { ...cur.spec, type: 'NodePort', ports: [{ port: 80, nodePort: 30444 }] },
      }),
      ref,
      { fail: true },
    ),
    /store failure/,
  );
  const np = await p.create(
    svcs,
    svc('g', { type: 'NodePort', ports: [{ port: 80, nodePort: 30444 }] }),
  );
  assert.equal(np.spec?.ports?.[0]?.nodePort, 30444, 'the reverted nodePort is free');
  await assert.rejects(
    p.create(svcs, svc('h', { ...port80, clusterIP: s.spec?.clusterIP ?? '' })),
    (e: unknown) => isApiError(e, 'Invalid'),
  );
});

test('status writes keep the spec and the metadata edits (API-04)', async () => {
  const p = newPipeline();
  const ref = { namespace: 'default', name: 'test-service-abcde' };
  const created = await p.create(
    svcs,
    svc(
      ref.name,
      {
        type: 'LoadBalancer',
        loadBalancerClass: 'example.com/internal-vip',
        ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 80 }],
      },
      { labels: { 'test-service-static': 'true' } },
    ),
  );
  const st = await p.update<Service>(
    svcs,
    (cur) => ({
      ...cur,
      metadata: { ...cur.metadata, annotations: { patchedstatus: 'true' } },
      spec: { ...cur.spec, type: 'ClusterIP' },
      status: { loadBalancer: { ingress: [{ ip: '203.0.113.1' }] } },
    }),
    ref,
    { status: true },
  );
  assert.equal(st.metadata.annotations?.['patchedstatus'], 'true');
  assert.deepEqual(st.status?.loadBalancer?.ingress, [{ ip: '203.0.113.1', ipMode: 'VIP' }]);
  assert.equal(st.spec?.type, 'LoadBalancer', 'status writes do not change the spec');
  assert.deepEqual(st.spec, created.spec);
  const r = await invalidOf(() =>
    p.update<Service>(
      svcs,
      (cur) => ({ ...cur, status: { loadBalancer: { ingress: [{ ip: 'not-an-ip' }] } } }),
      ref,
      { status: true },
    ),
  );
  assert.equal(r.causes[0]?.field, 'status.loadBalancer.ingress[0].ip');
  // A main-resource write cannot change status.
  const main = await p.update<Service>(svcs, (cur) => ({ ...cur, status: {} }), ref);
  assert.deepEqual(main.status?.loadBalancer?.ingress, [{ ip: '203.0.113.1', ipMode: 'VIP' }]);
});

test('repair: a restarted API server never hands out a stored IP or port again', async () => {
  const before = newPipelineWithRanges('10.96.0.0/28', [30000, 30015]);
  const stored: Service[] = [];
  for (let i = 0; i < 10; i++) {
    stored.push(
      await before.pipeline.create(svcs, svc(`r${i}`, { type: 'NodePort', ports: [{ port: 80 }] })),
    );
  }
  // A new API server over the same stored Services.
  const restarted = newPipelineWithRanges('10.96.0.0/28', [30000, 30015]);
  for (const s of stored)
    restarted.pipeline.objects.set(
      restarted.pipeline.key(svcs, 'default', s.metadata.name ?? ''),
      s,
    );
  await restarted.strategies.repair(restarted.pipeline.ctx);
  const storedIPs = new Set(stored.map((s) => s.spec?.clusterIP));
  const storedPorts = new Set(stored.map((s) => s.spec?.ports?.[0]?.nodePort));
  // 14 usable IPs in a /28, 10 held: exactly 4 more Services fit, none reusing a stored value.
  for (let i = 0; i < 4; i++) {
    const s = await restarted.pipeline.create(
      svcs,
      svc(`n${i}`, { type: 'NodePort', ports: [{ port: 80 }] }),
    );
    assert.ok(!storedIPs.has(s.spec?.clusterIP), `IP ${s.spec?.clusterIP ?? ''} handed out twice`);
    assert.ok(!storedPorts.has(s.spec?.ports?.[0]?.nodePort), 'nodePort handed out twice');
  }
  await assert.rejects(
    restarted.pipeline.create(svcs, svc('full', { ports: [{ port: 80 }] })),
    (e: unknown) =>
      isApiError(e, 'InternalError') &&
      /failed to allocate a serviceIP: range is full/.test(e.message),
  );
});

test('repair keeps what writes in flight reserved while the Services were listed', async () => {
  const { pipeline, strategies } = newPipelineWithRanges('10.96.0.0/29', [30000, 30003]);
  const s = strategies.for(svcs);
  // A create that has allocated but not yet stored its object...
  const pending = svc('pending', { type: 'NodePort', ports: [{ port: 80 }] });
  s.defaults?.(pending);
  s.prepareForCreate?.(pending);
  const tx = await s.allocate?.(pending, undefined, pipeline.ctx);
  // ...while a repair lists the (empty) store.
  await strategies.repair(pipeline.ctx);
  const ip = pending.spec?.clusterIP ?? '';
  const np = pending.spec?.ports?.[0]?.nodePort ?? 0;
  const r = await invalidOf(() =>
    pipeline.create(svcs, svc('other', { clusterIP: ip, ports: [{ port: 80 }] })),
  );
  assert.match(r.causes[0]?.message ?? '', /provided IP is already allocated/);
  const r2 = await invalidOf(() =>
    pipeline.create(svcs, svc('other2', { type: 'NodePort', ports: [{ port: 80, nodePort: np }] })),
  );
  assert.match(r2.causes[0]?.message ?? '', /provided port is already allocated/);
  tx?.commit();
});

test('repair reports Services that share an IP or hold one outside the range', async () => {
  const warnings: unknown[] = [];
  const logger = {
    info: () => undefined,
    warn: (msg: string, f?: unknown) => warnings.push({ msg, f }),
    error: () => undefined,
    v: () => ({ info: () => undefined }),
    child: () => logger,
  };
  const strategies = buildStrategies(defaultClusterConfig, { logger });
  const p = new TestPipeline(strategies);
  const a = await p.create(svcs, svc('a', { ...port80 }));
  const b = structuredClone(a);
  b.metadata.name = 'b';
  p.objects.set(p.key(svcs, 'default', 'b'), b);
  const c = structuredClone(a);
  c.metadata.name = 'c';
  if (c.spec) {
    c.spec.clusterIP = '192.168.1.1';
    c.spec.clusterIPs = ['192.168.1.1'];
  }
  p.objects.set(p.key(svcs, 'default', 'c'), c);
  await strategies.repair(p.ctx);
  assert.deepEqual(warnings.map((w) => (w as { f: { reason: string } }).f.reason).sort(), [
    'ClusterIPAlreadyAllocated',
    'ClusterIPOutOfRange',
  ]);
});

function newPipelineWithRanges(
  cidr: string,
  range: [number, number],
): { pipeline: TestPipeline; strategies: ReturnType<typeof buildStrategies> } {
  const config = { ...defaultClusterConfig, serviceCIDR: cidr, nodePortRange: range } as const;
  const strategies = buildStrategies(config);
  return { pipeline: new TestPipeline(strategies, config), strategies };
}

// Service validation, defaulting and allocation through the real API server over HTTPS: every
// invalid case answers 422 Invalid with kube's causes and leaves the store as it was; the
// allocations survive a restart. One server for the file, one namespace per test.
//
// Address plan: service CIDR 10.96.0.0/12 (default); explicit clusterIPs 10.96.0.50-10.96.0.99;
// 192.168.1.1 stands for an address outside the CIDR; the `kubernetes` Service holds 10.96.0.1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiRequest, startTestApiServer, type TestApiServer } from '../../src/testing/apiserver.js';
import { kubectlAvailable } from '../../src/testing/kubectl.js';

let api: TestApiServer;
let n = 0;

before(async () => {
  api = await startTestApiServer(undefined);
});
after(async () => {
  await api.stop();
});

interface Cause {
  reason?: string;
  field?: string;
  message?: string;
}

interface StatusBody {
  kind: string;
  status: string;
  reason: string;
  code: number;
  message: string;
  details?: { name?: string; kind?: string; causes?: Cause[] };
}

interface Svc {
  metadata: { name: string; resourceVersion: string; [k: string]: unknown };
  spec: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    ports?: {
      name?: string;
      port: number;
      nodePort?: number;
      protocol?: string;
      targetPort?: number | string;
    }[];
    [k: string]: unknown;
  };
  status?: unknown;
}

async function namespace(): Promise<string> {
  const name = `svc-${++n}`;
  const r = await apiRequest(api, {
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
  });
  assert.equal(r.status, 201, r.text);
  return name;
}

const svcPath = (ns: string, name?: string): string =>
  `/api/v1/namespaces/${ns}/services${name ? `/${name}` : ''}`;

function service(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec };
}

async function create(ns: string, body: Record<string, unknown>): Promise<Svc> {
  const r = await apiRequest(api, { method: 'POST', path: svcPath(ns), body });
  assert.equal(r.status, 201, r.text);
  return r.json as Svc;
}

async function get(ns: string, name: string): Promise<Svc | undefined> {
  const r = await apiRequest(api, { path: svcPath(ns, name) });
  return r.status === 200 ? (r.json as Svc) : undefined;
}

/** Sends a request that must fail with 422 Invalid; returns the Status. */
async function rejected(o: {
  method: string;
  path: string;
  body: unknown;
  headers?: Record<string, string>;
}): Promise<StatusBody> {
  const r = await apiRequest(api, o);
  assert.equal(r.status, 422, r.text);
  const st = r.json as StatusBody;
  assert.equal(st.kind, 'Status');
  assert.equal(st.status, 'Failure');
  assert.equal(st.reason, 'Invalid');
  assert.equal(st.code, 422);
  return st;
}

describe('invalid Services answer 422 Invalid and are not stored', () => {
  const cases: { name: string; svc: string; spec: Record<string, unknown>; causes: Cause[] }[] = [
    {
      name: 'API-10 name is not a DNS-1035 label',
      svc: '1svc',
      spec: { ports: [{ port: 80 }] },
      causes: [
        {
          reason: 'FieldValueInvalid',
          field: 'metadata.name',
          message:
            "Invalid value: \"1svc\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        },
      ],
    },
    {
      name: 'API-11 no ports',
      svc: 'noports',
      spec: { selector: { a: 'b' } },
      causes: [{ reason: 'FieldValueRequired', field: 'spec.ports', message: 'Required value' }],
    },
    {
      name: 'API-12 unnamed ports',
      svc: 'unnamed',
      spec: { ports: [{ port: 80 }, { port: 81 }] },
      causes: [
        { reason: 'FieldValueRequired', field: 'spec.ports[0].name', message: 'Required value' },
        { reason: 'FieldValueRequired', field: 'spec.ports[1].name', message: 'Required value' },
      ],
    },
    {
      name: 'API-14 duplicate (protocol, port)',
      svc: 'dup',
      spec: {
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 80 },
        ],
      },
      causes: [
        {
          reason: 'FieldValueDuplicate',
          field: 'spec.ports[1]',
          message:
            'Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
        },
      ],
    },
    {
      // targetPort defaults to port, so it is 0 too: kube reports both.
      name: 'API-15 port 0',
      svc: 'port0',
      spec: { ports: [{ port: 0 }] },
      causes: [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.ports[0].port',
          message: 'Invalid value: 0: must be between 1 and 65535, inclusive',
        },
        {
          reason: 'FieldValueInvalid',
          field: 'spec.ports[0].targetPort',
          message: 'Invalid value: 0: must be between 1 and 65535, inclusive',
        },
      ],
    },
    {
      name: 'API-15 protocol HTTP',
      svc: 'http',
      spec: { ports: [{ port: 80, protocol: 'HTTP' }] },
      causes: [
        {
          reason: 'FieldValueNotSupported',
          field: 'spec.ports[0].protocol',
          message: 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
        },
      ],
    },
    {
      name: 'API-15 targetPort name',
      svc: 'tp',
      spec: { ports: [{ port: 80, targetPort: 'Bad_Name' }] },
      causes: [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.ports[0].targetPort',
          message:
            'Invalid value: "Bad_Name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        },
      ],
    },
    {
      name: 'API-16 nodePort on ClusterIP',
      svc: 'cipnp',
      spec: { type: 'ClusterIP', ports: [{ port: 80, nodePort: 30080 }] },
      causes: [
        {
          reason: 'FieldValueForbidden',
          field: 'spec.ports[0].nodePort',
          message: "Forbidden: may not be used when `type` is 'ClusterIP'",
        },
      ],
    },
    {
      name: 'API-17 nodePort out of range',
      svc: 'np80',
      spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] },
      causes: [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.ports[0].nodePort',
          message:
            'Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
        },
      ],
    },
    {
      name: 'API-22 ExternalName without name',
      svc: 'en',
      spec: { type: 'ExternalName' },
      causes: [
        { reason: 'FieldValueRequired', field: 'spec.externalName', message: 'Required value' },
      ],
    },
    {
      name: 'API-22 ExternalName with clusterIP',
      svc: 'enip',
      spec: { type: 'ExternalName', externalName: 'foo.example.com', clusterIP: 'None' },
      causes: [
        {
          reason: 'FieldValueForbidden',
          field: 'spec.clusterIPs',
          message: 'Forbidden: may not be set for ExternalName services',
        },
      ],
    },
    {
      name: 'API-23 headless NodePort',
      svc: 'hnp',
      spec: { type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] },
      causes: [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.clusterIPs[0]',
          message: 'Invalid value: "None": may not be set to \'None\' for NodePort services',
        },
      ],
    },
    {
      name: 'clusterIP outside the CIDR',
      svc: 'outside',
      spec: { clusterIP: '192.168.1.1', ports: [{ port: 80 }] },
      causes: [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.clusterIPs',
          message:
            'Invalid value: []string{"192.168.1.1"}: failed to allocate IP 192.168.1.1: provided IP 192.168.1.1 is not in the valid range',
        },
      ],
    },
    {
      name: 'the kubernetes Service IP is taken',
      svc: 'taken',
      spec: { clusterIP: '10.96.0.1', ports: [{ port: 80 }] },
      causes: [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.clusterIPs',
          message:
            'Invalid value: []string{"10.96.0.1"}: failed to allocate IP 10.96.0.1: provided IP is already allocated',
        },
      ],
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const ns = await namespace();
      const st = await rejected({
        method: 'POST',
        path: svcPath(ns),
        body: service(c.svc, c.spec),
      });
      assert.deepEqual(st.details?.causes, c.causes);
      assert.equal(st.details?.name, c.svc);
      assert.equal(st.details?.kind, 'Service');
      const joined = c.causes.map((x) => `${x.field ?? ''}: ${x.message ?? ''}`);
      assert.equal(
        st.message,
        `Service "${c.svc}" is invalid: ${joined.length === 1 ? (joined[0] ?? '') : `[${joined.join(', ')}]`}`,
      );
      assert.equal(await get(ns, c.svc), undefined, 'nothing stored');
    });
  }
});

test('API-25: defaults of ClusterIP, NodePort, LoadBalancer and ExternalName Services', async () => {
  const ns = await namespace();
  const d = await create(ns, service('d', { selector: { app: 'd' }, ports: [{ port: 80 }] }));
  assert.equal(d.spec.type, 'ClusterIP');
  assert.equal(d.spec['sessionAffinity'], 'None');
  assert.deepEqual(d.spec.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
  assert.match(d.spec.clusterIP ?? '', /^10\.(9[6-9]|10[0-9]|11[01])\./);
  assert.deepEqual(d.spec.clusterIPs, [d.spec.clusterIP]);
  assert.deepEqual(d.spec['ipFamilies'], ['IPv4']);
  assert.equal(d.spec['ipFamilyPolicy'], 'SingleStack');
  assert.equal(d.spec['internalTrafficPolicy'], 'Cluster');
  assert.equal(d.spec['externalTrafficPolicy'], undefined);
  assert.deepEqual(d.status, { loadBalancer: {} });
  const lb = await create(
    ns,
    service('lb', { type: 'LoadBalancer', selector: { app: 'd' }, ports: [{ port: 80 }] }),
  );
  assert.ok((lb.spec.ports?.[0]?.nodePort ?? 0) >= 30000);
  assert.equal(lb.spec['externalTrafficPolicy'], 'Cluster');
  assert.equal(lb.spec['allocateLoadBalancerNodePorts'], true);
  const en = await create(
    ns,
    service('en', { type: 'ExternalName', externalName: 'someapi.somecompany.com' }),
  );
  assert.equal(en.spec.clusterIP, undefined);
});

test('API-18: nodePort collisions, and the port is free after delete', async () => {
  const ns = await namespace();
  const one = await create(
    ns,
    service('nodeport-collision-1', { type: 'NodePort', ports: [{ port: 80 }] }),
  );
  const np = one.spec.ports?.[0]?.nodePort ?? 0;
  const two = service('nodeport-collision-2', {
    type: 'NodePort',
    ports: [{ port: 80, nodePort: np }],
  });
  const st = await rejected({ method: 'POST', path: svcPath(ns), body: two });
  assert.match(st.message, new RegExp(`${np}.*port is already allocated`));
  const del = await apiRequest(api, {
    method: 'DELETE',
    path: svcPath(ns, 'nodeport-collision-1'),
  });
  assert.equal(del.status, 200, del.text);
  const again = await create(ns, two);
  assert.equal(again.spec.ports?.[0]?.nodePort, np);
});

test('API-20: clusterIP may not change; PUT without it keeps IP and nodePorts; state unchanged on failure', async () => {
  const ns = await namespace();
  const manifest = service('s', {
    type: 'NodePort',
    selector: { app: 's' },
    ports: [{ name: 'http', port: 80 }],
  });
  const s = await create(ns, manifest);
  const changed = structuredClone(s);
  changed.spec.clusterIP = '10.96.0.77';
  changed.spec.clusterIPs = ['10.96.0.77'];
  const st = await rejected({ method: 'PUT', path: svcPath(ns, 's'), body: changed });
  assert.deepEqual(st.details?.causes, [
    {
      reason: 'FieldValueInvalid',
      field: 'spec.clusterIPs[0]',
      message: 'Invalid value: []string{"10.96.0.77"}: may not change once set',
    },
  ]);
  assert.equal(
    (await get(ns, 's'))?.metadata.resourceVersion,
    s.metadata.resourceVersion,
    'stored object unchanged',
  );
  // The 10.96.0.77 tried above was not left allocated.
  await create(ns, service('other', { clusterIP: '10.96.0.77', ports: [{ port: 80 }] }));
  const r = await apiRequest(api, {
    method: 'PUT',
    path: svcPath(ns, 's'),
    body: { ...manifest, metadata: { name: 's', resourceVersion: s.metadata.resourceVersion } },
  });
  assert.equal(r.status, 200, r.text);
  const replaced = r.json as Svc;
  assert.equal(replaced.spec.clusterIP, s.spec.clusterIP);
  assert.equal(replaced.spec.ports?.[0]?.nodePort, s.spec.ports?.[0]?.nodePort);
});

test('API-27: type transitions through merge patches', async () => {
  const ns = await namespace();
  await create(
    ns,
    service('t', { type: 'ExternalName', externalName: 'example.com', ports: [{ port: 80 }] }),
  );
  const patch = async (body: unknown): Promise<Svc> => {
    const r = await apiRequest(api, {
      method: 'PATCH',
      path: svcPath(ns, 't'),
      body,
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    assert.equal(r.status, 200, r.text);
    return r.json as Svc;
  };
  const cip = await patch({ spec: { type: 'ClusterIP', externalName: null } });
  assert.match(cip.spec.clusterIP ?? '', /^10\./);
  const np = await patch({ spec: { type: 'NodePort' } });
  assert.equal(np.spec.clusterIP, cip.spec.clusterIP);
  assert.ok((np.spec.ports?.[0]?.nodePort ?? 0) >= 30000);
  const en = await patch({ spec: { type: 'ExternalName', externalName: 'example.com' } });
  assert.equal(en.spec.clusterIP, undefined);
  assert.equal(en.spec.clusterIPs, undefined);
  assert.equal(en.spec.ports?.[0]?.nodePort, undefined);
  // The released IP and port can be asked for again.
  await create(
    ns,
    service('reuse', {
      type: 'NodePort',
      clusterIP: np.spec.clusterIP,
      ports: [{ port: 80, nodePort: np.spec.ports?.[0]?.nodePort }],
    }),
  );
});

test('API-04: /status writes keep the spec and the metadata edits', async () => {
  const ns = await namespace();
  await create(
    ns,
    service('test-service-abcde', {
      type: 'LoadBalancer',
      loadBalancerClass: 'example.com/internal-vip',
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 80 }],
    }),
  );
  const r = await apiRequest(api, {
    method: 'PATCH',
    path: `${svcPath(ns, 'test-service-abcde')}/status`,
    headers: { 'content-type': 'application/merge-patch+json' },
    body: {
      metadata: { annotations: { patchedstatus: 'true' } },
      status: { loadBalancer: { ingress: [{ ip: '203.0.113.1' }] } },
    },
  });
  assert.equal(r.status, 200, r.text);
  const s = r.json as Svc & {
    metadata: { annotations?: Record<string, string> };
    status: { loadBalancer: { ingress: { ip: string }[] } };
  };
  assert.equal(s.metadata.annotations?.['patchedstatus'], 'true');
  assert.equal(s.status.loadBalancer.ingress[0]?.ip, '203.0.113.1');
});

test('Endpoints with a loopback address are refused', async () => {
  const ns = await namespace();
  const r = await apiRequest(api, {
    method: 'POST',
    path: `/api/v1/namespaces/${ns}/endpoints`,
    body: {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'e' },
      subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: 80 }] }],
    },
  });
  assert.equal(r.status, 422, r.text);
  assert.deepEqual((r.json as StatusBody).details?.causes, [
    {
      reason: 'FieldValueInvalid',
      field: 'subsets[0].addresses[0].ip',
      message:
        'Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    },
  ]);
});

test('ING-32: an Ingress without a class gets the default IngressClass', async () => {
  const ns = await namespace();
  const cls = await apiRequest(api, {
    method: 'POST',
    path: '/apis/networking.k8s.io/v1/ingressclasses',
    body: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: {
        name: `default-${ns}`,
        annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' },
      },
      spec: { controller: 'example.com/controller' },
    },
  });
  assert.equal(cls.status, 201, cls.text);
  const ing = await apiRequest(api, {
    method: 'POST',
    path: `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`,
    body: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'ingress1' },
      spec: { defaultBackend: { service: { name: 'defaultbackend', port: { number: 80 } } } },
    },
  });
  assert.equal(ing.status, 201, ing.text);
  assert.equal(
    (ing.json as { spec: { ingressClassName?: string } }).spec.ingressClassName,
    `default-${ns}`,
  );
  const del = await apiRequest(api, {
    method: 'DELETE',
    path: `/apis/networking.k8s.io/v1/ingressclasses/default-${ns}`,
  });
  assert.equal(del.status, 200, del.text);
});

test(
  'kubectl prints the Invalid error as for a real cluster',
  { skip: kubectlAvailable() ? false : 'kubectl not installed' },
  async () => {
    const ns = await namespace();
    const yaml = `apiVersion: v1\nkind: Service\nmetadata:\n  name: two\n  namespace: ${ns}\nspec:\n  ports:\n  - port: 80\n  - port: 81\n`;
    const r = await api.kubectl(['create', '-f', '-'], { input: yaml });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /The Service "two" is invalid: \n\* spec\.ports\[0\]\.name: Required value\n\* spec\.ports\[1\]\.name: Required value/,
    );
  },
);

// Address plan: pod IPs from 10.244.1.0/24 (the kubeadm cluster CIDR), node 192.168.49.2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultClusterConfig } from '../../api/cluster.js';
import { isApiError } from '../../api/meta/status.js';
import { resources } from '../../api/scheme.js';
import type { Container, Pod } from '../../api/types/core.js';
import { buildStrategies } from './strategies.js';
import { TestPipeline } from './testpipeline.js';

const pods = resources.pods;

interface Cause {
  reason?: string;
  field?: string;
  message?: string;
}

async function causesOf(f: () => Promise<unknown>): Promise<Cause[]> {
  try {
    await f();
  } catch (e) {
    if (isApiError(e, 'Invalid')) return e.status.details?.causes ?? [];
    throw e;
  }
  assert.fail('expected 422 Invalid');
}

function pod(name: string, containers: Container[], spec: Partial<Pod['spec']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers, ...spec },
  };
}

test('Pod defaults: what kubectl get pod -o yaml shows after kubectl run', async () => {
  const p = new TestPipeline(buildStrategies(defaultClusterConfig));
  const created = await p.create(
    pods,
    pod('dnsutils', [
      {
        name: 'dnsutils',
        image: 'tutum/dnsutils',
        command: ['sleep', 'infinity'],
        ports: [{ containerPort: 53 }],
        readinessProbe: { httpGet: { port: 8080 } },
      },
      { name: 'tagged', image: 'busybox:1.36' },
      { name: 'digest', image: 'busybox@sha256:abc' },
    ]),
  );
  const spec = created.spec;
  assert.equal(spec?.restartPolicy, 'Always');
  assert.equal(spec?.dnsPolicy, 'ClusterFirst');
  assert.equal(spec?.terminationGracePeriodSeconds, 30);
  assert.equal(spec?.schedulerName, 'default-scheduler');
  assert.equal(spec?.enableServiceLinks, true);
  assert.equal(spec?.serviceAccountName, 'default');
  assert.deepEqual(
    spec?.tolerations?.map((t) => `${t.key ?? ''}:${t.effect ?? ''}:${t.tolerationSeconds ?? 0}`),
    ['node.kubernetes.io/not-ready:NoExecute:300', 'node.kubernetes.io/unreachable:NoExecute:300'],
  );
  const [c0, c1, c2] = spec?.containers ?? [];
  assert.equal(c0?.imagePullPolicy, 'Always', 'no tag means latest');
  assert.equal(c1?.imagePullPolicy, 'IfNotPresent');
  assert.equal(c2?.imagePullPolicy, 'IfNotPresent');
  assert.equal(c0?.terminationMessagePath, '/dev/termination-log');
  assert.equal(c0?.terminationMessagePolicy, 'File');
  assert.equal(c0?.ports?.[0]?.protocol, 'TCP');
  assert.deepEqual(c0?.readinessProbe, {
    httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.deepEqual(created.status, { phase: 'Pending', qosClass: 'BestEffort' });
  assert.equal(created.metadata.generation, undefined);
});

test('Pod validation: containers, names, images, ports, probes, policies', async () => {
  const p = new TestPipeline(buildStrategies(defaultClusterConfig));
  const cases: { name: string; pod: Pod; want: Cause[] }[] = [
    {
      name: 'no containers',
      pod: pod('a', []),
      want: [{ reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' }],
    },
    {
      name: 'dup names',
      pod: pod('b', [
        { name: 'c', image: 'x' },
        { name: 'c', image: 'y' },
      ]),
      want: [
        {
          reason: 'FieldValueDuplicate',
          field: 'spec.containers[1].name',
          message: 'Duplicate value: "c"',
        },
      ],
    },
    {
      name: 'bad name',
      pod: pod('c', [{ name: 'C_1', image: 'x' }]),
      want: [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.containers[0].name',
          message:
            "Invalid value: \"C_1\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        },
      ],
    },
    {
      name: 'no image',
      pod: pod('d', [{ name: 'c' }]),
      want: [
        {
          reason: 'FieldValueRequired',
          field: 'spec.containers[0].image',
          message: 'Required value',
        },
      ],
    },
    {
      name: 'image space',
      pod: pod('e', [{ name: 'c', image: ' busybox' }]),
      want: [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.containers[0].image',
          message: 'Invalid value: " busybox": must not have leading or trailing whitespace',
        },
      ],
    },
    {
      name: 'port 0',
      pod: pod('f', [{ name: 'c', image: 'x', ports: [{ containerPort: 0 }] }]),
      want: [
        {
          reason: 'FieldValueRequired',
          field: 'spec.containers[0].ports[0].containerPort',
          message: 'Required value',
        },
      ],
    },
    {
      name: 'port name',
      pod: pod('g', [{ name: 'c', image: 'x', ports: [{ name: 'http_x', containerPort: 80 }] }]),
      want: [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.containers[0].ports[0].name',
          message:
            'Invalid value: "http_x": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        },
      ],
    },
    {
      name: 'two handlers',
      pod: pod('h', [
        {
          name: 'c',
          image: 'x',
          readinessProbe: { exec: { command: ['true'] }, tcpSocket: { port: 80 } },
        },
      ]),
      want: [
        {
          reason: 'FieldValueForbidden',
          field: 'spec.containers[0].readinessProbe.tcpSocket',
          message: 'Forbidden: may not specify more than 1 handler type',
        },
      ],
    },
    {
      name: 'liveness threshold',
      pod: pod('i', [
        {
          name: 'c',
          image: 'x',
          livenessProbe: { exec: { command: ['true'] }, successThreshold: 2 },
        },
      ]),
      want: [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.containers[0].livenessProbe.successThreshold',
          message: 'Invalid value: 2: must be 1',
        },
      ],
    },
    {
      name: 'restart policy',
      pod: pod('j', [{ name: 'c', image: 'x' }], { restartPolicy: 'Sometimes' as 'Always' }),
      want: [
        {
          reason: 'FieldValueNotSupported',
          field: 'spec.restartPolicy',
          message:
            'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
        },
      ],
    },
    {
      name: 'dns none',
      pod: pod('k', [{ name: 'c', image: 'x' }], { dnsPolicy: 'None' }),
      want: [
        {
          reason: 'FieldValueRequired',
          field: 'spec.dnsConfig',
          message: 'Required value: must provide `dnsConfig` when `dnsPolicy` is None',
        },
      ],
    },
    {
      name: 'hostname',
      pod: pod('l', [{ name: 'c', image: 'x' }], { hostname: 'Bad.Host' }),
      want: [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.hostname',
          message:
            "Invalid value: \"Bad.Host\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        },
      ],
    },
    {
      name: 'subdomain',
      pod: pod('m', [{ name: 'c', image: 'x' }], { subdomain: 'a.b' }),
      want: [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.subdomain',
          message: 'Invalid value: "a.b": must not contain dots',
        },
      ],
    },
    {
      name: 'mount',
      pod: pod('n', [{ name: 'c', image: 'x', volumeMounts: [{ name: 'v', mountPath: '/v' }] }]),
      want: [
        {
          reason: 'FieldValueNotFound',
          field: 'spec.containers[0].volumeMounts[0].name',
          message: 'Not found: "v"',
        },
      ],
    },
    {
      name: 'requests over limits',
      pod: pod('o', [
        {
          name: 'c',
          image: 'x',
          resources: { limits: { cpu: '100m' }, requests: { cpu: '200m' } },
        },
      ]),
      want: [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.containers[0].resources.requests',
          message: 'Invalid value: "200m": must be less than or equal to cpu limit of 100m',
        },
      ],
    },
  ];
  for (const c of cases)
    assert.deepEqual(await causesOf(() => p.create(pods, c.pod)), c.want, c.name);
});

test('Pod updates may change images but not the rest of the spec', async () => {
  const p = new TestPipeline(buildStrategies(defaultClusterConfig));
  const ref = { namespace: 'default', name: 'kubia' };
  await p.create(
    pods,
    pod('kubia', [{ name: 'kubia', image: 'luksa/kubia', ports: [{ containerPort: 8080 }] }]),
  );
  const upd = await p.update<Pod>(
    pods,
    (cur) => {
      const c = cur.spec?.containers[0];
      if (c) c.image = 'luksa/kubia:v2';
      return cur;
    },
    ref,
  );
  assert.equal(upd.spec?.containers[0]?.image, 'luksa/kubia:v2');
  const causes = await causesOf(() =>
    p.update<Pod>(
      pods,
      (cur) => {
        const port = cur.spec?.containers[0]?.ports?.[0];
        if (port) port.containerPort = 9090;
        return cur;
      },
      ref,
    ),
  );
  assert.equal(causes.length, 1);
  assert.equal(causes[0]?.field, 'spec');
  assert.equal(causes[0]?.reason, 'FieldValueForbidden');
  assert.ok(
    causes[0]?.message?.startsWith(
      'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n',
    ),
  );
  assert.match(
    causes[0]?.message ?? '',
    /- spec\.containers\[0\]\.ports\[0\]\.containerPort: 8080\n\+ spec\.containers\[0\]\.ports\[0\]\.containerPort: 9090/,
  );
  assert.deepEqual(
    await causesOf(() =>
      p.update<Pod>(pods, (cur) => ({ ...cur, spec: { ...cur.spec, containers: [] } }), ref),
    ),
    [
      { reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' },
      {
        reason: 'FieldValueForbidden',
        field: 'spec.containers',
        message: 'Forbidden: pod updates may not add or remove containers',
      },
    ],
  );
});

test('Pod status writes: IPs are checked, the spec stays, nodeName cannot move', async () => {
  const p = new TestPipeline(buildStrategies(defaultClusterConfig));
  const ref = { namespace: 'default', name: 'web' };
  await p.create(pods, pod('web', [{ name: 'web', image: 'luksa/kubia' }], { nodeName: 'node-1' }));
  const running = await p.update<Pod>(
    pods,
    (cur) => ({
      ...cur,
      spec: { ...cur.spec, nodeName: 'node-1', containers: [] },
      status: {
        phase: 'Running',
        podIP: '10.244.1.5',
        podIPs: [{ ip: '10.244.1.5' }],
        hostIP: '192.168.49.2',
        hostIPs: [{ ip: '192.168.49.2' }],
        qosClass: 'BestEffort',
      },
    }),
    ref,
    { status: true },
  );
  assert.equal(running.status?.phase, 'Running');
  assert.equal(running.spec?.containers.length, 1, 'status writes keep the spec');
  assert.deepEqual(
    await causesOf(() =>
      p.update<Pod>(
        pods,
        (cur) => ({
          ...cur,
          status: { ...cur.status, podIPs: [{ ip: '10.244.1.5' }, { ip: '10.244.1.6' }] },
        }),
        ref,
        { status: true },
      ),
    ),
    [
      {
        reason: 'FieldValueInvalid',
        field: 'status.podIPs',
        message:
          'Invalid value: []string{"10.244.1.5", "10.244.1.6"}: may specify no more than one IP for each IP family',
      },
    ],
  );
  const strategies = buildStrategies(defaultClusterConfig);
  assert.deepEqual(strategies.for(pods).selectableFields?.(running), {
    'spec.nodeName': 'node-1',
    'spec.restartPolicy': 'Always',
    'spec.schedulerName': 'default-scheduler',
    'spec.serviceAccountName': 'default',
    'spec.hostNetwork': 'false',
    'status.phase': 'Running',
    'status.podIP': '10.244.1.5',
    'status.nominatedNodeName': '',
  });
});

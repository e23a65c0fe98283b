import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, Pod } from '../../api/types/core.js';
import { containerEnv, EnvError, expandCommand, fieldPathValue, type EnvSources } from './env.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

const sources: EnvSources = {
  getConfigMap: (_ns, name) =>
    Promise.resolve(
      name === 'cfg' ? { metadata: { name }, data: { LOG: 'debug', MODE: 'fast' } } : undefined,
    ),
  getSecret: (_ns, name) =>
    Promise.resolve(
      name === 'creds'
        ? { metadata: { name }, data: { user: b64('alice'), pass: b64('s3cret') } }
        : undefined,
    ),
};

function pod(container: Container): Pod {
  return {
    metadata: {
      name: 'web-1',
      namespace: 'shop',
      uid: 'u-1',
      labels: { app: 'web', tier: 'front' },
      annotations: { note: 'a "quoted" one' },
    },
    spec: { containers: [container], nodeName: 'node1', serviceAccountName: 'default' },
  };
}

const serviceEnv = new Map([
  ['KUBIA_SERVICE_HOST', '10.96.0.20'],
  ['KUBIA_SERVICE_PORT', '80'],
  ['MODE', 'from-service'],
]);

async function env(c: Container): Promise<Record<string, string>> {
  const list = await containerEnv({
    pod: pod(c),
    container: c,
    podIPs: ['10.244.1.5'],
    hostIPs: ['198.18.1.11'],
    serviceEnv,
    sources,
    nodeAllocatable: { cpuMillis: 2000, memoryBytes: 4 * 1024 ** 3 },
  });
  return Object.fromEntries(list.map((e) => [e.name, e.value]));
}

test('containerEnv(): envFrom with prefix, env overrides, service vars last and never over own', async () => {
  const e = await env({
    name: 'c',
    envFrom: [{ configMapRef: { name: 'cfg' } }, { prefix: 'DB_', secretRef: { name: 'creds' } }],
    env: [
      { name: 'LOG', value: 'info' },
      { name: 'URL', value: 'http://$(KUBIA_SERVICE_HOST):$(KUBIA_SERVICE_PORT)/$(LOG)/$(NOPE)' },
      { name: 'KUBIA_SERVICE_PORT', value: '8080' },
    ],
  });
  assert.equal(e['LOG'], 'info');
  assert.equal(e['MODE'], 'fast', 'the container own MODE wins over the service variable');
  assert.equal(e['DB_user'], 'alice');
  assert.equal(e['DB_pass'], 's3cret');
  assert.equal(e['URL'], 'http://10.96.0.20:80/info/$(NOPE)');
  assert.equal(e['KUBIA_SERVICE_PORT'], '8080');
  assert.equal(e['KUBIA_SERVICE_HOST'], '10.96.0.20');
});

test('containerEnv(): downward API fields and key refs', async () => {
  const e = await env({
    name: 'c',
    resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m' } },
    env: [
      { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'LABELS', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'ANN', valueFrom: { fieldRef: { fieldPath: 'metadata.annotations' } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'POD_IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
      { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      {
        name: 'MEM',
        valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } },
      },
      { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      {
        name: 'CPU_REQ_M',
        valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } },
      },
      { name: 'USER', valueFrom: { secretKeyRef: { name: 'creds', key: 'user' } } },
      { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'LOG' } } },
      {
        name: 'OPT',
        valueFrom: { configMapKeyRef: { name: 'missing', key: 'x', optional: true } },
      },
      { name: 'OPTKEY', valueFrom: { secretKeyRef: { name: 'creds', key: 'x', optional: true } } },
    ],
  });
  assert.deepEqual(
    { ...e },
    {
      NAME: 'web-1',
      NS: 'shop',
      UID: 'u-1',
      LABELS: 'app="web"\ntier="front"',
      APP: 'web',
      ANN: 'note="a \\"quoted\\" one"',
      NODE: 'node1',
      SA: 'default',
      POD_IP: '10.244.1.5',
      POD_IPS: '10.244.1.5',
      HOST_IP: '198.18.1.11',
      MEM: '64',
      CPU_LIMIT: '2',
      CPU_REQ_M: '250',
      USER: 'alice',
      LEVEL: 'debug',
      KUBIA_SERVICE_HOST: '10.96.0.20',
      KUBIA_SERVICE_PORT: '80',
      MODE: 'from-service',
    },
  );
});

test('containerEnv(): missing required sources fail with kubelet messages', async () => {
  const cases: [Container, RegExp][] = [
    [{ name: 'c', envFrom: [{ configMapRef: { name: 'nope' } }] }, /^configmap "nope" not found$/],
    [{ name: 'c', envFrom: [{ secretRef: { name: 'nope' } }] }, /^secret "nope" not found$/],
    [
      {
        name: 'c',
        env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }],
      },
      /^couldn't find key k in ConfigMap shop\/cfg$/,
    ],
    [
      { name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }] },
      /^couldn't find key k in Secret shop\/creds$/,
    ],
  ];
  for (const [c, re] of cases) {
    await assert.rejects(env(c), (e: unknown) => e instanceof EnvError && re.test(e.message));
  }
  assert.deepEqual(
    await env({ name: 'c', envFrom: [{ configMapRef: { name: 'nope', optional: true } }] }),
    Object.fromEntries(serviceEnv),
  );
});

test('expandCommand() expands command and args against the environment', () => {
  const out = expandCommand(
    { command: ['sh', '-c', 'echo $(GREETING) $$(HOME)'], args: ['$(MISSING)', '$(GREETING)'] },
    [{ name: 'GREETING', value: 'hello' }],
  );
  assert.deepEqual(out, {
    command: ['sh', '-c', 'echo hello $(HOME)'],
    args: ['$(MISSING)', 'hello'],
  });
  assert.deepEqual(expandCommand({}, []), {});
});

test('fieldPathValue() rejects unknown paths', () => {
  assert.throws(() => fieldPathValue(pod({ name: 'c' }), 'spec.bogus', [], []), EnvError);
});

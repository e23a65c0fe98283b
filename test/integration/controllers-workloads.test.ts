/**
 * The seeds' workloads with the real kubectl: the ReplicationController and ReplicaSet of three
 * luksa/kubia pods behind the kubia Service, scaling, deletion with and without cascading, a
 * Deployment rollout, scheduling failures and namespace deletion. A fake kubelet plays the node
 * (pods get an IP and Ready).
 *
 * Address plan: node ptest-n1 pods in 10.244.0.0/24, ptest-n2 in 10.244.1.0/24.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resources } from '../../src/api/scheme.js';
import type { Pod, ReplicationController } from '../../src/api/types/core.js';
import type { Client } from '../../src/client/types.js';
import { startTestApiServer, type TestApiServer } from '../../src/testing/apiserver.js';
import {
  adminClient,
  registerNode,
  startFakeKubelet,
  startTestControllers,
} from '../../src/testing/controllers.js';
import { kubectlAvailable } from '../../src/testing/kubectl.js';
import { waitFor } from '../../src/testing/wait.js';

const root = process.env['PORTICO_ROOT'] ?? process.cwd();
const seed = (f: string): string =>
  readFileSync(join(root, 'test', 'fixtures', 'seeds', f), 'utf8');
const skip = kubectlAvailable() ? false : 'kubectl is not installed';

async function cluster(
  t: TestContext,
): Promise<{ api: TestApiServer; client: Client; kubelet: ReturnType<typeof startFakeKubelet> }> {
  const api = await startTestApiServer(t);
  const client = adminClient(api);
  await registerNode(client, 'ptest-n1');
  await startTestControllers(t, api);
  const abort = new AbortController();
  const kubelet = startFakeKubelet(client, 'ptest-n1', { signal: abort.signal });
  t.after(async () => {
    abort.abort();
    await kubelet.done;
  });
  return { api, client, kubelet };
}

async function k(api: TestApiServer, args: string[], input?: string): Promise<string> {
  const r = await api.kubectl(args, input !== undefined ? { input } : {});
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const livePods = async (client: Client, selector: string): Promise<Pod[]> =>
  (
    await client.list<Pod>(resources.pods, { namespace: 'default', labelSelector: selector })
  ).items.filter((p) => p.metadata.deletionTimestamp === undefined);

/** The `Endpoints:` line of `kubectl describe svc`. */
async function describedEndpoints(api: TestApiServer, svc: string): Promise<string[]> {
  const out = await k(api, ['describe', 'svc', svc]);
  const line = out.split('\n').find((l) => l.startsWith('Endpoints:')) ?? '';
  const value = line.slice('Endpoints:'.length).trim();
  return value === '' || value === '<none>'
    ? []
    : value
        .split(',')
        .map((s) => s.replace(/ \+ \d+ more\.\.\.$/, ''))
        .sort();
}

test(
  'seed RC: three kubia pods, kubia service endpoints, unready and back, scale, delete',
  { skip },
  async (t) => {
    const { api, client, kubelet } = await cluster(t);
    await k(api, ['create', '-f', '-'], seed('kubia-rc.yaml'));
    await k(api, [
      'expose',
      'rc',
      'kubia',
      '--name',
      'kubia',
      '--port',
      '80',
      '--target-port',
      '8080',
    ]);
    const pods = await waitFor(
      async () => {
        const p = await livePods(client, 'app=kubia');
        return p.length === 3 && p.every((x) => x.status?.podIP !== undefined) ? p : undefined;
      },
      { what: 'three running kubia pods' },
    );
    for (const p of pods) assert.match(p.metadata.name ?? '', /^kubia-[a-z0-9]{5}$/);
    const want = pods.map((p) => `${p.status?.podIP ?? ''}:8080`).sort();
    await waitFor(
      async () => JSON.stringify(await describedEndpoints(api, 'kubia')) === JSON.stringify(want),
      { what: 'describe svc kubia lists three endpoints' },
    );

    const rcOut = await k(api, ['get', 'rc', 'kubia']);
    assert.match(rcOut, /kubia\s+3\s+3\s+3\s/, rcOut);
    const describeRc = await k(api, ['describe', 'rc', 'kubia']);
    assert.match(
      describeRc,
      /SuccessfulCreate\s+.*replication-controller\s+Created pod: kubia-[a-z0-9]{5}/,
      describeRc,
    );

    // One pod turns unready (its kubelet reports it): it leaves the endpoints, then comes back.
    const victim = pods[0]!;
    kubelet.unready.add(`default/${victim.metadata.name ?? ''}`);
    const without = want.filter((e) => !e.startsWith(`${victim.status?.podIP ?? ''}:`));
    await waitFor(
      async () =>
        JSON.stringify(await describedEndpoints(api, 'kubia')) === JSON.stringify(without),
      { what: 'the unready pod leaves the endpoints' },
    );
    kubelet.unready.clear();
    await waitFor(
      async () => JSON.stringify(await describedEndpoints(api, 'kubia')) === JSON.stringify(want),
      { what: 'the pod is back' },
    );

    // kubectl scale rc (the scale subresource).
    await k(api, ['scale', 'rc', 'kubia', '--replicas=5']);
    await waitFor(async () => (await livePods(client, 'app=kubia')).length === 5, {
      what: 'five pods',
    });
    await k(api, ['scale', 'rc', 'kubia', '--replicas=3']);
    await waitFor(async () => (await livePods(client, 'app=kubia')).length === 3, {
      what: 'three pods again',
    });
    await waitFor(
      async () =>
        (
          await client.get<ReplicationController>(
            resources.replicationcontrollers,
            'default',
            'kubia',
          )
        ).status?.replicas === 3,
      { what: 'status.replicas 3' },
    );

    // A deleted pod is replaced.
    const some = (await livePods(client, 'app=kubia'))[0]!;
    await k(api, ['delete', 'pod', some.metadata.name ?? '', '--wait=false']);
    await waitFor(
      async () => {
        const p = await livePods(client, 'app=kubia');
        return p.length === 3 && !p.some((x) => x.metadata.name === some.metadata.name);
      },
      { what: 'a replacement pod' },
    );

    // kubectl delete rc removes the pods, and they leave the endpoints.
    await k(api, ['delete', 'rc', 'kubia']);
    await waitFor(
      async () =>
        (
          await client.list<Pod>(resources.pods, {
            namespace: 'default',
            labelSelector: 'app=kubia',
          })
        ).items.length === 0,
      { what: 'the pods are gone' },
    );
    await waitFor(async () => (await describedEndpoints(api, 'kubia')).length === 0, {
      what: 'no endpoints left',
    });
  },
);

test(
  'seed RS: kubectl delete rs --cascade=orphan keeps the pods, a new RS adopts them',
  { skip },
  async (t) => {
    const { api, client } = await cluster(t);
    await k(api, ['create', '-f', '-'], seed('my-kubia-rs.yaml'));
    await waitFor(
      async () => (await livePods(client, 'app=kubia')).filter((p) => p.status?.podIP).length === 3,
      { what: 'three pods' },
    );
    const names = (await livePods(client, 'app=kubia')).map((p) => p.metadata.name).sort();
    const rsOut = await k(api, ['get', 'rs', 'my-kubia-rs-1']);
    assert.match(rsOut, /my-kubia-rs-1\s+3\s+3\s+3\s/, rsOut);
    await waitFor(async () => (await describedEndpoints(api, 'kubia-service')).length === 3, {
      what: 'kubia-service has three endpoints',
    });

    await k(api, ['delete', 'rs', 'my-kubia-rs-1', '--cascade=orphan']);
    await waitFor(
      async () => {
        const p = await livePods(client, 'app=kubia');
        return p.length === 3 && p.every((x) => (x.metadata.ownerReferences ?? []).length === 0);
      },
      { what: 'orphaned pods without owner references' },
    );
    assert.deepEqual(
      (await livePods(client, 'app=kubia')).map((p) => p.metadata.name).sort(),
      names,
    );

    // The same ReplicaSet again: it adopts the three orphans instead of creating.
    await k(api, ['create', '-f', '-'], seed('my-kubia-rs.yaml').split('---')[0]);
    await waitFor(
      async () =>
        (await livePods(client, 'app=kubia')).every(
          (p) => p.metadata.ownerReferences?.[0]?.kind === 'ReplicaSet',
        ),
      { what: 'adoption' },
    );
    assert.deepEqual(
      (await livePods(client, 'app=kubia')).map((p) => p.metadata.name).sort(),
      names,
    );

    await k(api, ['delete', 'rs', 'my-kubia-rs-1']);
    await waitFor(
      async () =>
        (
          await client.list<Pod>(resources.pods, {
            namespace: 'default',
            labelSelector: 'app=kubia',
          })
        ).items.length === 0,
      { what: 'pods deleted with the RS' },
    );
  },
);

test(
  'deployment: create, scale through the scale subresource, roll out a new image',
  { skip },
  async (t) => {
    const { api, client } = await cluster(t);
    await k(api, [
      'create',
      'deployment',
      'kubia-dep',
      '--image=luksa/kubia',
      '--port=8080',
      '--replicas=2',
    ]);
    await waitFor(
      async () =>
        (await livePods(client, 'app=kubia-dep')).filter((p) => p.status?.podIP).length === 2,
      { what: 'two pods' },
    );
    const rs1 = (await k(api, ['get', 'rs', '-l', 'app=kubia-dep', '-o', 'name'])).trim();
    assert.match(rs1, /^replicaset\.apps\/kubia-dep-[bcdfghjklmnpqrstvwxz2456789]+$/);
    await waitFor(
      async () => /kubia-dep\s+2\/2\s+2\s+2\s/.test(await k(api, ['get', 'deploy', 'kubia-dep'])),
      { what: 'deployment 2/2 up to date and available' },
    );

    await k(api, ['scale', 'deployment', 'kubia-dep', '--replicas=3']);
    await waitFor(async () => (await livePods(client, 'app=kubia-dep')).length === 3, {
      what: 'three pods after scale',
    });

    await k(api, ['set', 'image', 'deployment/kubia-dep', 'kubia=luksa/kubia:v2']);
    const status = await api.kubectl([
      'rollout',
      'status',
      'deployment/kubia-dep',
      '--timeout=30s',
    ]);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.match(status.stdout, /successfully rolled out/);
    const pods = await livePods(client, 'app=kubia-dep');
    assert.equal(pods.length, 3);
    assert.ok(pods.every((p) => p.spec?.containers[0]?.image === 'luksa/kubia:v2'));
    const rsList = (await k(api, ['get', 'rs', '-l', 'app=kubia-dep', '--no-headers']))
      .trim()
      .split('\n');
    assert.equal(rsList.length, 2, rsList.join('\n'));
    const annotations = await k(api, [
      'get',
      'deploy',
      'kubia-dep',
      '-o',
      'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}',
    ]);
    assert.equal(annotations, '2');
    const history = await k(api, ['rollout', 'history', 'deployment/kubia-dep']);
    assert.match(history, /^1\s/m);
    assert.match(history, /^2\s/m);
  },
);

test(
  'scheduler: a pod that fits nowhere stays Pending with a FailedScheduling event',
  { skip },
  async (t) => {
    const { api, client } = await cluster(t);
    await registerNode(client, 'ptest-n2');
    await k(api, [
      'run',
      'picky',
      '--image=busybox',
      '--overrides',
      JSON.stringify({ apiVersion: 'v1', spec: { nodeSelector: { disk: 'ssd' } } }),
      '--command',
      '--',
      'sleep',
      'infinity',
    ]);
    const described = await waitFor(
      async () => {
        const out = await k(api, ['describe', 'pod', 'picky']);
        return /FailedScheduling/.test(out) ? out : undefined;
      },
      { what: 'FailedScheduling event' },
    );
    assert.match(
      described,
      /0\/2 nodes are available: 2 node\(s\) didn't match Pod's node affinity\/selector\./,
    );
    assert.match(await k(api, ['get', 'pod', 'picky']), /picky\s+0\/1\s+Pending/);
    await k(api, ['label', 'node', 'ptest-n2', 'disk=ssd']);
    await waitFor(
      async () =>
        (await client.get<Pod>(resources.pods, 'default', 'picky')).spec?.nodeName === 'ptest-n2',
      { what: 'bound once a node fits' },
    );
  },
);

test('namespace deletion empties the namespace first', { skip }, async (t) => {
  const { api, client } = await cluster(t);
  await k(api, ['create', 'namespace', 'doomed']);
  await k(api, [
    '-n',
    'doomed',
    'create',
    'deployment',
    'web',
    '--image=luksa/kubia',
    '--replicas=2',
  ]);
  await k(api, ['-n', 'doomed', 'create', 'configmap', 'cfg', '--from-literal=a=b']);
  await k(api, ['-n', 'doomed', 'expose', 'deployment', 'web', '--port=80', '--target-port=8080']);
  await waitFor(
    async () =>
      (await client.list<Pod>(resources.pods, { namespace: 'doomed' })).items.length === 2,
    { what: 'pods in doomed' },
  );
  const r = await api.kubectl(['delete', 'namespace', 'doomed', '--timeout=30s']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /namespace "doomed" deleted/);
  const gone = await api.kubectl(['get', 'namespace', 'doomed']);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /NotFound/);
  assert.equal((await client.list<Pod>(resources.pods, { namespace: 'doomed' })).items.length, 0);
});

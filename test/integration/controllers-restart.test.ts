/**
 * `portico controllers` as a real process: SIGKILL in the middle of converging, start again,
 * and the result is the same objects as an undisturbed run: one slice per service with every
 * pod, exactly the asked number of pods per ReplicationController, no duplicates.
 *
 * Address plan: pods 10.244.0.0/24 (fake kubelet of ptest-n1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { resources } from '../../src/api/scheme.js';
import type { Endpoints, Pod, ReplicationController, Service } from '../../src/api/types/core.js';
import type { EndpointSlice } from '../../src/api/types/discovery.js';
import { startTestApiServer } from '../../src/testing/apiserver.js';
import { adminClient, registerNode, startFakeKubelet } from '../../src/testing/controllers.js';
import { waitFor } from '../../src/testing/wait.js';

const root = process.env['PORTICO_ROOT'] ?? process.cwd();
const services = 15;
const replicas = 3;

function startBinary(kubeconfig: string): ChildProcess {
  return spawn(
    process.execPath,
    [
      join(root, 'bin', 'portico.js'),
      'controllers',
      '--kubeconfig',
      kubeconfig,
      '--controllers',
      'endpointslice,endpoints,replicationcontroller,scheduler,garbagecollector',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

test('SIGKILL of portico controllers mid-way and a restart converge with no duplicates', async (t) => {
  const api = await startTestApiServer(t);
  const client = adminClient(api);
  await registerNode(client, 'ptest-n1');
  const abort = new AbortController();
  const kubelet = startFakeKubelet(client, 'ptest-n1', { signal: abort.signal });
  let child = startBinary(api.kubeconfig);
  t.after(async () => {
    await kill(child, 'SIGKILL');
    abort.abort();
    await kubelet.done;
  });

  for (let i = 0; i < services; i++) {
    const app = `app-${i}`;
    await client.create<Service>(resources.services, {
      metadata: { name: app, namespace: 'default' },
      spec: { selector: { app }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
    });
    await client.create<ReplicationController>(resources.replicationcontrollers, {
      metadata: { name: app, namespace: 'default' },
      spec: {
        replicas,
        selector: { app },
        template: {
          metadata: { labels: { app } },
          spec: {
            containers: [{ name: 'kubia', image: 'luksa/kubia', ports: [{ containerPort: 8080 }] }],
          },
        },
      },
    });
  }
  // Kill it once it is visibly at work but not done.
  await waitFor(
    async () =>
      (await client.list<Pod>(resources.pods, { namespace: 'default' })).items.length >= 5,
    { what: 'some pods created', timeoutMs: 20_000 },
  );
  await kill(child, 'SIGKILL');
  const atKill = (await client.list<Pod>(resources.pods, { namespace: 'default' })).items.length;
  child = startBinary(api.kubeconfig);

  const converged = async (): Promise<boolean> => {
    const pods = (await client.list<Pod>(resources.pods, { namespace: 'default' })).items;
    const slices = (
      await client.list<EndpointSlice>(resources.endpointslices, { namespace: 'default' })
    ).items;
    for (let i = 0; i < services; i++) {
      const app = `app-${i}`;
      const mine = pods.filter((p) => p.metadata.labels?.['app'] === app);
      if (
        mine.length !== replicas ||
        mine.some((p) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True')
      )
        return false;
      const s = slices.filter((x) => x.metadata.labels?.['kubernetes.io/service-name'] === app);
      if (
        s.length !== 1 ||
        s[0]!.endpoints.filter((e) => e.conditions?.ready === true).length !== replicas
      )
        return false;
    }
    return true;
  };
  await waitFor(converged, {
    what: `${services} services × ${replicas} ready endpoints after the restart`,
    timeoutMs: 60_000,
    intervalMs: 200,
  });

  // Exactly the objects of an undisturbed run.
  const pods = (await client.list<Pod>(resources.pods, { namespace: 'default' })).items;
  assert.equal(
    pods.length,
    services * replicas,
    `no extra pods (there were ${atKill} at the kill)`,
  );
  const slices = (
    await client.list<EndpointSlice>(resources.endpointslices, { namespace: 'default' })
  ).items.filter((s) => s.metadata.labels?.['kubernetes.io/service-name']?.startsWith('app-'));
  assert.equal(slices.length, services, 'one slice per service');
  for (let i = 0; i < services; i++) {
    const ep = await client.get<Endpoints>(resources.endpoints, 'default', `app-${i}`);
    assert.equal(ep.subsets?.[0]?.addresses?.length, replicas);
    const rc = await client.get<ReplicationController>(
      resources.replicationcontrollers,
      'default',
      `app-${i}`,
    );
    assert.equal(rc.status?.replicas, replicas);
  }
  // A clean stop: SIGTERM ends the process with status 0.
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import type { Container, Pod, PodStatus, Service } from '../../api/types/core.js';
import { FakeClock } from '../../lib/fakeclock.js';
import { discardLogger } from '../../lib/log/logger.js';
import { FakeImageService } from '../images/fake.js';
import { FakeRuntime } from '../runtime/fake.js';
import { RuntimeCache } from './cache.js';
import { ProbeManager } from './prober.js';
import { terminatedPodStatus } from './status.js';
import { PodSyncer } from './sync.js';

const podsDir = mkdtempSync(join(tmpdir(), 'ptest-agent-sync-'));
after(() => rmSync(podsDir, { recursive: true, force: true }));

interface Recorded {
  readonly reason: string;
  readonly message: string;
}

function harness(services: Service[] = []) {
  const clock = new FakeClock({ now: Date.UTC(2024, 0, 1) });
  const images = new FakeImageService({ images: [{ ref: 'luksa/kubia' }, { ref: 'busybox' }] });
  const runtime = new FakeRuntime({ images, clock });
  const cache = new RuntimeCache(runtime);
  const events: Recorded[] = [];
  const recorder = {
    event: (_o: KubeObject, _t: string, reason: string, message: string) => {
      events.push({ reason, message });
    },
  };
  const prober = new ProbeManager({
    runtime,
    clock,
    logger: discardLogger,
    recorder,
    onChange: () => undefined,
    podIP: () => '10.244.0.2',
  });
  const syncer = new PodSyncer({
    runtime,
    cache,
    prober,
    recorder,
    clock,
    logger: discardLogger,
    node: {
      name: 'node1',
      hostIPs: () => ['198.18.1.11'],
      clusterDNS: ['10.96.0.10'],
      clusterDomain: 'cluster.local',
      hostResolvConf: () => 'nameserver 192.0.2.53\n',
      networkReady: () => true,
      allocatable: () => ({ cpuMillis: 2000, memoryBytes: 2 ** 31 }),
    },
    services: () => services,
    sources: {
      getConfigMap: () => Promise.resolve(undefined),
      getSecret: () => Promise.resolve(undefined),
    },
    podsDir,
  });
  /** Syncs and returns the status, carrying it as the next "old" status like the worker does. */
  let last: PodStatus | undefined;
  const step = async (pod: Pod) => {
    const p = last ? { ...pod, status: last } : pod;
    const out = await syncer.sync(p);
    prober.sync(p, cache.get(pod.metadata.uid ?? '').containers);
    last = syncer.status(p, false);
    return { out, status: last };
  };
  return { clock, images, runtime, cache, syncer, events, step, prober };
}

let uidSeq = 0;
function pod(containers: Container[], spec: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  uidSeq++;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${uidSeq}`, namespace: 'default', uid: `uid-${uidSeq}` },
    spec: { nodeName: 'node1', containers, ...spec },
  };
}

const kubia: Container = { name: 'kubia', image: 'luksa/kubia', ports: [{ containerPort: 8080 }] };

test('a pod runs: sandbox, container, Running and Ready with kubelet events', async () => {
  const h = harness();
  const p = pod([kubia]);
  const { status } = await h.step(p);
  assert.equal(status.phase, 'Running');
  assert.equal(status.podIP, '10.244.0.2');
  assert.deepEqual(status.podIPs, [{ ip: '10.244.0.2' }]);
  assert.equal(status.hostIP, '198.18.1.11');
  const cs = status.containerStatuses?.[0];
  assert.equal(cs?.ready, true);
  assert.equal(cs?.started, true);
  assert.equal(cs?.restartCount, 0);
  assert.ok(cs?.state?.running?.startedAt);
  assert.match(cs?.containerID ?? '', /^runc:\/\//);
  assert.equal(cs?.image, 'docker.io/luksa/kubia:latest');
  assert.match(cs?.imageID ?? '', /^docker\.io\/luksa\/kubia@sha256:/);
  const cond = Object.fromEntries((status.conditions ?? []).map((c) => [c.type, c.status]));
  assert.deepEqual(cond, {
    PodReadyToStartContainers: 'True',
    Initialized: 'True',
    Ready: 'True',
    ContainersReady: 'True',
    PodScheduled: 'True',
  });
  assert.deepEqual(
    h.events.map((e) => e.reason),
    ['Pulled', 'Created', 'Started'],
  );
  assert.equal(h.events[0]?.message, 'Container image "luksa/kubia" already present on machine');
  // A second sync changes nothing.
  const before = h.runtime.calls.length;
  await h.step(p);
  assert.equal(h.runtime.calls.length, before);
});

test('an image the store lacks: ErrImagePull, then ImagePullBackOff, then a new pull after 10 s', async () => {
  const h = harness();
  const p = pod([{ name: 'c', image: 'nosuch/image:1.0' }]);
  let r = await h.step(p);
  let w = r.status.containerStatuses?.[0]?.state?.waiting;
  assert.equal(w?.reason, 'ErrImagePull');
  assert.equal(r.status.phase, 'Pending');
  r = await h.step(p);
  w = r.status.containerStatuses?.[0]?.state?.waiting;
  assert.equal(w?.reason, 'ImagePullBackOff');
  assert.equal(w?.message, 'Back-off pulling image "nosuch/image:1.0"');
  await h.clock.advance(10_001);
  r = await h.step(p);
  assert.equal(r.status.containerStatuses?.[0]?.state?.waiting?.reason, 'ErrImagePull');
  r = await h.step(p);
  assert.equal(r.status.containerStatuses?.[0]?.state?.waiting?.reason, 'ImagePullBackOff');
  assert.ok(h.events.some((e) => e.reason === 'Failed' && e.message === 'Error: ErrImagePull'));
  // The image arrives: the container starts at the next pull.
  h.images.add('nosuch/image:1.0');
  await h.clock.advance(20_001);
  r = await h.step(p);
  assert.ok(r.status.containerStatuses?.[0]?.state?.running);
});

test('a crashing container: restarted at once, then CrashLoopBackOff 10 s, 20 s', async () => {
  const h = harness();
  const p = pod([kubia]);
  await h.step(p);
  const id = () =>
    [...h.cache.get(p.metadata.uid ?? '').containers].sort((a, b) => b.attempt - a.attempt)[0]
      ?.id ?? '';
  h.runtime.exitContainer(id(), 1);
  await h.clock.advance(1000);
  let r = await h.step(p);
  let cs = r.status.containerStatuses?.[0];
  assert.equal(cs?.restartCount, 1, 'the first restart is immediate');
  assert.ok(cs?.state?.running);
  assert.equal(cs?.lastState?.terminated?.exitCode, 1);
  h.runtime.exitContainer(id(), 2);
  await h.clock.advance(1000);
  r = await h.step(p);
  cs = r.status.containerStatuses?.[0];
  assert.equal(cs?.state?.waiting?.reason, 'CrashLoopBackOff');
  assert.equal(
    cs?.state?.waiting?.message,
    `back-off 10s restarting failed container=kubia pod=${p.metadata.name ?? ''}_default(${p.metadata.uid ?? ''})`,
  );
  assert.equal(cs?.lastState?.terminated?.exitCode, 2);
  assert.equal(cs?.restartCount, 1);
  assert.equal(cs?.ready, false);
  assert.equal(r.status.phase, 'Running');
  assert.ok((r.out.requeueAfterMs ?? 0) > 9000);
  await h.clock.advance(10_000);
  r = await h.step(p);
  cs = r.status.containerStatuses?.[0];
  assert.ok(cs?.state?.running);
  assert.equal(cs?.restartCount, 2);
  h.runtime.exitContainer(id(), 3);
  await h.clock.advance(1000);
  r = await h.step(p);
  assert.match(r.status.containerStatuses?.[0]?.state?.waiting?.message ?? '', /^back-off 20s /);
  assert.ok(h.events.some((e) => e.reason === 'BackOff'));
  // Only the current and the previous instance are kept.
  assert.ok(h.cache.get(p.metadata.uid ?? '').containers.length <= 2);
});

test('restartPolicy Never and OnFailure: Succeeded and Failed are terminal', async () => {
  for (const [policy, code, phase] of [
    ['Never', 0, 'Succeeded'],
    ['Never', 3, 'Failed'],
    ['OnFailure', 0, 'Succeeded'],
  ] as const) {
    const h = harness();
    const p = pod([{ name: 'job', image: 'busybox' }], { restartPolicy: policy });
    await h.step(p);
    const c = h.cache.get(p.metadata.uid ?? '').containers[0];
    h.runtime.exitContainer(c?.id ?? '', code);
    await h.clock.advance(100);
    const r = await h.step(p);
    assert.equal(r.status.phase, phase, `${policy} exit ${code}`);
    assert.equal(r.status.containerStatuses?.[0]?.state?.terminated?.exitCode, code);
    const ready = r.status.conditions?.find((x) => x.type === 'Ready');
    assert.equal(ready?.status, 'False');
    assert.equal(ready?.reason, phase === 'Failed' ? 'PodFailed' : 'PodCompleted');
    // terminal: the sandbox is stopped and nothing restarts
    await h.step(p);
    assert.equal(h.cache.get(p.metadata.uid ?? '').sandboxes[0]?.state, 'notready');
    assert.equal(h.cache.get(p.metadata.uid ?? '').containers.length, 1);
  }
  const h = harness();
  const p = pod([{ name: 'job', image: 'busybox' }], { restartPolicy: 'OnFailure' });
  await h.step(p);
  h.runtime.exitContainer(h.cache.get(p.metadata.uid ?? '').containers[0]?.id ?? '', 1);
  await h.clock.advance(100);
  const r = await h.step(p);
  assert.equal(r.status.phase, 'Running');
  assert.equal(r.status.containerStatuses?.[0]?.restartCount, 1);
});

test('init containers run first, in order; a failing one holds the pod in Init', async () => {
  const h = harness();
  const p = pod([kubia], {
    initContainers: [
      { name: 'init-a', image: 'busybox' },
      { name: 'init-b', image: 'busybox' },
    ],
  });
  let r = await h.step(p);
  assert.equal(r.status.phase, 'Pending');
  assert.equal(r.status.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
  assert.ok(r.status.initContainerStatuses?.[0]?.state?.running);
  assert.equal(
    r.status.conditions?.find((c) => c.type === 'Initialized')?.message,
    'containers with incomplete status: [init-a init-b]',
  );
  const byName = (n: string) =>
    h.cache.get(p.metadata.uid ?? '').containers.find((c) => c.name === n);
  h.runtime.exitContainer(byName('init-a')?.id ?? '', 0);
  r = await h.step(p);
  assert.ok(r.status.initContainerStatuses?.[1]?.state?.running);
  assert.equal(byName('kubia'), undefined);
  h.runtime.exitContainer(byName('init-b')?.id ?? '', 0);
  r = await h.step(p);
  assert.equal(r.status.phase, 'Running');
  assert.equal(r.status.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
  assert.equal(r.status.initContainerStatuses?.[1]?.ready, true);
});

test('service links: Services that exist when the container starts, the container own env wins', async () => {
  const svc: Service = {
    metadata: { name: 'kubia', namespace: 'default' },
    spec: { clusterIP: '10.96.0.20', ports: [{ port: 80, targetPort: 8080 }] },
  };
  const kube: Service = {
    metadata: { name: 'kubernetes', namespace: 'default' },
    spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443 }] },
  };
  const h = harness([kube, svc]);
  const p = pod([{ ...kubia, env: [{ name: 'KUBIA_SERVICE_PORT', value: 'mine' }] }]);
  await h.step(p);
  const create = h.runtime.calls.find((c) => c.method === 'createContainer');
  const env = Object.fromEntries(
    ((create?.args[1] as { env: { name: string; value: string }[] }).env ?? []).map((e) => [
      e.name,
      e.value,
    ]),
  );
  assert.equal(env['KUBIA_SERVICE_HOST'], '10.96.0.20');
  assert.equal(env['KUBIA_PORT_80_TCP'], 'tcp://10.96.0.20:80');
  assert.equal(env['KUBIA_SERVICE_PORT'], 'mine');
  assert.equal(env['KUBERNETES_SERVICE_PORT_HTTPS'], '443');
});

test('a dead sandbox is replaced; containers restart in it with the next attempt', async () => {
  const h = harness();
  const p = pod([kubia]);
  await h.step(p);
  const sb = h.cache.get(p.metadata.uid ?? '').sandboxes[0];
  h.runtime.killSandbox(sb?.id ?? '');
  await h.clock.advance(1000);
  const r = await h.step(p);
  const view = h.cache.get(p.metadata.uid ?? '');
  const newest = [...view.sandboxes].sort((a, b) => b.attempt - a.attempt)[0];
  assert.equal(newest?.attempt, 1);
  assert.equal(newest?.state, 'ready');
  assert.ok(r.status.containerStatuses?.[0]?.state?.running);
  assert.equal(r.status.containerStatuses?.[0]?.restartCount, 1);
  assert.ok(h.events.some((e) => e.reason === 'SandboxChanged'));
});

test('kill(): containers stopped with the grace period, sandbox stopped, terminal status', async () => {
  const h = harness();
  const p = pod([kubia]);
  await h.step(p);
  await h.syncer.kill(p, 30);
  const view = h.cache.get(p.metadata.uid ?? '');
  assert.equal(view.containers[0]?.state.state, 'exited');
  assert.equal(view.sandboxes[0]?.state, 'notready');
  const stop = h.runtime.calls.find((c) => c.method === 'stopContainer');
  assert.equal(stop?.args[1], 30_000);
  const s = terminatedPodStatus(h.syncer.status(p, true), h.clock.now());
  assert.equal(s.phase, 'Failed');
  assert.equal(s.containerStatuses?.[0]?.state?.terminated?.exitCode, 143);
  assert.ok(
    h.events.some((e) => e.reason === 'Killing' && e.message === 'Stopping container kubia'),
  );
  await h.syncer.remove(p.metadata.uid ?? '');
  assert.deepEqual(h.cache.get(p.metadata.uid ?? '').sandboxes, []);
});

test('a missing ConfigMap is CreateContainerConfigError with kubelet message', async () => {
  const h = harness();
  const p = pod([{ ...kubia, envFrom: [{ configMapRef: { name: 'settings' } }] }]);
  const r = await h.step(p);
  const w = r.status.containerStatuses?.[0]?.state?.waiting;
  assert.equal(w?.reason, 'CreateContainerConfigError');
  assert.equal(w?.message, 'configmap "settings" not found');
});

test('readiness probe: not ready until it passes, then Ready; liveness failure restarts', async () => {
  const h = harness();
  const p = pod([
    {
      ...kubia,
      readinessProbe: { exec: { command: ['ls', '/var/ready'] }, periodSeconds: 1 },
      livenessProbe: { exec: { command: ['ls', '/alive'] }, periodSeconds: 1, failureThreshold: 2 },
    },
  ]);
  let r = await h.step(p);
  assert.equal(r.status.containerStatuses?.[0]?.ready, false);
  const id = h.cache.get(p.metadata.uid ?? '').containers[0]?.id ?? '';
  h.runtime.files(id).add('/alive');
  h.runtime.files(id).add('/var/ready');
  await h.clock.advance(1000);
  r = await h.step(p);
  assert.equal(r.status.containerStatuses?.[0]?.ready, true);
  assert.equal(r.status.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  h.runtime.files(id).delete('/alive');
  await h.clock.advance(1000);
  await h.clock.advance(1000);
  await h.clock.advance(1000);
  r = await h.step(p);
  const cs = r.status.containerStatuses?.[0];
  assert.equal(cs?.restartCount, 1);
  assert.equal(cs?.lastState?.terminated?.exitCode, 143);
  assert.ok(
    h.events.some((e) => e.message === 'Container kubia failed liveness probe, will be restarted'),
  );
  h.prober.stop();
});

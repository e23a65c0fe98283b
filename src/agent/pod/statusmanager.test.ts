import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resources } from '../../api/scheme.js';
import type { Pod, PodStatus } from '../../api/types/core.js';
import { FakeClient } from '../../client/fake.js';
import { realClock } from '../../lib/clock.js';
import { discardLogger } from '../../lib/log/logger.js';
import { waitFor } from '../../testing/wait.js';
import { sameStatus, StatusManager } from './statusmanager.js';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', uid: 'u1' },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] },
};

const running: PodStatus = {
  phase: 'Running',
  podIP: '10.244.0.5',
  podIPs: [{ ip: '10.244.0.5' }],
  conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }],
};

test('sameStatus() compares the fields the agent owns, and kubelet conditions only', () => {
  assert.equal(sameStatus(running, running), true);
  assert.equal(sameStatus({ ...running, podIP: '10.244.0.6' }, running), false);
  const withGate = {
    ...running,
    conditions: [
      ...(running.conditions ?? []),
      { type: 'example.com/gate', status: 'True' as const },
    ],
  };
  assert.equal(sameStatus(withGate, running), true);
});

test('StatusManager writes through pods/status, skips what is written, re-sends drift, deletes after the final status', async (t) => {
  const client = new FakeClient({ objects: [structuredClone(pod)] });
  const current = async () => client.get<Pod>(resources.pods, 'default', 'web');
  let cached: Pod | undefined = await current();
  const sm = new StatusManager({
    client,
    clock: realClock,
    logger: discardLogger,
    getPod: () => cached,
    resyncMs: 100,
  });
  const ac = new AbortController();
  const loop = sm.run(ac.signal);
  t.after(async () => {
    ac.abort();
    await loop;
  });
  const patches = () =>
    client.writeActions().filter((a) => a.verb === 'patch' && a.resource === 'pods').length;

  sm.set(pod, running);
  await waitFor(async () => (await current()).status?.phase === 'Running', {
    what: 'the status written',
  });
  assert.equal(patches(), 1);
  assert.equal((await current()).status?.podIP, '10.244.0.5');
  cached = await current();
  sm.set(pod, structuredClone(running));
  await sm.flushed();
  assert.equal(patches(), 1, 'the same status is not written again');

  // someone else changes the status: the resync puts ours back
  await client.patch(
    resources.pods,
    'default',
    'web',
    'merge',
    { status: { podIP: '10.9.9.9' } },
    { subresource: 'status' },
  );
  cached = await current();
  await waitFor(async () => (await current()).status?.podIP === '10.244.0.5', {
    what: 'the drift repaired',
    timeoutMs: 3000,
  });
  cached = await current();

  const { podIP: _ip, podIPs: _ips, ...rest } = running;
  sm.set(pod, { ...rest, phase: 'Failed' });
  sm.finalize(pod);
  await waitFor(
    () =>
      current()
        .then(() => false)
        .catch(() => true),
    { what: 'the pod deleted' },
  );
  const del = client.writeActions().find((a) => a.verb === 'delete');
  assert.ok(del);
});

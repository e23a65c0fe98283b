import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../api/scheme.js';
import type { Pod } from '../../api/types/core.js';
import { node, pod } from '../common/fixtures.js';
import { harness } from '../common/testing.js';
import { SchedulerController } from './controller.js';

function unscheduled(name: string, selector?: Record<string, string>): Pod {
  const p = pod(name, {});
  delete p.spec!.nodeName;
  delete p.status;
  if (selector) p.spec!.nodeSelector = selector;
  return p;
}

test('SchedulerController binds pods over the nodes and explains unschedulable ones', async (t) => {
  const h = harness({
    objects: [
      node('node-1'),
      node('node-2'),
      ...['a', 'b', 'c', 'd'].map((n) => unscheduled(n)),
      unscheduled('picky', { disk: 'ssd' }),
    ],
  });
  t.after(() => h.stop());
  // The API server's binding subresource, as the fake plays it.
  h.client.prependReactor('request', '*', (a) => {
    const m = /\/namespaces\/([^/]+)\/pods\/([^/]+)\/binding$/.exec(a.rawRequest?.path ?? '');
    if (!m) return undefined;
    const body = a.rawRequest?.body as { target: { name: string } };
    const p = h.client.peek<Pod>(resources.pods, m[1], m[2]!)!;
    p.spec!.nodeName = body.target.name;
    h.client.add(p);
    return {
      status: 201,
      headers: {},
      body: Buffer.from('{"kind":"Status","status":"Success","code":201}'),
    };
  });
  await h.start(new SchedulerController(h.ctx));
  await h.settle();
  const pods = h.client.objects<Pod>(resources.pods);
  const perNode = new Map<string, number>();
  for (const p of pods)
    if (p.spec?.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  assert.deepEqual(
    [...perNode].sort(),
    [
      ['node-1', 2],
      ['node-2', 2],
    ],
    'spread evenly',
  );
  const picky = h.client.peek<Pod>(resources.pods, 'default', 'picky')!;
  assert.equal(picky.spec?.nodeName, undefined);
  const cond = picky.status?.conditions?.find((c) => c.type === 'PodScheduled');
  assert.equal(cond?.status, 'False');
  assert.equal(cond?.reason, 'Unschedulable');
  const msg = "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.";
  assert.equal(cond?.message, msg);
  assert.ok(
    h.recorder.events.some(
      (e) => e.reason === 'FailedScheduling' && e.message === msg && e.type === 'Warning',
    ),
  );
  assert.equal(h.recorder.events.filter((e) => e.reason === 'Scheduled').length, 4);

  // A matching node appears: the pod is bound.
  h.client.add(node('node-3', { labels: { disk: 'ssd' } }));
  await h.settle();
  assert.equal(h.client.peek<Pod>(resources.pods, 'default', 'picky')?.spec?.nodeName, 'node-3');
});

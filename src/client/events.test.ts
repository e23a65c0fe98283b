import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiEventRecorder } from './events.js';
import { FakeClient } from './fake.js';
import { ClientError } from './errors.js';
import { resources } from '../api/scheme.js';
import { invalid } from '../api/meta/status.js';
import type { Event, Pod } from '../api/types/core.js';
import { FakeClock } from '../lib/fakeclock.js';
import { createLogger } from '../lib/log/logger.js';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'prod', uid: 'u-1', resourceVersion: '42' },
};

function setup() {
  const clock = new FakeClock({ now: Date.UTC(2024, 4, 1, 10, 0, 0) });
  const fake = new FakeClient({ clock });
  const logs: string[] = [];
  const rec = new ApiEventRecorder({
    client: fake,
    component: 'endpointslice-controller',
    host: 'node-1',
    clock,
    logger: createLogger({ write: (l) => logs.push(l) }),
  });
  return { clock, fake, rec, logs, events: () => fake.objects<Event>(resources.events) };
}

test('EventRecorder creates a core/v1 Event the way client-go does', async () => {
  const h = setup();
  h.rec.event(pod, 'Warning', 'FailedToUpdateEndpointSlices', 'could not update: boom');
  await h.rec.flush();
  const [ev] = h.events();
  assert.ok(ev);
  assert.match(ev.metadata.name ?? '', /^web-1\.[0-9a-f]+$/);
  assert.equal(
    ev.metadata.name,
    `web-1.${(BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n).toString(16)}`,
  );
  assert.equal(ev.metadata.namespace, 'prod');
  assert.deepEqual(ev.involvedObject, {
    kind: 'Pod',
    namespace: 'prod',
    name: 'web-1',
    uid: 'u-1',
    apiVersion: 'v1',
    resourceVersion: '42',
  });
  assert.equal(ev.type, 'Warning');
  assert.equal(ev.reason, 'FailedToUpdateEndpointSlices');
  assert.equal(ev.message, 'could not update: boom');
  assert.deepEqual(ev.source, { component: 'endpointslice-controller', host: 'node-1' });
  assert.equal(ev.firstTimestamp, '2024-05-01T10:00:00Z');
  assert.equal(ev.lastTimestamp, '2024-05-01T10:00:00Z');
  assert.equal(ev.count, 1);
  assert.equal(ev.reportingComponent, 'endpointslice-controller');
});

test('EventRecorder patches count and lastTimestamp for a repeat, and recreates an expired event', async () => {
  const h = setup();
  h.rec.event(pod, 'Normal', 'Scheduled', 'assigned to node-1');
  await h.rec.flush();
  await h.clock.advance(30_000);
  h.rec.event(pod, 'Normal', 'Scheduled', 'assigned to node-1');
  h.rec.event(pod, 'Normal', 'Scheduled', 'assigned to node-1');
  await h.rec.flush();
  let evs = h.events();
  assert.equal(evs.length, 1);
  assert.equal(evs[0]?.count, 3);
  assert.equal(evs[0]?.firstTimestamp, '2024-05-01T10:00:00Z');
  assert.equal(evs[0]?.lastTimestamp, '2024-05-01T10:00:30Z');
  assert.deepEqual(
    h.fake.writeActions().map((a) => `${a.verb}${a.patchType ? `:${a.patchType}` : ''}`),
    ['create', 'patch:strategic', 'patch:strategic'],
  );
  // Events expire on the server; the next repeat writes the event again with the running count.
  h.fake.remove(resources.events, 'prod', evs[0]?.metadata.name ?? '');
  h.rec.event(pod, 'Normal', 'Scheduled', 'assigned to node-1');
  await h.rec.flush();
  evs = h.events();
  assert.equal(evs.length, 1);
  assert.equal(evs[0]?.count, 4);
  // A different message is a different event.
  h.rec.event(pod, 'Normal', 'Scheduled', 'assigned to node-2');
  await h.rec.flush();
  assert.equal(h.events().length, 2);
});

test('EventRecorder folds more than 10 distinct messages within 10 minutes into a combined event', async () => {
  const h = setup();
  for (let i = 0; i < 14; i++) h.rec.event(pod, 'Warning', 'BackOff', `attempt ${i}`);
  await h.rec.flush();
  const evs = h.events();
  assert.equal(evs.length, 11);
  const combined = evs.find((e) => e.message?.startsWith('(combined from similar events): '));
  assert.equal(combined?.message, '(combined from similar events): attempt 13');
  assert.equal(combined?.count, 4);
  await h.clock.advance(11 * 60_000);
  h.rec.event(pod, 'Warning', 'BackOff', 'attempt 99');
  await h.rec.flush();
  assert.ok(
    h.events().some((e) => e.message === 'attempt 99'),
    'a new window starts fresh',
  );
});

test('EventRecorder lets an object burst 25 events, then one per 5 minutes', async () => {
  const h = setup();
  for (let i = 0; i < 30; i++) h.rec.event(pod, 'Normal', `Reason${i}`, 'm');
  await h.rec.flush();
  assert.equal(h.events().length, 25);
  await h.clock.advance(300_000);
  h.rec.event(pod, 'Normal', 'Later', 'm');
  h.rec.event(pod, 'Normal', 'TooSoon', 'm');
  await h.rec.flush();
  assert.deepEqual(
    h
      .events()
      .map((e) => e.reason)
      .filter((r) => r === 'Later' || r === 'TooSoon'),
    ['Later'],
  );
  h.rec.event(
    { ...pod, metadata: { ...pod.metadata, name: 'other', uid: 'u-2' } },
    'Normal',
    'X',
    'm',
  );
  await h.rec.flush();
  assert.ok(
    h.events().some((e) => e.involvedObject.name === 'other'),
    'the limit is per object',
  );
});

test('EventRecorder never throws to the caller: bad objects and failed writes are logged, transient ones retried', async () => {
  const h = setup();
  assert.doesNotThrow(() => h.rec.event({ metadata: {} }, 'Normal', 'NoName', 'm'));
  assert.ok(h.logs.some((l) => l.includes('Could not record event')));

  h.fake.failNext('create', 'events', invalid('', 'Event', 'x', []));
  h.rec.event(pod, 'Normal', 'Invalid', 'm');
  await h.rec.flush();
  assert.equal(h.events().length, 0);
  assert.ok(h.logs.some((l) => l.includes('Could not write event, dropping it')));

  h.fake.failNext('create', 'events', new ClientError('E_CLIENT_UNREACHABLE', 'down'));
  h.rec.event(pod, 'Normal', 'Retried', 'm');
  const flushed = h.rec.flush();
  await h.clock.advance(1000);
  await flushed;
  assert.deepEqual(
    h.events().map((e) => e.reason),
    ['Retried'],
  );
});

test('EventRecorder records cluster-scoped objects in the default namespace and stops on abort', async () => {
  const clock = new FakeClock();
  const fake = new FakeClient({ clock });
  const ac = new AbortController();
  const rec = new ApiEventRecorder({
    client: fake,
    component: 'node-controller',
    clock,
    signal: ac.signal,
  });
  rec.event(
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'n' } },
    'Normal',
    'RegisteredNode',
    'Node n1 event: Registered Node n1',
  );
  await rec.flush();
  const [ev] = fake.objects<Event>(resources.events);
  assert.equal(ev?.metadata.namespace, 'default');
  assert.equal(ev?.involvedObject.namespace, undefined);
  assert.deepEqual(ev?.source, { component: 'node-controller' });
  ac.abort();
  rec.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' } }, 'Normal', 'X', 'm');
  await rec.flush();
  assert.equal(fake.objects(resources.events).length, 1);
});

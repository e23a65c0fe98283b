import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from './metrics.js';

test('Registry.expose() renders counters, gauges and cumulative histogram buckets', () => {
  const r = new Registry();
  const c = r.counter('portico_requests_total', 'Requests.');
  c.inc({ code: '200' });
  c.inc({ code: '200' });
  r.gauge('portico_pending', 'Pending changes.').set(3);
  const h = r.histogram('portico_sync_seconds', 'Sync time.', [0.1, 1]);
  h.observe(0.05);
  h.observe(0.5);
  const text = r.expose();
  assert.match(text, /^portico_requests_total\{code="200"\} 2$/m);
  assert.match(text, /^portico_pending 3$/m);
  assert.match(text, /^portico_sync_seconds_bucket\{le="0.1"\} 1$/m);
  assert.match(text, /^portico_sync_seconds_bucket\{le="1"\} 2$/m);
  assert.match(text, /^portico_sync_seconds_bucket\{le="\+Inf"\} 2$/m);
  assert.match(text, /^portico_sync_seconds_count 2$/m);
});

test('Registry returns the metric already registered under a name, and refuses a type clash', () => {
  const r = new Registry();
  const a = r.counter('portico_things_total', 'Things.');
  const b = r.counter('portico_things_total', 'Things.');
  assert.equal(a, b);
  a.inc();
  b.inc();
  assert.equal((r.expose().match(/# TYPE portico_things_total/g) ?? []).length, 1);
  assert.match(r.expose(), /^portico_things_total 2$/m);
  assert.throws(() => r.gauge('portico_things_total', 'Things.'), /another type/);
});

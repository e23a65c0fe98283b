import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Expectations } from './expectations.js';

function clock(start = 0) {
  let now = start;
  return { now: () => now, sleep: () => Promise.resolve(), advance: (ms: number) => (now += ms) };
}

test('Expectations are satisfied once every expected create and delete is observed', () => {
  const c = clock();
  const e = new Expectations({ clock: c });
  assert.equal(e.satisfied('ns/rs'), true, 'nothing expected yet');
  e.expectCreations('ns/rs', 2);
  assert.equal(e.satisfied('ns/rs'), false);
  e.creationObserved('ns/rs');
  assert.equal(e.satisfied('ns/rs'), false);
  e.creationObserved('ns/rs');
  assert.equal(e.satisfied('ns/rs'), true);
  e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
  e.deletionObserved('ns/rs', 'ns/a');
  e.deletionObserved('ns/rs', 'ns/a');
  assert.equal(e.satisfied('ns/rs'), false, 'the same deletion counts once');
  e.deletionObserved('ns/rs', 'ns/b');
  assert.equal(e.satisfied('ns/rs'), true);
});

test('Expectations expire after five minutes so a lost event cannot wedge a controller', () => {
  const c = clock();
  const e = new Expectations({ clock: c });
  e.expectCreations('ns/rs', 1);
  c.advance(5 * 60 * 1000);
  assert.equal(e.satisfied('ns/rs'), false);
  c.advance(1);
  assert.equal(e.satisfied('ns/rs'), true);
});

/**
 * Server slot planning. Address plan: endpoints 10.244.1.1–10.244.1.9, port 3000.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint } from '../types.js';
import { initialSlots, planSlots, slotCount, slotsFor } from './slots.js';

const ep = (n: number, port = 3000): Endpoint => ({ address: `10.244.1.${n}`, port });

test('slotsFor leaves room for half as many again, by fours, at least four', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 8, 10, 11, 100].map(slotsFor), [4, 4, 4, 8, 8, 12, 16, 20, 152]);
});

test('slotCount keeps the current count while it fits and is not far too large', () => {
  assert.equal(slotCount(8, 5), 8);
  assert.equal(slotCount(8, 9), 16, 'grows');
  assert.equal(slotCount(64, 1), 4, 'shrinks when far too large');
  assert.equal(slotCount(undefined, 10), 16);
});

test('initialSlots puts endpoints first and pads with free slots', () => {
  assert.deepEqual(initialSlots([ep(1), ep(2)], 4), [ep(1), ep(2), undefined, undefined]);
  assert.deepEqual(initialSlots([ep(1), ep(2), ep(3)], 2), [ep(1), ep(2), ep(3)]);
});

test('planSlots: unchanged endpoints keep their slots; nothing to do', () => {
  const cur = initialSlots([ep(1), ep(2)], 4);
  const plan = planSlots(cur, [ep(2), ep(1)]);
  assert.deepEqual(plan, { next: cur, enable: [], disable: [] });
});

test('planSlots: a new endpoint takes a slot that was free before; a removed one drains', () => {
  const cur = initialSlots([ep(1), ep(2)], 4);
  const plan = planSlots(cur, [ep(1), ep(3)]);
  assert.deepEqual(plan?.enable, [{ slot: 2, endpoint: ep(3) }]);
  assert.deepEqual(plan?.disable, [1]);
  assert.deepEqual(plan?.next, [ep(1), undefined, ep(3), undefined]);
});

test('planSlots: a vacated slot is reused only when no other is free, and then not disabled', () => {
  const cur = [ep(1), ep(2)];
  const plan = planSlots(cur, [ep(1), ep(3)]);
  assert.deepEqual(plan?.enable, [{ slot: 1, endpoint: ep(3) }]);
  assert.deepEqual(plan?.disable, []);
  assert.deepEqual(plan?.next, [ep(1), ep(3)]);
});

test('planSlots: a port change is a new endpoint', () => {
  const plan = planSlots([ep(1), undefined], [ep(1, 4000)]);
  assert.deepEqual(plan?.enable, [{ slot: 1, endpoint: ep(1, 4000) }]);
  assert.deepEqual(plan?.disable, [0]);
});

test('planSlots: more endpoints than slots need a new configuration', () => {
  assert.equal(planSlots(initialSlots([ep(1)], 2), [ep(1), ep(2), ep(3)]), undefined);
});

test('planSlots: all endpoints gone puts every slot in maintenance', () => {
  const plan = planSlots(initialSlots([ep(1), ep(2)], 3), []);
  assert.deepEqual(plan?.disable, [0, 1]);
  assert.deepEqual(plan?.next, [undefined, undefined, undefined]);
});

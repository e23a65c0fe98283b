import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CIDRError } from '../nodeipam/cidrset.js';
import { Pool } from './pool.js';

// Address plan: LoadBalancer pools in 192.0.2.0/24 and 198.51.100.0/24 (documentation ranges).

test('Pool hands out addresses lowest first across entries and honours claims', () => {
  const p = new Pool(['192.0.2.10-192.0.2.11', '198.51.100.0/30']);
  assert.equal(p.allocate('a/x'), '192.0.2.10');
  assert.equal(p.claim('192.0.2.11', 'a/y'), true);
  assert.equal(p.claim('192.0.2.11', 'a/z'), false, 'held by someone else');
  assert.equal(p.allocate('a/z'), '198.51.100.1', 'CIDRs skip the network address');
  assert.equal(p.allocate('a/w'), '198.51.100.2');
  assert.equal(p.allocate('a/v'), undefined, 'and the broadcast address');
  p.releaseAll('a/x');
  assert.equal(p.allocate('a/v'), '192.0.2.10');
  assert.equal(p.claim('203.0.113.1', 'a/q'), false, 'outside the pool');
});

test('Pool rejects malformed entries and knows when it is empty', () => {
  assert.equal(new Pool([]).empty, true);
  assert.throws(() => new Pool(['192.0.2.20-192.0.2.10']), CIDRError);
  assert.throws(() => new Pool(['not-an-ip']), CIDRError);
});

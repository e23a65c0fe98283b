import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CIDRError, CIDRSet } from './cidrset.js';

test('CIDRSet hands out /24s of 10.244.0.0/16 lowest first and reuses released ones', () => {
  const s = new CIDRSet('10.244.0.0/16', 24);
  assert.equal(s.size, 256);
  assert.equal(s.allocateNext(), '10.244.0.0/24');
  assert.equal(s.occupy('10.244.1.0/24'), true);
  assert.equal(s.allocateNext(), '10.244.2.0/24');
  s.release('10.244.0.0/24');
  assert.equal(s.allocateNext(), '10.244.0.0/24');
  assert.equal(s.occupy('10.245.0.0/24'), false, 'outside the cluster CIDR');
  assert.equal(s.occupy('10.244.3.0/25'), false, 'wrong size');
});

test('CIDRSet runs out and rejects impossible masks', () => {
  const s = new CIDRSet('192.0.2.0/29', 30);
  assert.equal(s.allocateNext(), '192.0.2.0/30');
  assert.equal(s.allocateNext(), '192.0.2.4/30');
  assert.equal(s.allocateNext(), undefined);
  assert.throws(() => new CIDRSet('10.0.0.0/16', 8), CIDRError);
  assert.throws(() => new CIDRSet('10.0.0/16', 24), CIDRError);
});

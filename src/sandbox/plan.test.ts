import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSandbox, validateSandboxName } from './plan.js';

test('planSandbox() gives each host an address in the sandbox /24 and short link names', () => {
  const p = planSandbox({ name: 'demo', index: 7, nodes: 2 });
  assert.equal(p.subnet, '198.18.7.0/24');
  assert.deepEqual(
    p.hosts.map((h) => [h.name, h.ip, h.netns]),
    [
      ['server', '198.18.7.2', 'portico-demo-server'],
      ['node1', '198.18.7.11', 'portico-demo-node1'],
      ['node2', '198.18.7.12', 'portico-demo-node2'],
      ['client', '198.18.7.100', 'portico-demo-client'],
    ],
  );
  assert.ok(p.hostLink.length <= 15);
  assert.equal(p.hostIP, '198.18.7.254');
});

test('validateSandboxName() keeps names short enough for interface names', () => {
  assert.equal(validateSandboxName('ci1'), undefined);
  assert.match(validateSandboxName('Has-Caps') ?? '', /must match/);
  assert.match(validateSandboxName('muchtoolongname') ?? '', /must match/);
});

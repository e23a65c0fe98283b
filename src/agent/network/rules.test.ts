import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { nodeRuleset } from './rules.js';

// Address plan: node pod CIDR 10.244.1.0/24 in cluster CIDR 10.244.0.0/16.

const input = {
  table: 'portico-node',
  podCIDR: '10.244.1.0/24',
  clusterCIDR: '10.244.0.0/16',
  bridge: 'portico0',
};

describe('nodeRuleset()', () => {
  it('replaces the whole table and masquerades only traffic leaving the pod network', () => {
    const text = nodeRuleset(input);
    const lines = text.split('\n');
    assert.deepEqual(lines.slice(0, 3), [
      'add table ip portico-node',
      'delete table ip portico-node',
      'table ip portico-node {',
    ]);
    assert.ok(
      text.includes(
        'ip saddr 10.244.1.0/24 ip daddr != { 10.244.1.0/24, 10.244.0.0/16, 224.0.0.0/4 } masquerade',
      ),
    );
    assert.ok(text.includes('type nat hook postrouting priority srcnat; policy accept;'));
    assert.ok(!text.includes('table ip portico {'), 'never the proxy table');
  });
  it(
    'is accepted by nft -c (when nft and root are here)',
    { skip: process.getuid?.() !== 0 ? 'needs root' : false },
    () => {
      try {
        execFileSync('unshare', ['-n', 'nft', '-c', '-f', '-'], {
          input: nodeRuleset(input),
          stdio: ['pipe', 'ignore', 'pipe'],
        });
      } catch (e) {
        assert.fail(
          `nft -c rejected the ruleset: ${String((e as { stderr?: Buffer }).stderr ?? e)}`,
        );
      }
    },
  );
});

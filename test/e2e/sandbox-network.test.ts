// Address plan: sandbox "sbnet" on 198.18.<free index>.0/24 (RFC 2544 benchmarking range), inside
// network namespaces this test creates; nothing routes out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec } from '../../src/lib/exec.js';
import { discardLogger } from '../../src/lib/log/logger.js';
import { readState } from '../../src/sandbox/state.js';
import { sandboxDown, sandboxExec, sandboxUp } from '../../src/sandbox/sandbox.js';

process.env['PORTICO_SANDBOX_ROOT'] = mkdtempSync(join(tmpdir(), 'ptest-sandbox-'));

test('sandbox network: hosts reach each other on the LAN, nothing routes out, down removes everything', async (t) => {
  t.after(() => sandboxDown({ name: 'sbnet', log: discardLogger }));
  await sandboxUp({
    name: 'sbnet',
    nodes: 2,
    log: discardLogger,
    components: { server: [], node: [] },
  });
  const plan = readState('sbnet')?.plan;
  assert.ok(plan);
  const node2 = plan.hosts.find((h) => h.name === 'node2');
  assert.ok(node2);
  assert.equal(await sandboxExec('sbnet', 'client', ['ping', '-c1', '-W2', '-q', node2.ip]), 0);
  const routes = await exec('ip', ['netns', 'exec', node2.netns, 'ip', 'route', 'show', 'default']);
  assert.equal(routes.stdout.trim(), '', 'a sandbox host has no default route');

  await sandboxDown({ name: 'sbnet', log: discardLogger });
  const netns = await exec('ip', ['netns', 'list']);
  assert.doesNotMatch(netns.stdout, /portico-sbnet-/);
  const links = await exec('ip', ['link', 'show']);
  assert.doesNotMatch(links.stdout, new RegExp(plan.hostLink));
  assert.equal(readState('sbnet'), undefined);
});

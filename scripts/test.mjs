#!/usr/bin/env node
// Runs the compiled tests with node:test. Tiers: unit (beside the code in src/), integration and
// compat (test/integration, test/compat: real components on 127.0.0.1, no root), e2e (test/e2e:
// network namespaces, nft, runc; root only). We pass explicit file lists: Node 20's
// `node --test <dir>` would also run every helper module under a folder named `test`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const tiers = args.filter((a) => !a.startsWith('-'));
const wanted = new Set(tiers.length > 0 ? tiers : ['unit', 'integration', 'compat', 'e2e']);
const filter = process.env.TEST_FILTER ? new RegExp(process.env.TEST_FILTER) : undefined;

function collect(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

const dist = join(root, 'dist');
const groups = {
  unit: collect(join(dist, 'src')).concat(collect(join(dist, 'bench'))),
  integration: collect(join(dist, 'test', 'integration')),
  compat: collect(join(dist, 'test', 'compat')),
  e2e: collect(join(dist, 'test', 'e2e')),
};

const isRoot = process.getuid?.() === 0;
let files = [];
for (const tier of ['unit', 'integration', 'compat', 'e2e']) {
  if (!wanted.has(tier)) continue;
  if (tier === 'e2e' && !isRoot) {
    console.log('# e2e tests skipped: they need root (network namespaces, nftables, runc)');
    continue;
  }
  files.push(...groups[tier]);
}
if (filter) files = files.filter((f) => filter.test(f));
if (files.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}

// One run, one summary. Files run one at a time: the heavy ones build network namespaces or
// start clusters and would starve each other on 2 cores.
const r = spawnSync(
  process.execPath,
  ['--enable-source-maps', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { stdio: 'inherit', cwd: root, env: { ...process.env, PORTICO_ROOT: root } },
);
process.exit(r.status ?? 1);

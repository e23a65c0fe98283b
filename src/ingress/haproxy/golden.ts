/**
 * Golden files for the generated HAProxy configuration: `UPDATE_GOLDEN=1` (npm run
 * golden:update) rewrites them, otherwise the test fails with a diff. Files live in
 * src/ingress/haproxy/testdata (tests run from dist/, so the source tree is found through
 * PORTICO_ROOT or the working directory).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function goldenDir(): string {
  const root = process.env['PORTICO_ROOT'] ?? process.cwd();
  return join(root, 'src', 'ingress', 'haproxy', 'testdata');
}

export function assertGolden(name: string, actual: string): void {
  const path = join(goldenDir(), name);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path))
    assert.fail(`golden file ${path} is missing: run \`npm run golden:update\``);
  assert.equal(
    actual,
    readFileSync(path, 'utf8'),
    `output differs from ${path} (npm run golden:update rewrites it; review the diff)`,
  );
}

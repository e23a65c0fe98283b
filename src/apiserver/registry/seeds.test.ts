// The seeds' manifests (test/fixtures/seeds) must be accepted verbatim: every document goes
// through defaults, validation and allocation as a create would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { defaultClusterConfig } from '../../api/cluster.js';
import type { KubeObject } from '../../api/meta/types.js';
import { resourceForKind } from '../../api/scheme.js';
import type { Service } from '../../api/types/core.js';
import { buildStrategies } from './strategies.js';
import { TestPipeline } from './testpipeline.js';

const root = process.env['PORTICO_ROOT'] ?? fileURLToPath(new URL('../../../../', import.meta.url));
const dir = join(root, 'test', 'fixtures', 'seeds');

test('every seed manifest is accepted as written', async () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 15, `seed manifests found in ${dir}`);
  let checked = 0;
  for (const file of files) {
    const p = new TestPipeline(buildStrategies(defaultClusterConfig));
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const obj = doc.toJS() as KubeObject | null;
      if (!obj) continue;
      // extensions/v1beta1 Ingress is converted by the encoding layer before it reaches a strategy.
      const rt = resourceForKind(obj.apiVersion ?? '', obj.kind ?? '');
      if (!rt) continue;
      if (rt.namespaced) obj.metadata.namespace ??= 'default';
      else delete obj.metadata.namespace;
      try {
        const created = await p.create(rt, obj);
        if (obj.kind === 'Service') {
          const svc = created as Service;
          assert.ok(
            svc.spec?.type === 'ExternalName' || (svc.spec?.clusterIPs ?? []).length === 1,
            `${file}: clusterIPs`,
          );
        }
        checked++;
      } catch (e) {
        assert.fail(
          `${file} ${obj.kind ?? ''}/${obj.metadata.name ?? ''}: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
  }
  assert.ok(checked >= 20, `${checked} objects checked`);
});

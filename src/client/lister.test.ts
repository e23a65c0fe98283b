import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Indexer } from './lister.js';
import { parseLabelSelector, selectorFromSet } from '../api/meta/labels.js';
import type { Pod } from '../api/types/core.js';

const pod = (ns: string, name: string, node: string, labels: Record<string, string> = {}): Pod => ({
  metadata: { namespace: ns, name, labels },
  spec: { containers: [], nodeName: node },
});

test('Indexer.from() gives a Lister by namespace, selector and index, sorted by key', () => {
  const ix = Indexer.from([
    pod('b', 'p2', 'n1', { app: 'web' }),
    pod('a', 'p1', 'n2', { app: 'web' }),
    pod('a', 'p0', 'n1', { app: 'db' }),
  ]);
  ix.addIndex('node', (p) => [p.spec?.nodeName ?? '']);
  const names = (ps: readonly Pod[]) =>
    ps.map((p) => `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`);
  assert.deepEqual(names(ix.list()), ['a/p0', 'a/p1', 'b/p2']);
  assert.deepEqual(names(ix.list('a')), ['a/p0', 'a/p1']);
  assert.deepEqual(names(ix.list('zzz')), []);
  assert.deepEqual(names(ix.list(undefined, selectorFromSet({ app: 'web' }))), ['a/p1', 'b/p2']);
  assert.deepEqual(names(ix.list('a', parseLabelSelector('app!=web'))), ['a/p0']);
  assert.deepEqual(names(ix.byIndex('node', 'n1')), ['a/p0', 'b/p2']);
  assert.equal(ix.get('a', 'p1')?.spec?.nodeName, 'n2');
  assert.equal(ix.get(undefined, 'p1'), undefined);
  assert.throws(() => ix.byIndex('nope', 'x'), /no index named "nope"/);
});

test('Indexer keeps indexes right across updates and deletes, even if a cached object was mutated', () => {
  const ix = new Indexer<Pod>();
  ix.addIndex('node', (p) => [p.spec?.nodeName ?? '']);
  const p = pod('a', 'p', 'n1');
  ix.set(p);
  ix.set(pod('a', 'p', 'n2'));
  assert.deepEqual(ix.byIndex('node', 'n1'), []);
  assert.equal(ix.byIndex('node', 'n2').length, 1);
  const cached = ix.get('a', 'p');
  if (cached?.spec) cached.spec.nodeName = 'mutated';
  ix.delete('a/p');
  assert.deepEqual(ix.byIndex('node', 'n2'), []);
  assert.deepEqual(ix.byIndex('node', 'mutated'), []);
  assert.equal(ix.size, 0);
  ix.set({ metadata: { name: 'node-scoped' } });
  assert.equal(ix.get(undefined, 'node-scoped')?.metadata.name, 'node-scoped');
  assert.equal(ix.byIndex('namespace', '').length, 1);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from '../../api/types/core.js';
import { node, pod } from '../common/fixtures.js';
import { schedulePod } from './predicates.js';

const pending = (f: Partial<NonNullable<Pod['spec']>> = {}): Pod => {
  const p = pod('p', { node: '' });
  p.spec = { ...p.spec!, ...f };
  delete p.spec.nodeName;
  return p;
};
const tainted = (
  name: string,
  key: string,
  effect: 'NoSchedule' | 'NoExecute' | 'PreferNoSchedule',
  value?: string,
): Node => {
  const n = node(name);
  n.spec = { taints: [{ key, effect, ...(value !== undefined ? { value } : {}) }] };
  return n;
};

const cases: {
  name: string;
  pod: Pod;
  nodes: Node[];
  counts?: Record<string, number>;
  want: string;
}[] = [
  {
    name: 'fewest pods wins',
    pod: pending(),
    nodes: [node('a'), node('b')],
    counts: { a: 3, b: 1 },
    want: 'bind b',
  },
  { name: 'ties go by name', pod: pending(), nodes: [node('b'), node('a')], want: 'bind a' },
  {
    name: 'nodeSelector',
    pod: pending({ nodeSelector: { disk: 'ssd' } }),
    nodes: [node('a'), node('b', { labels: { disk: 'ssd' } })],
    counts: { b: 9 },
    want: 'bind b',
  },
  {
    name: 'nodeSelector matching nothing',
    pod: pending({ nodeSelector: { disk: 'ssd' } }),
    nodes: [node('a'), node('b')],
    want: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.",
  },
  { name: 'no nodes', pod: pending(), nodes: [], want: 'no nodes available to schedule pods' },
  {
    name: 'NoSchedule taint not tolerated',
    pod: pending(),
    nodes: [tainted('a', 'dedicated', 'NoSchedule', 'db')],
    want: '0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: db}.',
  },
  {
    name: 'taint tolerated with Equal',
    pod: pending({
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }],
    }),
    nodes: [tainted('a', 'dedicated', 'NoSchedule', 'db')],
    want: 'bind a',
  },
  {
    name: 'taint tolerated with Exists',
    pod: pending({ tolerations: [{ operator: 'Exists' }] }),
    nodes: [tainted('a', 'dedicated', 'NoExecute')],
    want: 'bind a',
  },
  {
    name: 'PreferNoSchedule does not filter',
    pod: pending(),
    nodes: [tainted('a', 'x', 'PreferNoSchedule')],
    want: 'bind a',
  },
  {
    name: 'not-ready node',
    pod: pending(),
    nodes: [node('a', { ready: false }), node('b')],
    want: 'bind b',
  },
  {
    name: 'mixed reasons are counted and sorted',
    pod: pending({ nodeSelector: { disk: 'ssd' } }),
    nodes: [
      node('a', { ready: false }),
      node('b'),
      (() => {
        const n = node('c');
        n.spec = { unschedulable: true };
        return n;
      })(),
    ],
    want: "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable.",
  },
  {
    name: 'required node affinity',
    pod: pending({
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] },
            ],
          },
        },
      },
    }),
    nodes: [node('a', { labels: { zone: 'z1' } }), node('b', { labels: { zone: 'z2' } })],
    want: 'bind b',
  },
];

for (const c of cases) {
  test(`schedulePod(): ${c.name}`, () => {
    const r = schedulePod(c.pod, c.nodes, (n) => c.counts?.[n] ?? 0);
    assert.equal(r.kind === 'bind' ? `bind ${r.node}` : r.message, c.want);
  });
}

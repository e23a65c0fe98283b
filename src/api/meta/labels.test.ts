import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  everything,
  formatLabels,
  matchFields,
  parseFieldSelector,
  parseLabelSelector,
  selectorFromLabelSelector,
  selectorFromSet,
  SelectorParseError,
} from './labels.js';

const cases: { name: string; selector: string; labels: Record<string, string>; want: boolean }[] = [
  { name: 'equality matches', selector: 'app=kubia', labels: { app: 'kubia' }, want: true },
  { name: 'double equals', selector: 'app==kubia', labels: { app: 'kubia' }, want: true },
  { name: 'equality misses', selector: 'app=kubia', labels: { app: 'other' }, want: false },
  { name: 'equality needs the key', selector: 'app=kubia', labels: {}, want: false },
  { name: 'inequality without key matches', selector: 'app!=kubia', labels: {}, want: true },
  {
    name: 'inequality with same value misses',
    selector: 'app!=kubia',
    labels: { app: 'kubia' },
    want: false,
  },
  {
    name: 'several terms all must hold',
    selector: 'a=1,b=2',
    labels: { a: '1', b: '3' },
    want: false,
  },
  { name: 'in', selector: 'env in (prod, qa)', labels: { env: 'qa' }, want: true },
  { name: 'notin without key', selector: 'env notin (prod)', labels: {}, want: true },
  { name: 'exists', selector: 'env', labels: { env: '' }, want: true },
  { name: 'does not exist', selector: '!env', labels: { env: 'x' }, want: false },
  {
    name: 'set term beside equality',
    selector: 'env in (a,b),tier=web',
    labels: { env: 'b', tier: 'web' },
    want: true,
  },
];

for (const c of cases) {
  test(`parseLabelSelector(): ${c.name}`, () => {
    assert.equal(parseLabelSelector(c.selector).matches(c.labels), c.want);
  });
}

test('parseLabelSelector() rejects garbage', () => {
  assert.throws(() => parseLabelSelector('a=b=c'), SelectorParseError);
});

test('the empty string selects everything', () => {
  assert.ok(parseLabelSelector('').empty());
  assert.ok(everything.matches(undefined));
});

test('selectorFromLabelSelector(): nil matches nothing, empty matches everything', () => {
  assert.equal(selectorFromLabelSelector(undefined).matches({ a: 'b' }), false);
  assert.equal(selectorFromLabelSelector({}).matches({ a: 'b' }), true);
  const s = selectorFromLabelSelector({
    matchLabels: { app: 'x' },
    matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }],
  });
  assert.equal(s.matches({ app: 'x', tier: 'web' }), true);
  assert.equal(s.matches({ app: 'x', tier: 'db' }), false);
});

test('selectorFromSet() and formatLabels() sort by key', () => {
  assert.equal(selectorFromSet({ b: '2', a: '1' }).toString(), 'a=1,b=2');
  assert.equal(formatLabels({ b: '2', a: '1' }), 'a=1,b=2');
  assert.equal(formatLabels({}), '<none>');
});

test('parseFieldSelector() and matchFields()', () => {
  const reqs = parseFieldSelector('involvedObject.name=kubia,involvedObject.kind!=Pod');
  const obj: Record<string, string> = {
    'involvedObject.name': 'kubia',
    'involvedObject.kind': 'Service',
  };
  assert.equal(
    matchFields(reqs, (f) => obj[f]),
    true,
  );
  obj['involvedObject.kind'] = 'Pod';
  assert.equal(
    matchFields(reqs, (f) => obj[f]),
    false,
  );
});

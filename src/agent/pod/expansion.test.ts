import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expand, mappingFor } from './expansion.js';

const vars = new Map([
  ['VAR_A', 'A'],
  ['VAR_B', 'B'],
  ['VAR_EMPTY', ''],
  ['SERVICE_HOST', '10.96.0.5'],
]);
const map = mappingFor(
  vars,
  new Map([
    ['VAR_A', 'shadowed'],
    ['ONLY_SECOND', '2'],
  ]),
);

test('expand() follows kubelet: references, escapes, unknown and unclosed references', () => {
  const cases: [string, string][] = [
    ['$(VAR_A)', 'A'],
    ['___$(VAR_B)___', '___B___'],
    ['$(VAR_A)-$(VAR_B)', 'A-B'],
    ['$(VAR_EMPTY)x', 'x'],
    ['$(ONLY_SECOND)', '2'],
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$$(VAR_A)', '$(VAR_A)'],
    ['$$$(VAR_A)', '$A'],
    ['$$$$(VAR_A)', '$$(VAR_A)'],
    ['$(VAR_A', '$(VAR_A'],
    ['$VAR_A', '$VAR_A'],
    ['foo$', 'foo$'],
    ['$', '$'],
    ['$()', '$()'],
    ['http://$(SERVICE_HOST):80/', 'http://10.96.0.5:80/'],
    ['no refs', 'no refs'],
    ['$(VAR_A)$(VAR_A)$', 'AA$'],
  ];
  for (const [input, want] of cases) assert.equal(expand(input, map), want, input);
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseListing } from './nft.js';

describe('parseListing()', () => {
  const text = [
    'table ip portico {',
    '\tchain filter-forward {',
    '\t\ttype filter hook forward priority -110; policy accept;',
    '\t}',
    '\tchain endpoint-default/s/tcp/80__10.244.2.1/8080 {',
    '\t}',
    '}',
    'table ip other {',
    '\tchain c {',
    '\t}',
    '}',
    '',
  ].join('\n');

  it('reads the chains of our table only, and the affinity sets their endpoint chains imply', () => {
    assert.deepEqual(parseListing(text, 'ip portico'), {
      chains: ['filter-forward', 'endpoint-default/s/tcp/80__10.244.2.1/8080'],
      sets: [{ name: 'affinity-default/s/tcp/80__10.244.2.1/8080', kind: 'set' }],
    });
  });

  it('tells an absent table from an empty listing', () => {
    assert.equal(parseListing(text, 'ip6 portico'), undefined);
    assert.equal(parseListing('', 'ip portico'), undefined);
  });
});

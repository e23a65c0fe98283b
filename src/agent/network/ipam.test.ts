import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { IPExhaustedError } from './errors.js';
import { HostLocalIPAM } from './ipam.js';

// Address plan: pod CIDR 10.244.1.0/24 (gateway .1), and 10.244.9.0/29 for exhaustion (6 hosts).

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ptest-ipam-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('HostLocalIPAM', () => {
  it('allocate() skips network and gateway, and is idempotent per owner', (t) => {
    const ipam = new HostLocalIPAM({ dir: tmp(t), cidr: '10.244.1.0/24' });
    assert.equal(ipam.allocate('a'), '10.244.1.2');
    assert.equal(ipam.allocate('a'), '10.244.1.2');
    assert.equal(ipam.allocate('b'), '10.244.1.3');
  });

  it('a released address is reused last (round robin)', (t) => {
    const ipam = new HostLocalIPAM({ dir: tmp(t), cidr: '10.244.1.0/24' });
    ipam.allocate('a');
    ipam.allocate('b');
    ipam.release('a');
    assert.equal(ipam.allocate('c'), '10.244.1.4');
  });

  it('survives a restart: a new instance on the same dir never double-allocates', (t) => {
    const dir = tmp(t);
    const first = new HostLocalIPAM({ dir, cidr: '10.244.1.0/24' });
    const a = first.allocate('a');
    const second = new HostLocalIPAM({ dir, cidr: '10.244.1.0/24' });
    assert.equal(second.get('a'), a);
    assert.notEqual(second.allocate('b'), a);
  });

  it('throws IPExhaustedError when the CIDR is full, wrapping around first', (t) => {
    const ipam = new HostLocalIPAM({ dir: tmp(t), cidr: '10.244.9.0/29' });
    const got = ['a', 'b', 'c', 'd', 'e'].map((o) => ipam.allocate(o));
    assert.deepEqual(got, ['10.244.9.2', '10.244.9.3', '10.244.9.4', '10.244.9.5', '10.244.9.6']);
    assert.throws(() => ipam.allocate('f'), IPExhaustedError);
    ipam.release('b');
    assert.equal(ipam.allocate('f'), '10.244.9.3');
  });

  it('gc() frees addresses of owners that are gone', (t) => {
    const ipam = new HostLocalIPAM({ dir: tmp(t), cidr: '10.244.1.0/24' });
    ipam.allocate('live');
    const dead = ipam.allocate('dead');
    assert.deepEqual(ipam.gc(new Set(['live'])), [dead]);
    assert.deepEqual([...ipam.allocations().values()], ['live']);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entriesOf } from '../changetracker.js';
import { assertGolden } from './golden.js';
import { computeRuleset, renderRuleset } from './ruleset.js';
import { scenario, scenarios } from './scenarios.js';

function render(name: string): string {
  const s = scenario(name);
  return renderRuleset(
    s.ctx.family,
    computeRuleset(s.ctx, entriesOf(s.services, s.slices, s.ctx.family)),
  );
}

function elementsOf(text: string, set: string): string[] {
  const prefix = `add element ${text.includes('add table ip6') ? 'ip6' : 'ip'} portico ${set} { `;
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length, -2));
}

describe('computeRuleset()', () => {
  for (const s of scenarios) {
    it(`matches the golden file for scenario ${s.name}`, () => {
      assertGolden(`${s.name}.nft`, render(s.name));
    });
  }

  it('is deterministic whatever the order of the objects', () => {
    const s = scenario('clusterip');
    const forward = computeRuleset(s.ctx, entriesOf(s.services, s.slices, 'IPv4'));
    const backward = computeRuleset(
      s.ctx,
      entriesOf([...s.services].reverse(), [...s.slices].reverse(), 'IPv4'),
    );
    assert.equal(renderRuleset('IPv4', backward), renderRuleset('IPv4', forward));
  });

  it('leaves headless, ExternalName and other-proxy Services alone', () => {
    const text = render('clusterip');
    assert.doesNotMatch(text, /10\.244\.1\.8|10\.244\.1\.9|10\.96\.0\.50/);
  });

  it('creates no chain per Service without affinity', () => {
    const text = render('clusterip');
    assert.doesNotMatch(text, /add chain ip portico (service|endpoint)-/);
    assert.match(text, /add chain ip portico pick-tcp-2\n/);
  });

  it('uses only ready endpoints, and rejects a Service with none', () => {
    const text = render('clusterip');
    assert.deepEqual(
      elementsOf(text, 'backends-tcp').filter((e) => e.startsWith('10.96.0.20 ')),
      ['10.96.0.20 . 80 . 0 : 10.244.1.5 . 8080', '10.96.0.20 . 80 . 1 : 10.244.2.6 . 8080'],
    );
    assert.ok(
      elementsOf(text, 'no-endpoint-services').includes(
        '10.96.0.30 . tcp . 80 : goto reject-chain',
      ),
    );
  });

  it('serves TCP and UDP on the same port independently', () => {
    const text = render('clusterip');
    const ips = elementsOf(text, 'service-ips');
    assert.ok(ips.includes('10.96.0.10 . tcp . 53 : goto pick-tcp-1'));
    assert.ok(ips.includes('10.96.0.10 . udp . 53 : goto pick-udp-1'));
  });

  it('sends externalTrafficPolicy Local to node-local endpoints and drops when there are none', () => {
    const text = render('nodeport');
    assert.ok(elementsOf(text, 'service-nodeports').includes('tcp . 30081 : goto nodeport-local'));
    assert.deepEqual(elementsOf(text, 'nodeport-local-backends-tcp'), [
      '30081 . 0 : 10.244.1.11 . 8080',
    ]);
    assert.ok(elementsOf(text, 'no-endpoint-nodeports').includes('tcp . 30082 : drop'));
    assert.ok(
      elementsOf(text, 'no-endpoint-nodeports').includes('tcp . 30085 : goto reject-chain'),
    );
  });

  it('drops ClusterIP traffic with internalTrafficPolicy Local and no local endpoint', () => {
    const text = render('policies');
    assert.ok(elementsOf(text, 'no-endpoint-services').includes('10.96.4.2 . tcp . 80 : drop'));
    assert.deepEqual(
      elementsOf(text, 'local-backends-tcp').filter((e) => e.startsWith('10.96.4.1 ')),
      ['10.96.4.1 . 80 . 0 : 10.244.1.40 . 8080'],
    );
  });

  it('falls back to serving terminating endpoints', () => {
    const text = render('policies');
    assert.deepEqual(
      elementsOf(text, 'backends-tcp').filter((e) => e.startsWith('10.96.4.3 ')),
      ['10.96.4.3 . 80 . 0 : 10.244.1.42 . 8080'],
    );
  });

  it('prefers same-zone endpoints for PreferClose and follows zone hints', () => {
    const text = render('policies');
    const be = elementsOf(text, 'backends-tcp');
    assert.deepEqual(
      be.filter((e) => e.startsWith('10.96.4.4 ')),
      ['10.96.4.4 . 80 . 0 : 10.244.1.43 . 8080'],
    );
    assert.deepEqual(
      be.filter((e) => e.startsWith('10.96.4.5 ')),
      ['10.96.4.5 . 80 . 0 : 10.244.2.45 . 8080'],
    );
  });

  it('gives each ClientIP-affinity endpoint a timeout set and chain', () => {
    const text = render('affinity');
    assert.match(
      text,
      /update @affinity-default\/sticky\/tcp\/80__10\.244\.1\.30\/8080 \{ ip saddr timeout 600s \}/,
    );
    assert.match(
      text,
      /update @affinity-default\/sticky-default\/tcp\/80__10\.244\.2\.31\/8080 \{ ip saddr timeout 10800s \}/,
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from '../../api/types/core.js';
import type { EndpointSlice } from '../../api/types/discovery.js';
import { ClusterState } from '../changetracker.js';
import { FakeConntrack } from '../conntrack.js';
import { makeService, makeSlice } from '../fixtures.js';
import { NftablesBackend } from './backend.js';
import { FakeNft } from './fake.js';
import { computeRuleset, renderRuleset } from './ruleset.js';
import { scenario } from './scenarios.js';

const http = [{ name: 'http', port: 8080 }];

function setup(): {
  state: ClusterState;
  nft: FakeNft;
  ct: FakeConntrack;
  backend: NftablesBackend;
} {
  const state = new ClusterState('node-a');
  state.updateNode({
    metadata: { name: 'node-a', labels: { 'topology.kubernetes.io/zone': 'zone-a' } },
    spec: { podCIDR: '10.244.1.0/24' },
  });
  const nft = new FakeNft();
  const ct = new FakeConntrack();
  const backend = new NftablesBackend({
    family: 'IPv4',
    nft,
    conntrack: ct,
    clusterCIDRs: ['10.244.0.0/16'],
    serviceCIDRs: ['10.96.0.0/12'],
  });
  return { state, nft, ct, backend };
}

/** What a full computation gives for the state: the incremental result must always equal it. */
function expected(state: ClusterState, backend: NftablesBackend): string {
  const entries = [...state.serviceKeys()].sort().flatMap((k) => state.entries(k, 'IPv4'));
  return renderRuleset('IPv4', computeRuleset(backend.context(state.node()), entries));
}

async function syncChanges(
  backend: NftablesBackend,
  state: ClusterState,
  full = false,
): Promise<string> {
  const c = state.takeChanges();
  await backend.sync(state, { full, changed: c.services });
  return '';
}

function apply(
  state: ClusterState,
  services: readonly Service[],
  slices: readonly EndpointSlice[],
): void {
  for (const s of services) state.updateService(undefined, s);
  for (const s of slices) state.updateSlice(undefined, s, 0);
}

describe('NftablesBackend', () => {
  it('writes the whole table on the first sync', async () => {
    const { state, nft, backend } = setup();
    const sc = scenario('nodeport');
    apply(state, sc.services, sc.slices);
    await syncChanges(backend, state);
    assert.equal(nft.scripts.length, 1);
    assert.equal(nft.dump('IPv4'), expected(state, backend));
  });

  it('keeps the table equal to a full computation through a series of changes, touching only what changed', async () => {
    const { state, nft, backend } = setup();
    const sc = scenario('clusterip');
    apply(state, sc.services, sc.slices);
    apply(
      state,
      [makeService('bystander', '10.96.9.9')],
      [makeSlice('bystander', http, [{ ip: '10.244.9.9', node: 'node-b' }])],
    );
    await syncChanges(backend, state);
    const web = sc.services.find((s) => s.metadata.name === 'web');
    assert.ok(web);
    const steps: [string, () => void][] = [
      [
        'an endpoint goes away',
        () =>
          state.updateSlice(
            undefined,
            makeSlice('web', http, [{ ip: '10.244.1.5', node: 'node-a' }]),
            0,
          ),
      ],
      [
        'two endpoints arrive',
        () =>
          state.updateSlice(
            undefined,
            makeSlice('web', http, ['10.244.1.5', '10.244.2.70', '10.244.2.71']),
            0,
          ),
      ],
      [
        'the Service becomes a NodePort',
        () =>
          state.updateService(web, {
            ...web,
            spec: {
              ...web.spec,
              type: 'NodePort',
              ports: [{ name: 'http', port: 80, nodePort: 30111 }],
            },
          }),
      ],
      [
        'it asks for session affinity',
        () =>
          state.updateService(
            undefined,
            makeService('web', '10.96.0.20', {
              type: 'NodePort',
              sessionAffinity: 'ClientIP',
              ports: [{ name: 'http', port: 80, nodePort: 30111 }],
            }),
          ),
      ],
      [
        'its affinity timeout changes',
        () =>
          state.updateService(
            undefined,
            makeService('web', '10.96.0.20', {
              type: 'NodePort',
              sessionAffinity: 'ClientIP',
              sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
              ports: [{ name: 'http', port: 80, nodePort: 30111 }],
            }),
          ),
      ],
      [
        'it gets an external IP with ETP Local',
        () =>
          state.updateService(
            undefined,
            makeService('web', '10.96.0.20', {
              type: 'NodePort',
              externalTrafficPolicy: 'Local',
              externalIPs: ['203.0.113.7'],
              ports: [{ name: 'http', port: 80, nodePort: 30111 }],
            }),
          ),
      ],
      ['its endpoints all go', () => state.updateSlice(undefined, makeSlice('web', http, []), 0)],
      [
        'the Service is deleted',
        () => state.updateService(makeService('web', '10.96.0.20'), undefined),
      ],
      [
        'the DNS Service loses its UDP port',
        () =>
          state.updateService(
            undefined,
            makeService('kube-dns', '10.96.0.10', {
              namespace: 'kube-system',
              ports: [{ name: 'dns-tcp', port: 53, protocol: 'TCP' }],
            }),
          ),
      ],
    ];
    for (const [what, change] of steps) {
      change();
      const before = nft.scripts.length;
      await syncChanges(backend, state);
      assert.equal(nft.dump('IPv4'), expected(state, backend), `after: ${what}`);
      const script = nft.scripts.slice(before).join('');
      assert.doesNotMatch(
        script,
        /10\.96\.9\.9|add table/,
        `after: ${what}, the transaction touched more than the change:\n${script}`,
      );
    }
  });

  it('does work proportional to the change, not to the number of Services', async () => {
    const { state, nft, backend } = setup();
    for (let i = 0; i < 500; i++) {
      const name = `svc-${i}`;
      apply(
        state,
        [makeService(name, `10.96.${i >> 8}.${i & 255}`)],
        [makeSlice(name, http, [`10.244.2.${i % 250}`, `10.244.3.${i % 250}`])],
      );
    }
    await syncChanges(backend, state);
    state.updateSlice(
      undefined,
      makeSlice('svc-7', http, ['10.244.2.7', '10.244.3.7', '10.244.4.7']),
      0,
    );
    await syncChanges(backend, state);
    const script = nft.scripts.at(-1) ?? '';
    assert.ok(
      script.split('\n').length < 10,
      `one Service changed, but the transaction was:\n${script}`,
    );
    assert.equal(nft.dump('IPv4'), expected(state, backend));
  });

  it('makes the next sync full after a failure', async () => {
    const { state, nft, backend } = setup();
    apply(state, [makeService('a', '10.96.0.1')], [makeSlice('a', http, ['10.244.2.1'])]);
    await syncChanges(backend, state);
    nft.failNext = 'Error: Could not process rule: No such file or directory';
    state.updateSlice(undefined, makeSlice('a', http, ['10.244.2.2']), 0);
    const c = state.takeChanges();
    await assert.rejects(backend.sync(state, { full: false, changed: c.services }));
    await backend.sync(state, { full: false, changed: new Set() });
    assert.match(nft.scripts.at(-1) ?? '', /^add table ip portico/);
    assert.equal(nft.dump('IPv4'), expected(state, backend));
  });

  it('converges on restart without replacing the table, keeping affinity state and removing stale objects', async () => {
    const first = setup();
    apply(
      first.state,
      [
        makeService('s', '10.96.0.1', { sessionAffinity: 'ClientIP' }),
        makeService('gone', '10.96.0.2', { sessionAffinity: 'ClientIP' }),
      ],
      [makeSlice('s', http, ['10.244.2.1']), makeSlice('gone', http, ['10.244.2.2'])],
    );
    await syncChanges(first.backend, first.state);
    // The kernel learned a client (affinity sets are written by packets, not by us).
    const affinity = first.nft
      .table('IPv4')
      ?.sets.get('affinity-default/s/tcp/80__10.244.2.1/8080');
    assert.ok(affinity);
    affinity.elements.set('10.244.1.99', undefined);

    // A new proxy process: same kernel table, a state without `gone`.
    const second = setup();
    second.nft.tables = first.nft.tables;
    apply(
      second.state,
      [makeService('s', '10.96.0.1', { sessionAffinity: 'ClientIP' })],
      [makeSlice('s', http, ['10.244.2.1'])],
    );
    await syncChanges(second.backend, second.state);
    const script = second.nft.scripts.at(-1) ?? '';
    assert.doesNotMatch(script, /delete table/);
    assert.ok(
      second.nft
        .table('IPv4')
        ?.sets.get('affinity-default/s/tcp/80__10.244.2.1/8080')
        ?.elements.has('10.244.1.99'),
    );
    assert.equal(second.nft.table('IPv4')?.chains.has('service-default/gone/tcp/80'), false);
    // Equal to a fresh computation, but for the client the kernel remembered.
    const dump = second.nft.dump('IPv4').replace(/^add element ip portico affinity-.*\n/m, '');
    assert.equal(dump, expected(second.state, second.backend));
  });

  it('replaces a table whose definitions it cannot reconcile', async () => {
    const { state, nft, backend } = setup();
    await nft.run(
      'add table ip portico\nadd map ip portico service-ips { type ipv4_addr : verdict ; }\n',
    );
    apply(state, [makeService('a', '10.96.0.1')], [makeSlice('a', http, ['10.244.2.1'])]);
    await syncChanges(backend, state);
    assert.match(nft.scripts.at(-1) ?? '', /^add table ip portico\ndelete table ip portico\n/);
    assert.equal(nft.dump('IPv4'), expected(state, backend));
  });

  it('flushes UDP conntrack entries to removed endpoints and un-NATed ones once endpoints appear', async () => {
    const { state, ct, backend } = setup();
    const dns = makeService('dns', '10.96.0.10', {
      type: 'NodePort',
      ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }],
    });
    apply(state, [dns], [makeSlice('dns', [{ name: 'dns', port: 53, protocol: 'UDP' }], [])]);
    await syncChanges(backend, state);
    ct.entries = [
      {
        origSrc: '10.244.1.2',
        origDst: '10.96.0.10',
        origPortDst: 53,
        replySrc: '10.96.0.10',
        replyPortSrc: 53,
      },
      {
        origSrc: '192.0.2.100',
        origDst: '172.18.0.10',
        origPortDst: 30053,
        replySrc: '172.18.0.10',
        replyPortSrc: 30053,
      },
    ];
    state.updateSlice(
      undefined,
      makeSlice('dns', [{ name: 'dns', port: 53, protocol: 'UDP' }], ['10.244.2.1', '10.244.2.2']),
      0,
    );
    await syncChanges(backend, state);
    assert.deepEqual(ct.entries, [], 'black-hole entries left');
    ct.deletions.length = 0;
    ct.entries = [
      {
        origSrc: '10.244.1.2',
        origDst: '10.96.0.10',
        origPortDst: 53,
        replySrc: '10.244.2.1',
        replyPortSrc: 53,
      },
      {
        origSrc: '10.244.1.3',
        origDst: '10.96.0.10',
        origPortDst: 53,
        replySrc: '10.244.2.2',
        replyPortSrc: 53,
      },
    ];
    state.updateSlice(
      undefined,
      makeSlice('dns', [{ name: 'dns', port: 53, protocol: 'UDP' }], ['10.244.2.1']),
      0,
    );
    await syncChanges(backend, state);
    assert.deepEqual(
      ct.entries.map((e) => e.replySrc),
      ['10.244.2.1'],
      'the live flow to the remaining endpoint must survive',
    );
    assert.deepEqual(
      ct.deletions.map((d) => d.filter),
      [
        { origDst: '10.96.0.10', origPortDst: 53, replySrc: '10.244.2.2' },
        { origPortDst: 30053, replySrc: '10.244.2.2' },
      ],
    );
  });

  it('keeps live UDP flows on a restart and removes only flows to endpoints that are gone', async () => {
    const { state, ct, backend } = setup();
    ct.entries = [
      {
        origSrc: '10.244.1.2',
        origDst: '10.96.0.10',
        origPortDst: 53,
        replySrc: '10.244.2.1',
        replyPortSrc: 53,
      },
      {
        origSrc: '10.244.1.3',
        origDst: '10.96.0.10',
        origPortDst: 53,
        replySrc: '10.244.2.9',
        replyPortSrc: 53,
      },
      {
        origSrc: '10.244.1.4',
        origDst: '10.96.7.7',
        origPortDst: 53,
        replySrc: '10.244.2.9',
        replyPortSrc: 53,
      },
    ];
    apply(
      state,
      [makeService('dns', '10.96.0.10', { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] })],
      [makeSlice('dns', [{ name: 'dns', port: 53, protocol: 'UDP' }], ['10.244.2.1'])],
    );
    await syncChanges(backend, state);
    assert.deepEqual(
      ct.entries.map((e) => e.origSrc),
      ['10.244.1.2', '10.244.1.4'],
    );
  });
});

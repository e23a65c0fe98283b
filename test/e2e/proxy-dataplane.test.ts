/**
 * The nftables data plane, for real: two nodes and an outside client in network namespaces
 * (topology and address plan in proxy/topology.ts), pods running small HTTP/UDP/TCP servers, and
 * one Proxier per node programming that node's own nftables. Objects are fed to the proxiers
 * directly; proxy-apiserver.test.ts runs the `portico proxy` binary against a real API server.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../../src/api/types/core.js';
import type { EndpointSlice } from '../../src/api/types/discovery.js';
import { realClock } from '../../src/lib/clock.js';
import { ExecConntrack } from '../../src/proxy/conntrack.js';
import type { EndpointSpec } from '../../src/proxy/fixtures.js';
import { makeService, makeSlice } from '../../src/proxy/fixtures.js';
import { NftablesBackend } from '../../src/proxy/nftables/backend.js';
import { ExecNft } from '../../src/proxy/nftables/nft.js';
import { Proxier } from '../../src/proxy/proxier.js';
import type { PodHandle, Topology, TopoNode } from './proxy/topology.js';
import { buildTopology } from './proxy/topology.js';

const isRoot = process.getuid?.() === 0;

function newProxier(node: TopoNode): Proxier {
  const nsExec = ['ip', 'netns', 'exec', node.netns];
  const backend = new NftablesBackend({
    family: 'IPv4',
    nft: new ExecNft({ command: [...nsExec, 'nft'] }),
    conntrack: new ExecConntrack({ command: [...nsExec, 'conntrack'] }),
    clusterCIDRs: ['10.244.0.0/16'],
    serviceCIDRs: ['10.96.0.0/12'],
  });
  const p = new Proxier({
    nodeName: node.name,
    backends: [backend],
    clock: realClock,
    minSyncPeriodMs: 0,
  });
  p.onNode({ metadata: { name: node.name }, spec: { podCIDR: node.podCIDR } });
  p.onServicesSynced();
  p.onSlicesSynced();
  return p;
}

describe(
  'nftables data plane in network namespaces',
  { skip: isRoot ? false : 'needs root' },
  () => {
    let topo: Topology;
    let proxiers: Proxier[] = [];
    let node1: TopoNode;
    let node2: TopoNode;
    let pod1a: PodHandle;
    let pod1b: PodHandle;
    let pod2a: PodHandle;

    before(async () => {
      topo = await buildTopology({ prefix: 'ptest-px', lan: 241, nodes: 2, podsPerNode: 2 });
      [node1, node2] = topo.nodes as [TopoNode, TopoNode];
      [pod1a, pod1b] = node1.pods as [PodHandle, PodHandle];
      [pod2a] = node2.pods as [PodHandle];
      proxiers = topo.nodes.map(newProxier);
      for (const p of proxiers) await p.sync();
    });
    after(async () => {
      await topo?.destroy();
    });

    const ep = (
      pod: PodHandle,
      extra: Partial<Exclude<EndpointSpec, string>> = {},
    ): EndpointSpec => ({
      ip: pod.ip,
      node: pod.node.name,
      ...extra,
    });

    async function apply(
      services: readonly Service[],
      slices: readonly EndpointSlice[],
    ): Promise<void> {
      for (const p of proxiers) {
        for (const s of services) p.onServiceUpdate(undefined, s);
        for (const s of slices) p.onSliceUpdate(undefined, s);
        await p.sync();
      }
    }

    async function curl(
      netns: string,
      url: string,
      maxTime = 2,
    ): Promise<{ code: number | null; out: string; err: string }> {
      const r = await topo.run(netns, ['curl', '-sS', '--max-time', String(maxTime), url], {
        allowFailure: true,
      });
      return { code: r.code, out: r.stdout.trim(), err: r.stderr.trim() };
    }

    async function hits(netns: string, url: string, n: number): Promise<Set<string>> {
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) {
        const r = await curl(netns, url);
        assert.equal(r.code, 0, `curl ${url} from ${netns}: ${r.err}`);
        seen.add(r.out);
      }
      return seen;
    }

    async function udp(
      netns: string,
      host: string,
      port: number,
      msg: string,
      sport?: number,
    ): Promise<string> {
      const argv = [process.execPath, join(topo.scripts, 'udpask.mjs'), host, String(port), msg];
      if (sport !== undefined) argv.push(String(sport));
      const r = await topo.run(netns, argv, { allowFailure: true });
      return r.code === 0 ? r.stdout : `failed: ${r.stderr.trim()}`;
    }

    const web = [{ name: 'http', port: 8080 }];
    const you = (pod: PodHandle): string => `You've hit ${pod.name}`;

    it('pod → ClusterIP reaches every ready endpoint, on both nodes (CIP-01, CIP-13)', async () => {
      await apply(
        [makeService('web', '10.96.10.1')],
        [
          makeSlice('web', web, [
            ep(pod1a),
            ep(pod1b),
            ep(pod2a),
            ep(node2.pods[1] as PodHandle, { ready: false }),
          ]),
        ],
      );
      const seen = await hits(pod1b.netns, 'http://10.96.10.1/', 25);
      assert.deepEqual([...seen].sort(), [you(pod1a), you(pod1b), you(pod2a)]);
    });

    it('keeps the pod source IP on ClusterIP traffic (CIP-04)', async () => {
      const r = await curl(pod2a.netns, 'http://10.96.10.1/clientip');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`^${pod2a.ip.replaceAll('.', '\\.')}:\\d+$`));
    });

    it('lets a pod reach itself through its Service (hairpin, CIP-15)', async () => {
      await apply([makeService('self', '10.96.10.2')], [makeSlice('self', web, [ep(pod1a)])]);
      assert.deepEqual([...(await hits(pod1a.netns, 'http://10.96.10.2/', 3))], [you(pod1a)]);
    });

    it('lets the node itself reach a ClusterIP (CIP-14)', async () => {
      const seen = await hits(node1.netns, 'http://10.96.10.1/', 10);
      assert.ok(seen.size >= 2, [...seen].join(', '));
    });

    it('refuses at once a Service with no endpoints, and a port the ClusterIP does not expose', async () => {
      await apply([makeService('empty', '10.96.10.3')], [makeSlice('empty', web, [])]);
      for (const [netns, url] of [
        [pod1a.netns, 'http://10.96.10.3/'],
        [node1.netns, 'http://10.96.10.3/'],
        [pod1a.netns, 'http://10.96.10.1:81/'],
      ] as const) {
        const r = await curl(netns, url, 5);
        assert.equal(
          r.code,
          7,
          `${url} from ${netns}: want "connection refused", got ${r.code}: ${r.err}`,
        );
        const { hostname, port } = new URL(url);
        const probe = await topo.run(netns, [
          process.execPath,
          join(topo.scripts, 'connect.mjs'),
          hostname,
          port || '80',
        ]);
        assert.equal(probe.stdout.trim(), 'ECONNREFUSED', `${url} from ${netns}`);
      }
    });

    it('drops traffic to a service-CIDR address no Service holds', async () => {
      const r = await curl(pod1a.netns, 'http://10.96.10.99/', 1);
      assert.equal(r.code, 28, `want a timeout, got ${r.code}: ${r.err}`);
    });

    it('serves a NodePort on every node, to pods on other nodes, masqueraded (NP-01)', async () => {
      await apply(
        [
          makeService('np', '10.96.10.4', {
            type: 'NodePort',
            ports: [{ name: 'http', port: 80, nodePort: 30123 }],
          }),
        ],
        [makeSlice('np', web, [ep(pod1a), ep(pod2a)])],
      );
      for (const node of [node1, node2]) {
        const seen = await hits(topo.client.netns, `http://${node.ip}:30123/`, 15);
        assert.deepEqual([...seen].sort(), [you(pod1a), you(pod2a)], `through ${node.name}`);
      }
      const r = await curl(topo.client.netns, `http://${node1.ip}:30123/clientip`);
      assert.doesNotMatch(
        r.out,
        new RegExp(`^${topo.client.ip.replaceAll('.', '\\.')}:`),
        'ETP Cluster must masquerade',
      );
    });

    it('keeps the client IP with externalTrafficPolicy Local, and a node without endpoints does not answer (TP-10)', async () => {
      await apply(
        [
          makeService('np-local', '10.96.10.5', {
            type: 'NodePort',
            externalTrafficPolicy: 'Local',
            ports: [{ name: 'http', port: 80, nodePort: 30124 }],
          }),
        ],
        [makeSlice('np-local', web, [ep(pod1a)])],
      );
      const r = await curl(topo.client.netns, `http://${node1.ip}:30124/clientip`);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`^${topo.client.ip.replaceAll('.', '\\.')}:\\d+$`));
      const miss = await curl(topo.client.netns, `http://${node2.ip}:30124/`, 1);
      assert.equal(
        miss.code,
        28,
        `node2 has no local endpoint and must drop, got ${miss.code}: ${miss.out}${miss.err}`,
      );
      // A pod on node2 still reaches the Service through node2's node port (short-circuit).
      const pod = await curl(pod2a.netns, `http://${node2.ip}:30124/`);
      assert.equal(pod.out, you(pod1a));
    });

    it('keeps a client on one endpoint with ClientIP affinity (AFF-01)', async () => {
      await apply(
        [makeService('sticky', '10.96.10.6', { sessionAffinity: 'ClientIP' })],
        [makeSlice('sticky', web, [ep(pod1a), ep(pod1b), ep(pod2a)])],
      );
      assert.equal((await hits(pod2a.netns, 'http://10.96.10.6/', 16)).size, 1);
    });

    it('serves UDP, and a client keeping its source port follows endpoint changes (CIP-17, conntrack cleanup)', async () => {
      await apply(
        [
          makeService('dns', '10.96.10.10', {
            ports: [{ name: 'dns', port: 53, protocol: 'UDP' }],
          }),
        ],
        [makeSlice('dns', [{ name: 'dns', port: 8081, protocol: 'UDP' }], [ep(pod1b), ep(pod2a)])],
      );
      const first = await udp(pod1a.netns, '10.96.10.10', 53, 'hostname', 12345);
      assert.ok([pod1b.name, pod2a.name].includes(first), first);
      const other = first === pod1b.name ? pod2a : pod1b;
      await apply(
        [],
        [makeSlice('dns', [{ name: 'dns', port: 8081, protocol: 'UDP' }], [ep(other)])],
      );
      assert.equal(await udp(pod1a.netns, '10.96.10.10', 53, 'hostname', 12345), other.name);
      assert.equal(await udp(pod1a.netns, '10.96.10.10', 53, 'echo me'), 'echo me');
    });

    it('serves external IPs and LoadBalancer ingress IPs (CIP-10)', async () => {
      await apply(
        [
          makeService('ext', '10.96.10.11', { externalIPs: ['203.0.113.10'] }),
          makeService('lb', '10.96.10.13', {
            type: 'LoadBalancer',
            ports: [{ name: 'http', port: 80, nodePort: 30125 }],
            lbIngress: ['203.0.113.20'],
          }),
        ],
        [makeSlice('ext', web, [ep(pod2a)]), makeSlice('lb', web, [ep(pod1b)])],
      );
      assert.equal((await curl(topo.client.netns, 'http://203.0.113.10/')).out, you(pod2a));
      assert.equal((await curl(pod1a.netns, 'http://203.0.113.10/')).out, you(pod2a));
      assert.equal((await curl(topo.client.netns, 'http://203.0.113.20/')).out, you(pod1b));
    });

    it('respects internalTrafficPolicy Local (TP-01, TP-02)', async () => {
      await apply(
        [makeService('itp', '10.96.10.12', { internalTrafficPolicy: 'Local' })],
        [makeSlice('itp', web, [ep(pod1a)])],
      );
      assert.equal((await curl(pod1b.netns, 'http://10.96.10.12/')).out, you(pod1a));
      const far = await curl(pod2a.netns, 'http://10.96.10.12/', 1);
      assert.notEqual(far.code, 0, 'a pod on a node without a local endpoint must fail');
      const farNode = await curl(node2.netns, 'http://10.96.10.12/', 1);
      assert.notEqual(farNode.code, 0);
    });

    it('falls back to serving terminating endpoints (TP-04)', async () => {
      await apply(
        [makeService('term', '10.96.10.14')],
        [
          makeSlice('term', web, [
            ep(pod2a, { ready: false, serving: true, terminating: true }),
            ep(pod1a, { ready: false, serving: false, terminating: true }),
          ]),
        ],
      );
      assert.deepEqual([...(await hits(pod1b.netns, 'http://10.96.10.14/', 8))], [you(pod2a)]);
    });

    it('keeps traffic flowing when the proxy stops, and a restarted proxy converges without breaking live connections (CIP-07)', async () => {
      await apply(
        [makeService('hold', '10.96.10.15', { ports: [{ name: 'tcp', port: 9000 }] })],
        [makeSlice('hold', [{ name: 'tcp', port: 9000 }], [ep(pod1a)])],
      );
      const held = spawn(
        'ip',
        [
          'netns',
          'exec',
          pod2a.netns,
          process.execPath,
          join(topo.scripts, 'holdopen.mjs'),
          '10.96.10.15',
          '9000',
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let output = '';
      held.stdout.on('data', (d: Buffer) => (output += d.toString()));
      try {
        await waitFor(() => output.includes(`${pod1a.name}:ping2`), 'the held connection answers');
        // "Kill" node2's proxier: drop it without cleanup. Rules stay; traffic keeps flowing.
        const all = [
          makeService('web', '10.96.10.1'),
          makeService('hold', '10.96.10.15', { ports: [{ name: 'tcp', port: 9000 }] }),
        ];
        assert.equal((await curl(pod2a.netns, 'http://10.96.10.1/hostname')).code, 0);
        // A new proxier process starts with fresh memory and converges with a full sync.
        const restarted = newProxier(node2);
        for (const s of all) restarted.onServiceAdd(s);
        restarted.onSliceAdd(makeSlice('web', web, [ep(pod1a), ep(pod1b), ep(pod2a)]));
        restarted.onSliceAdd(makeSlice('hold', [{ name: 'tcp', port: 9000 }], [ep(pod1a)]));
        await restarted.sync();
        proxiers[1] = restarted;
        const mark = output.length;
        await waitFor(
          () => output.slice(mark).includes(`${pod1a.name}:ping`),
          'the held connection still answers after the restart',
        );
        assert.doesNotMatch(output, /ERROR|CLOSED/);
        // The restarted proxy removed what it no longer knows (the `dns` Service, for one).
        const r = await udp(pod2a.netns, '10.96.10.10', 53, 'hostname');
        assert.match(r, /^failed/);
      } finally {
        held.kill('SIGKILL');
      }
    });
  },
);

async function waitFor(pred: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The generated rulesets against the real kernel, each in a private network namespace
 * (`unshare -n`): every golden file is accepted by `nft -c -f` and by a real load (twice: the
 * second load makes nft read our maps back from the kernel, which is where nft 1.0.6 trips over
 * some typeof definitions), and the incremental transactions of the backend, applied to a real
 * table, leave exactly what a fresh full load gives.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exec } from '../../src/lib/exec.js';
import { ClusterState } from '../../src/proxy/changetracker.js';
import { makeService, makeSlice } from '../../src/proxy/fixtures.js';
import { NftablesBackend } from '../../src/proxy/nftables/backend.js';
import { goldenDir } from '../../src/proxy/nftables/golden.js';
import { ExecNft } from '../../src/proxy/nftables/nft.js';
import { computeRuleset, renderRuleset } from '../../src/proxy/nftables/ruleset.js';

const isRoot = process.getuid?.() === 0;

/** A process holding a private network namespace open; `nsenter` runs commands in it. */
async function privateNetns(): Promise<{
  exec(
    argv: string[],
    input?: string,
  ): Promise<{ code: number | null; stdout: string; stderr: string }>;
  close(): Promise<void>;
  command: string[];
}> {
  const holder: ChildProcess = spawn('unshare', ['-n', 'sleep', 'infinity'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 100));
  const pid = holder.pid;
  if (pid === undefined) throw new Error('unshare did not start');
  const command = ['nsenter', '-t', String(pid), '-n'];
  return {
    command,
    exec: (argv, input) =>
      exec(command[0] ?? 'nsenter', [...command.slice(1), ...argv], {
        allowFailure: true,
        ...(input !== undefined ? { input } : {}),
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (holder.exitCode !== null) resolve();
        else {
          holder.once('exit', () => resolve());
          holder.kill('SIGKILL');
        }
      }),
  };
}

/** `nft -j list table` without handles, elements sorted, rules numbered per chain. */
function normalized(json: string): string[] {
  const doc = JSON.parse(json) as { nftables: Record<string, Record<string, unknown>>[] };
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v))
        if (k !== 'handle')
          out[k] =
            k === 'elem' && Array.isArray(x)
              ? x
                  .map(strip)
                  .map((e) => JSON.stringify(e))
                  .sort()
              : strip(x);
      return out;
    }
    return v;
  };
  const position = new Map<string, number>();
  return doc.nftables
    .filter((o) => !('metainfo' in o))
    .map((o) => {
      const rule = o['rule'] as { chain?: string } | undefined;
      if (rule) {
        const n = position.get(rule.chain ?? '') ?? 0;
        position.set(rule.chain ?? '', n + 1);
        return `rule#${rule.chain}#${String(n).padStart(4, '0')} ${JSON.stringify(strip(o))}`;
      }
      return JSON.stringify(strip(o));
    })
    .sort();
}

describe('rulesets on the real kernel', { skip: isRoot ? false : 'needs root' }, () => {
  for (const file of readdirSync(goldenDir()).filter((f) => f.endsWith('.nft'))) {
    it(`loads golden file ${file}`, async () => {
      const path = join(goldenDir(), file);
      const ns = await privateNetns();
      try {
        const check = await ns.exec(['nft', '-c', '-f', path]);
        assert.equal(check.code, 0, `nft -c -f ${file}: ${check.stderr}`);
        for (let i = 0; i < 2; i++) {
          const load = await ns.exec(['nft', '-f', path]);
          assert.equal(load.code, 0, `nft -f ${file} (load ${i + 1}): ${load.stderr}`);
        }
        const family = readFileSync(path, 'utf8').startsWith('add table ip6') ? 'ip6' : 'ip';
        const list = await ns.exec(['nft', 'list', 'table', family, 'portico']);
        assert.equal(list.code, 0, list.stderr);
      } finally {
        await ns.close();
      }
    });
  }

  describe('incremental transactions', () => {
    let ns: Awaited<ReturnType<typeof privateNetns>>;
    before(async () => {
      ns = await privateNetns();
    });
    after(async () => {
      await ns.close();
    });

    it('leave the same table as a full load', async () => {
      const state = new ClusterState('node-a');
      state.updateNode({ metadata: { name: 'node-a' }, spec: { podCIDR: '10.244.1.0/24' } });
      const backend = new NftablesBackend({
        family: 'IPv4',
        nft: new ExecNft({ command: [...ns.command, 'nft'] }),
        clusterCIDRs: ['10.244.0.0/16'],
        serviceCIDRs: ['10.96.0.0/12'],
      });
      const http = [{ name: 'http', port: 8080 }];
      const sync = async (): Promise<void> => {
        await backend.sync(state, { full: false, changed: state.takeChanges().services });
      };
      for (let i = 0; i < 20; i++) {
        state.updateService(
          undefined,
          makeService(`s${i}`, `10.96.1.${i + 1}`, {
            type: i % 3 === 0 ? 'NodePort' : 'ClusterIP',
            ports: [{ name: 'http', port: 80, ...(i % 3 === 0 ? { nodePort: 30000 + i } : {}) }],
          }),
        );
        state.updateSlice(
          undefined,
          makeSlice(`s${i}`, http, [
            `10.244.2.${i + 1}`,
            { ip: `10.244.1.${i + 1}`, node: 'node-a' },
          ]),
          0,
        );
      }
      await sync();
      const steps: (() => void)[] = [
        () =>
          state.updateSlice(
            undefined,
            makeSlice('s1', http, ['10.244.3.1', '10.244.3.2', '10.244.3.3']),
            0,
          ),
        () =>
          state.updateService(
            undefined,
            makeService('s2', '10.96.1.3', { sessionAffinity: 'ClientIP' }),
          ),
        () => state.updateSlice(undefined, makeSlice('s2', http, ['10.244.3.9']), 0),
        () =>
          state.updateService(
            undefined,
            makeService('s3', '10.96.1.4', {
              type: 'LoadBalancer',
              externalTrafficPolicy: 'Local',
              ports: [{ name: 'http', port: 80, nodePort: 31003 }],
              lbIngress: ['203.0.113.3'],
            }),
          ),
        () => state.updateSlice(undefined, makeSlice('s4', http, []), 0),
        () => state.updateService(makeService('s5', '10.96.1.6'), undefined),
        () => state.updateService(undefined, makeService('s2', '10.96.1.3')),
        () =>
          state.updateService(
            undefined,
            makeService('s6', '10.96.1.7', {
              ports: [
                { name: 'dns', port: 53, protocol: 'UDP' },
                { name: 'http', port: 80 },
              ],
            }),
          ),
      ];
      for (const step of steps) {
        step();
        await sync();
      }
      const incremental = await ns.exec(['nft', '-j', 'list', 'table', 'ip', 'portico']);
      assert.equal(incremental.code, 0, incremental.stderr);
      const entries = [...state.serviceKeys()].sort().flatMap((k) => state.entries(k, 'IPv4'));
      const full = renderRuleset('IPv4', computeRuleset(backend.context(state.node()), entries));
      const fresh = await privateNetns();
      try {
        const load = await fresh.exec(['nft', '-f', '-'], full);
        assert.equal(load.code, 0, load.stderr);
        const listed = await fresh.exec(['nft', '-j', 'list', 'table', 'ip', 'portico']);
        const got = normalized(incremental.stdout);
        assert.ok(
          got.some((o) => o.includes('10.244.3.3')),
          'the comparison sees map elements',
        );
        assert.deepEqual(got, normalized(listed.stdout));
      } finally {
        await fresh.close();
      }
    });
  });
});

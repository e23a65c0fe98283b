/**
 * Node agent benchmark (issue 4): pod start latency and memory on one node of a sandbox
 * (API server + controllers on `server`, the agent alone on `node1`; root needed).
 *
 *   npx tsc -p . && node dist/bench/agent/start.js [--batches 1,10,100] [--kubia-batches 1,10]
 *
 * For each batch, N pods are created at once through the API (the scheduler binds them) and a
 * watch records, per pod, the time from its create request to `phase: Running` and to the Ready
 * condition. Batches of the pause image (no app, no probe: the agent's own cost), then of
 * luksa/kubia with a tcpSocket readiness probe (period 1 s: until the app answers). After each
 * batch it reads the agent's RSS and the proportional memory (PSS) of the portico-shim
 * processes, to give the agent's memory per pod and the shim's per container. Reference: the
 * Kubernetes pod startup SLO is p99 ≤ 5 s from creation to all containers started.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resources } from '../../src/api/scheme.js';
import type { Pod } from '../../src/api/types/core.js';
import { connect } from '../../src/client/connect.js';
import { discardLogger } from '../../src/lib/log/logger.js';
import { readState } from '../../src/sandbox/state.js';
import { sandboxSkipReason, startSandbox } from '../../src/testing/sandbox.js';

const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '1,10,100' },
    'kubia-batches': { type: 'string', default: '1,10' },
  },
});

function kb(path: string, field: RegExp): number {
  try {
    const m = field.exec(readFileSync(path, 'utf8'));
    return m?.[1] ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** RSS (kB) of a process and its threads' process. */
function rss(pid: number): number {
  return kb(`/proc/${pid}/status`, /^VmRSS:\s+(\d+) kB/m);
}

/** PSS (kB) of every portico-shim of a data dir. */
function shims(dataDir: string): { count: number; pssKb: number } {
  let count = 0;
  let pssKb = 0;
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes('portico-shim') || !cmd.includes(dataDir)) continue;
    count++;
    pssKb += kb(`/proc/${p}/smaps_rollup`, /^Pss:\s+(\d+) kB/m);
  }
  return { count, pssKb };
}

function pct(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
}

function ms(n: number): string {
  return Number.isFinite(n) ? `${Math.round(n)}` : '-';
}

async function main(): Promise<void> {
  const skip = sandboxSkipReason();
  if (skip) {
    console.log(`bench/agent skipped: ${skip}`);
    return;
  }
  const cleanups: (() => unknown)[] = [];
  try {
    const sb = await startSandbox(
      { after: (fn) => cleanups.push(fn) },
      {
        nodes: 1,
        components: { server: ['apiserver', 'controllers'], node: ['agent'] },
        log: discardLogger,
      },
    );
    const agentPid = readState(sb.name)?.processes.find((p) => p.component === 'agent')?.pid ?? 0;
    // `ip netns exec` execs node: the recorded PID is the agent itself
    const nodeDir = sb.dataDir('node1');
    const { client } = connect({ kubeconfig: sb.kubeconfig, qps: 0 });
    await client.create(resources.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'bench' },
    });
    const running = new Map<string, number>();
    const ready = new Map<string, number>();
    const ac = new AbortController();
    void (async () => {
      for await (const ev of client.watch<Pod>(resources.pods, { namespace: 'bench' }, ac.signal)) {
        const p = ev.object;
        const name = p.metadata?.name ?? '';
        if (p.status?.phase === 'Running' && !running.has(name))
          running.set(name, performance.now());
        if (
          p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
          !ready.has(name)
        )
          ready.set(name, performance.now());
      }
    })().catch(() => undefined);

    const baseRss = rss(agentPid);
    console.log(
      `node agent: ${sb.name}, agent pid ${agentPid}, RSS with no pods ${Math.round(baseRss / 1024)} MiB`,
    );
    console.log('');
    console.log(
      'image   pods  create→Running p50/p90/p99/max ms   create→Ready p50/p90/p99/max ms   agent RSS Δ/pod   shim PSS/container',
    );
    let seq = 0;
    const run = async (image: 'pause' | 'kubia', n: number): Promise<void> => {
      const created = new Map<string, number>();
      const names: string[] = [];
      await Promise.all(
        Array.from({ length: n }, async () => {
          const name = `${image}-${seq++}`;
          names.push(name);
          created.set(name, performance.now());
          await client.create<Pod>(resources.pods, {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name, namespace: 'bench' },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [
                image === 'pause'
                  ? { name: 'pause', image: 'registry.k8s.io/pause:3.10' }
                  : {
                      name: 'kubia',
                      image: 'luksa/kubia',
                      readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
                    },
              ],
            },
          });
        }),
      );
      const deadline = performance.now() + 300_000;
      while (names.some((x) => !ready.has(x)) && performance.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const toRunning = names.map((x) => (running.get(x) ?? NaN) - (created.get(x) ?? 0));
      const toReady = names.map((x) => (ready.get(x) ?? NaN) - (created.get(x) ?? 0));
      await new Promise((r) => setTimeout(r, 2500)); // let status writes settle before measuring
      const memDelta = (rss(agentPid) - baseRss) / n;
      const sh = shims(nodeDir);
      console.log(
        [
          image.padEnd(7),
          String(n).padStart(4),
          `  ${[0.5, 0.9, 0.99, 1].map((q) => ms(pct(toRunning, q))).join('/')}`.padEnd(36),
          [0.5, 0.9, 0.99, 1]
            .map((q) => ms(pct(toReady, q)))
            .join('/')
            .padEnd(34),
          `${(memDelta / 1024).toFixed(2)} MiB`.padEnd(18),
          sh.count > 0 ? `${(sh.pssKb / sh.count / 1024).toFixed(2)} MiB (${sh.count} shims)` : '-',
        ].join(' '),
      );
      await Promise.all(
        names.map((x) =>
          client
            .delete(resources.pods, 'bench', x, { gracePeriodSeconds: 0 })
            .catch(() => undefined),
        ),
      );
      // the next batch starts once the agent has removed everything of this one
      const gone = performance.now() + 180_000;
      const left = (): number => {
        try {
          return readdirSync(join(nodeDir, 'runtime', 'sandboxes')).length;
        } catch {
          return 0;
        }
      };
      while ((shims(nodeDir).count > 0 || left() > 0) && performance.now() < gone)
        await new Promise((r) => setTimeout(r, 200));
    };
    for (const n of args.batches.split(',').filter(Boolean).map(Number)) await run('pause', n);
    for (const n of args['kubia-batches'].split(',').filter(Boolean).map(Number))
      await run('kubia', n);
    console.log('');
    console.log(
      'Pause pods: one pause sandbox + one container each (two shims per pod). Kubernetes SLO: p99 create→Running ≤ 5000 ms.',
    );
    ac.abort();
    client.close();
  } finally {
    for (const f of cleanups) await f();
  }
}

await main();

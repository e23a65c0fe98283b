/**
 * Controllers benchmark: how fast a pod's readiness reaches its EndpointSlice, and what the
 * controller process costs.
 *
 *   npx tsc -p . && node dist/bench/controllers/run.js [--services 1000] [--pods-per-service 10]
 *       [--samples 500] [--burst 200] [--controllers '*']
 *
 * `portico apiserver` (memory store) and `portico controllers` run as child processes (the real
 * binary, over HTTPS), this process plays the clients. The bench plays the kubelet of one node: it creates
 * the pods bound, Running, with an IP and Ready, and renews the node's Lease. Then it:
 *   1. measures the initial convergence (every service has its slice with all pods ready);
 *   2. flips one pod's Ready condition at a time (`--samples`, 10 ms apart) and measures the
 *      time from sending the pod status patch to the EndpointSlice watch event that shows it;
 *   3. flips `--burst` pods at once and measures the same under load;
 * and prints p50/p99/max of each, the controller process's CPU time per change and its RSS.
 * There is no peer to compare with here (kube-controller-manager is not installed).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resources } from '../../src/api/scheme.js';
import type { Pod, Service } from '../../src/api/types/core.js';
import type { EndpointSlice } from '../../src/api/types/discovery.js';
import { InformerFactory } from '../../src/client/factory.js';
import type { Client } from '../../src/client/types.js';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { adminClient, registerNode, renewLease } from '../../src/testing/controllers.js';

const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: '1000' },
    'pods-per-service': { type: 'string', default: '10' },
    samples: { type: 'string', default: '500' },
    burst: { type: 'string', default: '200' },
    controllers: { type: 'string', default: '*' },
  },
});
const nServices = Number(args.services);
const perService = Number(args['pods-per-service']);
const nSamples = Number(args.samples);
const burst = Number(args.burst);
const root = new URL('../../..', import.meta.url).pathname;

function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? NaN;
}

/** utime+stime of a process in ms, and its RSS in MiB (from /proc). */
function procStats(pid: number): { cpuMs: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuMs: (ticks * 1000) / 100, rssMiB: rssKb / 1024 };
}

async function pool<T>(
  items: readonly T[],
  inFlight: number,
  fn: (x: T) => Promise<unknown>,
): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (i < items.length) await fn(items[i++] as T);
    }),
  );
}

function readyPatch(ready: boolean): unknown {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    status: {
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }],
    },
  };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** `portico apiserver` on 127.0.0.1 with a memory store; resolves once it answers. */
async function startApiServer(): Promise<{
  kubeconfig: string;
  pid: number;
  stop: () => Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'ptest-bench-'));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin', 'portico.js'),
      'apiserver',
      '--data-dir',
      dir,
      '--store',
      'memory://',
      '--bind-address',
      '127.0.0.1',
      '--secure-port',
      String(port),
      '--advertise-address',
      '192.0.2.1',
      '--node-name',
      'bench-node',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const kubeconfig = join(dir, 'kubeconfig');
  for (let i = 0; i < 300 && !existsSync(kubeconfig); i++)
    await new Promise((r) => setTimeout(r, 100));
  const probe = adminClient({ kubeconfig });
  for (let i = 0; ; i++) {
    try {
      await probe.list(resources.namespaces);
      break;
    } catch (e) {
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    kubeconfig,
    pid: child.pid ?? 0,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const api = await startApiServer();
  const client: Client = adminClient(api);
  await registerNode(client, 'bench-node');
  const leaseTimer = setInterval(
    () => void renewLease(client, 'bench-node').catch(() => undefined),
    10_000,
  );

  console.log(
    `# controllers bench: ${nServices} services × ${perService} pods, controllers ${args.controllers}`,
  );
  const t0 = Date.now();
  const pods: { ns: string; name: string; svc: string }[] = [];
  const svcs = Array.from({ length: nServices }, (_, i) => `svc-${i}`);
  await pool(svcs, 32, (name) =>
    client.create<Service>(resources.services, {
      metadata: { name, namespace: 'default' },
      spec: {
        selector: { app: name },
        ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      },
    }),
  );
  for (const svc of svcs)
    for (let j = 0; j < perService; j++) pods.push({ ns: 'default', name: `${svc}-p${j}`, svc });
  let ipn = 0;
  await pool(pods, 64, async (p) => {
    await client.create<Pod>(resources.pods, {
      metadata: { name: p.name, namespace: p.ns, labels: { app: p.svc } },
      spec: {
        nodeName: 'bench-node',
        containers: [{ name: 'c', image: 'luksa/kubia', ports: [{ containerPort: 8080 }] }],
      },
    });
    const n = ipn++;
    const ip = `10.${244 + Math.floor(n / 65024)}.${Math.floor((n % 65024) / 254)}.${(n % 254) + 1}`;
    await client.patch(
      resources.pods,
      p.ns,
      p.name,
      'merge',
      {
        status: {
          phase: 'Running',
          podIP: ip,
          podIPs: [{ ip }],
          hostIP: '192.0.2.10',
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            },
          ],
        },
      },
      { subresource: 'status' },
    );
  });
  console.log(
    `objects created: ${nServices} services, ${pods.length} pods in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  // Watch the slices as a consumer (kube-proxy) would.
  const abort = new AbortController();
  const factory = new InformerFactory({ client });
  const slices = factory.informerFor<EndpointSlice>(resources.endpointslices);
  const readyOf = new Map<string, boolean>();
  const waiters = new Map<string, { want: boolean; t0: number; resolve: (ms: number) => void }>();
  const onSlice = (s: EndpointSlice): void => {
    for (const e of s.endpoints ?? []) {
      const name = e.targetRef?.name ?? '';
      const ready = e.conditions?.ready === true;
      readyOf.set(name, ready);
      const w = waiters.get(name);
      if (w !== undefined && w.want === ready) {
        waiters.delete(name);
        w.resolve(performance.now() - w.t0);
      }
    }
  };
  slices.addHandlers({ onAdd: onSlice, onUpdate: (_o, s) => onSlice(s) });
  // The same pods as the controller sees them: the API server's own patch → watch delay, which
  // is part of every sample but not the controller's doing.
  const podEvents = new Map<string, { want: boolean; t0: number }>();
  const podLag: number[] = [];
  const podInformer = factory.informerFor<Pod>(resources.pods);
  podInformer.addHandlers({
    onUpdate: (_o, p) => {
      const w = podEvents.get(p.metadata.name ?? '');
      const ready = p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      if (w !== undefined && w.want === ready) {
        podEvents.delete(p.metadata.name ?? '');
        podLag.push(performance.now() - w.t0);
      }
    },
  });
  factory.start(abort.signal);

  // Debugging aids: BENCH_CONTROLLERS_ARGS='-v 4' BENCH_CONTROLLERS_LOG=/tmp/c.log
  const extraArgs = (process.env['BENCH_CONTROLLERS_ARGS'] ?? '')
    .split(' ')
    .filter((a) => a !== '');
  const logPath = process.env['BENCH_CONTROLLERS_LOG'];
  const logFd = logPath !== undefined ? openSync(logPath, 'w') : 'ignore';
  const nodeArgs = (process.env['BENCH_CONTROLLERS_NODE_ARGS'] ?? '')
    .split(' ')
    .filter((a) => a !== '');
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      join(root, 'bin', 'portico.js'),
      'controllers',
      '--kubeconfig',
      api.kubeconfig,
      '--controllers',
      args.controllers,
      ...extraArgs,
    ],
    { stdio: ['ignore', 'ignore', logFd] },
  );
  const pid = child.pid ?? 0;
  const started = Date.now();
  await factory.waitForSync(abort.signal);
  for (let i = 0; ; i++) {
    let ready = 0;
    for (const p of pods) if (readyOf.get(p.name) === true) ready++;
    if (ready === pods.length) break;
    if (i % 50 === 49) console.log(`  … ${ready}/${pods.length} endpoints ready`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const converge = (Date.now() - started) / 1000;
  const steady = procStats(pid);
  console.log(
    `initial convergence: ${converge.toFixed(1)} s (controller start to ${pods.length} ready endpoints); controller RSS ${steady.rssMiB.toFixed(0)} MiB, CPU ${(steady.cpuMs / 1000).toFixed(1)} s`,
  );

  const flip = (p: { ns: string; name: string }): Promise<number> => {
    const want = !(readyOf.get(p.name) ?? true);
    return new Promise<number>((resolve, reject) => {
      const tStart = performance.now();
      waiters.set(p.name, { want, t0: tStart, resolve });
      podEvents.set(p.name, { want, t0: tStart });
      client
        .patch(resources.pods, p.ns, p.name, 'strategic', readyPatch(want), {
          subresource: 'status',
        })
        .catch(reject);
    });
  };
  const pick = (): { ns: string; name: string } =>
    pods[Math.floor(Math.random() * pods.length)] as { ns: string; name: string };

  // Phase 2: one change at a time.
  const before = procStats(pid);
  const apiBefore = procStats(api.pid);
  const single: number[] = [];
  for (let i = 0; i < nSamples; i++) {
    single.push(await flip(pick()));
    await new Promise((r) => setTimeout(r, 10));
  }
  const singlePodLag = podLag.splice(0);
  const afterSingle = procStats(pid);
  const apiAfterSingle = procStats(api.pid);
  // Phase 3: a burst of distinct pods at once.
  const chosen = new Map<string, { ns: string; name: string }>();
  while (chosen.size < Math.min(burst, pods.length)) {
    const p = pick();
    chosen.set(p.name, p);
  }
  const burstStart = performance.now();
  const bursts = await Promise.all([...chosen.values()].map(flip));
  const burstWall = performance.now() - burstStart;
  const afterBurst = procStats(pid);
  const apiAfterBurst = procStats(api.pid);

  const fmt = (xs: number[]): string =>
    `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
  console.log(`pod Ready → EndpointSlice, one at a time (${single.length}): ${fmt(single)}`);
  console.log(`  of which the API server's patch → pod watch event: ${fmt(singlePodLag)}`);
  console.log(
    `pod Ready → EndpointSlice, burst of ${bursts.length}: ${fmt(bursts)} (all done in ${burstWall.toFixed(0)} ms)`,
  );
  console.log(
    `controller CPU per change: ${((afterSingle.cpuMs - before.cpuMs) / single.length).toFixed(2)} ms one at a time, ${((afterBurst.cpuMs - afterSingle.cpuMs) / bursts.length).toFixed(2)} ms in the burst`,
  );
  console.log(
    `API server CPU per change: ${((apiAfterSingle.cpuMs - apiBefore.cpuMs) / single.length).toFixed(2)} ms one at a time, ${((apiAfterBurst.cpuMs - apiAfterSingle.cpuMs) / bursts.length).toFixed(2)} ms in the burst`,
  );
  console.log(`controller RSS after the run: ${afterBurst.rssMiB.toFixed(0)} MiB`);

  clearInterval(leaseTimer);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  abort.abort();
  await factory.stopped();
  await api.stop();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

/**
 * Client benchmark: Portico's HttpClient and SharedInformer beside @kubernetes/client-node 1.4,
 * both against one Portico API server (memory store) on 127.0.0.1.
 *
 *   npx tsc -p . && node --expose-gc dist/bench/client/run.js [--objects 5000] [--requests 2000]
 *
 * Prints, per client: GETs/s one at a time and 32 in flight (keep-alive, TLS with client
 * certificates), the time for an informer to list N ConfigMaps and be synced, the heap the
 * synced cache holds (with --expose-gc), and the latency from a write to the informer's handler
 * (p50/p99 over 300 updates). Our client's rate limiter is off (qps 0) so both run unthrottled.
 */
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import { startTestApiServer } from '../../src/testing/apiserver.js';
import { HttpClient } from '../../src/client/http.js';
import { SharedInformer } from '../../src/client/informer.js';
import { loadRestConfig } from '../../src/client/kubeconfig.js';
import { resources } from '../../src/api/scheme.js';
import type { ConfigMap } from '../../src/api/types/core.js';

const { values: args } = parseArgs({
  options: {
    objects: { type: 'string', default: '5000' },
    requests: { type: 'string', default: '2000' },
  },
});
const objects = Number(args.objects);
const requests = Number(args.requests);
const latencySamples = 300;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? NaN;
}

async function inParallel(
  n: number,
  inFlight: number,
  fn: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

function heapMb(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

interface Row {
  client: string;
  seqGets: number;
  concGets: number;
  syncMs: number;
  heapMb: number;
  p50: number;
  p99: number;
}

const api = await startTestApiServer(undefined);
const ns = 'bench';
const ours = new HttpClient({
  config: loadRestConfig({ kubeconfig: api.kubeconfig, env: {} }),
  qps: 0,
});
const kc = new KubeConfig();
kc.loadFromFile(api.kubeconfig);
const theirs = kc.makeApiClient(CoreV1Api);

try {
  await ours.create(resources.namespaces, { metadata: { name: ns } });
  const t0 = performance.now();
  await inParallel(objects, 32, (i) =>
    ours.create<ConfigMap>(resources.configmaps, {
      metadata: { name: `cm-${i}`, namespace: ns, labels: { app: 'bench', shard: String(i % 16) } },
      data: { payload: 'x'.repeat(512) },
    }),
  );
  console.log(`# ${objects} ConfigMaps created in ${Math.round(performance.now() - t0)} ms`);

  const rows: Row[] = [];
  for (const which of ['portico', 'client-node'] as const) {
    const get =
      which === 'portico'
        ? (i: number) => ours.get(resources.configmaps, ns, `cm-${i % objects}`)
        : (i: number) =>
            theirs.readNamespacedConfigMap({ name: `cm-${i % objects}`, namespace: ns });
    let t = performance.now();
    for (let i = 0; i < requests / 4; i++) await get(i);
    const seqGets = (requests / 4 / (performance.now() - t)) * 1000;
    t = performance.now();
    await inParallel(requests, 32, get);
    const concGets = (requests / (performance.now() - t)) * 1000;

    const before = heapMb();
    const seen = new Map<string, number>();
    const onEvent = (o: { metadata?: { name?: string } }): void => {
      const name = o.metadata?.name ?? '';
      const started = seen.get(name);
      if (started !== undefined) {
        latencies.push(performance.now() - started);
        seen.delete(name);
      }
    };
    const latencies: number[] = [];
    const ac = new AbortController();
    let stop: () => Promise<void>;
    t = performance.now();
    if (which === 'portico') {
      const inf = new SharedInformer<ConfigMap>({
        client: ours,
        resource: resources.configmaps,
        namespace: ns,
      });
      inf.addHandlers({ onUpdate: (_o, n) => onEvent(n) });
      const run = inf.run(ac.signal);
      await inf.waitForSync(ac.signal);
      stop = async () => {
        ac.abort();
        await run;
      };
    } else {
      const inf = makeInformer<V1ConfigMap>(kc, `/api/v1/namespaces/${ns}/configmaps`, () =>
        theirs.listNamespacedConfigMap({ namespace: ns }),
      );
      inf.on('update', onEvent);
      inf.on('connect', () => undefined);
      const listed = new Promise<void>((resolve) => {
        const poll = (): void => {
          if (inf.list(ns).length >= objects) resolve();
          else setTimeout(poll, 1);
        };
        poll();
      });
      await inf.start();
      await listed;

      stop = () => inf.stop();
    }
    const syncMs = performance.now() - t;
    const heap = heapMb() - before;
    for (let i = 0; i < latencySamples; i++) {
      const name = `cm-${i}`;
      seen.set(name, performance.now());
      await ours.patch(resources.configmaps, ns, name, 'merge', { data: { v: `${which}-${i}` } });
      while (seen.has(name)) await new Promise((r) => setImmediate(r));
    }
    await stop();
    rows.push({
      client: which,
      seqGets: Math.round(seqGets),
      concGets: Math.round(concGets),
      syncMs: Math.round(syncMs),
      heapMb: Math.round(heap * 10) / 10,
      p50: Math.round(percentile(latencies, 50) * 100) / 100,
      p99: Math.round(percentile(latencies, 99) * 100) / 100,
    });
  }
  console.log(
    `${'client'.padEnd(12)} ${'GET/s seq'.padStart(10)} ${'GET/s x32'.padStart(10)} ${`sync ${objects} ms`.padStart(14)} ${'heap MB'.padStart(8)} ${'event p50 ms'.padStart(13)} ${'p99 ms'.padStart(8)}`,
  );
  for (const r of rows)
    console.log(
      `${r.client.padEnd(12)} ${String(r.seqGets).padStart(10)} ${String(r.concGets).padStart(10)} ${String(r.syncMs).padStart(14)} ${String(r.heapMb).padStart(8)} ${String(r.p50).padStart(13)} ${String(r.p99).padStart(8)}`,
    );
  const [a, b] = rows;
  if (a && b)
    console.log(
      `# ratio portico/client-node: GET seq ${(a.seqGets / b.seqGets).toFixed(2)}x, GET x32 ${(a.concGets / b.concGets).toFixed(2)}x, sync time ${(a.syncMs / b.syncMs).toFixed(2)}x`,
    );
} finally {
  ours.close();
  await api.stop();
}

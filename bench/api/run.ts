/**
 * API server benchmark (issue 2): the real `portico apiserver` as a child process on 127.0.0.1,
 * driven over HTTPS with the admin certificate, once per store.
 *
 *   npx tsc -p . && node dist/bench/api/run.js [--services 10000] [--watchers 100] [--changes 1000]
 *                                              [--stores sqlite,memory,etcd] [--concurrency 32]
 *
 * Prints, per store: creates/s of Services (ClusterIP allocation included) with `concurrency`
 * requests in flight; the latency of listing all of them as JSON and as a Table (what `kubectl
 * get` asks for), in one call and in kubectl's pages of 500; and, with `watchers` watches open on
 * the namespace, the latency from issuing a change to each watcher receiving its event (p50, p99
 * over changes × watchers deliveries). Aims: ≥ 1,000 creates/s, a 10k list under 500 ms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request, type RequestOptions } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { findEtcd, startTestEtcd, type TestEtcd } from '../../src/storage/etcd/testserver.js';

const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: '10000' },
    watchers: { type: 'string', default: '100' },
    changes: { type: 'string', default: '1000' },
    stores: { type: 'string', default: 'sqlite,memory,etcd' },
    concurrency: { type: 'string', default: '32' },
    /** Extra node flags for the server process (`--cpu-prof`). */
    'server-node-args': { type: 'string', default: '' },
  },
});
const services = Number(args.services);
const watchers = Number(args.watchers);
const changes = Number(args.changes);
const concurrency = Number(args.concurrency);
const root = new URL('../../..', import.meta.url).pathname;
const tableAccept =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

interface Creds {
  readonly port: number;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly agent: Agent;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function call(
  c: Creds,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const data = body === undefined ? undefined : JSON.stringify(body);
  const h: Record<string, string> = { ...headers };
  if (data !== undefined) {
    h['content-type'] ??= 'application/json';
    h['content-length'] = String(Buffer.byteLength(data));
  }
  const opts: RequestOptions = {
    host: '127.0.0.1',
    port: c.port,
    method,
    path,
    headers: h,
    agent: c.agent,
  };
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function startServer(
  store: string,
  dataDir: string,
): Promise<{ child: ChildProcess; creds: Creds }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...args['server-node-args'].split(' ').filter((a) => a !== ''),
      join(root, 'bin', 'portico.js'),
      'apiserver',
      '--data-dir',
      dataDir,
      '--bind-address',
      '127.0.0.1',
      '--secure-port',
      String(port),
      '--store',
      store,
      '--advertise-address',
      '192.0.2.1',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const kc = parse(readFileSync(join(dataDir, 'kubeconfig'), 'utf8')) as {
        clusters: { cluster: { 'certificate-authority-data': string } }[];
        users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
      };
      const b = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString();
      const creds: Creds = {
        port,
        ca: b(kc.clusters[0]?.cluster['certificate-authority-data']),
        cert: b(kc.users[0]?.user['client-certificate-data']),
        key: b(kc.users[0]?.user['client-key-data']),
        agent: undefined as unknown as Agent,
      };
      const agent = new Agent({
        keepAlive: true,
        maxSockets: concurrency + watchers + 8,
        ca: creds.ca,
        cert: creds.cert,
        key: creds.key,
      });
      const full = { ...creds, agent };
      if ((await call(full, 'GET', '/readyz')).status === 200) return { child, creds: full };
      agent.destroy();
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('the API server did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
}

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

interface Result {
  store: string;
  createsPerSec: number;
  listJsonMs: number;
  listTableMs: number;
  listJsonBytes: number;
  pagedTableMs: number;
  watchP50: number;
  watchP99: number;
  watchDelivered: number;
  rssMb: number;
}

async function bench(storeName: string, storeUri: (dir: string) => string): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-bench-api-'));
  const { child, creds } = await startServer(storeUri(dir), dir);
  try {
    await call(creds, 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'bench' },
    });
    // Creates
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        if (i >= services) return;
        const r = await call(creds, 'POST', '/api/v1/namespaces/bench/services', {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: `svc-${i}`, labels: { app: `a${i % 10}` } },
          spec: {
            selector: { app: `a${i % 10}` },
            ports: [{ name: 'http', port: 80, targetPort: 8080 }],
          },
        });
        if (r.status !== 201) throw new Error(`create svc-${i}: ${r.status} ${r.body}`);
      }
    };
    const [createMs] = await time(() => Promise.all(Array.from({ length: concurrency }, worker)));
    // Lists (best of 3)
    const best = async (fn: () => Promise<unknown>): Promise<number> => {
      let m = Infinity;
      for (let i = 0; i < 3; i++) m = Math.min(m, (await time(fn))[0]);
      return m;
    };
    let jsonBytes = 0;
    const listJsonMs = await best(async () => {
      const r = await call(creds, 'GET', '/api/v1/namespaces/bench/services');
      jsonBytes = r.body.length;
      const items = (JSON.parse(r.body) as { items: unknown[] }).items.length;
      if (items !== services) throw new Error(`listed ${items}`);
    });
    const listTableMs = await best(() =>
      call(creds, 'GET', '/api/v1/namespaces/bench/services', undefined, { accept: tableAccept }),
    );
    const pagedTableMs = await best(async () => {
      let cont = '';
      do {
        const r = await call(
          creds,
          'GET',
          `/api/v1/namespaces/bench/services?limit=500${cont ? `&continue=${cont}` : ''}`,
          undefined,
          {
            accept: tableAccept,
          },
        );
        cont = (JSON.parse(r.body) as { metadata: { continue?: string } }).metadata.continue ?? '';
      } while (cont !== '');
    });
    // Watch latency
    const sent = new Map<string, number>();
    const latencies: number[] = [];
    const list = JSON.parse(
      (await call(creds, 'GET', '/api/v1/namespaces/bench/services?limit=1')).body,
    ) as {
      metadata: { resourceVersion: string };
    };
    const rv = list.metadata.resourceVersion;
    const streams: { destroy: () => void; done: Promise<void> }[] = [];
    let ready = 0;
    for (let w = 0; w < watchers; w++) {
      let destroy = (): void => undefined;
      const done = new Promise<void>((resolve) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: creds.port,
            path: `/api/v1/namespaces/bench/services?watch=true&resourceVersion=${rv}`,
            agent: creds.agent,
          },
          (res) => {
            ready++;
            let buf = '';
            res.on('data', (b: Buffer) => {
              const now = performance.now();
              buf += b.toString();
              let nl: number;
              while ((nl = buf.indexOf('\n')) >= 0) {
                const line = buf.slice(0, nl);
                buf = buf.slice(nl + 1);
                const seq = /"bench\/seq":"(\d+)"/.exec(line)?.[1];
                const t0 = seq !== undefined ? sent.get(seq) : undefined;
                if (t0 !== undefined) latencies.push(now - t0);
              }
            });
            res.on('close', () => resolve());
          },
        );
        req.on('error', () => resolve());
        req.end();
        destroy = () => req.destroy();
      });
      streams.push({ destroy, done });
    }
    while (ready < watchers) await new Promise((r) => setTimeout(r, 20));
    let seq = 0;
    const changer = async (): Promise<void> => {
      for (;;) {
        const i = seq++;
        if (i >= changes) return;
        sent.set(String(i), performance.now());
        const r = await call(
          creds,
          'PATCH',
          `/api/v1/namespaces/bench/services/svc-${i % services}`,
          { metadata: { labels: { 'bench/seq': String(i) } } },
          { 'content-type': 'application/merge-patch+json' },
        );
        if (r.status !== 200) throw new Error(`patch: ${r.status} ${r.body}`);
      }
    };
    await Promise.all(Array.from({ length: 4 }, changer));
    const want = changes * watchers;
    const deadline = Date.now() + 30_000;
    while (latencies.length < want && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    for (const s of streams) s.destroy();
    latencies.sort((a, b) => a - b);
    const rss =
      Number(
        readFileSync(`/proc/${child.pid ?? 0}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)?.[1] ?? 0,
      ) / 1024;
    return {
      store: storeName,
      createsPerSec: services / (createMs / 1000),
      listJsonMs,
      listTableMs,
      listJsonBytes: jsonBytes,
      pagedTableMs,
      watchP50: pct(latencies, 50),
      watchP99: pct(latencies, 99),
      watchDelivered: latencies.length / want,
      rssMb: rss,
    };
  } finally {
    creds.agent.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: Result[] = [];
let etcd: TestEtcd | undefined;
for (const s of args.stores.split(',').map((x) => x.trim())) {
  if (s === 'memory') results.push(await bench('memory', () => 'memory://'));
  else if (s === 'sqlite')
    results.push(await bench('sqlite', (d) => `sqlite://${join(d, 'state.db')}`));
  else if (s === 'etcd') {
    if (!findEtcd()) {
      console.log('# etcd skipped: no etcd binary');
      continue;
    }
    etcd = await startTestEtcd();
    const url = etcd.endpoint;
    results.push(await bench('etcd', () => `etcd://${url.replace(/^https?:\/\//, '')}`));
  }
}
await etcd?.stop();

const f = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : '-');
console.log(
  `\nportico apiserver: ${services} Services, ${watchers} watchers × ${changes} changes, ${concurrency} concurrent creates\n`,
);
console.log(
  'store    creates/s   list JSON ms   list Table ms   paged Table ms   watch p50 ms   watch p99 ms   delivered   RSS MB',
);
for (const r of results) {
  console.log(
    [
      r.store.padEnd(8),
      f(r.createsPerSec).padStart(9),
      f(r.listJsonMs).padStart(14),
      f(r.listTableMs).padStart(15),
      f(r.pagedTableMs).padStart(16),
      f(r.watchP50, 1).padStart(14),
      f(r.watchP99, 1).padStart(14),
      `${f(r.watchDelivered * 100)}%`.padStart(11),
      f(r.rssMb).padStart(8),
    ].join(' '),
  );
}
console.log(`(JSON list of ${services}: ${f((results[0]?.listJsonBytes ?? 0) / 1e6, 1)} MB)`);

/**
 * Store benchmark: memory, sqlite and etcd side by side.
 *
 *   npx tsc -p . && node dist/bench/storage/run.js [--objects 10000] [--backends memory,sqlite,etcd]
 *
 * Prints, per backend: sequential creates/s (one write in flight, what a single client sees),
 * concurrent creates/s (64 in flight, what many API clients see), the time to list 10,000 keys
 * in one call and in pages of 500, and watch latency (write issued → event delivered, p50/p99).
 * Values are 2 KiB, about the size of an encoded Pod. etcd is the Debian etcd-server on
 * 127.0.0.1 with a temporary data directory (skipped when missing).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EtcdStore } from '../../src/storage/etcd/store.js';
import { findEtcd, startTestEtcd } from '../../src/storage/etcd/testserver.js';
import type { TestEtcd } from '../../src/storage/etcd/testserver.js';
import { MemoryStore } from '../../src/storage/memory/store.js';
import { SqliteStore } from '../../src/storage/sqlite/store.js';
import type { Store } from '../../src/storage/store.js';

const { values: args } = parseArgs({
  options: {
    objects: { type: 'string', default: '10000' },
    backends: { type: 'string', default: 'memory,sqlite,etcd' },
    'value-bytes': { type: 'string', default: '2048' },
  },
});
const objects = Number(args.objects);
const value = new Uint8Array(Number(args['value-bytes'])).fill(120);
const sequentialWrites = Math.min(2000, objects);
const watchSamples = 500;

interface Result {
  readonly backend: string;
  readonly seqCreates: number;
  readonly concCreates: number;
  readonly listMs: number;
  readonly pagedMs: number;
  readonly watchP50: number;
  readonly watchP99: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? NaN;
}

async function createsPerSecond(
  store: Store,
  prefix: string,
  n: number,
  inFlight: number,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      await store.create(`${prefix}${String(i).padStart(6, '0')}`, value);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return (n / (performance.now() - started)) * 1000;
}

async function timeList(store: Store, prefix: string, pageSize?: number): Promise<number> {
  const samples: number[] = [];
  for (let run = 0; run < 5; run++) {
    const started = performance.now();
    let count = 0;
    let startAfter: string | undefined;
    let revision: number | undefined;
    for (;;) {
      const page = await store.list(prefix, {
        ...(pageSize === undefined ? {} : { limit: pageSize }),
        ...(startAfter === undefined ? {} : { startAfter }),
        ...(revision === undefined ? {} : { revision }),
      });
      revision = page.revision;
      count += page.items.length;
      startAfter = page.items[page.items.length - 1]?.key;
      if (page.remaining === 0 || startAfter === undefined) break;
    }
    samples.push(performance.now() - started);
    if (count !== objects) throw new Error(`listed ${count} of ${objects} keys`);
  }
  return median(samples);
}

async function watchLatency(store: Store): Promise<number[]> {
  const ac = new AbortController();
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  const watch = store.watch('/bench/watch/', await store.currentRevision(), ac.signal);
  const it = watch[Symbol.asyncIterator]();
  let waiting = it.next(); // the first iteration registers the watch
  const reader = (async (): Promise<void> => {
    for (;;) {
      const r = await waiting;
      if (r.done === true) return;
      const now = performance.now();
      for (const e of r.value) {
        const key = e.type === 'delete' ? e.prev.key : e.kv.key;
        const at = sent.get(key);
        if (at !== undefined) latencies.push(now - at);
      }
      if (latencies.length >= watchSamples) return;
      waiting = it.next();
    }
  })();
  // Warm up until the watch is live, then measure one write at a time.
  await store.create('/bench/watch/warmup', value);
  for (let i = 0; i < watchSamples; i++) {
    const key = `/bench/watch/${i}`;
    sent.set(key, performance.now());
    await store.create(key, value);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await reader;
  ac.abort();
  return latencies;
}

async function measure(backend: string, store: Store): Promise<Result> {
  const seqCreates = await createsPerSecond(store, '/bench/seq/', sequentialWrites, 1);
  const concCreates = await createsPerSecond(store, '/bench/objects/', objects, 64);
  const listMs = await timeList(store, '/bench/objects/');
  const pagedMs = await timeList(store, '/bench/objects/', 500);
  const lat = await watchLatency(store);
  return {
    backend,
    seqCreates,
    concCreates,
    listMs,
    pagedMs,
    watchP50: percentile(lat, 50),
    watchP99: percentile(lat, 99),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'ptest-bench-storage-'));
let etcd: TestEtcd | undefined;
const results: Result[] = [];
try {
  for (const backend of args.backends.split(',')) {
    let store: Store;
    if (backend === 'memory') store = new MemoryStore();
    else if (backend === 'sqlite') {
      store = new SqliteStore({ path: join(dir, 'bench.db'), compaction: false });
    } else if (backend === 'etcd') {
      if (findEtcd() === undefined) {
        console.log('# etcd skipped: the etcd binary is not on PATH');
        continue;
      }
      etcd = await startTestEtcd();
      store = new EtcdStore({ endpoints: [etcd.endpoint], compaction: false });
    } else throw new Error(`unknown backend ${backend}`);
    try {
      results.push(await measure(backend, store));
    } finally {
      await store.close();
    }
  }
} finally {
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
}

const fmt = (n: number, digits = 0): string => n.toFixed(digits);
console.log(
  `# ${objects} objects of ${value.length} bytes; sequential creates: ${sequentialWrites}; watch samples: ${watchSamples}`,
);
console.table(
  results.map((r) => ({
    backend: r.backend,
    'creates/s (1 in flight)': fmt(r.seqCreates),
    'creates/s (64 in flight)': fmt(r.concCreates),
    [`list ${objects} ms`]: fmt(r.listMs, 1),
    [`list ${objects} by 500 ms`]: fmt(r.pagedMs, 1),
    'watch p50 ms': fmt(r.watchP50, 2),
    'watch p99 ms': fmt(r.watchP99, 2),
  })),
);

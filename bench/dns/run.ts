/**
 * DNS benchmark: `portico dns` beside unbound, in one run, with dnsperf (performance.md §2.3).
 *
 *   npx tsc -p . && node dist/bench/dns/run.js [--services 1000] [--duration 5] [--runs 3]
 *                                             [--rate 5000]
 *
 * Needs root, dnsperf and unbound. Everything runs on the loopback of a network namespace the
 * bench creates (`portico-bench-dns-*`) and removes: an API server (memory store) holding N
 * Services, `portico dns` answering them from its informers, unbound serving the same names from
 * local-data, and a fake upstream (127.0.0.1) for `*.example.test` that both forward to and cache.
 *
 * Query sets: `cluster` = the N service names (A); `mix` = 80 % cluster names, 20 % 200 external
 * names (caches warmed first). Per server and set: the median queries/s of `--runs` max-rate runs
 * (dnsperf -c 8 -T 1 -q 500) with the average latency dnsperf reports, then p50/p99 latency and
 * CPU time per query at a fixed `--rate`. The load generator shares the machine's cores with the
 * servers: compare ratios within one run, not absolute numbers across machines.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resources } from '../../src/api/scheme.js';
import type { Service } from '../../src/api/types/core.js';
import { connect } from '../../src/client/connect.js';
import { FakeUpstream } from '../../src/dns/fakeupstream.js';
import { T } from '../../src/dns/types.js';
import { startTestApiServer } from '../../src/testing/apiserver.js';
import { waitFor } from '../../src/testing/wait.js';

const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    rate: { type: 'string', default: '5000' },
    inside: { type: 'boolean', default: false },
  },
});
const services = Number(args.services);
const duration = Number(args.duration);
const runs = Number(args.runs);
const rate = Number(args.rate);

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const externalNames = 200;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? NaN;
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

/** dnsperf, asynchronously: the fake upstream lives in this process and must keep answering. */
function dnsperf(a: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn('dnsperf', a, { stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    c.stdout.on('data', (d: Buffer) => out.push(d));
    c.on('error', reject);
    c.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out).toString('utf8'))
        : reject(new Error(`dnsperf exited ${code ?? 'by signal'}`)),
    );
  });
}

interface Target {
  readonly name: string;
  readonly port: number;
  /** PIDs whose CPU time counts (the server's processes). */
  readonly pids: () => number[];
}

async function inside(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'portico-bench-dns-'));
  const children: ChildProcess[] = [];
  const api = await startTestApiServer(undefined);
  try {
    const { client } = connect({ kubeconfig: api.kubeconfig, userAgent: 'bench', qps: 0 });
    console.log(`Creating ${services} Services…`);
    const ips: string[] = new Array<string>(services);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < services) {
          const i = next++;
          const s = await client.create<Service>(resources.services, {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { namespace: 'default', name: `svc-${i}` },
            spec: { ports: [{ name: 'http', port: 80 }], selector: { app: `a${i}` } },
          });
          ips[i] = s.spec?.clusterIP ?? '';
        }
      }),
    );
    client.close();

    const upstream = await FakeUpstream.start((q) =>
      q.name.endsWith('.example.test') && q.type === T.A
        ? { answer: [{ name: q.name, ttl: 3600, data: { type: 'A', address: '192.0.2.80' } }] }
        : { rcode: 3 },
    );

    // portico dns, its own process as in production.
    const dns = spawn(
      process.execPath,
      [
        join(root, 'bin', 'portico.js'),
        'dns',
        '--kubeconfig',
        api.kubeconfig,
        '--bind-address',
        '127.0.0.1',
        '--port',
        '10053',
        '--metrics-bind-address',
        '127.0.0.1:19153',
        '--upstream',
        `127.0.0.1:${upstream.port}`,
        '--cache-ttl',
        '3600',
        '--no-publish',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    children.push(dns);
    await waitFor(
      async () => {
        try {
          return (await fetch('http://127.0.0.1:19153/ready')).status === 200;
        } catch {
          return false;
        }
      },
      { what: 'portico dns ready', timeoutMs: 60_000, intervalMs: 200 },
    );

    // unbound with the same names.
    const conf = [
      'server:',
      '  interface: 127.0.0.1@10054',
      '  port: 10054',
      '  num-threads: 1',
      '  do-daemonize: no',
      '  username: ""',
      '  chroot: ""',
      `  directory: "${work}"`,
      '  pidfile: ""',
      '  use-syslog: no',
      '  logfile: ""',
      '  verbosity: 0',
      '  do-ip6: no',
      '  do-not-query-localhost: no',
      '  access-control: 127.0.0.0/8 allow',
      '  msg-cache-size: 32m',
      '  rrset-cache-size: 64m',
      '  local-zone: "cluster.local." static',
      ...ips.map((ip, i) => `  local-data: "svc-${i}.default.svc.cluster.local. 30 IN A ${ip}"`),
      'forward-zone:',
      '  name: "example.test."',
      `  forward-addr: 127.0.0.1@${upstream.port}`,
    ].join('\n');
    writeFileSync(join(work, 'unbound.conf'), `${conf}\n`);
    const unbound = spawn('unbound', ['-d', '-c', join(work, 'unbound.conf')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(unbound);

    const cluster = Array.from(
      { length: services },
      (_, i) => `svc-${i}.default.svc.cluster.local A`,
    );
    const external = Array.from({ length: externalNames }, (_, i) => `host-${i}.example.test A`);
    const mix: string[] = [];
    for (let i = 0, e = 0; i < services; i++) {
      mix.push(cluster[i] ?? '');
      if (i % 4 === 3) mix.push(external[e++ % externalNames] ?? '');
    }
    writeFileSync(join(work, 'cluster.txt'), `${cluster.join('\n')}\n`);
    writeFileSync(join(work, 'mix.txt'), `${mix.join('\n')}\n`);

    const targets: Target[] = [
      { name: 'unbound (1 thread)', port: 10054, pids: () => [unbound.pid ?? 0] },
      {
        name: 'portico dns',
        port: 10053,
        pids: () => pidsOf(dns.pid ?? 0),
      },
    ];
    await waitFor(
      () => {
        try {
          const out = execFileSync(
            'dig',
            ['@127.0.0.1', '-p', '10054', '+short', 'svc-1.default.svc.cluster.local'],
            {
              encoding: 'utf8',
            },
          );
          return out.trim() === ips[1];
        } catch {
          return false;
        }
      },
      { what: 'unbound answering', timeoutMs: 20_000 },
    );
    for (const t of targets)
      dnsperf([
        '-s',
        '127.0.0.1',
        '-p',
        String(t.port),
        '-d',
        join(work, 'mix.txt'),
        '-n',
        '2',
        '-c',
        '2',
      ]);

    const rows: string[][] = [];
    for (const set of ['cluster', 'mix'] as const) {
      const file = join(work, `${set}.txt`);
      const qps = new Map<string, number[]>();
      const avg = new Map<string, number[]>();
      for (let r = 0; r < runs; r++)
        for (const t of r % 2 === 0 ? targets : [...targets].reverse()) {
          const out = await dnsperf([
            '-s',
            '127.0.0.1',
            '-p',
            String(t.port),
            '-d',
            file,
            '-c',
            '8',
            '-T',
            '1',
            '-q',
            '500',
            '-l',
            String(duration),
          ]);
          const q = Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
          const a = Number(/Average Latency \(s\):\s+([\d.]+)/.exec(out)?.[1] ?? NaN) * 1000;
          const lost = /Queries lost:\s+(\d+)/.exec(out)?.[1] ?? '?';
          console.log(
            `  ${set} ${t.name} run ${r + 1}: ${q.toFixed(0)} q/s, avg ${a.toFixed(3)} ms, lost ${lost}`,
          );
          qps.set(t.name, [...(qps.get(t.name) ?? []), q]);
          avg.set(t.name, [...(avg.get(t.name) ?? []), a]);
        }
      for (const t of targets) {
        const before = t.pids().reduce((s, p) => s + cpuTicks(p), 0);
        const out = await dnsperf([
          '-s',
          '127.0.0.1',
          '-p',
          String(t.port),
          '-d',
          file,
          '-c',
          '4',
          '-T',
          '1',
          '-Q',
          String(rate),
          '-l',
          '5',
          '-v',
        ]);
        const after = t.pids().reduce((s, p) => s + cpuTicks(p), 0);
        const lat = [...out.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)].map((m) => Number(m[1]) * 1000);
        const done = Number(/Queries completed:\s+(\d+)/.exec(out)?.[1] ?? lat.length);
        const qs = qps.get(t.name) ?? [];
        rows.push([
          set,
          t.name,
          median(qs).toFixed(0),
          `${(((Math.max(...qs) - Math.min(...qs)) / median(qs)) * 100).toFixed(0)} %`,
          median(avg.get(t.name) ?? []).toFixed(3),
          percentile(lat, 50).toFixed(3),
          percentile(lat, 99).toFixed(3),
          (((after - before) * 10_000) / Math.max(done, 1)).toFixed(1),
        ]);
      }
    }
    const metrics = await (await fetch('http://127.0.0.1:19153/metrics')).text();
    const pick = (re: RegExp): string =>
      [...metrics.matchAll(re)].map((m) => m[0]).join('; ') || 'none';
    console.log(`portico dns cache: ${pick(/^coredns_cache_(hits|misses)_total\{[^}]*\} \d+$/gm)}`);
    console.log(
      `portico dns forwarded: ${pick(/^coredns_forward_responses_total\{[^}]*\} \d+$/gm)}`,
    );
    const rss = targets.map(
      (t) =>
        `${t.name} ${t
          .pids()
          .reduce((s, p) => s + rssMb(p), 0)
          .toFixed(0)} MB`,
    );

    const head = [
      'set',
      'server',
      'q/s (median)',
      'spread',
      'avg ms @max',
      `p50 ms @${rate}`,
      `p99 ms @${rate}`,
      `CPU µs/q @${rate}`,
    ];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
    console.log(`\nDNS, ${services} Services, dnsperf -c 8 -T 1 -q 500 -l ${duration} × ${runs}\n`);
    console.log(line(head));
    for (const r of rows) console.log(line(r));
    for (const set of ['cluster', 'mix']) {
      const u = Number(rows.find((r) => r[0] === set && r[1]?.startsWith('unbound'))?.[2]);
      const p = Number(rows.find((r) => r[0] === set && r[1]?.startsWith('portico'))?.[2]);
      console.log(`${set}: portico / unbound = ${(p / u).toFixed(2)}`);
    }
    console.log(`RSS after the runs: ${rss.join(', ')}`);
    await upstream.close();
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await api.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** A process and its children (workers). */
function pidsOf(pid: number): number[] {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    return [pid, ...kids.flatMap(pidsOf)];
  } catch {
    return [pid];
  }
}

function outside(): number {
  if (process.getuid?.() !== 0) {
    console.error('bench/dns needs root (it makes a network namespace)');
    return 1;
  }
  for (const tool of ['dnsperf', 'unbound', 'dig', 'ip'])
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      console.error(`bench/dns needs ${tool}`);
      return 1;
    }
  const ns = `portico-bench-dns-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const self = fileURLToPath(import.meta.url);
    const passArgs = process.argv.slice(2);
    execFileSync('ip', ['netns', 'exec', ns, process.execPath, self, '--inside', ...passArgs], {
      stdio: 'inherit',
    });
    return 0;
  } catch (e) {
    console.error(`bench/dns failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

if (args.inside) {
  inside().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
} else process.exitCode = outside();

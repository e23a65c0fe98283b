/**
 * Ingress benchmark: requests/s and latency (p50, p99) through `portico ingress` (HAProxy,
 * programmed from a real API server) next to nginx configured for the same route and to the
 * backend directly, with wrk on loopback, plain HTTP and TLS (keep-alive connections).
 *
 *   npx tsc -p . && node dist/bench/ingress/run.js [--runs 3] [--duration 10] [--connections 64]
 *                                                   [--workers 1,2] [--c1]
 *
 * Root only. Everything runs inside a private network namespace `ptest-bench-ingress-*` that the
 * bench creates and removes (the script re-runs itself inside it): three nginx backends answering
 * `You've hit backend-N` (one worker, on 10.244.0.11–13, addresses on the namespace's lo), an
 * in-process API server with the Service, its EndpointSlice and the seeds-style Ingress
 * (`kubia.example.com` → the Service, TLS from a Secret), `portico ingress` on 127.0.0.1:80/443
 * and nginx on 127.0.0.1:8000/8443 with an upstream of the same three endpoints (keep-alive,
 * HTTP/1.1, the same X-Forwarded headers). `--workers` sets HAProxy threads and nginx workers
 * alike. `--c1` adds one-connection runs (the added latency without queueing).
 *
 * Load generator, proxies and backends share this machine's cores: compare the ratios between
 * rows of one run, not the absolute numbers (reference/performance.md §2.5).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resources } from '../../src/api/scheme.js';
import { labelServiceName } from '../../src/api/types/discovery.js';
import { connect } from '../../src/client/connect.js';
import { defaultClassName, defaultControllerName } from '../../src/ingress/class.js';
import { startIngress, type RunningIngress } from '../../src/ingress/ingress.js';
import { discardLogger } from '../../src/lib/log/logger.js';
import { startTestApiServer } from '../../src/testing/apiserver.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    workers: { type: 'string', default: '1' },
    c1: { type: 'boolean', default: false },
    inside: { type: 'boolean', default: false },
  },
});

const backends = ['10.244.0.11', '10.244.0.12', '10.244.0.13'];
const host = 'kubia.example.com';

function need(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

// ---- outside: the namespace ------------------------------------------------------------------

function netnsInode(ns: string): number | undefined {
  try {
    return Number(
      execFileSync('stat', ['-L', '-c', '%i', `/run/netns/${ns}`])
        .toString()
        .trim(),
    );
  } catch {
    return undefined;
  }
}

/** PIDs whose network namespace is `inode` (what this bench started inside it). */
function pidsIn(inode: number): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (readlinkSync(`/proc/${p}/ns/net`) === `net:[${inode}]`) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

function outside(): number {
  if (process.getuid?.() !== 0) {
    console.log('ingress bench skipped: needs root (a network namespace)');
    return 0;
  }
  for (const t of ['wrk', 'nginx', 'haproxy', 'openssl', 'ip'])
    if (!need(t)) {
      console.log(`ingress bench skipped: ${t} is not installed`);
      return 0;
    }
  const ns = `ptest-bench-ingress-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    for (const a of backends) execFileSync('ip', ['-n', ns, 'addr', 'add', `${a}/32`, 'dev', 'lo']);
    const self = fileURLToPath(import.meta.url);
    const r = spawnSync(
      'ip',
      ['netns', 'exec', ns, process.execPath, self, '--inside', ...process.argv.slice(2)],
      { stdio: 'inherit', env: process.env },
    );
    return r.status ?? 1;
  } finally {
    const inode = netnsInode(ns);
    if (inode !== undefined)
      for (const pid of pidsIn(inode))
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
    execFileSync('ip', ['netns', 'delete', ns]);
  }
}

// ---- inside ------------------------------------------------------------------------------------

interface WrkResult {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

function ms(v: string, unit: string): number {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

function wrk(url: string, threads: number, conns: number, seconds: number): WrkResult {
  const out = execFileSync(
    'wrk',
    [`-t${threads}`, `-c${conns}`, `-d${seconds}s`, '--latency', '-H', `Host: ${host}`, url],
    { encoding: 'utf8' },
  );
  const lat = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)`, 'm').exec(out);
    return m ? ms(m[1] ?? '0', m[2] ?? 'ms') : NaN;
  };
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p50: lat('50'),
    p99: lat('99'),
    errors:
      (errs ? [1, 2, 3, 4].reduce((n, i) => n + Number(errs[i]), 0) : 0) + Number(non2xx?.[1] ?? 0),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function get(url: string, insecure: boolean): Promise<string> {
  // curl for HTTPS (SNI and -k); node for plain HTTP.
  if (url.startsWith('https')) {
    // URL.port is '' for a scheme's default port (https://127.0.0.1:443/).
    const port = new URL(url).port || '443';
    const r = spawnSync(
      'curl',
      [
        '-sS',
        ...(insecure ? ['-k'] : []),
        '--resolve',
        `${host}:${port}:127.0.0.1`,
        url.replace('127.0.0.1', host),
      ],
      { encoding: 'utf8' },
    );
    return Promise.resolve(
      r.status === 0 ? r.stdout : `curl exit ${r.status ?? '?'}: ${r.stderr.trim()}`,
    );
  }
  return new Promise((resolve) => {
    const req = request(url, { headers: { host } }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => (b += c.toString()));
      res.on('end', () => resolve(b));
    });
    req.on('error', (e) => resolve(`error: ${e.message}`));
    req.end();
  });
}

async function waitAnswer(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    last = await get(url, true);
    if (last.startsWith("You've hit")) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${url} does not answer "You've hit": last answer ${JSON.stringify(last.slice(0, 300))}`,
  );
}

function startNginx(conf: string): ChildProcess {
  const p = spawn('nginx', ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  return p;
}

function nginxCommon(dir: string, name: string, workers: number): string {
  return `daemon off;
worker_processes ${workers};
pid ${dir}/${name}.pid;
error_log ${dir}/${name}.err warn;
events { worker_connections 4096; }
`;
}

function httpCommon(dir: string, name: string): string {
  return `  access_log off;
  client_body_temp_path ${dir}/${name}-body;
  proxy_temp_path ${dir}/${name}-proxy;
  fastcgi_temp_path ${dir}/${name}-fcgi;
  uwsgi_temp_path ${dir}/${name}-uwsgi;
  scgi_temp_path ${dir}/${name}-scgi;
  keepalive_requests 100000;
`;
}

async function inside(): Promise<void> {
  const runs = Number(args.runs);
  const seconds = Number(args.duration);
  const conns = Number(args.connections);
  const workerCounts = args.workers.split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'ptest-bench-ingress-'));
  const children: ChildProcess[] = [];
  let ingress: RunningIngress | undefined;
  const api = await startTestApiServer(undefined);
  try {
    // Backends: one nginx worker, three servers.
    const backendConf = join(dir, 'backend.conf');
    writeFileSync(
      backendConf,
      nginxCommon(dir, 'backend', 1) +
        `http {\n${httpCommon(dir, 'backend')}` +
        backends
          .map(
            (a, i) =>
              `  server { listen ${a}:8080; location / { return 200 "You've hit backend-${i + 1}\\n"; } }\n`,
          )
          .join('') +
        '}\n',
    );
    children.push(startNginx(backendConf));

    // TLS: an ECDSA P-256 certificate for the host (as in reference/performance.md §2.1).
    const key = join(dir, 'tls.key');
    const crt = join(dir, 'tls.crt');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        crt,
        '-days',
        '2',
        '-subj',
        `/CN=${host}`,
      ],
      { stdio: 'ignore' },
    );

    // The cluster objects, through the API.
    const { client } = connect({ kubeconfig: api.kubeconfig, logger: discardLogger });
    await client.create(resources.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubia', namespace: 'default' },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
    });
    await client.create(resources.endpointslices, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubia-1', namespace: 'default', labels: { [labelServiceName]: 'kubia' } },
      addressType: 'IPv4',
      endpoints: backends.map((a) => ({ addresses: [a], conditions: { ready: true } })),
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    } as never);
    await client.create(resources.secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'tls', namespace: 'default' },
      type: 'kubernetes.io/tls',
      data: {
        'tls.crt': readFileSync(crt).toString('base64'),
        'tls.key': readFileSync(key).toString('base64'),
      },
    } as never);
    await client.create(resources.ingresses, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'kubia', namespace: 'default' },
      spec: {
        tls: [{ hosts: [host], secretName: 'tls' }],
        rules: [
          {
            host,
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'kubia', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    } as never);

    type Row = { peer: string; mode: string; r: WrkResult[] };
    const rows: Row[] = [];
    const measure = async (peer: string, url: string) => {
      await waitAnswer(url);
      const tls = url.startsWith('https');
      const modes: [string, number, number][] = [[`c${conns}`, 2, conns]];
      if (args.c1 && !tls) modes.push(['c1', 1, 1]);
      for (const [mode, t, c] of modes) {
        const r: WrkResult[] = [];
        wrk(url, t, c, 2); // warm up
        for (let i = 0; i < runs; i++)
          r.push(wrk(url, t, c, mode === 'c1' ? Math.min(5, seconds) : seconds));
        rows.push({ peer, mode: tls ? `${mode} TLS` : mode, r });
        process.stderr.write(
          `  ${peer} ${mode}${tls ? ' TLS' : ''}: ${median(r.map((x) => x.rps)).toFixed(0)} req/s\n`,
        );
      }
    };

    await measure('direct to backend', `http://${backends[0] ?? ''}:8080/`);
    for (const w of workerCounts) {
      // portico ingress, HAProxy with w threads.
      ingress = await startIngress({
        client,
        logger: discardLogger,
        nodeName: 'bench',
        dir: join(dir, `ingress-${w}`),
        http: { addresses: ['127.0.0.1'], port: 80 },
        https: { addresses: ['127.0.0.1'], port: 443 },
        className: defaultClassName,
        controllerName: defaultControllerName,
        watchWithoutClass: true,
        publishAddresses: ['127.0.0.1'],
        haproxy: { threads: w },
      });
      await ingress.ready;
      await measure(
        `portico ingress (HAProxy, ${w} thread${w > 1 ? 's' : ''})`,
        'http://127.0.0.1:80/',
      );
      await measure(
        `portico ingress (HAProxy, ${w} thread${w > 1 ? 's' : ''})`,
        'https://127.0.0.1:443/',
      );
      await ingress.stop(0);
      ingress = undefined;

      // nginx with the same route.
      const conf = join(dir, `proxy-${w}.conf`);
      const headers = `      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header X-Real-IP $remote_addr;
`;
      writeFileSync(
        conf,
        nginxCommon(dir, `proxy-${w}`, w) +
          `http {\n${httpCommon(dir, `proxy-${w}`)}` +
          `  upstream kubia {\n${backends.map((a) => `    server ${a}:8080;\n`).join('')}    keepalive 64;\n  }\n` +
          `  server { listen 127.0.0.1:8000; server_name ${host}; location / { proxy_pass http://kubia;\n${headers}    } }\n` +
          `  server { listen 127.0.0.1:8443 ssl http2; server_name ${host}; ssl_certificate ${crt}; ssl_certificate_key ${key};\n` +
          `    location / { proxy_pass http://kubia;\n${headers}    } }\n` +
          `  server { listen 127.0.0.1:8000 default_server; return 404; }\n}\n`,
      );
      const nginx = startNginx(conf);
      children.push(nginx);
      await measure(`nginx (${w} worker${w > 1 ? 's' : ''})`, 'http://127.0.0.1:8000/');
      await measure(`nginx (${w} worker${w > 1 ? 's' : ''})`, 'https://127.0.0.1:8443/');
      nginx.kill('SIGQUIT');
    }
    client.close();

    const base = rows.find((r) => r.peer.startsWith('nginx (1') && r.mode === `c${conns}`);
    const baseRps = base ? median(base.r.map((x) => x.rps)) : NaN;
    console.log(
      `\nIngress data path: wrk -t2 -c${conns} -d${seconds}s (c1: -t1 -c1), ${runs} runs, median (spread); Host: ${host}`,
    );
    console.log('| peer | mode | req/s | spread | p50 ms | p99 ms | errors | vs nginx-1w |');
    console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const row of rows) {
      const rps = row.r.map((x) => x.rps);
      const m = median(rps);
      const spread = (Math.max(...rps) - Math.min(...rps)) / m;
      console.log(
        `| ${row.peer} | ${row.mode} | ${m.toFixed(0)} | ${(spread * 100).toFixed(0)} % | ${median(row.r.map((x) => x.p50)).toFixed(3)} | ${median(row.r.map((x) => x.p99)).toFixed(3)} | ${row.r.reduce((n, x) => n + x.errors, 0)} | ${row.mode === `c${conns}` ? (m / baseRps).toFixed(2) : ''} |`,
      );
    }
  } finally {
    await ingress?.stop(0);
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
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

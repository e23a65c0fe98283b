/**
 * Runtime benchmark: pod sandbox and container start latency, and the memory the runtime adds per
 * pod (its monitors and the sandbox holder), next to the memory of the app itself.
 *
 *   npx tsc -p . && node dist/bench/runtime/run.js [--pods 1,10,30] [--image luksa/kubia]
 *
 * Root only. Everything runs in a private `ptest-bench-*` network namespace (the node) with its own
 * bridge; the data directory is a temp dir; all of it is removed at the end. Per batch size N it
 * starts N pods concurrently and prints: runSandbox p50/p99, createContainer+startContainer
 * p50/p99, time until the app answers HTTP (p50/p99, from `runSandbox` called), and per pod the
 * private memory (Private_Clean+Private_Dirty) and PSS of portico-shim ×2 (pause + container) and
 * the pause process, against the app's process. The peer for scale is the app itself: kubia's
 * Node process is what a pod costs anyway.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ImageStore } from '../../src/agent/images/store.js';
import { BridgeNetwork } from '../../src/agent/network/bridge.js';
import { RuncRuntime } from '../../src/agent/runtime/runtime.js';

const { values: args } = parseArgs({
  options: {
    pods: { type: 'string', default: '1,10,30' },
    image: { type: 'string', default: 'luksa/kubia' },
    port: { type: 'string', default: '8080' },
  },
});

if (process.getuid?.() !== 0) {
  console.log('runtime bench skipped: needs root (network namespaces, runc)');
  process.exit(0);
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

/** kB of private memory and PSS of a process (smaps_rollup). */
function memory(pid: number): { privateKb: number; pssKb: number } {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { privateKb: field('Private_Clean') + field('Private_Dirty'), pssKb: field('Pss') };
  } catch {
    return { privateKb: 0, pssKb: 0 };
  }
}

function children(pid: number): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

function shimPids(dataDir: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes('portico-shim') && cmd.includes(dataDir) && cmd.includes('\0run\0'))
        out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

const tag = randomBytes(3).toString('hex');
const netns = `ptest-bench-${tag}`;
const dataDir = mkdtempSync(join(tmpdir(), 'ptest-bench-'));
execFileSync('ip', ['netns', 'add', netns]);
execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
const network = new BridgeNetwork({
  podCIDR: '10.244.1.0/24',
  stateDir: join(dataDir, 'network'),
  bridge: 'ptestbr0',
  vethPrefix: 'ptest',
  table: 'ptest-node',
  netns,
});
const rt = await RuncRuntime.open({
  root: join(dataDir, 'runtime'),
  images: new ImageStore({ dir: join(dataDir, 'images') }),
  network,
  cgroupParent: `/ptest-bench-${tag}`,
  nodeNetns: `/run/netns/${netns}`,
});

function answers(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      'ip',
      [
        'netns',
        'exec',
        netns,
        'curl',
        '-s',
        '-o',
        '/dev/null',
        '--max-time',
        '1',
        `http://${ip}:${args.port}`,
      ],
      (err) => resolve(!err),
    );
  });
}

try {
  console.log(
    `runtime bench: image ${args.image}, runc ${execFileSync('runc', ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? ''}`,
  );
  for (const n of args.pods.split(',').map(Number)) {
    const sandboxMs: number[] = [];
    const containerMs: number[] = [];
    const readyMs: number[] = [];
    const started = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const name = `bench-${n}-${i}`;
        const t0 = performance.now();
        const sb = await rt.runSandbox({
          podUID: `${tag}-${name}`,
          namespace: 'bench',
          name,
          attempt: 0,
          hostname: name,
          resolvConf: 'nameserver 10.96.0.10\n',
        });
        const t1 = performance.now();
        const c = await rt.createContainer(sb.id, {
          name: 'app',
          image: args.image,
          env: [],
          attempt: 0,
        });
        await rt.startContainer(c);
        const t2 = performance.now();
        sandboxMs.push(t1 - t0);
        containerMs.push(t2 - t1);
        while (!(await answers(sb.ip ?? ''))) await new Promise((r) => setTimeout(r, 20));
        readyMs.push(performance.now() - t0);
        return { sb, c };
      }),
    );
    // Memory, measured once every pod answers.
    const snap = await rt.list();
    const shims = shimPids(dataDir);
    let overheadPrivate = 0;
    let overheadPss = 0;
    let appPrivate = 0;
    let appPss = 0;
    for (const s of shims) {
      const m = memory(s);
      overheadPrivate += m.privateKb;
      overheadPss += m.pssKb;
    }
    for (const sb of snap.sandboxes) {
      const pause = Number(/\/proc\/(\d+)\//.exec(sb.netnsPath ?? '')?.[1]);
      if (pause) {
        const m = memory(pause);
        overheadPrivate += m.privateKb;
        overheadPss += m.pssKb;
      }
    }
    for (const c of snap.containers) {
      if (c.state.state !== 'running') continue;
      const pids = [c.state.pid, ...children(c.state.pid)];
      for (const p of pids) {
        const m = memory(p);
        appPrivate += m.privateKb;
        appPss += m.pssKb;
      }
    }
    const f = (x: number) => x.toFixed(0).padStart(5);
    console.log(
      `pods=${String(n).padStart(3)}  runSandbox p50 ${f(pct(sandboxMs, 50))} ms p99 ${f(pct(sandboxMs, 99))} ms | ` +
        `create+start p50 ${f(pct(containerMs, 50))} ms p99 ${f(pct(containerMs, 99))} ms | ` +
        `answering p50 ${f(pct(readyMs, 50))} ms p99 ${f(pct(readyMs, 99))} ms`,
    );
    console.log(
      `          runtime overhead per pod: private ${(overheadPrivate / n / 1024).toFixed(2)} MiB, PSS ${(overheadPss / n / 1024).toFixed(2)} MiB ` +
        `(${shims.length} shims + ${snap.sandboxes.length} pause) | app per pod: private ${(appPrivate / n / 1024).toFixed(1)} MiB, PSS ${(appPss / n / 1024).toFixed(1)} MiB`,
    );
    const t = performance.now();
    await Promise.all(started.map((p) => rt.removeSandbox(p.sb.id)));
    console.log(`          removeSandbox x${n}: ${(performance.now() - t).toFixed(0)} ms`);
  }
} finally {
  await rt.removeAll().catch((e: unknown) => console.error('cleanup failed:', e));
  execFileSync('ip', ['netns', 'delete', netns]);
  rmSync(dataDir, { recursive: true, force: true });
}

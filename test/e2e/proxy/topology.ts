/**
 * A small cluster in network namespaces for the proxy's e2e tests and benchmarks: nodes with a
 * pod bridge and pods (processes running podserver.mjs), an outside client, all on one LAN
 * bridge. Nothing routes out; everything is named `<prefix>-*` and removed by `destroy()`.
 *
 * Address plan (RFC 2544 benchmarking range for the LAN, kubeadm's CIDRs inside):
 *   LAN 198.18.<lan>.0/24: node i = .(10+i), client = .100
 *   node i pods 10.244.i.0/24, bridge br0 = 10.244.i.1, pods .2, .3, …
 *   services 10.96.0.0/12 routed to br0 on every node; the client routes 10.96.0.0/12 and
 *   203.0.113.0/24 (external IPs) to node 1.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec } from '../../../src/lib/exec.js';
import type { ExecResult } from '../../../src/lib/exec.js';

export interface PodHandle {
  readonly name: string;
  readonly ip: string;
  readonly netns: string;
  readonly node: TopoNode;
  process: ChildProcess | undefined;
}

export interface TopoNode {
  readonly name: string;
  readonly index: number;
  readonly netns: string;
  readonly ip: string;
  readonly podCIDR: string;
  readonly pods: PodHandle[];
}

export interface Topology {
  readonly prefix: string;
  readonly nodes: readonly TopoNode[];
  readonly client: { readonly netns: string; readonly ip: string };
  readonly scripts: string;
  /** Runs a command in a namespace. */
  run(
    netns: string,
    argv: readonly string[],
    options?: { allowFailure?: boolean; timeoutMs?: number },
  ): Promise<ExecResult>;
  /** Starts (or restarts) a pod's server process; resolves when it listens. */
  startPod(pod: PodHandle, name?: string): Promise<void>;
  stopPod(pod: PodHandle): Promise<void>;
  destroy(): Promise<void>;
}

const podServer = `
import http from 'node:http';
import dgram from 'node:dgram';
import net from 'node:net';
const name = process.argv[2];
const srv = http.createServer((req, res) => {
  if (req.url === '/clientip') res.end(req.socket.remoteAddress + ':' + req.socket.remotePort);
  else if (req.url === '/hostname') res.end(name);
  else res.end("You've hit " + name + '\\n');
});
srv.keepAliveTimeout = 60000;
srv.listen(8080, '0.0.0.0');
const u = dgram.createSocket('udp4');
u.on('message', (m, r) => {
  const s = m.toString().trim();
  u.send(s === 'hostname' ? name : s, r.port, r.address);
});
u.bind(8081, '0.0.0.0');
net.createServer((c) => c.on('data', (d) => c.write(name + ':' + d.toString()))).listen(9000, '0.0.0.0');
let n = 0;
const up = () => { if (++n === 3) process.stdout.write('ready\\n'); };
srv.on('listening', up); u.on('listening', up);
setTimeout(up, 50);
`;

/** `node udpask.mjs HOST PORT MESSAGE [SOURCEPORT]`: prints the answer, exits 1 after 1.5 s. */
const udpAsk = `
import dgram from 'node:dgram';
const [host, port, msg, sport] = process.argv.slice(2);
const s = dgram.createSocket('udp4');
const t = setTimeout(() => { console.error('timeout'); process.exit(1); }, 1500);
s.on('message', (m) => { clearTimeout(t); process.stdout.write(m.toString()); s.close(); });
s.on('error', (e) => { console.error(e.code); process.exit(2); });
s.bind(sport ? Number(sport) : 0, () => s.send(msg, Number(port), host));
`;

/** `node holdopen.mjs HOST PORT`: one TCP connection; every 100 ms sends a line, prints replies. */
const holdOpen = `
import net from 'node:net';
const [host, port] = process.argv.slice(2);
const c = net.connect(Number(port), host);
let i = 0;
c.on('connect', () => setInterval(() => c.write('ping' + (i++) + '\\n'), 100));
c.on('data', (d) => process.stdout.write(d.toString()));
c.on('error', (e) => { process.stdout.write('ERROR ' + e.code + '\\n'); process.exit(1); });
c.on('close', () => { process.stdout.write('CLOSED\\n'); process.exit(1); });
`;

/** \`node connect.mjs HOST PORT\`: prints \`connected\` or the error code (ECONNREFUSED, …). */
const connectProbe = `
import net from 'node:net';
const [host, port] = process.argv.slice(2);
const c = net.connect(Number(port), host);
const t = setTimeout(() => { console.log('TIMEOUT'); process.exit(0); }, 1500);
c.on('connect', () => { clearTimeout(t); console.log('connected'); c.destroy(); });
c.on('error', (e) => { clearTimeout(t); console.log(e.code); });
`;

async function ip(args: readonly string[]): Promise<void> {
  await exec('ip', args);
}

export async function buildTopology(options: {
  prefix: string;
  lan: number;
  nodes: number;
  podsPerNode: number;
}): Promise<Topology> {
  const { prefix } = options;
  const scripts = mkdtempSync(join(tmpdir(), `${prefix}-`));
  writeFileSync(join(scripts, 'podserver.mjs'), podServer);
  writeFileSync(join(scripts, 'udpask.mjs'), udpAsk);
  writeFileSync(join(scripts, 'holdopen.mjs'), holdOpen);
  writeFileSync(join(scripts, 'connect.mjs'), connectProbe);
  const created: string[] = [];
  const children = new Set<ChildProcess>();
  const lanNs = `${prefix}-lan`;
  const net = `198.18.${options.lan}`;

  const addNs = async (name: string): Promise<void> => {
    await exec('ip', ['netns', 'delete', name], { allowFailure: true });
    await ip(['netns', 'add', name]);
    created.push(name);
    await ip(['-n', name, 'link', 'set', 'lo', 'up']);
  };
  const sysctl = (ns: string, kv: string): Promise<ExecResult> =>
    exec('ip', ['netns', 'exec', ns, 'sysctl', '-qw', kv]);

  const topo: Topology = {
    prefix,
    nodes: [],
    client: { netns: `${prefix}-client`, ip: `${net}.100` },
    scripts,
    run: (netns, argv, o = {}) =>
      exec('ip', ['netns', 'exec', netns, ...argv], {
        allowFailure: o.allowFailure ?? false,
        timeoutMs: o.timeoutMs ?? 20_000,
      }),
    startPod: async (pod, name) => {
      if (pod.process) await topo.stopPod(pod);
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          pod.netns,
          process.execPath,
          join(scripts, 'podserver.mjs'),
          name ?? pod.name,
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      children.add(child);
      child.on('exit', () => children.delete(child));
      pod.process = child;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`pod ${pod.name} did not start`)), 10_000);
        child.stdout?.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) {
            clearTimeout(t);
            resolve();
          }
        });
        child.on('exit', (code) =>
          reject(new Error(`pod ${pod.name} exited ${code ?? 'by signal'}`)),
        );
      });
    },
    stopPod: async (pod) => {
      const child = pod.process;
      pod.process = undefined;
      if (!child || child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    },
    destroy: async () => {
      for (const c of [...children]) {
        if (c.exitCode === null) {
          await new Promise<void>((resolve) => {
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          });
        }
      }
      for (const ns of created.reverse())
        await exec('ip', ['netns', 'delete', ns], { allowFailure: true });
      rmSync(scripts, { recursive: true, force: true });
    },
  };

  try {
    await addNs(lanNs);
    await ip(['-n', lanNs, 'link', 'add', 'br0', 'type', 'bridge']);
    await ip(['-n', lanNs, 'link', 'set', 'br0', 'up']);
    const plug = async (ns: string, addr: string, port: string): Promise<void> => {
      await ip([
        'link',
        'add',
        'lan0',
        'netns',
        ns,
        'type',
        'veth',
        'peer',
        'name',
        port,
        'netns',
        lanNs,
      ]);
      await ip(['-n', lanNs, 'link', 'set', port, 'master', 'br0', 'up']);
      await ip(['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'lan0']);
      await ip(['-n', ns, 'link', 'set', 'lan0', 'up']);
    };
    const nodes: TopoNode[] = [];
    for (let i = 1; i <= options.nodes; i++) {
      const ns = `${prefix}-node${i}`;
      await addNs(ns);
      await sysctl(ns, 'net.ipv4.ip_forward=1');
      await plug(ns, `${net}.${10 + i}`, `p${10 + i}`);
      await ip(['-n', ns, 'link', 'add', 'br0', 'type', 'bridge']);
      await ip(['-n', ns, 'addr', 'add', `10.244.${i}.1/24`, 'dev', 'br0']);
      await ip(['-n', ns, 'link', 'set', 'br0', 'up']);
      await ip(['-n', ns, 'route', 'add', '10.96.0.0/12', 'dev', 'br0']);
      await sysctl(ns, 'net.bridge.bridge-nf-call-iptables=1');
      const node: TopoNode = {
        name: `node${i}`,
        index: i,
        netns: ns,
        ip: `${net}.${10 + i}`,
        podCIDR: `10.244.${i}.0/24`,
        pods: [],
      };
      for (let p = 0; p < options.podsPerNode; p++) {
        const podNs = `${prefix}-n${i}p${p}`;
        const podIP = `10.244.${i}.${2 + p}`;
        await addNs(podNs);
        const port = `veth${p}`;
        await ip([
          'link',
          'add',
          'eth0',
          'netns',
          podNs,
          'type',
          'veth',
          'peer',
          'name',
          port,
          'netns',
          ns,
        ]);
        await ip(['-n', ns, 'link', 'set', port, 'master', 'br0', 'up']);
        await ip(['-n', ns, 'link', 'set', port, 'type', 'bridge_slave', 'hairpin', 'on']);
        await ip(['-n', podNs, 'addr', 'add', `${podIP}/24`, 'dev', 'eth0']);
        await ip(['-n', podNs, 'link', 'set', 'eth0', 'up']);
        await ip(['-n', podNs, 'route', 'add', 'default', 'via', `10.244.${i}.1`]);
        node.pods.push({
          name: `pod-${i}${String.fromCharCode(97 + p)}`,
          ip: podIP,
          netns: podNs,
          node,
          process: undefined,
        });
      }
      nodes.push(node);
    }
    for (const n of nodes)
      for (const m of nodes)
        if (n !== m) await ip(['-n', n.netns, 'route', 'add', m.podCIDR, 'via', m.ip]);
    (topo.nodes as TopoNode[]).push(...nodes);
    await addNs(topo.client.netns);
    await plug(topo.client.netns, topo.client.ip, 'p100');
    const first = nodes[0];
    if (first) {
      await ip(['-n', topo.client.netns, 'route', 'add', '10.96.0.0/12', 'via', first.ip]);
      await ip(['-n', topo.client.netns, 'route', 'add', '203.0.113.0/24', 'via', first.ip]);
    }
    for (const n of nodes) for (const p of n.pods) await topo.startPod(p);
  } catch (err) {
    await topo.destroy();
    throw err;
  }
  return topo;
}

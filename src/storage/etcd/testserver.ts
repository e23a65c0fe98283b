/**
 * Starts a throw-away single-member etcd (Debian's etcd-server) on 127.0.0.1 with free ports
 * and a temporary data directory, for tests and benchmarks. Not used by the product.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { PorticoError } from '../../lib/errors.js';

/** A running test etcd. */
export interface TestEtcd {
  /** `127.0.0.1:port` of the client listener. */
  readonly endpoint: string;
  readonly pid: number;
  /** Kills the process by PID (SIGKILL) and starts it again on the same data and ports. */
  restart(): Promise<void>;
  /** Kills the process by PID, waits for it, removes the data directory. */
  stop(): Promise<void>;
}

/** The etcd binary on PATH, or undefined when it is not installed. */
export function findEtcd(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, 'etcd');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${endpoint}/health`);
    const body = (await res.json()) as { health?: unknown };
    return body.health === 'true' || body.health === true;
  } catch {
    return false;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  await exited;
}

interface Member {
  readonly binary: string;
  readonly dataDir: string;
  readonly client: string;
  readonly peer: string;
}

/** Spawns etcd for `member` and waits for /health; kills it again when it never gets there. */
async function launch(member: Member): Promise<ChildProcess & { pid: number }> {
  const { client, peer } = member;
  const child = spawn(
    member.binary,
    [
      '--name=ptest',
      `--data-dir=${member.dataDir}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=ptest=${peer}`,
      '--logger=zap',
      '--log-level=error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = client.slice('http://'.length);
  const deadline = Date.now() + 20_000;
  const pid = child.pid;
  while (!(await healthy(endpoint))) {
    if (child.exitCode !== null || Date.now() > deadline || pid === undefined) {
      await stopChild(child);
      throw new PorticoError('E_ETCD_START', `etcd did not become healthy: ${stderr.trim()}`);
    }
    await delay(50);
  }
  if (pid === undefined) throw new PorticoError('E_ETCD_START', 'etcd did not start');
  return Object.assign(child, { pid });
}

/**
 * Starts etcd and waits until it answers /health.
 * @throws PorticoError E_ETCD_START when the binary is missing or never becomes healthy
 */
export async function startTestEtcd(options: { readonly binary?: string } = {}): Promise<TestEtcd> {
  const binary = options.binary ?? findEtcd();
  if (binary === undefined) throw new PorticoError('E_ETCD_START', 'etcd is not installed');
  const dataDir = mkdtempSync(join(tmpdir(), 'ptest-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const member: Member = {
    binary,
    dataDir,
    client: `http://127.0.0.1:${clientPort}`,
    peer: `http://127.0.0.1:${peerPort}`,
  };
  let child: ChildProcess & { pid: number };
  try {
    child = await launch(member);
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint: `127.0.0.1:${clientPort}`,
    get pid() {
      return child.pid;
    },
    restart: async () => {
      await stopChild(child);
      child = await launch(member);
    },
    stop: async () => {
      await stopChild(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

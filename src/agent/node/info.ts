/**
 * What the agent reports about its machine: addresses, capacity, and nodeInfo, read from the
 * kernel and /etc as kubelet's cadvisor and machine-info code do.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statfsSync } from 'node:fs';
import { cpus, networkInterfaces, release, totalmem } from 'node:os';
import type { Node } from '../../api/types/core.js';
import { kubernetesVersion, version } from '../../version.js';

/** The kubelet version this agent reports (what `kubectl get nodes` shows as VERSION). */
export const kubeletVersion = `${kubernetesVersion.gitVersion}-portico.${version}`;

function readTrim(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/** PRETTY_NAME of /etc/os-release ("Debian GNU/Linux 12 (bookworm)"). */
export function osImage(): string {
  const text = readTrim('/etc/os-release');
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
  return m?.[1] ?? 'Linux';
}

/** `runc://1.1.5`, from `runc --version`. */
export function runtimeVersion(runc = 'runc'): string {
  try {
    const out = execFileSync(runc, ['--version'], { encoding: 'utf8' });
    const m = /runc version ([^\s]+)/.exec(out);
    return `runc://${m?.[1] ?? 'unknown'}`;
  } catch {
    return 'runc://unknown';
  }
}

function goArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
}

/** The interface holding the default route, from /proc/net/route. */
function defaultRouteInterface(): string | undefined {
  const lines = readTrim('/proc/net/route').split('\n').slice(1);
  for (const l of lines) {
    const f = l.split('\t');
    if (f[1] === '00000000' && f[7] === '00000000') return f[0];
  }
  return undefined;
}

/**
 * The node's IP: the first IPv4 address of the default route's interface, else the first global
 * IPv4 address of an interface that is not the pod bridge or a pod veth.
 */
export function detectNodeIP(exclude: readonly string[] = ['portico0']): string | undefined {
  const ifs = networkInterfaces();
  const v4 = (name: string) =>
    (ifs[name] ?? []).find((a) => a.family === 'IPv4' && !a.internal)?.address;
  const def = defaultRouteInterface();
  if (def && !exclude.includes(def)) {
    const a = v4(def);
    if (a) return a;
  }
  for (const name of Object.keys(ifs).sort()) {
    if (exclude.includes(name) || name.startsWith('portico') || name.startsWith('veth')) continue;
    const a = v4(name);
    if (a) return a;
  }
  return undefined;
}

export interface MachineFacts {
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly ephemeralBytes: number;
}

export function machineFacts(dataDir: string): MachineFacts {
  let ephemeralBytes = 0;
  try {
    const s = statfsSync(dataDir);
    ephemeralBytes = s.blocks * s.bsize;
  } catch {
    // unknown
  }
  return { cpus: cpus().length || 1, memoryBytes: totalmem(), ephemeralBytes };
}

/** Hard eviction threshold kubelet subtracts from memory (memory.available<100Mi). */
const evictionMemory = 100 * 1024 * 1024;

function ki(bytes: number): string {
  return `${Math.floor(bytes / 1024)}Ki`;
}

export interface NodeStatusFacts {
  readonly facts: MachineFacts;
  readonly maxPods: number;
  readonly addresses: NonNullable<NonNullable<Node['status']>['addresses']>;
  readonly port: number;
  readonly runtimeVersion: string;
}

/** capacity, allocatable, nodeInfo, addresses and daemonEndpoints of the Node's status. */
export function staticNodeStatus(f: NodeStatusFacts): NonNullable<Node['status']> {
  const capacity: Record<string, string> = {
    cpu: String(f.facts.cpus),
    'ephemeral-storage': ki(f.facts.ephemeralBytes),
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: ki(f.facts.memoryBytes),
    pods: String(f.maxPods),
  };
  const allocatable: Record<string, string> = {
    ...capacity,
    'ephemeral-storage': String(Math.floor(f.facts.ephemeralBytes * 0.9)),
    memory: ki(Math.max(0, f.facts.memoryBytes - evictionMemory)),
  };
  const machineID = readTrim('/etc/machine-id');
  return {
    capacity,
    allocatable,
    addresses: f.addresses,
    daemonEndpoints: { kubeletEndpoint: { Port: f.port } },
    nodeInfo: {
      machineID,
      systemUUID: readTrim('/sys/class/dmi/id/product_uuid') || machineID,
      bootID: readTrim('/proc/sys/kernel/random/boot_id'),
      kernelVersion: release(),
      osImage: osImage(),
      containerRuntimeVersion: f.runtimeVersion,
      kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: goArch(),
    },
  };
}

/** The labels kubelet puts on its Node. */
export function nodeLabels(name: string): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': goArch(),
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': goArch(),
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
  };
}

/**
 * OCI runtime-spec `config.json` for pod sandboxes and containers, as data (pure functions, so the
 * unit tests read the config instead of running runc). Defaults follow containerd's CRI plugin
 * (`pkg/cri/opts/spec_linux.go`, `oci/spec.go`) and runc's `runc spec`: the same mounts, the same
 * default capability set, masked and read-only /proc paths, and RLIMIT_NOFILE of 1048576.
 */
import type { ImageConfig } from '../images/types.js';
import type { ContainerSpec, EnvVar } from './types.js';

/** A subset of the OCI runtime spec (v1.0.2) with the fields we write. */
export interface OciSpec {
  readonly ociVersion: string;
  readonly process: {
    readonly terminal: boolean;
    readonly user: {
      readonly uid: number;
      readonly gid: number;
      readonly additionalGids?: number[];
    };
    readonly args: readonly string[];
    readonly env: readonly string[];
    readonly cwd: string;
    readonly capabilities: Readonly<Record<'bounding' | 'effective' | 'permitted', string[]>>;
    readonly rlimits: readonly { type: string; hard: number; soft: number }[];
    readonly noNewPrivileges: boolean;
  };
  readonly root: { readonly path: string; readonly readonly: boolean };
  readonly hostname?: string;
  readonly mounts: readonly OciMount[];
  readonly linux: {
    readonly namespaces: readonly { type: NamespaceType; path?: string }[];
    readonly cgroupsPath: string;
    readonly resources: {
      readonly devices: readonly { allow: boolean; access: string }[];
      readonly memory?: { limit: number };
      readonly cpu?: { shares?: number; quota?: number; period?: number };
    };
    readonly maskedPaths: readonly string[];
    readonly readonlyPaths: readonly string[];
  };
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface OciMount {
  readonly destination: string;
  readonly type: string;
  readonly source: string;
  readonly options: readonly string[];
}

export type NamespaceType = 'pid' | 'network' | 'ipc' | 'uts' | 'mount';

/** Docker's and containerd's default capabilities (what a Kubernetes container gets). */
export const defaultCapabilities: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Every capability of Linux 6.x, for privileged containers. */
export const allCapabilities: readonly string[] = [
  ...defaultCapabilities,
  'CAP_DAC_READ_SEARCH',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_LEASE',
  'CAP_AUDIT_CONTROL',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

const defaultMaskedPaths = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
const defaultReadonlyPaths = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The namespaces of a sandbox, as paths of its holder process (`/proc/<pid>/ns/<type>`). */
export interface SandboxNamespaces {
  /** The pause process; undefined only for a sandbox whose holder died. */
  readonly holderPid: number;
  readonly hostNetwork: boolean;
  readonly hostIPC: boolean;
  readonly hostPID: boolean;
  readonly shareProcessNamespace: boolean;
  /**
   * The network namespace that stands for "the node" when it is not the runtime's own (tests run
   * the node in a namespace of their own): hostNetwork pods join it.
   */
  readonly nodeNetns?: string;
}

function baseMounts(options: { privileged: boolean }): OciMount[] {
  const nosuid = ['nosuid', 'noexec', 'nodev'];
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: nosuid },
    options.privileged
      ? {
          destination: '/dev',
          type: 'bind',
          source: '/dev',
          options: ['rbind', 'rprivate', 'nosuid'],
        }
      : {
          destination: '/dev',
          type: 'tmpfs',
          source: 'tmpfs',
          options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
        },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: [...nosuid, 'mode=1777', 'size=65536k'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: nosuid },
    {
      destination: '/sys',
      type: 'sysfs',
      source: 'sysfs',
      options: options.privileged ? nosuid : [...nosuid, 'ro'],
    },
  ];
}

/**
 * /tmp and /run come from the host's root filesystem otherwise (the lowest layer): give every
 * container empty ones, as an image's would be.
 */
function scratchMounts(): OciMount[] {
  return [
    {
      destination: '/tmp',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'nodev', 'mode=1777'],
    },
    {
      destination: '/run',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'nodev', 'mode=755'],
    },
  ];
}

function bind(destination: string, source: string, readOnly: boolean): OciMount {
  return {
    destination,
    type: 'bind',
    source,
    options: ['rbind', 'rprivate', ...(readOnly ? ['ro'] : ['rw'])],
  };
}

/** Kubernetes' command/args rules over the image's Entrypoint/Cmd. */
export function containerArgs(
  spec: Pick<ContainerSpec, 'command' | 'args'>,
  image: ImageConfig,
): string[] {
  const command = spec.command && spec.command.length > 0 ? spec.command : undefined;
  const args = spec.args && spec.args.length > 0 ? spec.args : undefined;
  if (command) return [...command, ...(args ?? [])];
  return [...(image.entrypoint ?? []), ...(args ?? image.cmd ?? [])];
}

/**
 * The process environment: the image's Env, then `HOSTNAME`, then the container's env; a later
 * value replaces an earlier one in its original position (Docker's merge). PATH defaults when the
 * image has none.
 */
export function mergeEnv(
  image: readonly string[],
  hostname: string | undefined,
  env: readonly EnvVar[],
): string[] {
  const merged = new Map<string, string>();
  for (const kv of image) {
    const i = kv.indexOf('=');
    if (i > 0) merged.set(kv.slice(0, i), kv.slice(i + 1));
  }
  if (!merged.has('PATH')) merged.set('PATH', defaultPath);
  if (hostname !== undefined) merged.set('HOSTNAME', hostname);
  for (const e of env) merged.set(e.name, e.value);
  return [...merged].map(([k, v]) => `${k}=${v}`);
}

function cpuResources(
  spec: ContainerSpec,
): { shares?: number; quota?: number; period?: number } | undefined {
  const r = spec.resources;
  if (!r) return undefined;
  const cpu: { shares?: number; quota?: number; period?: number } = {};
  // kubelet's MilliCPUToShares and MilliCPUToQuota (100 ms period, minimum shares 2, quota 1 ms).
  if (r.cpuRequestMillis !== undefined)
    cpu.shares = Math.max(2, Math.floor((r.cpuRequestMillis * 1024) / 1000));
  if (r.cpuLimitMillis !== undefined) {
    cpu.period = 100_000;
    cpu.quota = Math.max(1000, Math.floor((r.cpuLimitMillis * 100_000) / 1000));
  }
  return Object.keys(cpu).length > 0 ? cpu : undefined;
}

function capabilitySet(spec: Pick<ContainerSpec, 'privileged' | 'capabilities'>): string[] {
  if (spec.privileged) return [...allCapabilities];
  const norm = (c: string) =>
    c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : `CAP_${c.toUpperCase()}`;
  const add = (spec.capabilities?.add ?? []).map(norm);
  const drop = (spec.capabilities?.drop ?? []).map(norm);
  if (drop.includes('CAP_ALL')) return add.filter((c) => c !== 'CAP_ALL');
  const set = new Set(add.includes('CAP_ALL') ? allCapabilities : [...defaultCapabilities, ...add]);
  for (const c of drop) set.delete(c);
  return [...set];
}

export interface ContainerConfigInput {
  readonly id: string;
  readonly spec: ContainerSpec;
  readonly image: ImageConfig;
  readonly sandbox: SandboxNamespaces;
  readonly hostname: string;
  /** Files of the sandbox bind-mounted into the container (absent for hostNetwork /etc/hosts). */
  readonly etcFiles: {
    readonly hosts?: string;
    readonly hostname?: string;
    readonly resolvConf: string;
  };
  /** Host paths hidden from the container (the data dirs: other pods' files, credentials). */
  readonly maskedPaths: readonly string[];
  readonly cgroupParent: string;
  /**
   * RLIMIT_NOFILE (soft = hard) of the process; default 1048576 (containerd's). It may not exceed
   * the runtime's own hard limit: runc sets it after dropping CAP_SYS_RESOURCE.
   */
  readonly maxOpenFiles?: number;
  /** The user from the image's `User` resolved to ids (the caller reads /etc/passwd). */
  readonly imageUser?: { readonly uid: number; readonly gid: number };
}

/** The namespaces a container joins: those of its sandbox, plus a mount (and pid) of its own. */
export function containerNamespaces(
  s: SandboxNamespaces,
): { type: NamespaceType; path?: string }[] {
  const ns = (type: string) => `/proc/${s.holderPid}/ns/${type}`;
  const out: { type: NamespaceType; path?: string }[] = [{ type: 'mount' }];
  if (!s.hostPID)
    out.push(s.shareProcessNamespace ? { type: 'pid', path: ns('pid') } : { type: 'pid' });
  if (!s.hostIPC) out.push({ type: 'ipc', path: ns('ipc') });
  if (s.hostNetwork) {
    if (s.nodeNetns) out.push({ type: 'network', path: s.nodeNetns });
  } else {
    out.push({ type: 'network', path: ns('net') }, { type: 'uts', path: ns('uts') });
  }
  return out;
}

/**
 * The config.json of a container. Throws a plain Error when there is no command to run (the
 * caller reports CreateContainerError).
 */
export function containerConfig(input: ContainerConfigInput): OciSpec {
  const { spec, image } = input;
  const args = containerArgs(spec, image);
  if (args.length === 0)
    throw new Error('no command specified: the image has no Entrypoint or Cmd');
  const privileged = spec.privileged ?? false;
  const caps = capabilitySet(spec);
  const mounts: OciMount[] = [...baseMounts({ privileged }), ...scratchMounts()];
  if (input.etcFiles.hosts) mounts.push(bind('/etc/hosts', input.etcFiles.hosts, false));
  if (input.etcFiles.hostname) mounts.push(bind('/etc/hostname', input.etcFiles.hostname, false));
  mounts.push(bind('/etc/resolv.conf', input.etcFiles.resolvConf, false));
  for (const m of spec.mounts ?? [])
    mounts.push(bind(m.containerPath, m.hostPath, m.readOnly ?? false));
  const memory = spec.resources?.memoryLimitBytes;
  const cpu = cpuResources(spec);
  const uid = spec.runAsUser ?? input.imageUser?.uid ?? 0;
  const gid =
    spec.runAsGroup ?? (spec.runAsUser === undefined ? input.imageUser?.gid : undefined) ?? 0;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: spec.tty ?? false,
      user: { uid, gid },
      args,
      env: mergeEnv(image.env ?? [], input.hostname, spec.env),
      cwd: spec.workingDir || image.workingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [
        {
          type: 'RLIMIT_NOFILE',
          hard: input.maxOpenFiles ?? 1048576,
          soft: input.maxOpenFiles ?? 1048576,
        },
      ],
      noNewPrivileges: false,
    },
    root: { path: 'rootfs', readonly: spec.readOnlyRootFilesystem ?? false },
    mounts,
    linux: {
      namespaces: containerNamespaces(input.sandbox),
      cgroupsPath: `${input.cgroupParent}/${input.id}`,
      resources: {
        devices: [{ allow: privileged, access: 'rwm' }],
        ...(memory !== undefined ? { memory: { limit: memory } } : {}),
        ...(cpu ? { cpu } : {}),
      },
      maskedPaths: privileged ? [] : [...defaultMaskedPaths, ...input.maskedPaths],
      readonlyPaths: privileged ? [] : defaultReadonlyPaths,
    },
    annotations: {
      'io.portico.container.name': spec.name,
      'io.portico.container.attempt': String(spec.attempt),
    },
  };
}

export interface PauseConfigInput {
  readonly id: string;
  readonly hostname: string;
  readonly hostNetwork: boolean;
  readonly hostIPC: boolean;
  readonly nodeNetns?: string;
  readonly cgroupParent: string;
}

/**
 * The sandbox's holder: `/pause` (portico-shim in pause mode, static) in a read-only root of its
 * own, creating the pod's network, UTS, IPC and PID namespaces that containers join by path.
 */
export function pauseConfig(input: PauseConfigInput): OciSpec {
  const namespaces: { type: NamespaceType; path?: string }[] = [{ type: 'pid' }, { type: 'mount' }];
  if (!input.hostIPC) namespaces.push({ type: 'ipc' });
  if (input.hostNetwork) {
    if (input.nodeNetns) namespaces.push({ type: 'network', path: input.nodeNetns });
  } else {
    namespaces.push({ type: 'network' }, { type: 'uts' });
  }
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 65535, gid: 65535 },
      args: ['/pause', 'pause'],
      env: [`PATH=${defaultPath}`],
      cwd: '/',
      capabilities: { bounding: [], effective: [], permitted: [] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    ...(input.hostNetwork ? {} : { hostname: input.hostname }),
    mounts: [
      {
        destination: '/proc',
        type: 'proc',
        source: 'proc',
        options: ['nosuid', 'noexec', 'nodev'],
      },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=64k'],
      },
    ],
    linux: {
      namespaces,
      cgroupsPath: `${input.cgroupParent}/${input.id}`,
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      maskedPaths: defaultMaskedPaths,
      readonlyPaths: defaultReadonlyPaths,
    },
    annotations: { 'io.portico.sandbox': 'pause' },
  };
}

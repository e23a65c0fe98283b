/**
 * The container runtime seam of the node agent: pod sandboxes and the containers in them, in the
 * manner of the CRI (RuntimeService + ImageService) but as a TypeScript interface. The agent (the
 * kubelet side) owns restart policy, probes, restart counts and pod status; the runtime owns
 * processes, namespaces, root filesystems, the pod network attachment and container logs.
 *
 * Implementations: `RuncRuntime` (runtime.ts: runc, overlayfs, veth on a bridge) and
 * `FakeRuntime` (fake.ts: in memory, for the agent's unit tests). Both pass the same contract.
 *
 * Every mutating method is idempotent: calling it again with the same arguments after a success
 * (or after an agent crash in the middle) converges to the same state instead of failing.
 */
import type { Readable, Writable } from 'node:stream';
import type { ImageService } from '../images/types.js';

// ---- sandboxes -------------------------------------------------------------------------------

/** One `/etc/hosts` extra line: `spec.hostAliases[]`. */
export interface HostAlias {
  readonly ip: string;
  readonly hostnames: readonly string[];
}

/** What the runtime needs to build a pod sandbox (its namespaces, network and /etc files). */
export interface SandboxSpec {
  readonly podUID: string;
  readonly namespace: string;
  /** The pod's name. */
  readonly name: string;
  /**
   * Sandbox generation for this pod (0, 1, …): a sandbox that died is replaced by a new one with
   * the next attempt. `runSandbox` is idempotent per (podUID, attempt).
   */
  readonly attempt: number;
  /** The hostname inside the pod: `spec.hostname` or the pod name (≤ 63 characters). */
  readonly hostname: string;
  /** `spec.subdomain`: the hosts file then names `<hostname>.<subdomain>.<ns>.svc.<domain>`. */
  readonly subdomain?: string;
  /** Cluster domain for the hosts-file FQDN; default `cluster.local`. */
  readonly clusterDomain?: string;
  /** `spec.hostAliases`: extra `/etc/hosts` lines. */
  readonly hostAliases?: readonly HostAlias[];
  /**
   * The complete `/etc/resolv.conf` of the pod (see `podResolvConf()` in etcfiles.ts for the
   * kubelet rules per dnsPolicy). Bind-mounted read-only into every container.
   */
  readonly resolvConf: string;
  /** No network or UTS namespace of its own: the pod uses the node's (its IP is the node's). */
  readonly hostNetwork?: boolean;
  /** Use the node's IPC namespace. */
  readonly hostIPC?: boolean;
  /** Use the node's PID namespace for every container. */
  readonly hostPID?: boolean;
  /** Containers share one PID namespace (the sandbox's; its pause process is PID 1 and reaps). */
  readonly shareProcessNamespace?: boolean;
  /** Opaque to the runtime; returned by `list()` so an agent can rebuild its view after a restart. */
  readonly annotations?: Readonly<Record<string, string>>;
}

export type SandboxState = 'ready' | 'notready';

/** A pod sandbox as the runtime reports it. */
export interface Sandbox {
  readonly id: string;
  readonly podUID: string;
  readonly namespace: string;
  readonly name: string;
  readonly attempt: number;
  readonly hostname: string;
  readonly hostNetwork: boolean;
  /**
   * `ready`: the namespaces are held and the network is attached. `notready`: stopped, or its
   * holder process died (the agent then replaces the sandbox with a new attempt).
   */
  readonly state: SandboxState;
  /** The pod IP; for hostNetwork pods the node's IP when known, otherwise undefined. */
  readonly ip: string | undefined;
  /** `/proc/<pid>/ns/net` of the namespace holder while ready (for probes and port checks). */
  readonly netnsPath: string | undefined;
  /** RFC 3339. */
  readonly createdAt: string;
  readonly annotations: Readonly<Record<string, string>>;
}

// ---- containers ------------------------------------------------------------------------------

export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

/** A host path bind-mounted into the container (volumes prepared by the agent). */
export interface Mount {
  readonly containerPath: string;
  readonly hostPath: string;
  readonly readOnly?: boolean;
}

export interface ContainerResources {
  /** `limits.memory` in bytes. */
  readonly memoryLimitBytes?: number;
  /** `limits.cpu` in millicores (a CFS quota). */
  readonly cpuLimitMillis?: number;
  /** `requests.cpu` in millicores (CPU shares). */
  readonly cpuRequestMillis?: number;
}

/** What the runtime needs to create one container in a sandbox. */
export interface ContainerSpec {
  /** The container's name in the pod. */
  readonly name: string;
  /** An image reference (`luksa/kubia`, `docker.io/luksa/kubia:latest`, an image id). */
  readonly image: string;
  /** Kubernetes `command`: replaces the image's Entrypoint (and then ignores its Cmd). */
  readonly command?: readonly string[];
  /** Kubernetes `args`: replaces the image's Cmd. */
  readonly args?: readonly string[];
  /**
   * The environment the agent computed (service links, env, envFrom; `$(VAR)` already expanded).
   * Merged over the image's Env; later entries win.
   */
  readonly env: readonly EnvVar[];
  /** Replaces the image's WorkingDir. */
  readonly workingDir?: string;
  /** Restart count of this container in the pod (0 for the first run): names its log file. */
  readonly attempt: number;
  readonly tty?: boolean;
  /** Keep a stdin open for `attach`. */
  readonly stdin?: boolean;
  /** Close stdin after the first attach session ends. */
  readonly stdinOnce?: boolean;
  readonly mounts?: readonly Mount[];
  readonly privileged?: boolean;
  readonly capabilities?: { readonly add?: readonly string[]; readonly drop?: readonly string[] };
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly readOnlyRootFilesystem?: boolean;
  readonly resources?: ContainerResources;
  /** Opaque to the runtime; returned by `list()` and `containerStatus()`. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Why a container stopped, as kubelet words it in `state.terminated.reason`. */
export type ExitReason = 'Completed' | 'Error' | 'OOMKilled' | 'ContainerCannotRun' | 'Unknown';

export type ContainerState =
  | { readonly state: 'created' }
  | { readonly state: 'running'; readonly pid: number; readonly startedAt: string }
  | {
      readonly state: 'exited';
      /** 128 + signal number when a signal ended it (137 after SIGKILL), as Docker reports. */
      readonly exitCode: number;
      /** The signal that ended it, when one did. */
      readonly signal?: number;
      readonly reason: ExitReason;
      readonly message?: string;
      /** Undefined when it never started. */
      readonly startedAt: string | undefined;
      readonly finishedAt: string;
    };

/** A container as the runtime reports it. Times are RFC 3339 with nanoseconds. */
export interface ContainerStatus {
  readonly id: string;
  readonly sandboxId: string;
  readonly podUID: string;
  readonly name: string;
  readonly attempt: number;
  /** The reference the container was created with. */
  readonly image: string;
  /** The resolved image id (`sha256:…`). */
  readonly imageId: string;
  readonly createdAt: string;
  readonly state: ContainerState;
  /** The CRI-format log file (`<RFC3339Nano> stdout|stderr F|P <line>`). */
  readonly logPath: string;
  readonly annotations: Readonly<Record<string, string>>;
}

// ---- streams ---------------------------------------------------------------------------------

export interface TerminalSize {
  readonly width: number;
  readonly height: number;
}

export interface ExecOptions {
  readonly command: readonly string[];
  /** Extra environment for the exec'd process. */
  readonly env?: readonly EnvVar[];
  readonly tty?: boolean;
  /** Input; its end closes the process's stdin. Absent = /dev/null. */
  readonly stdin?: Readable;
  /** Output; with `tty` it carries the terminal's output (stderr is merged). */
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly initialSize?: TerminalSize;
  /** Terminal size changes (kubectl's resize channel); only with `tty`. */
  readonly resize?: AsyncIterable<TerminalSize>;
  /** Aborting kills the process (probe timeouts, a closed client connection). */
  readonly signal?: AbortSignal;
}

export interface AttachOptions {
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly resize?: AsyncIterable<TerminalSize>;
  readonly signal?: AbortSignal;
}

/** One line (or a part of a long line) of a container log. */
export interface LogEntry {
  /** RFC 3339 with nanoseconds, as the log file holds it. */
  readonly time: string;
  readonly stream: 'stdout' | 'stderr';
  /** True for a piece of a line longer than the capture buffer (the CRI `P` tag). */
  readonly partial: boolean;
  /** The bytes, without the newline. */
  readonly content: Uint8Array;
}

export interface LogOptions {
  /** Keep reading as the container writes, until it exits and its log is drained, or `signal`. */
  readonly follow?: boolean;
  /** Only the last N lines. */
  readonly tailLines?: number;
  /** Only lines at or after this time (kubectl --since / --since-time). */
  readonly since?: Date;
  /** Read the log of the instance before this one (same pod and container name, lower attempt). */
  readonly previous?: boolean;
  /** Stop after this many bytes of content. */
  readonly limitBytes?: number;
  readonly signal?: AbortSignal;
}

// ---- the runtime -----------------------------------------------------------------------------

/** Everything the runtime owns on the node; the agent reconciles against it after a restart. */
export interface RuntimeSnapshot {
  readonly sandboxes: readonly Sandbox[];
  readonly containers: readonly ContainerStatus[];
}

/**
 * Runs pod sandboxes and containers on this node. Every method is idempotent. Methods that take an
 * id throw `SandboxNotFoundError` / `ContainerNotFoundError` (errors.ts) for an unknown id, except
 * `stop*` and `remove*`, which succeed for ids that are already gone.
 */
export interface Runtime {
  /** The image store containers are created from. */
  readonly images: ImageService;

  /**
   * Creates and starts a sandbox: namespaces, network (IP from the node's pod CIDR), hostname and
   * the /etc files. Returns the existing sandbox for a (podUID, attempt) that already has one.
   * @throws NetworkError when no IP is free or the network cannot be attached.
   */
  runSandbox(spec: SandboxSpec, signal?: AbortSignal): Promise<Sandbox>;
  /** Stops every container (`gracePeriodMs` each, in parallel), the sandbox and frees its IP. */
  stopSandbox(id: string, gracePeriodMs: number): Promise<void>;
  /** Stops (with no grace) and deletes a sandbox, its containers and their files. */
  removeSandbox(id: string): Promise<void>;
  /** @throws SandboxNotFoundError */
  sandboxStatus(id: string): Promise<Sandbox>;

  /**
   * Creates a container in a ready sandbox (root filesystem, OCI bundle, log file) without
   * starting it. Idempotent per (sandboxId, name, attempt): returns the existing container's id.
   * @throws ImageNotFoundError (images/errors.ts) when the image is not in the store.
   * @throws SandboxNotFoundError, SandboxNotReadyError
   */
  createContainer(sandboxId: string, spec: ContainerSpec): Promise<string>;
  /** Starts a created container; a no-op when it already runs or ran. @throws ContainerNotFoundError */
  startContainer(id: string): Promise<void>;
  /**
   * Sends SIGTERM (or `stopSignal`), waits up to `gracePeriodMs` for the exit, then SIGKILL; resolves
   * once the container has exited. A no-op for a container that is not running.
   */
  stopContainer(id: string, gracePeriodMs: number, stopSignal?: NodeJS.Signals): Promise<void>;
  /** Stops (no grace) and deletes the container and its writable layer. Its log file stays
   * until the pod's last sandbox is removed, so `previous` logs keep working. */
  removeContainer(id: string): Promise<void>;
  /** @throws ContainerNotFoundError */
  containerStatus(id: string): Promise<ContainerStatus>;

  /** Every sandbox and container on the node, cheaply (no runc call per container). */
  list(): Promise<RuntimeSnapshot>;

  /**
   * Runs a command in a running container (its namespaces, root and cgroup) and resolves with its
   * exit code (126: could not run it, 127: not found, as a shell would say).
   * @throws ContainerNotFoundError, ContainerNotRunningError
   */
  exec(id: string, options: ExecOptions): Promise<number>;
  /**
   * Connects to the main process's streams (stdin when the container was created with `stdin`,
   * output from now on). Resolves when the container exits or the signal fires.
   */
  attach(id: string, options: AttachOptions): Promise<void>;
  /** The container's log, parsed. @throws ContainerNotFoundError */
  logs(id: string, options?: LogOptions): AsyncIterable<LogEntry>;
}

/**
 * RuncRuntime: pod sandboxes and containers with runc.
 *
 * A sandbox is a `pause` container (portico-shim in pause mode, in a tiny read-only root) that
 * creates the pod's network, UTS, IPC and PID namespaces; its veth is plugged in by the PodNetwork
 * between `runc create` and `runc start`. Each container is a runc container that joins those
 * namespaces by path (/proc/<pause>/ns/*) with a mount namespace of its own and a root that is an
 * overlay of the image's layers over the host's root, with a private writable upper directory.
 * Every container (pause included) runs under its own portico-shim, which is its parent (exit
 * status), its log writer (CRI format) and outlives the agent. State lives in files under `root`
 * (state.ts), so a new RuncRuntime on the same root finds everything through `list()`.
 *
 *   <root>/runc/                       runc --root
 *   <root>/sandboxes/<id>/             sandbox.json, hostname, hosts, resolv.conf, pause/ (bundle)
 *   <root>/containers/<id>/            container.json, config.json, rootfs/ upper/ work/, exit.json
 *   <root>/logs/<ns>_<pod>_<uid>/<container>/<attempt>.log   (kept until the pod's last sandbox goes)
 *
 * This file is longer than 500 lines because the lifecycle of sandboxes and containers shares
 * its locks and records; the pure parts live in oci.ts, etcfiles.ts, state.ts and logs.ts.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  rmdirSync,
  statSync,
  writeFileSync,
  openSync,
  closeSync,
  constants,
  createWriteStream,
} from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { dirname, join } from 'node:path';
import { exec } from '../../lib/exec.js';
import { asError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log/logger.js';
import { discardLogger } from '../../lib/log/logger.js';
import type { ImageService } from '../images/types.js';
import type { PodNetwork } from '../network/types.js';
import {
  ContainerNotFoundError,
  ContainerNotRunningError,
  RuntimeError,
  SandboxNotFoundError,
  SandboxNotReadyError,
} from './errors.js';
import { managedHostsFile, nodeHostsFile } from './etcfiles.js';
import { runcExec } from './exec.js';
import { nowRFC3339Nano } from './logformat.js';
import { readLogs } from './logs.js';
import {
  ensureCgroupMounts,
  ensureHostRootView,
  mountOverlay,
  readMounts,
  removeHostRootView,
  unmountIfMounted,
} from './mounts.js';
import { containerConfig, pauseConfig } from './oci.js';
import { Runc } from './runc.js';
import { startShim } from './shim.js';
import { ensurePauseRootfs, ensureShim } from './shimbin.js';
import {
  newId,
  procStartTime,
  RecordStore,
  sameProcess,
  writeJsonAtomic,
  type ContainerRecord,
  type SandboxRecord,
} from './state.js';
import type {
  AttachOptions,
  ContainerSpec,
  ContainerState,
  ContainerStatus,
  ExecOptions,
  LogEntry,
  LogOptions,
  Runtime,
  RuntimeSnapshot,
  Sandbox,
  SandboxSpec,
} from './types.js';

export interface RuncRuntimeOptions {
  /** The runtime's state directory (`<data dir>/runtime`). */
  readonly root: string;
  readonly images: ImageService;
  readonly network: PodNetwork;
  /** The runc binary; default `runc` on PATH. */
  readonly runc?: string;
  /** Parent of every container's cgroup; default `/portico`. */
  readonly cgroupParent?: string;
  /** The node's network namespace when it is not this process's own (hostNetwork pods join it). */
  readonly nodeNetns?: string;
  /** Host paths hidden from containers, besides the data directories. */
  readonly maskedPaths?: readonly string[];
  /** A container log is rotated (one `.1` kept) past this size; default 10 MiB, as kubelet. */
  readonly logMaxBytes?: number;
  /** The node's hosts file, copied for hostNetwork pods; default `/etc/hosts`. */
  readonly nodeHostsFile?: string;
  readonly logger?: Logger;
}

const stopPollMs = [10, 20, 50, 100, 200];

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves `User` of an image config (`uid`, `uid:gid`, `name`, `name:group`) against the root. */
function resolveUser(
  user: string | undefined,
  rootfs: string,
): { uid: number; gid: number } | undefined {
  if (!user) return undefined;
  const [u = '', g] = user.split(':');
  const lookup = (file: string, name: string): string[] | undefined => {
    try {
      return readFileSync(join(rootfs, 'etc', file), 'utf8')
        .split('\n')
        .map((l) => l.split(':'))
        .find((f) => f[0] === name);
    } catch {
      return undefined;
    }
  };
  let uid = Number(u);
  let gid = 0;
  if (!/^\d+$/.test(u)) {
    const pw = lookup('passwd', u);
    if (!pw) throw new RuntimeError(`unable to find user ${u}: no matching entries in passwd file`);
    uid = Number(pw[2]);
    gid = Number(pw[3]);
  }
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const gr = lookup('group', g);
      if (!gr)
        throw new RuntimeError(`unable to find group ${g}: no matching entries in group file`);
      gid = Number(gr[2]);
    }
  }
  return { uid, gid };
}

/** This process's hard RLIMIT_NOFILE (containers cannot get more), capped at containerd's 1048576. */
function maxOpenFiles(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const hard = line?.split(/\s{2,}/)[2];
    if (hard === 'unlimited') return 1048576;
    const n = Number(hard);
    return Number.isInteger(n) && n > 0 ? Math.min(n, 1048576) : 1024;
  } catch {
    return 1024;
  }
}

export class RuncRuntime implements Runtime {
  readonly images: ImageService;
  readonly root: string;
  readonly #o: RuncRuntimeOptions;
  readonly #records: RecordStore;
  readonly #runc: Runc;
  readonly #log: Logger;
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #cgroupParent: string;
  #shim = '';
  #pauseRootfs = '';
  #hostRoot = '';
  #maskedPaths: string[] = [];

  private constructor(options: RuncRuntimeOptions) {
    this.#o = options;
    this.root = options.root;
    this.images = options.images;
    this.#records = new RecordStore(options.root);
    this.#runc = new Runc({
      root: join(options.root, 'runc'),
      ...(options.runc ? { binary: options.runc } : {}),
    });
    this.#log = options.logger ?? discardLogger;
    this.#cgroupParent = options.cgroupParent ?? '/portico';
  }

  /**
   * Prepares the node (shim binary, pause root, host-root view, cgroup mounts, pod network) and
   * finishes or undoes what an interrupted run left half-made. Containers that run keep running.
   * @throws RuntimeError, NetworkError
   */
  static async open(options: RuncRuntimeOptions): Promise<RuncRuntime> {
    const rt = new RuncRuntime(options);
    await rt.#init();
    return rt;
  }

  async #init(): Promise<void> {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    await ensureCgroupMounts();
    this.#shim = await ensureShim(join(this.root, 'bin'));
    this.#pauseRootfs = ensurePauseRootfs(join(this.root, 'pause-rootfs'), this.#shim);
    this.#hostRoot = await ensureHostRootView(this.root);
    const dataDir = dirname(this.root);
    this.#maskedPaths = [
      ...new Set([
        dataDir,
        '/var/lib/portico',
        '/var/lib/portico-sandbox',
        ...(this.#o.maskedPaths ?? []),
      ]),
    ];
    await this.#o.network.ensureNode();
    for (const dir of this.#records.orphanDirs()) rmSync(dir, { recursive: true, force: true });
    for (const c of this.#records.containers()) {
      if (c.phase === 'creating')
        await this.#destroyContainer(c).catch((e: unknown) =>
          this.#log.error(e, 'Cleanup of a half-created container failed', { container: c.id }),
        );
    }
    for (const s of this.#records.sandboxes()) {
      if (s.phase === 'creating')
        await this.#destroySandbox(s).catch((e: unknown) =>
          this.#log.error(e, 'Cleanup of a half-created sandbox failed', { sandbox: s.id }),
        );
    }
    const live = new Set(
      this.#records
        .sandboxes()
        .filter((s) => s.phase === 'ready')
        .map((s) => s.id),
    );
    await this.#o.network.gc(live);
    this.#log.v(2).info('Runtime ready', { root: this.root, sandboxes: live.size });
  }

  /** Serialises operations on one key (a sandbox, a container) within this process. */
  async #lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.#locks.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.#locks.get(key) === settled) this.#locks.delete(key);
    }
  }

  // ---- sandboxes -------------------------------------------------------------------------------

  #sandboxView(r: SandboxRecord): Sandbox {
    const alive = r.phase === 'ready' && sameProcess(r.pausePid, r.pauseStartTime);
    const hostNetwork = r.spec.hostNetwork ?? false;
    return {
      id: r.id,
      podUID: r.spec.podUID,
      namespace: r.spec.namespace,
      name: r.spec.name,
      attempt: r.spec.attempt,
      hostname: hostNetwork ? osHostname() : r.spec.hostname,
      hostNetwork,
      state: alive ? 'ready' : 'notready',
      ip: r.ip,
      netnsPath: alive
        ? hostNetwork
          ? this.#o.nodeNetns
          : `/proc/${String(r.pausePid)}/ns/net`
        : undefined,
      createdAt: r.createdAt,
      annotations: { ...r.spec.annotations },
    };
  }

  runSandbox(spec: SandboxSpec): Promise<Sandbox> {
    return this.#lock(`pod:${spec.podUID}`, async () => {
      const existing = this.#records
        .sandboxes()
        .find((r) => r.spec.podUID === spec.podUID && r.spec.attempt === spec.attempt);
      if (existing && existing.phase !== 'creating') return this.#sandboxView(existing);
      if (existing) await this.#destroySandbox(existing);
      return this.#createSandbox(spec);
    });
  }

  async #createSandbox(spec: SandboxSpec): Promise<Sandbox> {
    const started = Date.now();
    const id = newId();
    const dir = this.#records.sandboxDir(id);
    const hostNetwork = spec.hostNetwork ?? false;
    const rec: SandboxRecord = { id, spec, createdAt: nowRFC3339Nano(), phase: 'creating' };
    this.#records.saveSandbox(rec);
    try {
      writeFileSync(join(dir, 'hostname'), `${hostNetwork ? osHostname() : spec.hostname}\n`);
      writeFileSync(join(dir, 'resolv.conf'), spec.resolvConf);
      const bundle = join(dir, 'pause');
      mkdirSync(bundle, { recursive: true });
      const config = pauseConfig({
        id,
        hostname: spec.hostname,
        hostNetwork,
        hostIPC: spec.hostIPC ?? false,
        ...(this.#o.nodeNetns ? { nodeNetns: this.#o.nodeNetns } : {}),
        cgroupParent: this.#cgroupParent,
      });
      writeJsonAtomic(join(bundle, 'config.json'), {
        ...config,
        root: { path: this.#pauseRootfs, readonly: true },
      });
      const shim = await startShim({
        shim: this.#shim,
        runc: this.#runc.binary,
        runcRoot: this.#runc.root,
        id,
        bundle,
        log: '/dev/null',
        tty: false,
      });
      rec.pausePid = shim.pid;
      rec.pauseStartTime = procStartTime(shim.pid);
      this.#records.saveSandbox(rec);
      if (!hostNetwork) {
        const iface = await this.#o.network.attach({
          sandboxId: id,
          netnsPath: `/proc/${shim.pid}/ns/net`,
          pod: `${spec.namespace}/${spec.name}`,
        });
        rec.ip = iface.ip;
        rec.prefixLength = iface.prefixLength;
        rec.gateway = iface.gateway;
        writeFileSync(
          join(dir, 'hosts'),
          managedHostsFile({
            podIPs: [iface.ip],
            hostname: spec.hostname,
            namespace: spec.namespace,
            ...(spec.subdomain ? { subdomain: spec.subdomain } : {}),
            ...(spec.clusterDomain ? { clusterDomain: spec.clusterDomain } : {}),
            ...(spec.hostAliases ? { hostAliases: spec.hostAliases } : {}),
          }),
        );
      } else {
        let nodeHosts = '';
        try {
          nodeHosts = readFileSync(this.#o.nodeHostsFile ?? '/etc/hosts', 'utf8');
        } catch {
          nodeHosts = '127.0.0.1\tlocalhost\n';
        }
        writeFileSync(join(dir, 'hosts'), nodeHostsFile(nodeHosts, spec.hostAliases));
      }
      await this.#runc.start(id);
      rec.phase = 'ready';
      this.#records.saveSandbox(rec);
      this.#log.v(2).info('Sandbox started', {
        pod: `${spec.namespace}/${spec.name}`,
        sandbox: id,
        ip: rec.ip,
        elapsedMs: Date.now() - started,
      });
      return this.#sandboxView(rec);
    } catch (e) {
      await this.#destroySandbox(rec).catch((err: unknown) =>
        this.#log.error(err, 'Cleanup after a failed sandbox start failed', { sandbox: id }),
      );
      throw e;
    }
  }

  /** Kills the pause container, frees the network, deletes the runc state; keeps the record. */
  async #stopPause(r: SandboxRecord): Promise<void> {
    await this.#runc.delete(r.id);
    if (!(r.spec.hostNetwork ?? false)) await this.#o.network.detach(r.id);
    for (let i = 0; i < 100 && sameProcess(r.pausePid, r.pauseStartTime); i++) await sleep(20);
  }

  async #destroySandbox(r: SandboxRecord): Promise<void> {
    for (const c of this.#records.containers().filter((c) => c.sandboxId === r.id))
      await this.#destroyContainer(c);
    await this.#stopPause(r);
    rmSync(this.#records.sandboxDir(r.id), { recursive: true, force: true });
    const others = this.#records.sandboxes().some((s) => s.spec.podUID === r.spec.podUID);
    if (!others) rmSync(this.#podLogDir(r.spec), { recursive: true, force: true });
  }

  stopSandbox(id: string, gracePeriodMs: number): Promise<void> {
    return this.#lock(`sb:${id}`, async () => {
      const r = this.#records.sandbox(id);
      if (!r) return;
      const inside = this.#records.containers().filter((c) => c.sandboxId === id);
      await Promise.all(inside.map((c) => this.stopContainer(c.id, gracePeriodMs)));
      await this.#stopPause(r);
      if (r.phase !== 'stopped') {
        r.phase = 'stopped';
        this.#records.saveSandbox(r);
      }
    });
  }

  removeSandbox(id: string): Promise<void> {
    return this.#lock(`sb:${id}`, async () => {
      const r = this.#records.sandbox(id);
      if (!r) return;
      await this.#destroySandbox(r);
      this.#log
        .v(2)
        .info('Sandbox removed', { pod: `${r.spec.namespace}/${r.spec.name}`, sandbox: id });
    });
  }

  sandboxStatus(id: string): Promise<Sandbox> {
    const r = this.#records.sandbox(id);
    if (!r) return Promise.reject(new SandboxNotFoundError(id));
    return Promise.resolve(this.#sandboxView(r));
  }

  // ---- containers ------------------------------------------------------------------------------

  #podLogDir(spec: Pick<SandboxSpec, 'namespace' | 'name' | 'podUID'>): string {
    return join(this.root, 'logs', `${spec.namespace}_${spec.name}_${spec.podUID}`);
  }

  #state(r: ContainerRecord): ContainerState {
    const exit = this.#records.exit(r.id);
    if (exit) {
      return {
        state: 'exited',
        exitCode: exit.exitCode,
        ...(exit.signal ? { signal: exit.signal } : {}),
        reason: exit.oomKilled ? 'OOMKilled' : exit.exitCode === 0 ? 'Completed' : 'Error',
        startedAt: r.startedAt,
        finishedAt: exit.finishedAt,
      };
    }
    const shimAlive = sameProcess(r.shimPid, r.shimStartTime);
    if (!r.startedAt && shimAlive) return { state: 'created' };
    if (r.startedAt && (sameProcess(r.pid, r.pidStartTime) || shimAlive))
      return { state: 'running', pid: r.pid ?? 0, startedAt: r.startedAt };
    return {
      state: 'exited',
      exitCode: 255,
      reason: 'Unknown',
      message: "the container's monitor (portico-shim) is gone: its exit status is unknown",
      startedAt: r.startedAt,
      finishedAt: nowRFC3339Nano(),
    };
  }

  #containerView(r: ContainerRecord): ContainerStatus {
    return {
      id: r.id,
      sandboxId: r.sandboxId,
      podUID: r.podUID,
      name: r.spec.name,
      attempt: r.spec.attempt,
      image: r.spec.image,
      imageId: r.imageId,
      createdAt: r.createdAt,
      state: this.#state(r),
      logPath: r.logPath,
      annotations: { ...r.spec.annotations },
    };
  }

  createContainer(sandboxId: string, spec: ContainerSpec): Promise<string> {
    return this.#lock(`sb:${sandboxId}:${spec.name}`, async () => {
      const sb = this.#records.sandbox(sandboxId);
      if (!sb) throw new SandboxNotFoundError(sandboxId);
      const existing = this.#records
        .containers()
        .find(
          (c) =>
            c.sandboxId === sandboxId &&
            c.spec.name === spec.name &&
            c.spec.attempt === spec.attempt,
        );
      if (existing?.phase === 'created') return existing.id;
      if (existing) await this.#destroyContainer(existing);
      if (this.#sandboxView(sb).state !== 'ready') throw new SandboxNotReadyError(sandboxId);
      const image = await this.images.resolve(spec.image);
      return this.#createContainer(sb, spec, image.id, image.layers, image.config);
    });
  }

  async #createContainer(
    sb: SandboxRecord,
    spec: ContainerSpec,
    imageId: string,
    layers: readonly string[],
    imageConfig: Parameters<typeof containerConfig>[0]['image'],
  ): Promise<string> {
    const id = newId();
    const dir = this.#records.containerDir(id);
    const logPath = join(this.#podLogDir(sb.spec), spec.name, `${spec.attempt}.log`);
    const sharedPid = (sb.spec.shareProcessNamespace ?? false) || (sb.spec.hostPID ?? false);
    const rec: ContainerRecord = {
      id,
      sandboxId: sb.id,
      podUID: sb.spec.podUID,
      spec,
      imageId,
      createdAt: nowRFC3339Nano(),
      logPath,
      sharedPid,
      phase: 'creating',
    };
    this.#records.saveContainer(rec);
    try {
      mkdirSync(dirname(logPath), { recursive: true });
      const rootfs = join(dir, 'rootfs');
      await mountOverlay({
        target: rootfs,
        layers,
        hostRoot: this.#hostRoot,
        upper: join(dir, 'upper'),
        work: join(dir, 'work'),
      });
      const sbDir = this.#records.sandboxDir(sb.id);
      const hostNetwork = sb.spec.hostNetwork ?? false;
      const imageUser = resolveUser(imageConfig.user, rootfs);
      const config = containerConfig({
        id,
        spec,
        image: imageConfig,
        sandbox: {
          holderPid: sb.pausePid ?? 0,
          hostNetwork,
          hostIPC: sb.spec.hostIPC ?? false,
          hostPID: sb.spec.hostPID ?? false,
          shareProcessNamespace: sb.spec.shareProcessNamespace ?? false,
          ...(this.#o.nodeNetns ? { nodeNetns: this.#o.nodeNetns } : {}),
        },
        hostname: hostNetwork ? osHostname() : sb.spec.hostname,
        etcFiles: {
          hosts: join(sbDir, 'hosts'),
          hostname: join(sbDir, 'hostname'),
          resolvConf: join(sbDir, 'resolv.conf'),
        },
        maskedPaths: this.#maskedPaths,
        cgroupParent: this.#cgroupParent,
        maxOpenFiles: maxOpenFiles(),
        ...(imageUser ? { imageUser } : {}),
      });
      writeJsonAtomic(join(dir, 'config.json'), config);
      const ctl = join(dir, 'ctl');
      const stdin = spec.stdin ? join(dir, 'stdin') : undefined;
      await exec('mkfifo', ['-m', '600', ctl, ...(stdin ? [stdin] : [])]);
      const shim = await startShim({
        shim: this.#shim,
        runc: this.#runc.binary,
        runcRoot: this.#runc.root,
        id,
        bundle: dir,
        log: logPath,
        tty: spec.tty ?? false,
        ctlFifo: ctl,
        ...(stdin ? { stdinFifo: stdin } : {}),
        oomFile: this.#oomFile(id),
        logMaxBytes: this.#o.logMaxBytes ?? 10 * 1024 * 1024,
      });
      rec.pid = shim.pid;
      rec.pidStartTime = procStartTime(shim.pid);
      rec.shimPid = shim.shimPid;
      rec.shimStartTime = procStartTime(shim.shimPid);
      rec.phase = 'created';
      this.#records.saveContainer(rec);
      return id;
    } catch (e) {
      await this.#destroyContainer(rec).catch((err: unknown) =>
        this.#log.error(err, 'Cleanup after a failed container create failed', { container: id }),
      );
      throw e instanceof RuntimeError || (e as { code?: string }).code?.startsWith('E_')
        ? e
        : new RuntimeError(`cannot create container ${spec.name}`, { cause: e });
    }
  }

  #oomFile(id: string): string {
    const v1 = '/sys/fs/cgroup/memory';
    return existsSync(v1)
      ? join(v1, this.#cgroupParent, id, 'memory.oom_control')
      : join('/sys/fs/cgroup', this.#cgroupParent, id, 'memory.events');
  }

  startContainer(id: string): Promise<void> {
    return this.#lock(`c:${id}`, async () => {
      const r = this.#records.container(id);
      if (!r) throw new ContainerNotFoundError(id);
      if (r.startedAt) return;
      const state = this.#state(r);
      if (state.state !== 'created')
        throw new RuntimeError(`container ${r.spec.name} exited before it was started`);
      await this.#runc.start(id);
      r.startedAt = nowRFC3339Nano();
      this.#records.saveContainer(r);
    });
  }

  async #waitExited(r: ContainerRecord, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; ; i++) {
      if (this.#state(r).state === 'exited') return true;
      if (Date.now() >= deadline) return false;
      await sleep(
        Math.min(
          stopPollMs[Math.min(i, stopPollMs.length - 1)] ?? 200,
          Math.max(1, deadline - Date.now()),
        ),
      );
    }
  }

  stopContainer(
    id: string,
    gracePeriodMs: number,
    stopSignal: NodeJS.Signals = 'SIGTERM',
  ): Promise<void> {
    return this.#lock(`c:${id}`, async () => {
      const r = this.#records.container(id);
      if (!r) return;
      const state = this.#state(r).state;
      if (state === 'exited') return;
      if (state === 'created') {
        await this.#runc.delete(id);
        await this.#waitExited(r, 10_000);
        return;
      }
      if (gracePeriodMs > 0 && (await this.#runc.kill(id, stopSignal, r.sharedPid))) {
        if (await this.#waitExited(r, gracePeriodMs)) return;
      }
      await this.#runc.kill(id, 'SIGKILL', r.sharedPid);
      if (!(await this.#waitExited(r, 10_000)))
        throw new RuntimeError(`container ${r.spec.name} did not exit after SIGKILL`);
    });
  }

  async #destroyContainer(r: ContainerRecord): Promise<void> {
    if (this.#state(r).state !== 'exited') {
      await this.#runc.kill(r.id, 'SIGKILL', r.sharedPid).catch(() => false);
      await this.#waitExited(r, 5_000);
    }
    await this.#runc.delete(r.id);
    await unmountIfMounted(join(this.#records.containerDir(r.id), 'rootfs'));
    rmSync(this.#records.containerDir(r.id), { recursive: true, force: true });
  }

  removeContainer(id: string): Promise<void> {
    return this.#lock(`c:${id}`, async () => {
      const r = this.#records.container(id);
      if (r) await this.#destroyContainer(r);
    });
  }

  containerStatus(id: string): Promise<ContainerStatus> {
    const r = this.#records.container(id);
    if (!r) return Promise.reject(new ContainerNotFoundError(id));
    return Promise.resolve(this.#containerView(r));
  }

  list(): Promise<RuntimeSnapshot> {
    return Promise.resolve({
      sandboxes: this.#records.sandboxes().map((r) => this.#sandboxView(r)),
      containers: this.#records.containers().map((r) => this.#containerView(r)),
    });
  }

  // ---- streams ---------------------------------------------------------------------------------

  #running(id: string): ContainerRecord {
    const r = this.#records.container(id);
    if (!r) throw new ContainerNotFoundError(id);
    if (this.#state(r).state !== 'running') throw new ContainerNotRunningError(id);
    return r;
  }

  exec(id: string, options: ExecOptions): Promise<number> {
    return Promise.resolve().then(() => {
      this.#running(id);
      return runcExec(this.#runc, id, this.#records.containerDir(id), options, this.#shim);
    });
  }

  async attach(id: string, options: AttachOptions): Promise<void> {
    const r = this.#running(id);
    const dir = this.#records.containerDir(id);
    const ctl = join(dir, 'ctl');
    // Where output starts for this session: fixed before any input can cause output.
    let fromByte = 0;
    try {
      fromByte = statSync(r.logPath).size;
    } catch {
      // no output yet
    }
    const done = new AbortController();
    const abort = () => done.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    const control = async (line: string) => {
      // O_NONBLOCK open fails (ENXIO) instead of hanging when the shim is gone.
      try {
        closeSync(openSync(ctl, constants.O_WRONLY | constants.O_NONBLOCK));
        await appendFile(ctl, line);
      } catch {
        // the container is gone
      }
    };
    if (options.stdin && r.spec.stdin) {
      const path = join(dir, 'stdin');
      try {
        closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
        const sink = createWriteStream(path, { flags: 'a' });
        sink.on('error', () => undefined);
        const input = options.stdin;
        input.pipe(sink);
        input.on('end', () => {
          if (r.spec.stdinOnce) void control('close-stdin\n');
        });
        done.signal.addEventListener('abort', () => {
          input.unpipe(sink);
          sink.end();
        });
      } catch {
        // no reader: the container has exited
      }
    }
    if (options.resize) {
      const sizes = options.resize;
      void (async () => {
        for await (const s of sizes) {
          if (done.signal.aborted) break;
          await control(`resize ${s.height} ${s.width}\n`);
        }
      })().catch(() => undefined);
    }
    try {
      for await (const e of readLogs({
        path: r.logPath,
        follow: true,
        fromByte,
        signal: done.signal,
        finished: () => this.#state(r).state === 'exited',
      })) {
        const out = e.stream === 'stderr' && !r.spec.tty ? options.stderr : options.stdout;
        out?.write(Buffer.concat([e.content, Buffer.from(e.partial ? '' : '\n')]));
      }
    } finally {
      done.abort();
      options.signal?.removeEventListener('abort', abort);
    }
  }

  logs(id: string, options: LogOptions = {}): AsyncIterable<LogEntry> {
    const r = this.#records.container(id);
    if (!r) throw new ContainerNotFoundError(id);
    let path = r.logPath;
    let finished = () => this.#state(r).state === 'exited';
    if (options.previous) {
      const dir = dirname(r.logPath);
      const attempts = existsSync(dir)
        ? readdirSync(dir)
            .map((f) => /^(\d+)\.log$/.exec(f)?.[1])
            .filter((a): a is string => a !== undefined)
            .map(Number)
            .filter((a) => a < r.spec.attempt)
        : [];
      if (attempts.length === 0)
        throw new ContainerNotFoundError(`${id} (previous terminated container of ${r.spec.name})`);
      path = join(dir, `${Math.max(...attempts)}.log`);
      finished = () => true;
    }
    return readLogs({ ...options, path, finished });
  }

  // ---- teardown --------------------------------------------------------------------------------

  /**
   * Removes every sandbox and container of this runtime, their mounts, cgroups and files, and the
   * pod network: what `portico` leaves on a node, undone. The runtime is unusable afterwards.
   */
  async removeAll(): Promise<void> {
    const errors: Error[] = [];
    const attempt = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (e) {
        errors.push(new RuntimeError(`${what}: ${asError(e).message}`, { cause: e }));
      }
    };
    for (const s of this.#records.sandboxes())
      await attempt(`sandbox ${s.id}`, () => this.removeSandbox(s.id));
    for (const c of this.#records.containers())
      await attempt(`container ${c.id}`, () => this.removeContainer(c.id));
    await attempt('runc leftovers', async () => {
      for (const c of await this.#runc.list()) await this.#runc.delete(c.id);
    });
    await attempt('network', () => this.#o.network.remove());
    await attempt('host root view', () => removeHostRootView(this.root));
    for (const m of readMounts()) {
      if (m.mountPoint.startsWith(`${this.root}/`))
        await attempt(`mount ${m.mountPoint}`, () => unmountIfMounted(m.mountPoint));
    }
    for (const m of readMounts().filter((x) => x.fsType === 'cgroup' || x.fsType === 'cgroup2')) {
      try {
        rmdirSync(join(m.mountPoint, this.#cgroupParent));
      } catch {
        // absent, or not empty (then a container still runs: reported above)
      }
    }
    rmSync(this.root, { recursive: true, force: true });
    if (errors.length > 0)
      throw new AggregateError(errors, 'the runtime was not removed completely');
  }
}

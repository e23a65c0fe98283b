/**
 * FakeRuntime: the Runtime contract in memory, for the agent's unit tests. It keeps the real
 * runtime's observable rules (idempotency per (podUID, attempt) and (sandbox, name, attempt),
 * not-found errors, image resolution, exit codes 128+signal, SIGTERM → grace → SIGKILL, logs with
 * previous instances) and adds controls a test needs: make a container exit or ignore SIGTERM,
 * kill a sandbox, write log lines, script exec, inject failures, and read the recorded calls.
 *
 * Exec understands a few commands against a per-container file set, enough for probe and
 * readiness tests: `ls|cat|test -e|stat <path>`, `touch <path>`, `rm <path>`, `hostname`, `echo`,
 * `true`, `false`, `sh -c 'exit N'`, `env`. Anything else exits 127 unless `onExec` handles it.
 */
import type { Clock } from '../../lib/clock.js';
import { realClock } from '../../lib/clock.js';
import { FakeImageService } from '../images/fake.js';
import {
  ContainerNotFoundError,
  ContainerNotRunningError,
  SandboxNotFoundError,
  SandboxNotReadyError,
} from './errors.js';
import { logEntryMatches, tailEntries } from './logformat.js';
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

type Method =
  | 'runSandbox'
  | 'stopSandbox'
  | 'removeSandbox'
  | 'createContainer'
  | 'startContainer'
  | 'stopContainer'
  | 'removeContainer'
  | 'exec';

export interface FakeCall {
  readonly method: Method;
  readonly args: readonly unknown[];
}

/** Handles an exec the built-in commands do not; return undefined to fall through to them. */
export type FakeExecHandler = (
  container: ContainerStatus,
  options: ExecOptions,
) => number | undefined | Promise<number | undefined>;

interface FakeSandbox {
  sandbox: Sandbox;
  spec: SandboxSpec;
}

interface FakeContainer {
  status: ContainerStatus;
  spec: ContainerSpec;
  files: Set<string>;
  log: LogEntry[];
  ignoreSigterm: boolean;
  exitWaiters: (() => void)[];
  logWaiters: (() => void)[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class FakeRuntime implements Runtime {
  readonly images: FakeImageService;
  /** Every mutating call, in order. */
  readonly calls: FakeCall[] = [];
  readonly #clock: Clock;
  readonly #sandboxes = new Map<string, FakeSandbox>();
  readonly #containers = new Map<string, FakeContainer>();
  readonly #failures = new Map<Method, Error[]>();
  #nextId = 1;
  #nextIp = 2;
  #nextPid = 1000;
  onExec: FakeExecHandler | undefined;

  constructor(options: { images?: FakeImageService; clock?: Clock; podCIDRPrefix?: string } = {}) {
    this.images = options.images ?? new FakeImageService();
    this.#clock = options.clock ?? realClock;
    this.#ipPrefix = options.podCIDRPrefix ?? '10.244.0';
  }
  readonly #ipPrefix: string;

  // ---- test controls ---------------------------------------------------------------------------

  /** The next call of `method` throws `error` (queue several by calling again). */
  failNext(method: Method, error: Error): void {
    const q = this.#failures.get(method) ?? [];
    q.push(error);
    this.#failures.set(method, q);
  }

  /** The running container exits by itself with `exitCode` (a crash, or a job finishing). */
  exitContainer(id: string, exitCode: number, signal?: number): void {
    const c = this.#container(id);
    if (c.status.state.state !== 'running') return;
    this.#finish(c, exitCode, signal);
  }

  /** The container ignores SIGTERM: `stopContainer` then waits the whole grace and kills. */
  ignoreSigterm(id: string, ignore = true): void {
    this.#container(id).ignoreSigterm = ignore;
  }

  /** The sandbox's namespace holder dies: the sandbox turns notready, its containers exit 137. */
  killSandbox(id: string): void {
    const s = this.#sandbox(id);
    s.sandbox = { ...s.sandbox, state: 'notready', netnsPath: undefined };
    for (const c of this.#containers.values()) {
      if (c.status.sandboxId === id && c.status.state.state === 'running') this.#finish(c, 137, 9);
    }
  }

  /** Appends log output as the container would write it (split into lines). */
  writeLog(id: string, stream: 'stdout' | 'stderr', text: string): void {
    const c = this.#container(id);
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    for (const line of lines) {
      c.log.push({ time: this.#now(), stream, partial: false, content: enc.encode(line) });
    }
    this.#wake(c.logWaiters);
  }

  /** Files the fake exec sees in the container (`ls /var/ready`). */
  files(id: string): Set<string> {
    return this.#container(id).files;
  }

  // ---- Runtime --------------------------------------------------------------------------------

  runSandbox(spec: SandboxSpec): Promise<Sandbox> {
    return this.#call('runSandbox', [spec], () => {
      for (const s of this.#sandboxes.values()) {
        if (s.spec.podUID === spec.podUID && s.spec.attempt === spec.attempt) return s.sandbox;
      }
      const id = this.#id('sb');
      const sandbox: Sandbox = {
        id,
        podUID: spec.podUID,
        namespace: spec.namespace,
        name: spec.name,
        attempt: spec.attempt,
        hostname: spec.hostname,
        hostNetwork: spec.hostNetwork ?? false,
        state: 'ready',
        ip: spec.hostNetwork ? '192.0.2.10' : `${this.#ipPrefix}.${this.#nextIp++}`,
        netnsPath: `/proc/${this.#nextPid++}/ns/net`,
        createdAt: this.#now(),
        annotations: { ...spec.annotations },
      };
      this.#sandboxes.set(id, { sandbox, spec });
      return sandbox;
    });
  }

  stopSandbox(id: string, gracePeriodMs: number): Promise<void> {
    return this.#callAsync('stopSandbox', [id, gracePeriodMs], async () => {
      const s = this.#sandboxes.get(id);
      if (!s) return;
      const inside = [...this.#containers.values()].filter((c) => c.status.sandboxId === id);
      await Promise.all(inside.map((c) => this.#stop(c, gracePeriodMs, 'SIGTERM')));
      s.sandbox = { ...s.sandbox, state: 'notready', netnsPath: undefined };
    });
  }

  removeSandbox(id: string): Promise<void> {
    return this.#call('removeSandbox', [id], () => {
      for (const [cid, c] of this.#containers) {
        if (c.status.sandboxId !== id) continue;
        if (c.status.state.state === 'running') this.#finish(c, 137, 9);
        this.#containers.delete(cid);
      }
      this.#sandboxes.delete(id);
    });
  }

  sandboxStatus(id: string): Promise<Sandbox> {
    return Promise.resolve().then(() => this.#sandbox(id).sandbox);
  }

  createContainer(sandboxId: string, spec: ContainerSpec): Promise<string> {
    return this.#callAsync('createContainer', [sandboxId, spec], async () => {
      const s = this.#sandbox(sandboxId);
      for (const c of this.#containers.values()) {
        const st = c.status;
        if (st.sandboxId === sandboxId && st.name === spec.name && st.attempt === spec.attempt)
          return st.id;
      }
      if (s.sandbox.state !== 'ready') throw new SandboxNotReadyError(sandboxId);
      const image = await this.images.resolve(spec.image);
      const id = this.#id('c');
      const status: ContainerStatus = {
        id,
        sandboxId,
        podUID: s.sandbox.podUID,
        name: spec.name,
        attempt: spec.attempt,
        image: spec.image,
        imageId: image.id,
        createdAt: this.#now(),
        state: { state: 'created' },
        logPath: `/fake/logs/${s.sandbox.podUID}/${spec.name}/${spec.attempt}.log`,
        annotations: { ...spec.annotations },
      };
      this.#containers.set(id, {
        status,
        spec,
        files: new Set(),
        log: [],
        ignoreSigterm: false,
        exitWaiters: [],
        logWaiters: [],
      });
      return id;
    });
  }

  startContainer(id: string): Promise<void> {
    return this.#call('startContainer', [id], () => {
      const c = this.#container(id);
      if (c.status.state.state !== 'created') return;
      const sandbox = this.#sandbox(c.status.sandboxId);
      if (sandbox.sandbox.state !== 'ready') throw new SandboxNotReadyError(sandbox.sandbox.id);
      this.#setState(c, { state: 'running', pid: this.#nextPid++, startedAt: this.#now() });
    });
  }

  stopContainer(id: string, gracePeriodMs: number, stopSignal?: NodeJS.Signals): Promise<void> {
    return this.#callAsync('stopContainer', [id, gracePeriodMs, stopSignal], async () => {
      const c = this.#containers.get(id);
      if (c) await this.#stop(c, gracePeriodMs, stopSignal ?? 'SIGTERM');
    });
  }

  removeContainer(id: string): Promise<void> {
    return this.#call('removeContainer', [id], () => {
      const c = this.#containers.get(id);
      if (!c) return;
      if (c.status.state.state === 'running') this.#finish(c, 137, 9);
      this.#containers.delete(id);
    });
  }

  containerStatus(id: string): Promise<ContainerStatus> {
    return Promise.resolve().then(() => this.#container(id).status);
  }

  list(): Promise<RuntimeSnapshot> {
    return Promise.resolve({
      sandboxes: [...this.#sandboxes.values()].map((s) => s.sandbox),
      containers: [...this.#containers.values()].map((c) => c.status),
    });
  }

  exec(id: string, options: ExecOptions): Promise<number> {
    return this.#callAsync('exec', [id, options.command], async () => {
      const c = this.#container(id);
      if (c.status.state.state !== 'running') throw new ContainerNotRunningError(id);
      const handled = await this.onExec?.(c.status, options);
      if (handled !== undefined) return handled;
      if (options.stdin) {
        // Consume input so that a test feeding stdin sees it drained (cat echoes it).
        const chunks: Uint8Array[] = [];
        for await (const chunk of options.stdin) chunks.push(chunk as Uint8Array);
        if (options.command[0] === 'cat' && options.command.length === 1) {
          for (const ch of chunks) options.stdout?.write(ch);
          return 0;
        }
      }
      return this.#builtinExec(c, options);
    });
  }

  async attach(id: string, options: AttachOptions): Promise<void> {
    const c = this.#container(id);
    if (c.status.state.state !== 'running') throw new ContainerNotRunningError(id);
    let seen = c.log.length;
    while (c.status.state.state === 'running' && !options.signal?.aborted) {
      for (; seen < c.log.length; seen++) {
        const e = c.log[seen];
        if (!e) continue;
        const out = e.stream === 'stderr' ? options.stderr : options.stdout;
        out?.write(dec.decode(e.content) + (e.partial ? '' : '\n'));
      }
      await this.#waitAny(c, options.signal);
    }
  }

  async *logs(id: string, options: LogOptions = {}): AsyncIterable<LogEntry> {
    let c = this.#container(id);
    if (options.previous) {
      const prev = [...this.#containers.values()]
        .filter(
          (x) =>
            x.status.podUID === c.status.podUID &&
            x.status.name === c.status.name &&
            x.status.attempt < c.status.attempt,
        )
        .sort((a, b) => b.status.attempt - a.status.attempt)[0];
      if (!prev) throw new ContainerNotFoundError(`${id} (previous instance)`);
      c = prev;
    }
    let seen = c.log.length;
    const initial = c.log.filter((e) => logEntryMatches(e, options));
    let budget = options.limitBytes ?? Infinity;
    for (const e of tailEntries(initial, options.tailLines)) {
      if (budget <= 0) return;
      budget -= e.content.length + 1;
      yield e;
    }
    if (!options.follow) return;
    for (;;) {
      for (; seen < c.log.length; seen++) {
        const e = c.log[seen];
        if (!e || !logEntryMatches(e, options)) continue;
        if (budget <= 0) return;
        budget -= e.content.length + 1;
        yield e;
      }
      if (c.status.state.state === 'exited' || options.signal?.aborted) return;
      await this.#waitAny(c, options.signal);
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  #builtinExec(c: FakeContainer, options: ExecOptions): number {
    const [cmd, ...args] = options.command;
    const out = (s: string) => options.stdout?.write(s);
    const err = (s: string) => (options.tty ? options.stdout : options.stderr)?.write(s);
    const path = args[args.length - 1] ?? '';
    switch (cmd) {
      case 'true':
        return 0;
      case 'false':
        return 1;
      case 'hostname':
        out(`${this.#sandbox(c.status.sandboxId).sandbox.hostname}\n`);
        return 0;
      case 'echo':
        out(`${args.join(' ')}\n`);
        return 0;
      case 'env':
        for (const e of c.spec.env) out(`${e.name}=${e.value}\n`);
        return 0;
      case 'touch':
        for (const p of args) c.files.add(p);
        return 0;
      case 'rm':
        for (const p of args.filter((a) => !a.startsWith('-'))) c.files.delete(p);
        return 0;
      case 'ls':
      case 'cat':
      case 'stat':
      case 'test':
        if (c.files.has(path)) {
          if (cmd === 'ls') out(`${path}\n`);
          return 0;
        }
        if (cmd !== 'test') err(`${cmd}: cannot access '${path}': No such file or directory\n`);
        return cmd === 'ls' ? 2 : 1;
      case 'sh':
      case '/bin/sh': {
        const m = args[0] === '-c' ? /^\s*exit\s+(\d+)\s*$/.exec(args[1] ?? '') : null;
        if (m) return Number(m[1]);
        break;
      }
      default:
        break;
    }
    err(`exec: "${cmd ?? ''}": executable file not found in $PATH\n`);
    return 127;
  }

  async #stop(c: FakeContainer, gracePeriodMs: number, _signal: NodeJS.Signals): Promise<void> {
    if (c.status.state.state === 'created') {
      this.#setState(c, {
        state: 'exited',
        exitCode: 0,
        reason: 'Completed',
        startedAt: undefined,
        finishedAt: this.#now(),
      });
      return;
    }
    if (c.status.state.state !== 'running') return;
    if (!c.ignoreSigterm) {
      this.#finish(c, 143, 15);
      return;
    }
    await this.#clock.sleep(gracePeriodMs);
    if (c.status.state.state === 'running') this.#finish(c, 137, 9);
  }

  #finish(c: FakeContainer, exitCode: number, signal?: number): void {
    const prev = c.status.state;
    const startedAt = prev.state === 'running' ? prev.startedAt : undefined;
    this.#setState(c, {
      state: 'exited',
      exitCode,
      ...(signal !== undefined ? { signal } : {}),
      reason: exitCode === 0 ? 'Completed' : 'Error',
      startedAt,
      finishedAt: this.#now(),
    });
  }

  #setState(c: FakeContainer, state: ContainerState): void {
    c.status = { ...c.status, state };
    this.#wake(c.exitWaiters);
    this.#wake(c.logWaiters);
  }

  #wake(waiters: (() => void)[]): void {
    for (const w of waiters.splice(0)) w();
  }

  #waitAny(c: FakeContainer, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      c.logWaiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  #sandbox(id: string): FakeSandbox {
    const s = this.#sandboxes.get(id);
    if (!s) throw new SandboxNotFoundError(id);
    return s;
  }

  #container(id: string): FakeContainer {
    const c = this.#containers.get(id);
    if (!c) throw new ContainerNotFoundError(id);
    return c;
  }

  #id(prefix: string): string {
    return `${prefix}${String(this.#nextId++).padStart(6, '0')}`;
  }

  #now(): string {
    return new Date(this.#clock.now()).toISOString();
  }

  #takeFailure(method: Method, args: readonly unknown[]): void {
    this.calls.push({ method, args });
    const err = this.#failures.get(method)?.shift();
    if (err) throw err;
  }

  #call<T>(method: Method, args: readonly unknown[], fn: () => T): Promise<T> {
    return Promise.resolve().then(() => {
      this.#takeFailure(method, args);
      return fn();
    });
  }

  #callAsync<T>(method: Method, args: readonly unknown[], fn: () => Promise<T>): Promise<T> {
    return Promise.resolve().then(() => {
      this.#takeFailure(method, args);
      return fn();
    });
  }
}

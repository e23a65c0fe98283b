/**
 * The only door to the `nft` binary. `ExecNft` runs one `nft -f -` per transaction (atomic: the
 * kernel commits the whole batch or nothing); FakeNft (fake.ts) implements the same interface in
 * memory for tests.
 */
import { spawn } from 'node:child_process';
import { PorticoError } from '../../lib/errors.js';
import type { IPFamily } from '../types.js';
import type { TableListing } from './index.js';
import { nftFamily, tableName } from './model.js';

/** `nft` refused a transaction; nothing of it was applied. */
export class NftError extends PorticoError {
  readonly stderr: string;
  constructor(message: string, stderr: string) {
    super('E_NFT', message);
    this.stderr = stderr;
  }
}

export interface Nft {
  /** Applies the script as one atomic transaction. @throws NftError */
  run(script: string): Promise<void>;
  /** Chain and set names of our table for `family`; undefined when the table does not exist. */
  list(family: IPFamily): Promise<TableListing | undefined>;
  /** Releases a long-lived session, if any. */
  close?(): void;
}

export interface ExecNftOptions {
  /**
   * The command that runs nft: `['nft']` by default; tests and benchmarks run it in a network
   * namespace with `['ip', 'netns', 'exec', NAME, 'nft']`.
   */
  readonly command?: readonly string[];
  readonly timeoutMs?: number;
}

export class ExecNft implements Nft {
  readonly #command: readonly string[];
  readonly #timeoutMs: number;

  constructor(options: ExecNftOptions = {}) {
    this.#command = options.command ?? ['nft'];
    this.#timeoutMs = options.timeoutMs ?? 5 * 60_000;
  }

  async run(script: string): Promise<void> {
    const r = await this.#exec(['-f', '-'], script);
    if (r.code !== 0)
      throw new NftError(
        `nft -f failed (exit ${r.code ?? 'signal'}): ${firstLines(r.stderr)}`,
        r.stderr,
      );
  }

  async list(family: IPFamily): Promise<TableListing | undefined> {
    // Only chains: listing sets or the table (even with -t) makes nft fetch every element
    // (2.8 s at 10,000 Services × 10 endpoints here); `list chains` takes ~13 ms.
    const r = await this.#exec(['list', 'chains', nftFamily(family)], '');
    if (r.code !== 0)
      throw new NftError(`nft list chains failed: ${firstLines(r.stderr)}`, r.stderr);
    return parseListing(r.stdout, `${nftFamily(family)} ${tableName}`);
  }

  #exec(
    args: readonly string[],
    input: string,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const [file = 'nft', ...pre] = this.#command;
      const child = spawn(file, [...pre, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: this.#timeoutMs,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({
          code,
          stdout: Buffer.concat(out).toString(),
          stderr: Buffer.concat(err).toString(),
        }),
      );
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    });
  }
}

/**
 * Parses `nft list chains <family>` output for one table: its chain names, and the affinity sets
 * that go with its `endpoint-…` chains (the proxy always creates and removes them together).
 * Undefined when the table is absent.
 */
export function parseListing(text: string, table: string): TableListing | undefined {
  const chains: string[] = [];
  let inTable = false;
  let found = false;
  for (const line of text.split('\n')) {
    const t = /^table (\S+ \S+) \{$/.exec(line);
    if (t) {
      inTable = t[1] === table;
      found ||= inTable;
      continue;
    }
    if (!inTable) continue;
    const m = /^\tchain ("?)(\S+?)\1 \{$/.exec(line);
    if (m?.[2] !== undefined) chains.push(m[2]);
  }
  if (!found) return undefined;
  const sets = chains
    .filter((c) => c.startsWith('endpoint-'))
    .map((c) => ({ name: `affinity-${c.slice('endpoint-'.length)}`, kind: 'set' as const }));
  return { chains, sets };
}

function firstLines(s: string): string {
  return s.trim().split('\n').slice(0, 6).join(' | ');
}

/** Whether this host can run the nftables backend: root and a working nft binary. */
export async function probeNft(nft: Nft): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not running as root';
  try {
    await nft.list('IPv4');
    return undefined;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return 'nft binary not found';
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * A long-lived `nft -i` process for small transactions. Starting `nft` and letting it fill its
 * cache costs ~17 ms per transaction on these machines, more than the kernel work of a one-Service
 * change (bench/proxy); a session pays it once. Each transaction is written as one line (one line
 * of `nft -i` is one atomic batch), followed by a sentinel command whose error message marks the
 * end of the transaction's output in the merged stdout/stderr stream. Large scripts (full syncs)
 * and listings go through a fresh `nft -f`. Any trouble with the session (exit, timeout) fails
 * the transaction and restarts the session on the next one.
 */
export class SessionNft implements Nft {
  readonly #exec: ExecNft;
  readonly #command: readonly string[];
  readonly #timeoutMs: number;
  readonly #maxLineBytes: number;
  #child: ReturnType<typeof spawn> | undefined;
  #buffer = '';
  #waiter: ((text: string | Error) => void) | undefined;
  #sentinel = '';
  #tail: Promise<void> = Promise.resolve();
  #seq = 0;
  /** Transactions sent through the session (tests, bench). */
  sessionRuns = 0;

  constructor(options: ExecNftOptions & { maxLineBytes?: number } = {}) {
    this.#exec = new ExecNft(options);
    this.#command = options.command ?? ['nft'];
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#maxLineBytes = options.maxLineBytes ?? 256 * 1024;
  }

  list(family: IPFamily): Promise<TableListing | undefined> {
    return this.#exec.list(family);
  }

  run(script: string): Promise<void> {
    const lines = script.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) return Promise.resolve();
    const line = lines.join('; ');
    if (line.length > this.#maxLineBytes || line.includes('\n')) return this.#exec.run(script);
    const next = this.#tail.then(() => this.#send(line));
    this.#tail = next.catch(() => undefined);
    return next;
  }

  #start(): ReturnType<typeof spawn> {
    const [file = 'nft', ...pre] = this.#command;
    // One stream for stdout and stderr keeps error messages in order with the sentinel.
    const child = spawn('sh', ['-c', 'exec "$0" "$@" 2>&1', file, ...pre, '-i'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => {
      this.#buffer += d;
      this.#check();
    });
    const fail = (why: string): void => {
      if (this.#child === child) this.#child = undefined;
      const w = this.#waiter;
      this.#waiter = undefined;
      w?.(new NftError(`nft session ended: ${why}`, this.#buffer));
    };
    child.on('error', (e) => fail(e.message));
    child.on('exit', (code) => fail(`exit ${code ?? 'signal'}`));
    child.stdin?.on('error', () => undefined);
    // The session never keeps the process alive: when it exits, nft reads EOF and ends too.
    child.unref();
    for (const stream of [child.stdin, child.stdout])
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    return child;
  }

  #check(): void {
    if (!this.#waiter) return;
    const at = this.#buffer.indexOf(this.#sentinel);
    if (at < 0) return;
    // The sentinel's own message: "Error: …\n<sentinel command>\n<carets>\n".
    const caretEnd = this.#buffer.indexOf('\n', this.#buffer.indexOf('\n', at) + 1);
    if (caretEnd < 0) return;
    const before = this.#buffer.slice(0, at);
    const errorLine = before.lastIndexOf('Error:');
    const output = errorLine >= 0 ? before.slice(0, errorLine) : before;
    this.#buffer = this.#buffer.slice(caretEnd + 1);
    const w = this.#waiter;
    this.#waiter = undefined;
    w(output);
  }

  async #send(line: string): Promise<void> {
    if (!this.#child) {
      this.#buffer = '';
      this.#child = this.#start();
    }
    const child = this.#child;
    this.#sentinel = `list set ip ${tableName} __portico_sentinel_${process.pid}_${++this.#seq}`;
    const result = await new Promise<string | Error>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        child.kill('SIGKILL');
        resolve(new NftError('nft session timed out', this.#buffer));
      }, this.#timeoutMs);
      this.#waiter = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      child.stdin?.write(`${line}\n${this.#sentinel}\n`);
    });
    this.sessionRuns++;
    if (result instanceof Error) throw result;
    if (/Error:/.test(result))
      throw new NftError(`nft transaction failed: ${firstLines(result)}`, result);
  }

  /** Ends the session process. */
  close(): void {
    const c = this.#child;
    this.#child = undefined;
    if (c && c.exitCode === null) {
      c.stdin?.end();
      c.kill('SIGTERM');
    }
  }
}

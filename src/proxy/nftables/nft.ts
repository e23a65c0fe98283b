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
    // -t (terse) leaves set elements out: the listing costs the same at 10 or 10,000 Services.
    const r = await this.#exec(['-t', 'list', 'table', nftFamily(family), tableName], '');
    if (r.code !== 0) {
      if (/No such file or directory/.test(r.stderr)) return undefined;
      throw new NftError(`nft list table failed: ${firstLines(r.stderr)}`, r.stderr);
    }
    return parseListing(r.stdout);
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

/** Parses `nft -t list table` output: the names of chains, sets and maps. */
export function parseListing(text: string): TableListing {
  const chains: string[] = [];
  const sets: { name: string; kind: 'set' | 'map' }[] = [];
  for (const line of text.split('\n')) {
    const m = /^\t(chain|set|map) ("?)(\S+?)\2 \{$/.exec(line);
    if (!m) continue;
    const [, kind, , name] = m;
    if (name === undefined) continue;
    if (kind === 'chain') chains.push(name);
    else sets.push({ name, kind: kind === 'map' ? 'map' : 'set' });
  }
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

/**
 * UDP conntrack cleanup. UDP has no connection end: a client that keeps sending from the same
 * port keeps its conntrack entry, and with it a DNAT to an endpoint that may be gone, or no DNAT
 * at all when its first packet arrived before the Service had endpoints (conformance CIP-20..22,
 * NP-05, TP-11). After each sync the proxy deletes exactly those entries:
 *
 * - entries DNATed to an endpoint that was removed (reply source = that endpoint);
 * - entries to a frontend that were not DNATed (reply source = the frontend itself), once the
 *   Service has endpoints.
 *
 * Live entries to endpoints that still exist are never touched, so a proxy restart keeps flows.
 */
import { spawn } from 'node:child_process';
import type { IPFamily } from './types.js';

/** A filter for `conntrack -D -p udp`; every given field must match. */
export interface ConntrackFilter {
  readonly origDst?: string;
  readonly origPortDst?: number;
  readonly replySrc?: string;
}

export interface ConntrackEntry {
  readonly origSrc: string;
  readonly origDst: string;
  readonly origPortDst: number;
  readonly replySrc: string;
  readonly replyPortSrc: number;
}

export interface Conntrack {
  /** Deletes UDP entries matching the filter; resolves with how many went. */
  deleteUDP(family: IPFamily, filter: ConntrackFilter): Promise<number>;
  /** Every UDP entry of the family. */
  listUDP(family: IPFamily): Promise<ConntrackEntry[]>;
}

function run(
  command: readonly string[],
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [file = 'conntrack', ...pre] = command;
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...pre, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
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
  });
}

/** conntrack-tools (`conntrack -D`, `conntrack -L`). */
export class ExecConntrack implements Conntrack {
  readonly #command: readonly string[];

  /** `command` runs conntrack: `['conntrack']`, or `['ip', 'netns', 'exec', NAME, 'conntrack']`. */
  constructor(options: { command?: readonly string[] } = {}) {
    this.#command = options.command ?? ['conntrack'];
  }

  async deleteUDP(family: IPFamily, filter: ConntrackFilter): Promise<number> {
    const args = ['-D', '-f', family === 'IPv4' ? 'ipv4' : 'ipv6', '-p', 'udp'];
    if (filter.origDst !== undefined) args.push('--orig-dst', filter.origDst);
    if (filter.origPortDst !== undefined) args.push('--orig-port-dst', String(filter.origPortDst));
    if (filter.replySrc !== undefined) args.push('--reply-src', filter.replySrc);
    const r = await run(this.#command, args);
    const m = /(\d+) flow entries have been deleted/.exec(r.stderr);
    // conntrack exits 1 when nothing matched; that is not a failure.
    if (m) return Number(m[1]);
    if (r.code !== 0) throw new Error(`conntrack ${args.join(' ')} failed: ${r.stderr.trim()}`);
    return 0;
  }

  async listUDP(family: IPFamily): Promise<ConntrackEntry[]> {
    const r = await run(this.#command, [
      '-L',
      '-f',
      family === 'IPv4' ? 'ipv4' : 'ipv6',
      '-p',
      'udp',
    ]);
    if (r.code !== 0) throw new Error(`conntrack -L failed: ${r.stderr.trim()}`);
    return parseConntrackList(r.stdout);
  }
}

/** Parses `conntrack -L` lines: the first src/dst/dport are the original tuple, the second the reply. */
export function parseConntrackList(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    const src = [...line.matchAll(/\bsrc=(\S+)/g)].map((m) => m[1] ?? '');
    const dst = [...line.matchAll(/\bdst=(\S+)/g)].map((m) => m[1] ?? '');
    const sport = [...line.matchAll(/\bsport=(\d+)/g)].map((m) => Number(m[1]));
    const dport = [...line.matchAll(/\bdport=(\d+)/g)].map((m) => Number(m[1]));
    if (src.length < 2 || dst.length < 1 || dport.length < 1 || sport.length < 2) continue;
    out.push({
      origSrc: src[0] ?? '',
      origDst: dst[0] ?? '',
      origPortDst: dport[0] ?? 0,
      replySrc: src[1] ?? '',
      replyPortSrc: sport[1] ?? 0,
    });
  }
  return out;
}

/** Records deletions instead of making them (unit tests). */
export class FakeConntrack implements Conntrack {
  readonly deletions: { family: IPFamily; filter: ConntrackFilter }[] = [];
  entries: ConntrackEntry[] = [];

  deleteUDP(family: IPFamily, filter: ConntrackFilter): Promise<number> {
    this.deletions.push({ family, filter });
    const before = this.entries.length;
    this.entries = this.entries.filter(
      (e) =>
        !(
          (filter.origDst === undefined || e.origDst === filter.origDst) &&
          (filter.origPortDst === undefined || e.origPortDst === filter.origPortDst) &&
          (filter.replySrc === undefined || e.replySrc === filter.replySrc)
        ),
    );
    return Promise.resolve(before - this.entries.length);
  }

  listUDP(): Promise<ConntrackEntry[]> {
    return Promise.resolve([...this.entries]);
  }
}

/** A UDP destination of a Service port: an address and port, or a node port. */
export interface UdpFrontend {
  readonly ip?: string;
  readonly port: number;
}

/** The UDP view of one Service port for cleanup. */
export interface UdpPortState {
  readonly frontends: readonly UdpFrontend[];
  /** Endpoint addresses this node DNATs to. */
  readonly endpoints: readonly string[];
}

/**
 * Filters to delete after a change of one UDP Service port from `before` to `after`.
 * `before` undefined with `afterStartup` true means "unknown": only un-NATed entries are
 * removed (the list-based cleanup of a full sync finds the rest).
 */
export function staleFilters(
  before: UdpPortState | undefined,
  after: UdpPortState | undefined,
): ConntrackFilter[] {
  const out: ConntrackFilter[] = [];
  const key = (f: ConntrackFilter): string => JSON.stringify(f);
  const seen = new Set<string>();
  const push = (f: ConntrackFilter): void => {
    const k = key(f);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(f);
    }
  };
  if (before) {
    const still = new Set(after?.endpoints ?? []);
    const removed = before.endpoints.filter((ep) => !still.has(ep));
    for (const ep of removed)
      for (const f of before.frontends)
        push({
          ...(f.ip !== undefined ? { origDst: f.ip } : {}),
          origPortDst: f.port,
          replySrc: ep,
        });
  }
  if (after && after.endpoints.length > 0 && (!before || before.endpoints.length === 0)) {
    for (const f of after.frontends)
      if (f.ip !== undefined) push({ origDst: f.ip, origPortDst: f.port, replySrc: f.ip });
  }
  return out;
}

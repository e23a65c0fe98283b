/**
 * The CRI container log format (kubelet `pkg/kubelet/kuberuntime/logs`, containerd `pkg/cri/io`):
 * one entry per line, `<RFC3339Nano time> <stdout|stderr> <F|P> <content>\n`, where `P` marks a
 * piece of a line longer than the writer's buffer and `F` the piece that ends it. Pure functions:
 * parse a line, format an entry for `kubectl logs`, filter by time and tail.
 */
import type { LogEntry, LogOptions } from './types.js';

const space = 0x20;

/** Parses one log-file line (without its newline); undefined for a malformed line. */
export function parseCriLine(line: Uint8Array): LogEntry | undefined {
  const s1 = line.indexOf(space);
  if (s1 <= 0) return undefined;
  const s2 = line.indexOf(space, s1 + 1);
  if (s2 < 0) return undefined;
  const time = Buffer.from(line.subarray(0, s1)).toString('latin1');
  const stream = Buffer.from(line.subarray(s1 + 1, s2)).toString('latin1');
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  // The tag field: `F`/`P`, possibly followed by `:`-separated extras in future formats.
  let s3 = line.indexOf(space, s2 + 1);
  if (s3 < 0) s3 = line.length;
  const tag = Buffer.from(line.subarray(s2 + 1, s3))
    .toString('latin1')
    .split(':')[0];
  if (tag !== 'F' && tag !== 'P') return undefined;
  return {
    time,
    stream,
    partial: tag === 'P',
    content: line.subarray(Math.min(s3 + 1, line.length)),
  };
}

/** Formats one entry as a CRI log-file line, newline included. */
export function formatCriLine(entry: LogEntry): Buffer {
  return Buffer.concat([
    Buffer.from(`${entry.time} ${entry.stream} ${entry.partial ? 'P' : 'F'} `, 'latin1'),
    entry.content,
    Buffer.from('\n'),
  ]);
}

/**
 * Nanoseconds since the epoch of an RFC 3339 time with up to nine fraction digits (Date keeps only
 * milliseconds, and `--since-time` comparisons and ordering need the rest).
 */
export function timeToNanos(time: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1] ?? ''}${m[3] ?? 'Z'}`);
  if (Number.isNaN(seconds)) return undefined;
  const frac = (m[2] ?? '').padEnd(9, '0');
  return BigInt(seconds) * 1_000_000n + BigInt(frac);
}

/**
 * The time as Go's `time.RFC3339Nano` prints it in UTC (what `kubectl logs --timestamps` shows):
 * trailing zeros of the fraction dropped, no fraction when it is zero.
 */
export function formatRFC3339Nano(nanos: bigint): string {
  const ms = Number(nanos / 1_000_000n);
  const base = new Date(ms - (ms % 1000)).toISOString().slice(0, 19);
  const frac = (nanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}${frac ? `.${frac}` : ''}Z`;
}

/** The current time in nanoseconds, as RFC3339Nano. */
export function nowRFC3339Nano(clockNowMs?: number): string {
  if (clockNowMs !== undefined) return formatRFC3339Nano(BigInt(clockNowMs) * 1_000_000n);
  const ns = process.hrtime.bigint();
  const wall = BigInt(Date.now()) * 1_000_000n;
  // hrtime is monotonic, not wall time: use it only for sub-millisecond digits.
  return formatRFC3339Nano(wall + (ns % 1_000_000n));
}

/** True when the entry passes the options' time filter. */
export function logEntryMatches(entry: LogEntry, options: Pick<LogOptions, 'since'>): boolean {
  if (!options.since) return true;
  const t = timeToNanos(entry.time);
  return t === undefined || t >= BigInt(options.since.getTime()) * 1_000_000n;
}

/**
 * The last `lines` complete lines (a line split into `P` pieces counts once, with all its pieces),
 * or everything when `lines` is undefined.
 */
export function tailEntries(entries: readonly LogEntry[], lines: number | undefined): LogEntry[] {
  if (lines === undefined) return [...entries];
  if (lines <= 0) return [];
  let count = 0;
  let i = entries.length;
  while (i > 0) {
    const e = entries[i - 1];
    if (e && !e.partial) {
      if (count === lines) break;
      count++;
    }
    i--;
  }
  return entries.slice(i);
}

/**
 * The bytes `kubectl logs` prints for an entry: the content, a newline after a full line, and with
 * `timestamps` the time first (kubelet formats it as RFC3339Nano). Pieces of a long line are
 * concatenated, so only the first piece of a line carries a timestamp.
 */
export function renderLogEntry(
  entry: LogEntry,
  options: { timestamps?: boolean; continuation?: boolean } = {},
): Buffer {
  const parts: Uint8Array[] = [];
  if (options.timestamps && !options.continuation) {
    const ns = timeToNanos(entry.time);
    parts.push(Buffer.from(`${ns !== undefined ? formatRFC3339Nano(ns) : entry.time} `));
  }
  parts.push(entry.content);
  if (!entry.partial) parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}

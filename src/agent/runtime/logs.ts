/**
 * Reading CRI log files: the current file and its one rotated predecessor (`<log>.1`), with tail,
 * since and limitBytes, and `follow` that survives a rotation (it keeps reading the renamed file
 * to its end, then switches) and ends once the container has exited and the log is drained.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { logEntryMatches, parseCriLine, tailEntries } from './logformat.js';
import type { LogEntry, LogOptions } from './types.js';

async function readAll(path: string): Promise<Buffer> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    return await fh.readFile();
  } catch {
    return Buffer.alloc(0);
  } finally {
    await fh?.close();
  }
}

/** Splits complete lines (a trailing piece without newline stays for later); returns the rest. */
function parseLines(buf: Buffer, out: LogEntry[]): Buffer {
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) break;
    const e = parseCriLine(buf.subarray(start, nl));
    if (e) out.push(e);
    start = nl + 1;
  }
  return buf.subarray(start);
}

export interface ReadLogOptions extends LogOptions {
  readonly path: string;
  /** True once the container has exited and its monitor has drained the output. */
  readonly finished: () => boolean;
  /** Start at this byte of the current file (attach: output from now on); no initial part. */
  readonly fromByte?: number;
}

/** Parsed entries of a container's log file(s). */
export async function* readLogs(options: ReadLogOptions): AsyncIterable<LogEntry> {
  const { path, signal } = options;
  let budget = options.limitBytes ?? Infinity;
  const emit = function* (entries: readonly LogEntry[]): Generator<LogEntry, boolean> {
    for (const e of entries) {
      if (budget <= 0) return false;
      if (!logEntryMatches(e, options)) continue;
      if (e.content.length > budget) {
        const cut = budget;
        budget = 0;
        yield { ...e, partial: true, content: e.content.subarray(0, cut) };
        return false;
      }
      budget -= e.content.length + (e.partial ? 0 : 1);
      yield e;
    }
    return true;
  };

  // Open the current file first: what we read of it is then exactly what follow continues from.
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
  } catch {
    fh = undefined;
  }
  try {
    let pos = 0;
    let rest: Buffer = Buffer.alloc(0);
    if (options.fromByte !== undefined) {
      pos = options.fromByte;
    } else {
      const initial: LogEntry[] = [];
      parseLines(await readAll(`${path}.1`), initial);
      if (fh) {
        const data = await fh.readFile();
        pos = data.length;
        rest = parseLines(data, initial);
      }
      const matching = options.since ? initial.filter((e) => logEntryMatches(e, options)) : initial;
      if (!(yield* emit(tailEntries(matching, options.tailLines)))) return;
    }
    if (!options.follow) return;

    let watcher: FSWatcher | undefined;
    let wake: (() => void) | undefined;
    try {
      watcher = watch(path, { persistent: false }, () => wake?.());
    } catch {
      watcher = undefined;
    }
    try {
      for (;;) {
        if (signal?.aborted) return;
        const finishedBefore = options.finished();
        let got = false;
        if (fh) {
          const chunk = Buffer.alloc(65536);
          for (;;) {
            const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
            if (bytesRead === 0) break;
            got = true;
            pos += bytesRead;
            const entries: LogEntry[] = [];
            rest = parseLines(Buffer.concat([rest, chunk.subarray(0, bytesRead)]), entries);
            if (!(yield* emit(entries))) return;
          }
        }
        // Rotated (or created since we looked)? Switch to the new file once the old one is read.
        const now = await stat(path).catch(() => undefined);
        const mine = fh ? await fh.stat().catch(() => undefined) : undefined;
        if (now && (!mine || now.ino !== mine.ino)) {
          await fh?.close();
          fh = await open(path, 'r').catch(() => undefined);
          pos = 0;
          rest = Buffer.alloc(0);
          try {
            watcher?.close();
            watcher = watch(path, { persistent: false }, () => wake?.());
          } catch {
            watcher = undefined;
          }
          continue;
        }
        if (got) continue;
        if (finishedBefore) return;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, 250);
          function done() {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            wake = undefined;
            resolve();
          }
          wake = done;
          signal?.addEventListener('abort', done, { once: true });
        });
      }
    } finally {
      watcher?.close();
    }
  } finally {
    await fh?.close();
  }
}

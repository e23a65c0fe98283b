/**
 * kubelet's remote command streams over WebSocket (k8s.io/apimachinery wsstream and
 * kubelet's cri/streaming/remotecommand): `exec` and `attach`.
 *
 * Subprotocols, in the client's order of preference: `v5.channel.k8s.io`, `v4.channel.k8s.io`,
 * `v3`/`v2.channel.k8s.io`, `channel.k8s.io` (binary frames: one channel byte, then data) and
 * their `base64.` variants (text frames: a channel digit, then base64). Channels: 0 stdin,
 * 1 stdout, 2 stderr, 3 error/status, 4 resize (v3+). v5 adds `[255, n]`: the client closed
 * stream n (stdin EOF).
 *
 * On connect, an empty frame on the lowest output channel says "ready"; when the command ends,
 * v4+ send a Status on channel 3 — `Success`, or `NonZeroExitCode` with cause `ExitCode` (what
 * makes kubectl print "command terminated with exit code N" and exit N) — and close the socket.
 */
import { PassThrough, Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { TerminalSize } from '../runtime/types.js';

export const supportedProtocols = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
  'v5.base64.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'v3.base64.channel.k8s.io',
  'v2.base64.channel.k8s.io',
  'base64.channel.k8s.io',
] as const;

/** The first protocol the client offered that we speak (kubelet honours the client's order). */
export function chooseProtocol(offered: Iterable<string>): string | undefined {
  for (const p of offered) if ((supportedProtocols as readonly string[]).includes(p)) return p;
  return undefined;
}

export interface StreamOptions {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

/** Reads kubelet's query flags (`stdin=1`, `stdout=true`; the legacy `input`/`output`). */
export function streamOptions(q: URLSearchParams): StreamOptions {
  const flag = (...names: string[]): boolean =>
    names.some((n) => {
      const v = q.get(n);
      return v !== null && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
    });
  const tty = flag('tty');
  return {
    stdin: flag('stdin', 'input'),
    stdout: flag('stdout', 'output'),
    stderr: flag('stderr', 'error') && !tty,
    tty,
  };
}

export const channels = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 } as const;

/** A Status saying how the command ended. */
export function exitStatus(code: number, command: readonly string[]): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** A Status for a failure that is not an exit code (the container is gone, runc failed). */
export function errorStatus(message: string): Record<string, unknown> {
  return { metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 };
}

/** A resize queue: an AsyncIterable fed by channel-4 messages. */
class ResizeQueue implements AsyncIterable<TerminalSize> {
  readonly #items: TerminalSize[] = [];
  #waiter: (() => void) | undefined;
  #done = false;
  push(s: TerminalSize): void {
    this.#items.push(s);
    this.#waiter?.();
  }
  end(): void {
    this.#done = true;
    this.#waiter?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<TerminalSize> {
    for (;;) {
      const next = this.#items.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.#done) return;
      await new Promise<void>((r) => (this.#waiter = r));
      this.#waiter = undefined;
    }
  }
}

/** One WebSocket speaking the channel protocol. */
export class ChannelConn {
  readonly ws: WebSocket;
  readonly protocol: string;
  readonly #base64: boolean;
  readonly #v5: boolean;
  readonly #v4: boolean;
  readonly stdin = new PassThrough();
  readonly resize = new ResizeQueue();
  #closed = false;

  constructor(ws: WebSocket, protocol: string) {
    this.ws = ws;
    this.protocol = protocol;
    this.#base64 = protocol.includes('base64');
    this.#v5 = protocol.startsWith('v5.');
    this.#v4 = protocol.startsWith('v4.') || this.#v5;
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('close', () => {
      this.#closed = true;
      this.stdin.end();
      this.resize.end();
    });
    ws.on('error', () => undefined);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Statuses on channel 3 are JSON (v4+) or plain text (older). */
  get structuredErrors(): boolean {
    return this.#v4;
  }

  #onMessage(raw: Buffer, isBinary: boolean): void {
    let channel: number;
    let payload: Buffer;
    if (this.#base64 && !isBinary) {
      const text = raw.toString('utf8');
      if (text.length === 0) return;
      channel = text.charCodeAt(0) - 48;
      payload = Buffer.from(text.slice(1), 'base64');
    } else {
      if (raw.length === 0) return;
      channel = raw[0] ?? 0;
      payload = raw.subarray(1);
    }
    if (this.#v5 && channel === 255) {
      if (payload[0] === channels.stdin) this.stdin.end();
      return;
    }
    if (channel === channels.stdin) {
      if (payload.length > 0) this.stdin.write(payload);
    } else if (channel === channels.resize) {
      try {
        const s = JSON.parse(payload.toString('utf8')) as { Width?: number; Height?: number };
        if (s.Width !== undefined && s.Height !== undefined)
          this.resize.push({ width: s.Width, height: s.Height });
      } catch {
        // a malformed resize is ignored, as kubelet does
      }
    }
  }

  /** Sends data on a channel; resolves once the socket took it. */
  send(channel: number, data: Buffer): Promise<void> {
    if (this.#closed || this.ws.readyState !== this.ws.OPEN) return Promise.resolve();
    const frame = this.#base64
      ? String.fromCharCode(48 + channel) + data.toString('base64')
      : Buffer.concat([Buffer.from([channel]), data]);
    return new Promise((resolve) =>
      this.ws.send(frame, { binary: !this.#base64 }, () => resolve()),
    );
  }

  /** A Writable that forwards to a channel (stdout, stderr). */
  writer(channel: number): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.send(channel, chunk).then(() => cb(), cb);
      },
    });
  }

  /** Sends the final status and closes the socket. */
  async finish(status: Record<string, unknown>): Promise<void> {
    if (this.structuredErrors) await this.send(channels.error, Buffer.from(JSON.stringify(status)));
    else if (status['status'] !== 'Success')
      await this.send(
        channels.error,
        Buffer.from(typeof status['message'] === 'string' ? status['message'] : 'error'),
      );
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.stdin.end();
    this.resize.end();
    try {
      this.ws.close(1000);
    } catch {
      this.ws.terminate();
    }
  }
}

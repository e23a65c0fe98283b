/**
 * SPDY/3.1 framing, server side, as much as Kubernetes' streaming protocols use
 * (k8s.io/apimachinery httpstream/spdy over moby/spdystream): streams opened by the client with
 * SYN_STREAM (headers zlib-compressed against the SPDY/3 dictionary, one compression context per
 * direction for the whole connection), answered with SYN_REPLY; DATA frames with FIN for
 * half-close; RST_STREAM; PING echoed; GOAWAY. SETTINGS and WINDOW_UPDATE are accepted and
 * ignored: spdystream, the only peer this serves, does no flow control.
 *
 * Transport-neutral: bytes come in through `receive()` and go out through `write` (a TLS socket
 * after an HTTP upgrade, or WebSocket messages for `SPDY/3.1+portforward.k8s.io`).
 */
import { Duplex } from 'node:stream';
import zlib from 'node:zlib';

const names = [
  'options',
  'head',
  'post',
  'put',
  'delete',
  'trace',
  'accept',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'accept-ranges',
  'age',
  'allow',
  'authorization',
  'cache-control',
  'connection',
  'content-base',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-md5',
  'content-range',
  'content-type',
  'date',
  'etag',
  'expect',
  'expires',
  'from',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'pragma',
  'proxy-authenticate',
  'proxy-authorization',
  'range',
  'referer',
  'retry-after',
  'server',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'vary',
  'via',
  'warning',
  'www-authenticate',
  'method',
  'get',
  'status',
  '200 OK',
  'version',
  'HTTP/1.1',
  'url',
  'public',
  'set-cookie',
  'keep-alive',
  'origin',
];
const tail =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request' +
  '401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented' +
  '503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, ' +
  'Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/xml,' +
  'application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdch' +
  'charset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

/**
 * The SPDY/3 header compression dictionary (spdy-protocol-draft3 §2.6.10.1): each name with a
 * 4-byte length, then the value text. 1423 bytes; sha256 51d27341…407f02.
 */
export const spdyDictionary: Buffer = Buffer.concat([
  ...names.flatMap((n) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(n.length);
    return [len, Buffer.from(n, 'latin1')];
  }),
  Buffer.from(tail, 'latin1'),
]);

const controlBit = 0x80;
const version = 3;
export const frameTypes = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goAway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;
const flagFin = 0x01;
const maxData = 32 * 1024;

export type SpdyHeaders = ReadonlyMap<string, readonly string[]>;

/** A zlib stream used block by block: each call returns what that block (sync-flushed) yields. */
class BlockZ {
  readonly #z: zlib.Deflate | zlib.Inflate;
  #out: Buffer[] = [];
  #chain: Promise<unknown> = Promise.resolve();

  constructor(kind: 'deflate' | 'inflate') {
    this.#z =
      kind === 'deflate'
        ? zlib.createDeflate({ dictionary: spdyDictionary })
        : zlib.createInflate({ dictionary: spdyDictionary });
    this.#z.on('data', (c: Buffer) => this.#out.push(c));
    this.#z.on('error', () => undefined);
  }

  process(block: Buffer): Promise<Buffer> {
    const run = this.#chain.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          const onError = (e: Error): void => reject(e);
          this.#z.once('error', onError);
          this.#z.write(block);
          this.#z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            this.#z.off('error', onError);
            const r = Buffer.concat(this.#out);
            this.#out = [];
            resolve(r);
          });
        }),
    );
    this.#chain = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.#z.destroy();
  }
}

/** Encodes a header block (SPDY/3: 32-bit counts and lengths; values joined by NUL). */
export function encodeHeaderBlock(
  headers: Readonly<Record<string, string | readonly string[]>>,
): Buffer {
  const parts: Buffer[] = [];
  const entries = Object.entries(headers);
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  parts.push(u32(entries.length));
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(typeof value === 'string' ? value : value.join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** Decodes a header block. @throws Error when it is malformed */
export function decodeHeaderBlock(b: Buffer): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let off = 0;
  const u32 = (): number => {
    if (off + 4 > b.length) throw new Error('truncated SPDY header block');
    const v = b.readUInt32BE(off);
    off += 4;
    return v;
  };
  const str = (len: number): string => {
    if (off + len > b.length) throw new Error('truncated SPDY header block');
    const s = b.subarray(off, off + len).toString('utf8');
    off += len;
    return s;
  };
  const count = u32();
  for (let i = 0; i < count; i++) {
    const name = str(u32()).toLowerCase();
    const value = str(u32());
    out.set(name, [...(out.get(name) ?? []), ...value.split('\0')]);
  }
  return out;
}

/** One SPDY stream: a Duplex of its DATA frames. */
export class SpdyStream extends Duplex {
  readonly id: number;
  readonly headers: SpdyHeaders;
  readonly #conn: SpdyConnection;
  #replied = false;

  constructor(conn: SpdyConnection, id: number, headers: SpdyHeaders) {
    super({ allowHalfOpen: true });
    this.#conn = conn;
    this.id = id;
    this.headers = headers;
  }

  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  /** SYN_REPLY: accepts the stream. */
  async reply(headers: Readonly<Record<string, string>> = {}): Promise<void> {
    if (this.#replied) return;
    this.#replied = true;
    await this.#conn.sendReply(this.id, headers);
  }

  /** RST_STREAM with a status (5 = CANCEL). */
  reset(status = 5): void {
    this.#conn.sendReset(this.id, status);
    this.destroy();
  }

  override _read(): void {
    // data is pushed as frames arrive
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.#conn.sendData(this.id, chunk, false, cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.#conn.sendData(this.id, Buffer.alloc(0), true, cb);
  }
}

export interface SpdyConnectionOptions {
  /** Sends bytes to the peer; resolves (calls back) once they may be followed by more. */
  readonly write: (data: Buffer, cb: (e?: Error | null) => void) => void;
  /** A new stream from the peer (reply() it, or reset() it). */
  readonly onStream: (stream: SpdyStream) => void;
  /** The connection is over (GOAWAY, a protocol error, or close()). */
  readonly onClose?: (reason: string) => void;
}

export class SpdyConnection {
  readonly #o: SpdyConnectionOptions;
  readonly #inflate = new BlockZ('inflate');
  readonly #deflate = new BlockZ('deflate');
  readonly #streams = new Map<number, SpdyStream>();
  #buf: Buffer = Buffer.alloc(0);
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  #lastStream = 0;

  constructor(options: SpdyConnectionOptions) {
    this.#o = options;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes from the peer. */
  receive(chunk: Buffer): void {
    if (this.#closed) return;
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    while (this.#buf.length >= 8) {
      const len = this.#buf.readUInt32BE(4) & 0xffffff;
      if (this.#buf.length < 8 + len) break;
      const frame = this.#buf.subarray(0, 8 + len);
      this.#buf = this.#buf.subarray(8 + len);
      // frames are handled in order (header blocks share one zlib stream)
      this.#chain = this.#chain
        .then(() => this.#handle(Buffer.from(frame)))
        .catch((e: unknown) => {
          this.close(`SPDY protocol error: ${e instanceof Error ? e.message : String(e)}`);
        });
    }
  }

  async #handle(f: Buffer): Promise<void> {
    if (this.#closed) return;
    const first = f.readUInt32BE(0);
    const flags = f[4] ?? 0;
    const payload = f.subarray(8);
    if ((first & 0x80000000) === 0) {
      const s = this.#streams.get(first & 0x7fffffff);
      if (!s) return;
      if (payload.length > 0) s.push(Buffer.from(payload));
      if (flags & flagFin) s.push(null);
      return;
    }
    const ver = (first >>> 16) & 0x7fff;
    const type = first & 0xffff;
    if (ver !== version) throw new Error(`unsupported SPDY version ${ver}`);
    switch (type) {
      case frameTypes.synStream: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.#inflate.process(payload.subarray(10)));
        if (id === 0 || this.#streams.has(id)) {
          this.sendReset(id, 1);
          return;
        }
        this.#lastStream = Math.max(this.#lastStream, id);
        const s = new SpdyStream(this, id, headers);
        s.on('close', () => this.#streams.delete(id));
        this.#streams.set(id, s);
        if (flags & flagFin) s.push(null);
        this.#o.onStream(s);
        return;
      }
      case frameTypes.synReply:
      case frameTypes.headers:
        // consume the header block to keep the zlib context in step
        await this.#inflate.process(payload.subarray(4));
        return;
      case frameTypes.rstStream: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        this.#streams.get(id)?.destroy();
        this.#streams.delete(id);
        return;
      }
      case frameTypes.ping:
        this.#send(f);
        return;
      case frameTypes.goAway:
        this.close('the peer went away');
        return;
      default:
        // SETTINGS, WINDOW_UPDATE: no flow control with spdystream
        return;
    }
  }

  #send(b: Buffer, cb: (e?: Error | null) => void = () => undefined): void {
    if (this.#closed) {
      cb(new Error('the SPDY connection is closed'));
      return;
    }
    this.#o.write(b, cb);
  }

  #control(type: number, flags: number, body: Buffer): Buffer {
    const h = Buffer.alloc(8);
    h.writeUInt16BE((controlBit << 8) | version, 0);
    h.writeUInt16BE(type, 2);
    h.writeUInt32BE(((flags & 0xff) << 24) | body.length, 4);
    return Buffer.concat([h, body]);
  }

  async sendReply(id: number, headers: Readonly<Record<string, string>>): Promise<void> {
    const block = await this.#deflate.process(encodeHeaderBlock(headers));
    const idb = Buffer.alloc(4);
    idb.writeUInt32BE(id);
    this.#send(this.#control(frameTypes.synReply, 0, Buffer.concat([idb, block])));
  }

  sendReset(id: number, status: number): void {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(id & 0x7fffffff, 0);
    b.writeUInt32BE(status, 4);
    this.#send(this.#control(frameTypes.rstStream, 0, b));
  }

  sendData(id: number, data: Buffer, fin: boolean, cb: (e?: Error | null) => void): void {
    const frames: Buffer[] = [];
    for (let off = 0; off < data.length || (fin && frames.length === 0); off += maxData) {
      const part = data.subarray(off, off + maxData);
      const last = off + maxData >= data.length;
      const h = Buffer.alloc(8);
      h.writeUInt32BE(id & 0x7fffffff, 0);
      h.writeUInt32BE((((fin && last ? flagFin : 0) & 0xff) << 24) | part.length, 4);
      frames.push(h, part);
      if (data.length === 0) break;
    }
    this.#send(Buffer.concat(frames), cb);
  }

  /** GOAWAY, then no more frames either way. */
  close(reason = 'closed'): void {
    if (this.#closed) return;
    const b = Buffer.alloc(8);
    b.writeUInt32BE(this.#lastStream, 0);
    b.writeUInt32BE(0, 4);
    this.#o.write(this.#control(frameTypes.goAway, 0, b), () => undefined);
    this.#closed = true;
    for (const s of this.#streams.values()) s.destroy();
    this.#streams.clear();
    this.#inflate.close();
    this.#deflate.close();
    this.#o.onClose?.(reason);
  }
}

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import zlib from 'node:zlib';
import {
  decodeHeaderBlock,
  encodeHeaderBlock,
  frameTypes,
  spdyDictionary,
  SpdyConnection,
  type SpdyStream,
} from './spdy.js';

test('the SPDY/3 dictionary is byte-exact (1423 bytes, the sha256 spdystream peers use)', () => {
  assert.equal(spdyDictionary.length, 1423);
  assert.equal(
    createHash('sha256').update(spdyDictionary).digest('hex'),
    '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02',
  );
});

test('header blocks round-trip, names lowercased, values split on NUL', () => {
  const b = encodeHeaderBlock({ StreamType: 'data', port: '8080', multi: ['a', 'b'] });
  const h = decodeHeaderBlock(b);
  assert.deepEqual(
    [...h],
    [
      ['streamtype', ['data']],
      ['port', ['8080']],
      ['multi', ['a', 'b']],
    ],
  );
  assert.throws(() => decodeHeaderBlock(b.subarray(0, 10)), /truncated/);
});

/** A minimal SPDY client: one compression context, as Go's framer keeps it. */
function client() {
  const deflate = zlib.createDeflate({ dictionary: spdyDictionary });
  const inflate = zlib.createInflate({ dictionary: spdyDictionary });
  let out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  const compress = (b: Buffer) =>
    new Promise<Buffer>((r) => {
      deflate.write(b);
      deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        const x = Buffer.concat(out);
        out = [];
        r(x);
      });
    });
  let inOut: Buffer[] = [];
  inflate.on('data', (c: Buffer) => inOut.push(c));
  const decompress = (b: Buffer) =>
    new Promise<Buffer>((r) => {
      inflate.write(b);
      inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        const x = Buffer.concat(inOut);
        inOut = [];
        r(x);
      });
    });
  const control = (type: number, flags: number, body: Buffer) => {
    const h = Buffer.alloc(8);
    h.writeUInt16BE(0x8003, 0);
    h.writeUInt16BE(type, 2);
    h.writeUInt32BE((flags << 24) | body.length, 4);
    return Buffer.concat([h, body]);
  };
  const synStream = async (id: number, headers: Record<string, string>, flags = 0) => {
    const block = await compress(encodeHeaderBlock(headers));
    const b = Buffer.alloc(10);
    b.writeUInt32BE(id, 0);
    return control(frameTypes.synStream, flags, Buffer.concat([b, block]));
  };
  const data = (id: number, payload: string, fin = false) => {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(id, 0);
    h.writeUInt32BE(((fin ? 1 : 0) << 24) | Buffer.byteLength(payload), 4);
    return Buffer.concat([h, Buffer.from(payload)]);
  };
  return { synStream, data, control, decompress };
}

test('SpdyConnection: streams from SYN_STREAM, SYN_REPLY back, DATA both ways with FIN, PING echoed', async () => {
  const sent: Buffer[] = [];
  const streams: SpdyStream[] = [];
  const conn = new SpdyConnection({
    write: (b, cb) => {
      sent.push(b);
      cb();
    },
    onStream: (s) => streams.push(s),
  });
  const c = client();
  // two streams whose header blocks share the compression context; bytes split at odd places
  const bytes = Buffer.concat([
    await c.synStream(1, { streamType: 'error', port: '8080', requestID: '0' }),
    await c.synStream(3, { streamType: 'data', port: '8080', requestID: '0' }),
    c.data(3, 'GET / HTTP/1.0\r\n\r\n', true),
    c.control(frameTypes.ping, 0, Buffer.from([0, 0, 0, 1])),
  ]);
  for (let i = 0; i < bytes.length; i += 7) conn.receive(bytes.subarray(i, i + 7));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    streams.map((s) => [s.id, s.header('streamtype'), s.header('port'), s.header('requestid')]),
    [
      [1, 'error', '8080', '0'],
      [3, 'data', '8080', '0'],
    ],
  );
  const data = streams[1];
  assert.ok(data);
  const got: Buffer[] = [];
  data.on('data', (b: Buffer) => got.push(b));
  await new Promise<void>((r) => data.on('end', () => r()));
  assert.equal(Buffer.concat(got).toString(), 'GET / HTTP/1.0\r\n\r\n');
  // the ping came back as is
  assert.ok(sent.some((b) => b.readUInt16BE(2) === frameTypes.ping && b.readUInt32BE(8) === 1));
  // replies: SYN_REPLY with an (empty) header block the client can inflate
  await streams[0]?.reply();
  await data.reply();
  const replies = sent.filter(
    (b) => (b[0] ?? 0) & 0x80 && b.readUInt16BE(2) === frameTypes.synReply,
  );
  assert.equal(replies.length, 2);
  for (const r of replies)
    assert.equal(decodeHeaderBlock(await c.decompress(r.subarray(12))).size, 0);
  sent.length = 0;
  await new Promise<void>((r) => data.end('HTTP/1.0 200 OK\r\n\r\nhi', () => r()));
  const frames = Buffer.concat(sent);
  assert.equal(frames.readUInt32BE(0), 3);
  const flagsLen = frames.readUInt32BE(4);
  assert.equal(
    frames.subarray(8, 8 + (flagsLen & 0xffffff)).toString(),
    'HTTP/1.0 200 OK\r\n\r\nhi',
  );
  assert.ok(
    sent.some((b) => b.length === 8 && b.readUInt32BE(0) === 3 && (b[4] ?? 0) & 1),
    'a FIN frame ends the stream',
  );
  conn.close();
  assert.equal(conn.closed, true);
});

/**
 * The server on the wire, asked by the real `dig` over UDP and TCP on 127.0.0.1 (a free port):
 * answers, case, EDNS, truncation and the TCP retry, malformed messages, opcodes, EDNS versions,
 * zone transfers, pipelined TCP.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { discardLogger } from '../lib/log/logger.js';
import { fixture } from './fixtures.js';
import { DnsServer } from './server.js';
import { ep, newEngine, newZone, port, slice, svc } from './testing.js';
import { T } from './types.js';
import { encodeQuery, readMessage } from './wire.js';

const run = promisify(execFile);

const bigEndpoints = Array.from({ length: 100 }, (_, i) => ep([`172.1.${i >> 8}.${i & 255}`]));

let server: DnsServer;
let dnsPort = 0;

async function dig(...args: string[]): Promise<string> {
  const { stdout } = await run('dig', [
    '@127.0.0.1',
    '-p',
    String(dnsPort),
    '+time=2',
    '+tries=1',
    ...args,
  ]);
  return stdout;
}

function udp(msg: Buffer): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, 500);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(msg, dnsPort, '127.0.0.1');
  });
}

describe('the server, asked by dig', { skip: false }, () => {
  before(async () => {
    const zone = newZone(
      { ttl: 30 },
      {
        ...fixture,
        services: [
          ...(fixture.services ?? []),
          svc('testns', 'big', { clusterIP: 'None', ports: [port('http', 80)] }),
        ],
        slices: [
          ...(fixture.slices ?? []),
          slice('testns', 'big', 'big-1', [{ name: 'http', port: 80 }], bigEndpoints),
        ],
      },
    );
    server = await DnsServer.start({
      engine: newEngine(zone),
      bindAddresses: ['127.0.0.1'],
      port: 0,
      logger: discardLogger,
    });
    dnsPort = server.port;
  });
  after(() => server.close());

  test('A over UDP and TCP', async () => {
    for (const transport of ['+notcp', '+tcp']) {
      const out = await dig(transport, '+noall', '+answer', 'svc1.testns.svc.cluster.local', 'A');
      assert.match(
        out,
        /^svc1\.testns\.svc\.cluster\.local\.\s+30\s+IN\s+A\s+10\.0\.0\.1$/m,
        transport,
      );
    }
  });

  test('SRV and PTR', async () => {
    const srv = await dig('+noall', '+answer', '_http._tcp.svc1.testns.svc.cluster.local', 'SRV');
    assert.match(srv, /IN\s+SRV\s+0 100 80 svc1\.testns\.svc\.cluster\.local\.$/m);
    const ptr = await dig('+short', '-x', '10.96.0.100');
    assert.equal(ptr.trim(), 'svc-1-a.test-1.svc.cluster.local.');
  });

  test('the question case is echoed', async () => {
    const out = await dig('+noall', '+answer', 'SvC1.TeStNs.SvC.cLuStEr.LoCaL', 'A');
    assert.match(out, /^SvC1\.TeStNs\.SvC\.cLuStEr\.LoCaL\.\s+30\s+IN\s+A\s+10\.0\.0\.1$/m);
  });

  test('NXDOMAIN and NODATA carry the SOA; answers are authoritative without RA', async () => {
    const nx = await dig('nope.testns.svc.cluster.local', 'A');
    assert.match(nx, /status: NXDOMAIN/);
    assert.match(nx, /flags: qr aa rd;/);
    assert.match(
      nx,
      /^cluster\.local\.\s+30\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 30$/m,
    );
    const nodata = await dig('svc1.testns.svc.cluster.local', 'AAAA');
    assert.match(nodata, /status: NOERROR/);
    assert.match(nodata, /ANSWER: 0, AUTHORITY: 1/);
  });

  test('EDNS: our payload size is advertised, DO is echoed', async () => {
    const out = await dig('+dnssec', '+bufsize=4096', 'svc1.testns.svc.cluster.local', 'A');
    assert.match(out, /EDNS: version: 0, flags: do; udp: 1232/);
    const plain = await dig('+noedns', 'svc1.testns.svc.cluster.local', 'A');
    assert.doesNotMatch(plain, /OPT PSEUDOSECTION/);
  });

  test('an answer too big for UDP is truncated (TC) and dig retries over TCP', async () => {
    const truncated = await dig('+noedns', '+ignore', 'big.testns.svc.cluster.local', 'A');
    assert.match(truncated, /flags: qr aa tc rd;/);
    const n = /ANSWER: (\d+)/.exec(truncated)?.[1];
    assert.ok(Number(n) < 100 && Number(n) > 0, `a partial answer fits in 512 bytes (${n})`);
    const edns = await dig('+bufsize=4096', '+ignore', 'big.testns.svc.cluster.local', 'A');
    assert.match(edns, /flags: qr aa tc rd;/, 'capped at our 1232 bytes even when 4096 is offered');
    const full = await dig('+noedns', '+noall', '+answer', 'big.testns.svc.cluster.local', 'A');
    assert.equal(full.trim().split('\n').length, 100, 'all 100 endpoints over the TCP retry');
  });

  test('additional records alone do not set TC', async () => {
    const out = await dig('+noedns', '+ignore', '_http._tcp.hdls1.testns.svc.cluster.local', 'SRV');
    assert.match(out, /flags: qr aa rd;/);
    assert.match(out, /ANSWER: 5,/);
  });

  test('malformed messages get FORMERR and the server goes on', async () => {
    // A header announcing a question that is not there.
    const bad = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
    const r = await udp(bad);
    assert.ok(r, 'an answer');
    assert.equal(r.readUInt16BE(0), 0xabcd);
    assert.equal(r[3]! & 15, 1, 'FORMERR');
    // A label running past the end.
    const cut = Buffer.concat([bad.subarray(0, 12), Buffer.from([9, 0x61, 0x62])]);
    assert.equal((await udp(cut))![3]! & 15, 1);
    // Runts and responses are dropped.
    assert.equal(await udp(Buffer.from([1, 2, 3])), undefined);
    const response = encodeQuery({ name: 'svc1.testns.svc.cluster.local', type: T.A });
    response[2] = response[2]! | 0x80;
    assert.equal(await udp(response), undefined);
    const ok = await dig('+short', 'svc1.testns.svc.cluster.local', 'A');
    assert.equal(ok.trim(), '10.0.0.1');
  });

  test('a question name compressed with a forward pointer is FORMERR (pointers point back)', async () => {
    const head = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 1]);
    const qname = Buffer.concat([Buffer.from([4]), Buffer.from('svc1'), Buffer.from([0xc0, 0])]);
    qname.writeUInt16BE(0xc000 | (12 + qname.length + 4), 5);
    const owner = encodeQuery({ name: 'testns.svc.cluster.local', type: T.A }).subarray(12);
    const rr = Buffer.concat([
      owner.subarray(0, owner.length - 4),
      Buffer.from([0, 16, 0, 1, 0, 0, 0, 0, 0, 0]),
    ]);
    const r = await udp(Buffer.concat([head, qname, Buffer.from([0, 1, 0, 1]), rr]));
    assert.ok(r);
    assert.equal(readMessage(r).rcode, 'FORMERR');
    assert.equal(readMessage(r).id, 0x1234);
  });

  test('opcodes other than QUERY: NOTIMP; EDNS version 1: BADVERS', async () => {
    const notimp = await dig('+opcode=status', 'svc1.testns.svc.cluster.local', 'A');
    assert.match(notimp, /status: NOTIMP/);
    const badvers = await dig(
      '+edns=1',
      '+noednsnegotiation',
      'svc1.testns.svc.cluster.local',
      'A',
    );
    assert.match(badvers, /status: BADVERS/);
  });

  test('zone transfers and other classes are refused', async () => {
    const axfr = await dig('+tcp', 'cluster.local', 'AXFR');
    assert.match(axfr, /Transfer failed|REFUSED/);
    const chaos = await dig('svc1.testns.svc.cluster.local', 'CH', 'TXT');
    assert.match(chaos, /status: REFUSED/);
  });

  test('names outside the zones with no upstream are refused', async () => {
    const out = await dig('example.com', 'A');
    assert.match(out, /status: REFUSED/);
  });

  test('pipelined queries on one TCP connection all get answers', async () => {
    const names = ['svc1', 'svc2', 'svc-dual-stack', 'nope'];
    const frames = names.map((n, i) => {
      const q = encodeQuery({ name: `${n}.testns.svc.cluster.local`, type: T.A, id: i + 1 });
      const len = Buffer.alloc(2);
      len.writeUInt16BE(q.length);
      return Buffer.concat([len, q]);
    });
    const answers = await new Promise<Map<number, string>>((resolve, reject) => {
      const sock = connect(dnsPort, '127.0.0.1');
      let buf = Buffer.alloc(0);
      const got = new Map<number, string>();
      sock.on('connect', () => sock.write(Buffer.concat(frames)));
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const m = readMessage(buf.subarray(2, 2 + buf.readUInt16BE(0)));
          buf = buf.subarray(2 + buf.readUInt16BE(0));
          got.set(m.id, m.rcode);
          if (got.size === names.length) {
            sock.destroy();
            resolve(got);
          }
        }
      });
      sock.on('error', reject);
    });
    assert.deepEqual([...answers.entries()].sort(), [
      [1, 'NOERROR'],
      [2, 'NOERROR'],
      [3, 'NOERROR'],
      [4, 'NXDOMAIN'],
    ]);
  });
});

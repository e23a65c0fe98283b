/**
 * Forwarding, caching and loop detection against fake upstreams on 127.0.0.1 (never a real
 * resolver): answers relayed with RA, served from the cache with TTLs counted down, negative
 * caching from the SOA, TCP retry on truncation, failover on timeouts, SERVFAIL when every
 * upstream fails, identical queries coalesced, ExternalName targets chased upstream, forwarding
 * loops found by the probe and refused.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, describe, test } from 'node:test';
import { FakeClock } from '../lib/fakeclock.js';
import { discardLogger } from '../lib/log/logger.js';
import { ForwardCache } from './cache.js';
import { FakeUpstream, tcpExchange, type FakeReply } from './fakeupstream.js';
import { fixture } from './fixtures.js';
import { Forwarder, type Upstream } from './forward.js';
import { parseCidr } from './ip.js';
import { LoopDetector } from './loop.js';
import { DnsServer } from './server.js';
import { ask, newEngine, newZone } from './testing.js';
import { T, type ResourceRecord } from './types.js';
import { encodeQuery, readMessage } from './wire.js';

const A = (name: string, ip: string, ttl = 300): ResourceRecord => ({
  name,
  ttl,
  data: { type: 'A', address: ip },
});

const soaRR = (zone: string, ttl: number, minimum: number): ResourceRecord => ({
  name: zone,
  ttl,
  data: {
    type: 'SOA',
    mname: `ns.${zone}`,
    rname: `admin.${zone}`,
    serial: 1,
    refresh: 1,
    retry: 1,
    expire: 1,
    minimum,
  },
});

async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const p = s.address().port;
  await new Promise<void>((resolve) => s.close(resolve));
  return p;
}

function world(q: { name: string; type: number }): FakeReply {
  if (q.name === 'www.example.test' && q.type === T.A) return { answer: [A(q.name, '192.0.2.10')] };
  if (q.name === 'big.example.test')
    return {
      truncateUdp: true,
      answer: Array.from({ length: 60 }, (_, i) => A(q.name, `192.0.2.${i + 1}`)),
    };
  if (q.name === 'ext.interwebs.test' && q.type === T.A)
    return { answer: [A(q.name, '192.0.2.77', 120)] };
  if (q.name === '1.2.0.192.in-addr.arpa')
    return {
      answer: [{ name: q.name, ttl: 60, data: { type: 'PTR', target: 'host.example.test' } }],
    };
  if (q.name.endsWith('example.test'))
    return { rcode: 3, authority: [soaRR('example.test', 3600, 60)] };
  return { rcode: 3 };
}

function setup(
  upstreams: Upstream[],
  o: { clock?: FakeClock; capacity?: number } = {},
): {
  engine: ReturnType<typeof newEngine>;
  cache: ForwardCache;
  forwarder: Forwarder;
  clock: FakeClock;
} {
  const clock = o.clock ?? new FakeClock({ now: 1_000_000 });
  const forwarder = new Forwarder({ upstreams, clock, logger: discardLogger, timeoutMs: 300 });
  const cache = new ForwardCache({
    clock,
    capacity: o.capacity ?? 100,
    maxTtl: 3600,
    maxDenialTtl: 1800,
  });
  const zone = newZone({ authoritativeCidrs: [parseCidr('10.0.0.0/8')] }, fixture);
  const engine = newEngine(zone, { forwarder, cache });
  return { engine, cache, forwarder, clock };
}

describe('forwarding and the cache', () => {
  const ups: FakeUpstream[] = [];
  after(async () => {
    for (const u of ups) await u.close();
  });
  const upstream = async (h: (q: { name: string; type: number; tcp: boolean }) => FakeReply) => {
    const u = await FakeUpstream.start(h);
    ups.push(u);
    return u;
  };

  test('a forwarded answer is relayed with RA, then served from the cache with its TTL counted down', async () => {
    const u = await upstream(world);
    const { engine, clock } = setup([{ host: '127.0.0.1', port: u.port }]);
    const first = await ask(engine, 'www.example.test', T.A, { edns: 1232 });
    assert.equal(first.rcode, 'NOERROR');
    assert.deepEqual(first.answer, ['www.example.test. 300 IN A 192.0.2.10']);
    assert.equal(first.flags.ra, true);
    assert.equal(first.flags.aa, false);
    assert.equal(u.count('www.example.test'), 1);
    await clock.advance(100_000);
    const second = await ask(engine, 'WWW.Example.TEST', T.A);
    assert.deepEqual(
      second.answer,
      ['WWW.Example.TEST. 200 IN A 192.0.2.10'],
      'case echoed, TTL down',
    );
    assert.equal(u.count('www.example.test'), 1, 'from the cache');
    await clock.advance(201_000);
    await ask(engine, 'www.example.test', T.A);
    assert.equal(u.count('www.example.test'), 2, 'expired: asked again');
  });

  test('NXDOMAIN is cached for min(SOA TTL, SOA MINIMUM)', async () => {
    const u = await upstream(world);
    const { engine, clock, cache } = setup([{ host: '127.0.0.1', port: u.port }]);
    const r = await ask(engine, 'nothing.example.test', T.A);
    assert.equal(r.rcode, 'NXDOMAIN');
    assert.equal(r.authority.length, 1);
    await ask(engine, 'nothing.example.test', T.A);
    assert.equal(u.count('nothing.example.test'), 1);
    assert.equal(cache.hitsByKind.denial, 1);
    await clock.advance(61_000);
    await ask(engine, 'nothing.example.test', T.A);
    assert.equal(u.count('nothing.example.test'), 2);
  });

  test('the cache keeps at most its capacity, dropping the oldest', async () => {
    const u = await upstream(world);
    const { engine, cache } = setup([{ host: '127.0.0.1', port: u.port }], { capacity: 3 });
    for (const n of ['a', 'b', 'c', 'd']) await ask(engine, `${n}.example.test`, T.A);
    assert.equal(cache.size, 3);
    await ask(engine, 'a.example.test', T.A);
    assert.equal(u.count('a.example.test'), 2, 'the oldest went');
    await ask(engine, 'd.example.test', T.A);
    assert.equal(u.count('d.example.test'), 1);
  });

  test('a truncated upstream answer is retried over TCP', async () => {
    const u = await upstream(world);
    const { engine } = setup([{ host: '127.0.0.1', port: u.port }]);
    const r = await ask(engine, 'big.example.test', T.A, { tcp: true });
    assert.equal(r.answer.length, 60);
    assert.deepEqual(
      u.queries.filter((q) => q.name === 'big.example.test').map((q) => q.tcp),
      [false, true],
    );
    const udp = await ask(engine, 'big.example.test', T.A);
    assert.equal(udp.flags.tc, true, 'too big for the client over UDP: TC, from the cache');
  });

  test('a silent upstream is skipped for the next; all silent is SERVFAIL', async () => {
    const dead = await upstream(() => 'drop');
    const live = await upstream(world);
    const { engine } = setup([
      { host: '127.0.0.1', port: dead.port },
      { host: '127.0.0.1', port: live.port },
    ]);
    for (let i = 0; i < 3; i++) {
      const r = await ask(engine, `www.example.test`, T.A, { edns: 1232 });
      assert.deepEqual(r.answer.length, 1);
    }
    const onlyDead = setup([{ host: '127.0.0.1', port: dead.port }]);
    const r = await ask(onlyDead.engine, 'www.example.test', T.A);
    assert.equal(r.rcode, 'SERVFAIL');
  });

  test('identical queries in flight are sent upstream once', async () => {
    const u = await upstream(world);
    const { engine } = setup([{ host: '127.0.0.1', port: u.port }]);
    const rs = await Promise.all([1, 2, 3, 4].map(() => ask(engine, 'www.example.test', T.A)));
    assert.ok(rs.every((r) => r.answer.length === 1));
    assert.equal(u.count('www.example.test'), 1);
  });

  test('ExternalName targets outside the cluster are chased upstream, CNAME first (EXT-06)', async () => {
    const u = await upstream(world);
    const { engine } = setup([{ host: '127.0.0.1', port: u.port }]);
    const r = await ask(engine, 'external.testns.svc.cluster.local', T.A);
    assert.deepEqual(r.answer, [
      'external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test.',
      'ext.interwebs.test. 120 IN A 192.0.2.77',
    ]);
    assert.equal(r.flags.aa, true);
    assert.equal(r.flags.ra, true, 'recursion is available: RA on cluster answers too');
  });

  test('reverse names outside the cluster ranges are forwarded; inside, they are ours', async () => {
    const u = await upstream(world);
    const { engine } = setup([{ host: '127.0.0.1', port: u.port }]);
    const out = await ask(engine, '1.2.0.192.in-addr.arpa', T.PTR);
    assert.deepEqual(out.answer, ['1.2.0.192.in-addr.arpa. 60 IN PTR host.example.test.']);
    const ours = await ask(engine, '99.0.0.10.in-addr.arpa', T.PTR);
    assert.equal(ours.rcode, 'NXDOMAIN');
    assert.equal(u.count('99.0.0.10.in-addr.arpa'), 0);
  });
});

describe('forwarding loops', () => {
  test('an upstream that sends our queries back is found by the probe and excluded', async () => {
    const clock = new FakeClock({ now: 1 });
    let serverPort = 0;
    const looping = await FakeUpstream.start(() => ({ relayTo: serverPort }));
    const honest = await FakeUpstream.start(world);
    const forwarder = new Forwarder({
      upstreams: [
        { host: '127.0.0.1', port: looping.port },
        { host: '127.0.0.1', port: honest.port },
      ],
      clock,
      logger: discardLogger,
      timeoutMs: 500,
    });
    let loops = 0;
    const loop = new LoopDetector({ forwarder, logger: discardLogger, onLoop: () => loops++ });
    const engine = newEngine(newZone({}, fixture), { forwarder, loop });
    const server = await DnsServer.start({
      engine,
      bindAddresses: ['127.0.0.1'],
      port: 0,
      logger: discardLogger,
    });
    serverPort = server.port;
    try {
      await loop.probe(1000);
      assert.equal(loops, 1);
      assert.deepEqual(forwarder.usable, [{ host: '127.0.0.1', port: honest.port }]);
      const before = looping.queries.length;
      for (let i = 0; i < 5; i++) {
        const r = readMessage(
          await tcpExchange(server.port, encodeQuery({ name: 'www.example.test', type: T.A })),
        );
        assert.equal(r.rcode, 'NOERROR');
      }
      assert.equal(looping.queries.length, before, 'nothing more went to the looping upstream');
    } finally {
      await server.close();
      forwarder.close();
      await looping.close();
      await honest.close();
    }
  });

  test('an upstream that is this server itself is refused outright', async () => {
    const port = await freePort();
    const forwarder = new Forwarder({
      upstreams: [{ host: '127.0.0.1', port }],
      clock: new FakeClock({ now: 1 }),
      logger: discardLogger,
    });
    const loop = new LoopDetector({ forwarder, logger: discardLogger });
    const server = await DnsServer.start({
      engine: newEngine(newZone({}, fixture), { forwarder, loop }),
      bindAddresses: ['127.0.0.1'],
      port,
      logger: discardLogger,
    });
    try {
      loop.excludeSelf((u) => u.port === server.port && server.addresses.includes(u.host));
      assert.deepEqual(forwarder.usable, []);
      const r = readMessage(
        await tcpExchange(port, encodeQuery({ name: 'www.example.test', type: T.A })),
      );
      assert.equal(r.rcode, 'REFUSED');
    } finally {
      await server.close();
    }
  });
});

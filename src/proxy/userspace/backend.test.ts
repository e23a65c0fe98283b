/**
 * The userspace relays over real sockets on loopback. Address plan: ClusterIPs 127.0.77.x (all
 * of 127/8 is local, so they can be bound without root), endpoints 127.0.78.x, node ports on
 * 127.0.0.1; ports are picked free at run time.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer as createHttpServer, get as httpGet } from 'node:http';
import type { Server } from 'node:http';
import { createServer, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { realClock } from '../../lib/clock.js';
import { ClusterState } from '../changetracker.js';
import { makeService, makeSlice } from '../fixtures.js';
import { FakeClock } from '../fakeclock.js';
import { UserspaceBackend } from './backend.js';
import { EndpointSelector } from './select.js';

function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** One request on a fresh connection (a kept-alive one would stay on one endpoint). */
function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host, port, path: '/', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
    });
    req.on('error', reject);
  });
}

function connectError(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
}

function udpAsk(host: string, port: number, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('no UDP answer'));
    }, 2_000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m.toString());
    });
    s.send(msg, port, host);
  });
}

describe('UserspaceBackend', () => {
  const servers: Server[] = [];
  const udp: ReturnType<typeof createSocket>[] = [];
  let port = 0;
  let udpPort = 0;
  before(async () => {
    port = await freePort('127.0.78.1');
    udpPort = port;
    for (const ip of ['127.0.78.1', '127.0.78.2']) {
      const s = createHttpServer((_req, res) => res.end(`hit ${ip}`));
      await new Promise<void>((r) => s.listen(port, ip, r));
      servers.push(s);
      const u = createSocket('udp4');
      u.on('message', (m, r) => u.send(`${ip} got ${m.toString()}`, r.port, r.address));
      await new Promise<void>((r) => u.bind(udpPort, ip, r));
      udp.push(u);
    }
  });
  after(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
    for (const u of udp) u.close();
  });

  async function setup(
    svcOptions: Parameters<typeof makeService>[2],
    endpoints = ['127.0.78.1', '127.0.78.2'],
  ) {
    const svcPort = await freePort('127.0.77.1');
    const state = new ClusterState('node-a');
    const backend = new UserspaceBackend({
      clock: realClock,
      nodePortAddresses: ['127.0.0.1'],
      families: ['IPv4'],
    });
    state.updateService(
      undefined,
      makeService('web', '127.0.77.1', {
        ports: [
          { name: 'http', port: svcPort, protocol: 'TCP' },
          { name: 'dns', port: svcPort, protocol: 'UDP' },
        ],
        ...svcOptions,
      }),
    );
    state.updateSlice(
      undefined,
      makeSlice(
        'web',
        [
          { name: 'http', port, protocol: 'TCP' },
          { name: 'dns', port: udpPort, protocol: 'UDP' },
        ],
        endpoints,
      ),
      0,
    );
    await backend.sync(state, { full: true, changed: new Set() });
    return { state, backend, svcPort };
  }

  it('relays TCP to every endpoint of a ClusterIP', async () => {
    const { backend, svcPort } = await setup({});
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 30; i++) seen.add(await get('127.0.77.1', svcPort));
      assert.deepEqual([...seen].sort(), ['hit 127.0.78.1', 'hit 127.0.78.2']);
    } finally {
      await backend.close();
    }
  });

  it('keeps a client on one endpoint with ClientIP affinity', async () => {
    const { backend, svcPort } = await setup({ sessionAffinity: 'ClientIP' });
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) seen.add(await get('127.0.77.1', svcPort));
      assert.equal(seen.size, 1);
    } finally {
      await backend.close();
    }
  });

  it('relays UDP', async () => {
    const { backend, svcPort } = await setup({});
    try {
      assert.match(
        await udpAsk('127.0.77.1', svcPort, 'hostname'),
        /^127\.0\.78\.[12] got hostname$/,
      );
    } finally {
      await backend.close();
    }
  });

  it('serves the node port', async () => {
    const nodePort = await freePort();
    const { backend } = await setup({
      type: 'NodePort',
      ports: [{ name: 'http', port: 18080, nodePort, protocol: 'TCP' }],
    });
    try {
      assert.match(await get('127.0.0.1', nodePort), /^hit 127\.0\.78\.[12]$/);
    } finally {
      await backend.close();
    }
  });

  it('refuses connections while the Service has no endpoints, and follows endpoint changes', async () => {
    const { state, backend, svcPort } = await setup({}, []);
    try {
      assert.equal(await connectError('127.0.77.1', svcPort), 'ECONNREFUSED');
      state.updateSlice(
        undefined,
        makeSlice('web', [{ name: 'http', port, protocol: 'TCP' }], ['127.0.78.2']),
        0,
      );
      await backend.sync(state, { full: false, changed: state.takeChanges().services });
      for (let i = 0; i < 5; i++) assert.equal(await get('127.0.77.1', svcPort), 'hit 127.0.78.2');
      state.updateService(makeService('web', '127.0.77.1'), undefined);
      await backend.sync(state, { full: false, changed: state.takeChanges().services });
      assert.equal(await connectError('127.0.77.1', svcPort), 'ECONNREFUSED');
      assert.deepEqual(backend.listening, []);
    } finally {
      await backend.close();
    }
  });
});

describe('EndpointSelector', () => {
  const eps = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip) => ({
    ip,
    port: 80,
    ready: true,
    serving: true,
    terminating: false,
    nodeName: undefined,
    zone: undefined,
    zoneHints: undefined,
    nodeHints: undefined,
  }));

  it('spreads clients without affinity', () => {
    const s = new EndpointSelector(new FakeClock());
    s.update(eps, 0);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(s.pick('192.0.2.1')?.ip ?? '');
    assert.equal(seen.size, 3);
  });

  it('sticks to one endpoint until the affinity timeout passes', async () => {
    const clock = new FakeClock();
    const s = new EndpointSelector(clock);
    s.update(eps, 10);
    const first = s.pick('192.0.2.1')?.ip;
    for (let i = 0; i < 50; i++) assert.equal(s.pick('192.0.2.1')?.ip, first);
    await clock.advance(11_000);
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      await clock.advance(11_000);
      seen.add(s.pick('192.0.2.1')?.ip ?? '');
    }
    assert.ok(seen.size > 1, 'after the timeout the client is placed again');
  });

  it('moves a client whose endpoint went away', () => {
    const s = new EndpointSelector(new FakeClock(), () => 0);
    s.update(eps, 60);
    assert.equal(s.pick('192.0.2.1')?.ip, '10.0.0.1');
    s.update(eps.slice(1), 60);
    assert.equal(s.pick('192.0.2.1')?.ip, '10.0.0.2');
  });
});

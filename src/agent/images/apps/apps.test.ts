import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { request } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { canonicalHeader, echoserver } from './echoserver.js';
import { output, parseFlags } from './flags.js';
import { kubia } from './kubia.js';
import { netexec } from './netexec.js';
import { porter } from './porter.js';
import { serveHostname } from './servehostname.js';

// Address plan: everything on 127.0.0.1, ports picked by the kernel (freePort) or port 0.

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function getWhenUp(port: number, path: string) {
  for (let i = 0; ; i++) {
    try {
      return await get(port, path);
    } catch (e) {
      if (i > 50) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

function udp(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('no UDP reply'));
    }, 2000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m.toString());
    });
    s.send(payload, port, '127.0.0.1');
  });
}

function silence(t: { after: (fn: () => void) => void }) {
  const saved = { ...output };
  output.stdout = () => undefined;
  output.stderr = () => undefined;
  t.after(() => Object.assign(output, saved));
}

describe('parseFlags()', () => {
  it('reads Go-style flags', () => {
    const f = parseFlags(['--http=false', '-tcp', '--port', '80', 'x'], { http: 'bool', tcp: 'bool', port: 'int' });
    assert.deepEqual([...f.values], [['http', false], ['tcp', true], ['port', 80]]);
    assert.deepEqual(f.positionals, ['x']);
    assert.throws(() => parseFlags(['--nope'], {}), /unknown flag/);
  });
});

describe('kubia', () => {
  it("answers You've hit <hostname> like the book's app.js", async (t) => {
    silence(t);
    const port = await freePort();
    const server = kubia('latest', port);
    t.after(() => server.close());
    const r = await getWhenUp(port, '/');
    assert.deepEqual([r.status, r.body], [200, `You've hit ${hostname()}\n`]);
  });
  it('kubia-unhealthy fails from the sixth request', async (t) => {
    silence(t);
    const port = await freePort();
    const server = kubia('unhealthy', port);
    t.after(() => server.close());
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await getWhenUp(port, '/')).status);
    assert.deepEqual(codes, [200, 200, 200, 200, 200, 500]);
  });
});

describe('agnhost netexec', () => {
  it('serves /hostname, /clientip, /echo, /healthz, /readyz, /dial and UDP', async (t) => {
    silence(t);
    const [httpPort, udpPort] = [await freePort(), await freePort()];
    const n = netexec([`--http-port=${httpPort}`, `--udp-port=${udpPort}`]);
    t.after(() => n.close());
    assert.equal((await getWhenUp(httpPort, '/hostname')).body, hostname());
    assert.equal((await get(httpPort, '/hostName')).body, hostname());
    assert.match((await get(httpPort, '/clientip')).body, /^127\.0\.0\.1:\d+$/);
    assert.equal((await get(httpPort, '/echo?msg=hello%20there')).body, 'hello there');
    assert.equal((await get(httpPort, '/echo?msg=x&code=418')).status, 418);
    assert.equal((await get(httpPort, '/healthz')).status, 200);
    assert.equal((await get(httpPort, '/readyz')).status, 200);
    assert.equal(await udp(udpPort, 'hostname'), hostname());
    assert.equal(await udp(udpPort, 'echo hi'), 'hi');
    assert.match(await udp(udpPort, 'clientip'), /^127\.0\.0\.1:\d+$/);
    const dial = await get(httpPort, `/dial?request=hostname&protocol=http&host=127.0.0.1&port=${httpPort}&tries=2`);
    assert.deepEqual(JSON.parse(dial.body), { responses: [hostname(), hostname()] });
    const dialUdp = await get(httpPort, `/dial?request=hostname&protocol=udp&host=127.0.0.1&port=${udpPort}&tries=1`);
    assert.deepEqual(JSON.parse(dialUdp.body), { responses: [hostname()] });
    assert.equal((await get(httpPort, '/dial?host=127.0.0.1&port=1')).status, 400);
  });
});

describe('agnhost serve-hostname', () => {
  it('HTTP by default; raw TCP and UDP with --http=false --tcp --udp', async (t) => {
    silence(t);
    const p1 = await freePort();
    const h = serveHostname([`--port=${p1}`]);
    t.after(() => h.close());
    assert.equal((await getWhenUp(p1, '/anything')).body, hostname());
    const p2 = await freePort();
    const raw = serveHostname(['--http=false', '--tcp', '--udp', `--port=${p2}`]);
    t.after(() => raw.close());
    const tcp = await new Promise<string>((resolve, reject) => {
      const tryConnect = (n: number) => {
        const c = connect(p2, '127.0.0.1');
        let data = '';
        c.on('data', (b) => (data += b.toString()));
        c.on('end', () => resolve(data));
        c.on('error', (e) => (n > 50 ? reject(e) : setTimeout(() => tryConnect(n + 1), 20)));
      };
      tryConnect(0);
    });
    assert.equal(tcp, hostname());
    assert.equal(await udp(p2, 'x'), hostname());
    assert.throws(() => serveHostname(['--tcp']), /at the same time/);
  });
});

describe('agnhost porter', () => {
  it('serves SERVE_PORT_<n> bodies, as JSON with --json-response', async (t) => {
    silence(t);
    const [a, b] = [await freePort(), await freePort()];
    const plain = porter([], { [`SERVE_PORT_${a}`]: 'foo' });
    t.after(() => plain.close());
    assert.equal((await getWhenUp(a, '/')).body, 'foo');
    const json = porter(['--json-response'], { [`SERVE_PORT_${b}`]: 'bar' });
    t.after(() => json.close());
    const r = await getWhenUp(b, '/');
    assert.deepEqual(JSON.parse(r.body), { body: 'bar', method: 'GET' });
    assert.equal(r.headers['content-type'], 'application/json');
  });
});

describe('ingress conformance echoserver', () => {
  it('echoes the request as JSON with the pod context and no Server header', async (t) => {
    silence(t);
    const port = await freePort();
    const e = echoserver({ HTTP_PORT: String(port), NAMESPACE: 'ns1', SERVICE_NAME: 'echo', POD_NAME: 'echo-1', INGRESS_NAME: 'ing' });
    t.after(() => e.close());
    const health = await getWhenUp(port, '/health');
    assert.deepEqual([health.status, health.body], [200, 'OK']);
    const r = await get(port, '/foo?x=1', { 'x-custom': 'v' });
    const body = JSON.parse(r.body) as Record<string, unknown>;
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['server'], undefined);
    assert.equal(body['path'], '/foo?x=1');
    assert.equal(body['host'], `127.0.0.1:${port}`);
    assert.equal(body['method'], 'GET');
    assert.equal(body['proto'], 'HTTP/1.1');
    assert.deepEqual((body['headers'] as Record<string, string[]>)['X-Custom'], ['v']);
    assert.deepEqual([body['namespace'], body['service'], body['pod'], body['ingress']], ['ns1', 'echo', 'echo-1', 'ing']);
    assert.equal((await get(port, '/status/503')).status, 503);
  });
  it('canonicalHeader() matches Go', () => {
    assert.equal(canonicalHeader('x-forwarded-for'), 'X-Forwarded-For');
    assert.equal(canonicalHeader('USER-AGENT'), 'User-Agent');
  });
});

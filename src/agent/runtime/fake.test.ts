import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { Clock } from '../../lib/clock.js';
import { ImageNotFoundError } from '../images/errors.js';
import { FakeImageService } from '../images/fake.js';
import {
  ContainerNotFoundError,
  ContainerNotRunningError,
  SandboxNotReadyError,
} from './errors.js';
import { FakeRuntime } from './fake.js';
import type { ContainerSpec, SandboxSpec } from './types.js';

function fakeClock(): Clock & { advance(ms: number): void; t: number } {
  const sleepers: { at: number; resolve: () => void }[] = [];
  const clock = {
    t: 1_700_000_000_000,
    now: () => clock.t,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        sleepers.push({ at: clock.t + ms, resolve });
      }),
    advance(ms: number) {
      clock.t += ms;
      for (const s of sleepers.splice(0)) {
        if (s.at <= clock.t) s.resolve();
        else sleepers.push(s);
      }
    },
  };
  return clock;
}

const pod: SandboxSpec = {
  podUID: 'uid-1',
  namespace: 'default',
  name: 'kubia-abc',
  attempt: 0,
  hostname: 'kubia-abc',
  resolvConf: 'nameserver 10.96.0.10\n',
};
const kubia: ContainerSpec = { name: 'kubia', image: 'luksa/kubia', env: [], attempt: 0 };

function setup() {
  const clock = fakeClock();
  const images = new FakeImageService({ images: [{ ref: 'docker.io/luksa/kubia:latest' }] });
  return { rt: new FakeRuntime({ images, clock }), clock };
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (b: Buffer) => chunks.push(b));
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

describe('FakeRuntime', () => {
  it('runSandbox() is idempotent per (podUID, attempt) and gives a pod-CIDR IP', async () => {
    const { rt } = setup();
    const a = await rt.runSandbox(pod);
    const b = await rt.runSandbox(pod);
    const c = await rt.runSandbox({ ...pod, attempt: 1 });
    assert.equal(a.id, b.id);
    assert.notEqual(a.id, c.id);
    assert.match(a.ip ?? '', /^10\.244\.0\.\d+$/);
    assert.equal(a.state, 'ready');
  });

  it('createContainer() resolves images with any spelling and rejects unknown ones', async () => {
    const { rt } = setup();
    const sb = await rt.runSandbox(pod);
    const id = await rt.createContainer(sb.id, kubia);
    assert.equal(await rt.createContainer(sb.id, { ...kubia, image: 'docker.io/luksa/kubia' }), id);
    await assert.rejects(
      rt.createContainer(sb.id, { ...kubia, name: 'x', image: 'luksa/nope' }),
      ImageNotFoundError,
    );
    assert.equal((await rt.containerStatus(id)).state.state, 'created');
  });

  it('stopContainer() waits the grace period for a SIGTERM-ignoring container, then kills (137)', async () => {
    const { rt, clock } = setup();
    const sb = await rt.runSandbox(pod);
    const id = await rt.createContainer(sb.id, kubia);
    await rt.startContainer(id);
    rt.ignoreSigterm(id);
    const stopping = rt.stopContainer(id, 30_000);
    await new Promise((r) => setImmediate(r));
    assert.equal((await rt.containerStatus(id)).state.state, 'running');
    clock.advance(30_000);
    await stopping;
    const st = (await rt.containerStatus(id)).state;
    assert.equal(st.state, 'exited');
    assert.equal(st.state === 'exited' && st.exitCode, 137);
  });

  it('a plain container exits 143 on SIGTERM', async () => {
    const { rt } = setup();
    const sb = await rt.runSandbox(pod);
    const id = await rt.createContainer(sb.id, kubia);
    await rt.startContainer(id);
    await rt.stopContainer(id, 30_000);
    const st = (await rt.containerStatus(id)).state;
    assert.equal(st.state === 'exited' && st.exitCode, 143);
  });

  it('exec() runs the readiness flow: ls fails, touch, ls succeeds; per container', async () => {
    const { rt } = setup();
    const sb = await rt.runSandbox(pod);
    const a = await rt.createContainer(sb.id, kubia);
    const b = await rt.createContainer(sb.id, { ...kubia, name: 'b' });
    await rt.startContainer(a);
    await rt.startContainer(b);
    const err = collect();
    assert.equal(await rt.exec(a, { command: ['ls', '/var/ready'], stderr: err.stream }), 2);
    assert.match(err.text(), /No such file/);
    assert.equal(await rt.exec(a, { command: ['touch', '/var/ready'] }), 0);
    assert.equal(await rt.exec(a, { command: ['ls', '/var/ready'] }), 0);
    assert.equal(await rt.exec(b, { command: ['ls', '/var/ready'] }), 2);
    assert.equal(await rt.exec(a, { command: ['sh', '-c', 'exit 3'] }), 3);
    assert.equal(await rt.exec(a, { command: ['nope'] }), 127);
    const out = collect();
    assert.equal(
      await rt.exec(a, {
        command: ['cat'],
        stdin: Readable.from([Buffer.from('hi\n')]),
        stdout: out.stream,
      }),
      0,
    );
    assert.equal(out.text(), 'hi\n');
  });

  it('exec() on a stopped container throws ContainerNotRunningError', async () => {
    const { rt } = setup();
    const sb = await rt.runSandbox(pod);
    const id = await rt.createContainer(sb.id, kubia);
    await assert.rejects(rt.exec(id, { command: ['true'] }), ContainerNotRunningError);
    await assert.rejects(rt.exec('missing', { command: ['true'] }), ContainerNotFoundError);
  });

  it('killSandbox() makes the sandbox notready and its containers exit 137', async () => {
    const { rt } = setup();
    const sb = await rt.runSandbox(pod);
    const id = await rt.createContainer(sb.id, kubia);
    await rt.startContainer(id);
    rt.killSandbox(sb.id);
    assert.equal((await rt.sandboxStatus(sb.id)).state, 'notready');
    const st = (await rt.containerStatus(id)).state;
    assert.equal(st.state === 'exited' && st.exitCode, 137);
    await assert.rejects(rt.createContainer(sb.id, { ...kubia, attempt: 1 }), SandboxNotReadyError);
  });

  it('logs() tails, follows until exit, and reads the previous instance', async () => {
    const { rt } = setup();
    const sb = await rt.runSandbox(pod);
    const first = await rt.createContainer(sb.id, kubia);
    await rt.startContainer(first);
    rt.writeLog(first, 'stdout', 'one\ntwo\nthree\n');
    rt.exitContainer(first, 1);
    const second = await rt.createContainer(sb.id, { ...kubia, attempt: 1 });
    await rt.startContainer(second);
    rt.writeLog(second, 'stderr', 'again\n');
    const text = async (it: AsyncIterable<{ content: Uint8Array }>) => {
      const out: string[] = [];
      for await (const e of it) out.push(Buffer.from(e.content).toString());
      return out;
    };
    assert.deepEqual(await text(rt.logs(first, { tailLines: 2 })), ['two', 'three']);
    assert.deepEqual(await text(rt.logs(second, { previous: true })), ['one', 'two', 'three']);
    const following = text(rt.logs(second, { follow: true }));
    rt.writeLog(second, 'stdout', 'more\n');
    rt.exitContainer(second, 0);
    assert.deepEqual(await following, ['again', 'more']);
  });

  it('failNext() injects one failure and records calls', async () => {
    const { rt } = setup();
    rt.failNext('runSandbox', new Error('boom'));
    await assert.rejects(rt.runSandbox(pod), /boom/);
    await rt.runSandbox(pod);
    assert.deepEqual(
      rt.calls.map((c) => c.method),
      ['runSandbox', 'runSandbox'],
    );
  });

  it('list() reports sandboxes and containers; remove* forgets them and is idempotent', async () => {
    const { rt } = setup();
    const sb = await rt.runSandbox(pod);
    const id = await rt.createContainer(sb.id, kubia);
    assert.equal((await rt.list()).containers.length, 1);
    await rt.removeContainer(id);
    await rt.removeContainer(id);
    await rt.removeSandbox(sb.id);
    await rt.removeSandbox(sb.id);
    assert.deepEqual(await rt.list(), { sandboxes: [], containers: [] });
  });
});

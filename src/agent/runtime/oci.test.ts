import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  containerArgs,
  containerConfig,
  defaultCapabilities,
  mergeEnv,
  pauseConfig,
} from './oci.js';
import type { ContainerConfigInput } from './oci.js';

const base: ContainerConfigInput = {
  id: 'c1',
  spec: { name: 'kubia', image: 'luksa/kubia', env: [{ name: 'A', value: '1' }], attempt: 2 },
  image: { entrypoint: ['node', 'app.js'], env: ['PATH=/usr/bin:/bin', 'NODE_VERSION=20'] },
  sandbox: {
    holderPid: 42,
    hostNetwork: false,
    hostIPC: false,
    hostPID: false,
    shareProcessNamespace: false,
  },
  hostname: 'kubia-abc',
  etcFiles: { hosts: '/r/sb/hosts', hostname: '/r/sb/hostname', resolvConf: '/r/sb/resolv.conf' },
  maskedPaths: ['/var/lib/portico'],
  cgroupParent: '/portico',
};

describe('containerArgs()', () => {
  const image = { entrypoint: ['/agnhost'], cmd: ['--help'] };
  const cases = [
    { name: 'image defaults', spec: {}, want: ['/agnhost', '--help'] },
    { name: 'args replace Cmd', spec: { args: ['netexec'] }, want: ['/agnhost', 'netexec'] },
    {
      name: 'command replaces both',
      spec: { command: ['sleep', 'infinity'] },
      want: ['sleep', 'infinity'],
    },
    {
      name: 'command and args',
      spec: { command: ['sh', '-c'], args: ['exit 3'] },
      want: ['sh', '-c', 'exit 3'],
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(containerArgs(c.spec, image), c.want));
});

describe('mergeEnv()', () => {
  it('image env, HOSTNAME, then container env; later wins in place', () => {
    assert.deepEqual(
      mergeEnv(['PATH=/bin', 'A=image'], 'h', [
        { name: 'A', value: 'pod' },
        { name: 'B', value: '2' },
      ]),
      ['PATH=/bin', 'A=pod', 'HOSTNAME=h', 'B=2'],
    );
  });
  it('defaults PATH', () => {
    assert.match(mergeEnv([], undefined, [])[0] ?? '', /^PATH=\/usr\/local\/sbin:/);
  });
});

describe('containerConfig()', () => {
  it('joins the sandbox namespaces by path and has a mount and pid namespace of its own', () => {
    const c = containerConfig(base);
    assert.deepEqual(c.linux.namespaces, [
      { type: 'mount' },
      { type: 'pid' },
      { type: 'ipc', path: '/proc/42/ns/ipc' },
      { type: 'network', path: '/proc/42/ns/net' },
      { type: 'uts', path: '/proc/42/ns/uts' },
    ]);
    assert.equal(c.hostname, undefined, 'the hostname belongs to the sandbox UTS namespace');
  });
  it('shares the pause PID namespace with shareProcessNamespace', () => {
    const c = containerConfig({
      ...base,
      sandbox: { ...base.sandbox, shareProcessNamespace: true },
    });
    assert.deepEqual(c.linux.namespaces[1], { type: 'pid', path: '/proc/42/ns/pid' });
  });
  it('hostNetwork joins the node netns and keeps the node UTS', () => {
    const c = containerConfig({
      ...base,
      sandbox: { ...base.sandbox, hostNetwork: true, nodeNetns: '/run/netns/ptest-node' },
    });
    assert.deepEqual(
      c.linux.namespaces.filter((n) => n.type === 'network' || n.type === 'uts'),
      [{ type: 'network', path: '/run/netns/ptest-node' }],
    );
  });
  it('bind-mounts the pod /etc files and gives fresh /proc, /sys, /dev, /tmp', () => {
    const c = containerConfig(base);
    const byDest = new Map(c.mounts.map((m) => [m.destination, m]));
    assert.equal(byDest.get('/etc/hosts')?.source, '/r/sb/hosts');
    assert.equal(byDest.get('/etc/resolv.conf')?.source, '/r/sb/resolv.conf');
    assert.equal(byDest.get('/etc/hostname')?.source, '/r/sb/hostname');
    assert.equal(byDest.get('/proc')?.type, 'proc');
    assert.equal(byDest.get('/sys')?.type, 'sysfs');
    assert.ok(byDest.get('/sys')?.options.includes('ro'));
    assert.equal(byDest.get('/dev')?.type, 'tmpfs');
    assert.equal(byDest.get('/dev/pts')?.type, 'devpts');
    assert.equal(byDest.get('/tmp')?.type, 'tmpfs');
  });
  it('sets args, env, cwd, user, cgroup and masks the data dir', () => {
    const c = containerConfig({
      ...base,
      spec: { ...base.spec, workingDir: '/app', runAsUser: 1000 },
    });
    assert.deepEqual(c.process.args, ['node', 'app.js']);
    assert.deepEqual(c.process.env, [
      'PATH=/usr/bin:/bin',
      'NODE_VERSION=20',
      'HOSTNAME=kubia-abc',
      'A=1',
    ]);
    assert.equal(c.process.cwd, '/app');
    assert.deepEqual(c.process.user, { uid: 1000, gid: 0 });
    assert.equal(c.linux.cgroupsPath, '/portico/c1');
    assert.ok(c.linux.maskedPaths.includes('/var/lib/portico'));
    assert.deepEqual(c.process.capabilities.effective, defaultCapabilities);
    assert.equal(c.root.path, 'rootfs');
  });
  it('capabilities add/drop and privileged', () => {
    const c = containerConfig({
      ...base,
      spec: { ...base.spec, capabilities: { add: ['NET_ADMIN'], drop: ['NET_RAW'] } },
    });
    assert.ok(c.process.capabilities.bounding.includes('CAP_NET_ADMIN'));
    assert.ok(!c.process.capabilities.bounding.includes('CAP_NET_RAW'));
    const p = containerConfig({ ...base, spec: { ...base.spec, privileged: true } });
    assert.ok(p.process.capabilities.bounding.includes('CAP_SYS_ADMIN'));
    assert.deepEqual(p.linux.maskedPaths, []);
    assert.deepEqual(p.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
  });
  it('resources become cgroup limits (kubelet conversions)', () => {
    const c = containerConfig({
      ...base,
      spec: {
        ...base.spec,
        resources: { memoryLimitBytes: 64 << 20, cpuLimitMillis: 500, cpuRequestMillis: 250 },
      },
    });
    assert.deepEqual(c.linux.resources.memory, { limit: 64 << 20 });
    assert.deepEqual(c.linux.resources.cpu, { shares: 256, period: 100000, quota: 50000 });
  });
  it('refuses a container with nothing to run', () => {
    assert.throws(() => containerConfig({ ...base, image: {} }), /no command specified/);
  });
});

describe('pauseConfig()', () => {
  it('creates the pod namespaces and sets the hostname', () => {
    const p = pauseConfig({
      id: 's1',
      hostname: 'kubia-abc',
      hostNetwork: false,
      hostIPC: false,
      cgroupParent: '/portico',
    });
    assert.deepEqual(p.linux.namespaces.map((n) => n.type).sort(), [
      'ipc',
      'mount',
      'network',
      'pid',
      'uts',
    ]);
    assert.ok(p.linux.namespaces.every((n) => n.path === undefined));
    assert.equal(p.hostname, 'kubia-abc');
    assert.deepEqual(p.process.args, ['/pause', 'pause']);
    assert.equal(p.root.readonly, true);
  });
  it('hostNetwork: no network or UTS namespace of its own', () => {
    const p = pauseConfig({
      id: 's1',
      hostname: 'x',
      hostNetwork: true,
      hostIPC: true,
      cgroupParent: '/portico',
    });
    assert.deepEqual(p.linux.namespaces.map((n) => n.type).sort(), ['mount', 'pid']);
    assert.equal(p.hostname, undefined);
  });
});

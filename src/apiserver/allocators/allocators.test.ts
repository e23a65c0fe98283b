// Address plan: service CIDRs from the kubeadm default (10.96.0.0/12) and small documentation-style
// ranges (10.0.0.0/29, fd00::/120) to exercise exhaustion; nodePorts 30000-32767 and 30000-30003.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AllocationBitmap, staticBandSize } from './bitmap.js';
import { AllocationError } from './errors.js';
import { firstServiceIP, IPAllocator } from './ipallocator.js';
import { AllocationOperation } from './operation.js';
import { PortAllocator } from './portallocator.js';

/** A deterministic random source. */
function seeded(seed = 42): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

function errorCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof AllocationError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'no error';
}

test('staticBandSize() follows kube: min(max(16, size/step), max)', () => {
  assert.equal(staticBandSize(2 ** 20, 16, 256, 16), 256);
  assert.equal(staticBandSize(256, 16, 256, 16), 16);
  assert.equal(staticBandSize(16, 16, 256, 16), 0);
  assert.equal(staticBandSize(2768, 16, 128, 32), 86);
});

test('AllocationBitmap.allocateNext() takes the upper band first, then the lower one', () => {
  const b = new AllocationBitmap({ size: 20, staticBandSize: 4, random: seeded() });
  const got: number[] = [];
  for (let i = 0; i < 16; i++) got.push(b.allocateNext() ?? -1);
  assert.deepEqual(
    [...got].sort((x, y) => x - y),
    Array.from({ length: 16 }, (_, i) => i + 4),
  );
  const lower = [b.allocateNext(), b.allocateNext(), b.allocateNext(), b.allocateNext()];
  assert.deepEqual(lower.sort(), [0, 1, 2, 3]);
  assert.equal(b.allocateNext(), undefined);
  assert.equal(b.free, 0);
});

test('IPAllocator over 10.96.0.0/12 hands out neither the network nor the broadcast address', () => {
  const a = new IPAllocator({ cidr: '10.96.0.0/12', random: seeded() });
  assert.equal(a.free, 2 ** 20 - 2);
  assert.equal(firstServiceIP('10.96.0.0/12'), '10.96.0.1');
  assert.match(
    errorCode(() => a.allocate('10.96.0.0')),
    /E_ALLOC_NOT_IN_RANGE: provided IP 10.96.0.0 is not in the valid range/,
  );
  assert.match(
    errorCode(() => a.allocate('10.111.255.255')),
    /E_ALLOC_NOT_IN_RANGE/,
  );
  assert.equal(
    errorCode(() => a.allocate('10.96.0.1')),
    'no error',
  );
  assert.equal(
    errorCode(() => a.allocate('10.96.0.1')),
    'E_ALLOC_ALLOCATED: provided IP is already allocated',
  );
  assert.equal(
    errorCode(() => a.allocate('192.168.1.1')),
    'E_ALLOC_NOT_IN_RANGE: provided IP 192.168.1.1 is not in the valid range',
  );
});

test('IPAllocator dynamic addresses avoid the static band (10.96.0.1-10.96.1.0), where kube-dns asks for .10', () => {
  const a = new IPAllocator({ cidr: '10.96.0.0/12', random: seeded(7) });
  for (let i = 0; i < 2000; i++) {
    const ip = a.allocateNext();
    const parts = ip.split('.').map(Number);
    const offset = ((parts[1] ?? 0) - 96) * 65536 + (parts[2] ?? 0) * 256 + (parts[3] ?? 0) - 1;
    assert.ok(offset >= 256, `${ip} is in the static band`);
  }
  assert.equal(
    errorCode(() => a.allocate('10.96.0.10')),
    'no error',
  );
});

test('IPAllocator: exhaustion, release and reuse in a /29', () => {
  const a = new IPAllocator({ cidr: '10.0.0.0/29', random: seeded() });
  const got = new Set<string>();
  for (let i = 0; i < 6; i++) got.add(a.allocateNext());
  assert.deepEqual([...got].sort(), [
    '10.0.0.1',
    '10.0.0.2',
    '10.0.0.3',
    '10.0.0.4',
    '10.0.0.5',
    '10.0.0.6',
  ]);
  assert.equal(
    errorCode(() => a.allocateNext()),
    'E_ALLOC_FULL: range is full',
  );
  a.release('10.0.0.4');
  a.release('10.0.0.4');
  assert.equal(a.allocateNext(), '10.0.0.4');
});

test('IPAllocator works for IPv6 and prints canonical addresses', () => {
  const a = new IPAllocator({ cidr: 'fd00::/120', random: seeded() });
  assert.equal(a.free, 255);
  a.allocate('fd00:0:0:0:0:0:0:a');
  assert.ok(a.has('fd00::a'));
  const ip = a.allocateNext();
  assert.match(ip, /^fd00::[0-9a-f]{1,2}$/);
  assert.equal(
    errorCode(() => a.allocate('10.0.0.1')),
    'E_ALLOC_NOT_IN_RANGE: provided IP 10.0.0.1 is not in the valid range',
  );
});

test("PortAllocator reports kube's messages and the range", () => {
  const p = new PortAllocator({ range: [30000, 32767], random: seeded() });
  assert.equal(
    errorCode(() => p.allocate(80)),
    'E_ALLOC_NOT_IN_RANGE: provided port is not in the valid range. The range of valid ports is 30000-32767',
  );
  p.allocate(30080);
  assert.equal(
    errorCode(() => p.allocate(30080)),
    'E_ALLOC_ALLOCATED: provided port is already allocated',
  );
  const n = p.allocateNext();
  assert.ok(n >= 30086 && n <= 32767, `dynamic port ${n} is in the upper band`);
  const small = new PortAllocator({ range: [30000, 30003] });
  for (let i = 0; i < 4; i++) small.allocateNext();
  assert.equal(
    errorCode(() => small.allocateNext()),
    'E_ALLOC_FULL: range is full',
  );
});

test('AllocationOperation releases only after commit and gives back on revert', () => {
  const p = new PortAllocator({ range: [30000, 30010] });
  p.allocate(30001);
  const op = new AllocationOperation(p);
  op.allocate(30002);
  op.releaseDeferred(30001);
  assert.ok(p.has(30001), 'a deferred release waits for the commit');
  op.commit();
  assert.ok(!p.has(30001));
  assert.ok(p.has(30002));
  op.revert();
  assert.ok(p.has(30002), 'revert after commit does nothing');

  const failed = new AllocationOperation(p);
  failed.allocate(30005);
  failed.releaseDeferred(30002);
  failed.revert();
  assert.ok(!p.has(30005), 'what the failed write reserved is free again');
  assert.ok(p.has(30002), 'what it meant to release is kept');
});

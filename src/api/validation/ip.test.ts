import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cidrContains,
  formatIP,
  isLinkLocalMulticast,
  isLinkLocalUnicast,
  isLoopback,
  isUnspecified,
  parseCIDR,
  parseIP,
} from './ip.js';

test('parseIP() accepts what Go ParseIPSloppy accepts', () => {
  const cases: [string, string | undefined][] = [
    ['10.96.0.1', '10.96.0.1'],
    ['010.096.000.001', '10.96.0.1'],
    ['::1', '::1'],
    ['2001:db8::ffff', '2001:db8::ffff'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['fe80::1%eth0', undefined],
    ['10.0.0.256', undefined],
    ['10.0.0', undefined],
    ['1.2.3.4.5', undefined],
    ['', undefined],
    ['1::2::3', undefined],
  ];
  for (const [text, want] of cases) {
    const ip = parseIP(text);
    assert.equal(ip ? formatIP(ip) : undefined, want, text);
  }
});

test('formatIP() compresses the longest run of zero groups (RFC 5952)', () => {
  const v6 = (s: string): string => {
    const ip = parseIP(s);
    assert.ok(ip);
    return formatIP(ip);
  };
  assert.equal(v6('2001:0db8:0000:0000:0001:0000:0000:0001'), '2001:db8::1:0:0:1');
  assert.equal(v6('0:0:0:0:0:0:0:0'), '::');
  assert.equal(v6('fd00:10:96::a'), 'fd00:10:96::a');
  assert.equal(v6('1:0:1:0:1:0:1:0'), '1:0:1:0:1:0:1:0');
});

test('parseCIDR() masks host bits and checks prefix lengths', () => {
  const c = parseCIDR('10.96.12.5/12');
  assert.ok(c);
  assert.equal(formatIP(c.network), '10.96.0.0');
  assert.equal(c.prefixLength, 12);
  const in10 = parseIP('10.111.255.254');
  const out = parseIP('10.112.0.1');
  assert.ok(in10 && out);
  assert.ok(cidrContains(c, in10));
  assert.ok(!cidrContains(c, out));
  for (const bad of [
    '10.0.0.0/33',
    '10.0.0.0',
    'fd00::/129',
    'x/8',
    '10.0.0.0/-1',
    '10.0.0.0/ 8',
  ]) {
    assert.equal(parseCIDR(bad), undefined, bad);
  }
  assert.equal(parseCIDR('fd00::/108')?.prefixLength, 108);
});

test('special address classes', () => {
  const ip = (s: string) => {
    const p = parseIP(s);
    assert.ok(p, s);
    return p;
  };
  assert.ok(isLoopback(ip('127.1.2.3')) && isLoopback(ip('::1')) && !isLoopback(ip('128.0.0.1')));
  assert.ok(
    isLinkLocalUnicast(ip('169.254.169.254')) &&
      isLinkLocalUnicast(ip('fe80::1')) &&
      isLinkLocalUnicast(ip('febf::1')),
  );
  assert.ok(!isLinkLocalUnicast(ip('fec0::1')));
  assert.ok(
    isLinkLocalMulticast(ip('224.0.0.251')) &&
      isLinkLocalMulticast(ip('ff02::fb')) &&
      isLinkLocalMulticast(ip('ff12::1')),
  );
  assert.ok(!isLinkLocalMulticast(ip('224.0.1.1')) && !isLinkLocalMulticast(ip('ff05::1')));
  assert.ok(isUnspecified(ip('0.0.0.0')) && isUnspecified(ip('::')));
});

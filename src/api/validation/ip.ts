/**
 * IP addresses and CIDRs with Go's `net` semantics (as k8s.io/utils/net uses them): IPv4 in
 * dotted decimal (leading zeros tolerated, like ParseIPSloppy), IPv6 in any RFC 4291 text form,
 * IPv4-mapped IPv6 treated as IPv4. No zones. Values are bigints so that both families share one
 * arithmetic (the allocators walk ranges with it).
 */
import { isIPv6 } from 'node:net';

export type Family = 'IPv4' | 'IPv6';

export interface IP {
  readonly family: Family;
  /** The address as an unsigned integer: < 2^32 for IPv4, < 2^128 for IPv6. */
  readonly value: bigint;
}

export interface CIDR {
  /** The network address (host bits cleared). */
  readonly network: IP;
  readonly prefixLength: number;
  /** The address as written before masking, e.g. 10.0.0.1 of 10.0.0.1/24. */
  readonly ip: IP;
}

const v4Max = 0xffffffffn;

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^[0-9]{1,10}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseIPv6(s: string): bigint | undefined {
  if (s.includes('%') || !isIPv6(s)) return undefined;
  let text = s;
  // An embedded dotted quad becomes two hex groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIPv4(tail);
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 && missing !== 0) return undefined;
  if (halves.length === 2 && missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return v;
}

/** Parses an IP address; undefined when it is not one (ParseIPSloppy). */
export function parseIP(s: string): IP | undefined {
  if (s.includes(':')) {
    const v = parseIPv6(s);
    if (v === undefined) return undefined;
    // ::ffff:a.b.c.d is an IPv4 address to Go (To4() != nil).
    if (v >> 32n === 0xffffn) return { family: 'IPv4', value: v & v4Max };
    return { family: 'IPv6', value: v };
  }
  const v = parseIPv4(s);
  return v === undefined ? undefined : { family: 'IPv4', value: v };
}

export const bitsOf = (family: Family): number => (family === 'IPv4' ? 32 : 128);

/** Parses `10.96.0.0/12` or `fd00::/108`; undefined when invalid (ParseCIDRSloppy). */
export function parseCIDR(s: string): CIDR | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ipText = s.slice(0, slash);
  const lenText = s.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(lenText)) return undefined;
  const ip = ipText.includes(':')
    ? ((v) => (v === undefined ? undefined : { family: 'IPv6' as const, value: v }))(
        parseIPv6(ipText),
      )
    : parseIP(ipText);
  if (!ip) return undefined;
  const bits = bitsOf(ip.family);
  const prefixLength = Number(lenText);
  if (prefixLength > bits) return undefined;
  const hostBits = BigInt(bits - prefixLength);
  const network = { family: ip.family, value: (ip.value >> hostBits) << hostBits };
  return { network, prefixLength, ip };
}

/** Number of addresses in a CIDR. */
export function cidrSize(c: CIDR): bigint {
  return 1n << BigInt(bitsOf(c.network.family) - c.prefixLength);
}

export function cidrContains(c: CIDR, ip: IP): boolean {
  if (ip.family !== c.network.family) return false;
  const hostBits = BigInt(bitsOf(ip.family) - c.prefixLength);
  return ip.value >> hostBits === c.network.value >> hostBits;
}

/** Canonical text: dotted decimal, or RFC 5952 for IPv6 (longest zero run compressed, lowercase). */
export function formatIP(ip: IP): string {
  if (ip.family === 'IPv4') {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((sh) => String((v >> sh) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function formatCIDR(c: CIDR): string {
  return `${formatIP(c.network)}/${c.prefixLength}`;
}

/** The IP `offset` addresses after `base`. */
export function addToIP(base: IP, offset: bigint): IP {
  return { family: base.family, value: base.value + offset };
}

export const isIPv4String = (s: string): boolean => parseIP(s)?.family === 'IPv4';
export const isIPv6String = (s: string): boolean => parseIP(s)?.family === 'IPv6';

export function isUnspecified(ip: IP): boolean {
  return ip.value === 0n;
}

export function isLoopback(ip: IP): boolean {
  return ip.family === 'IPv4' ? ip.value >> 24n === 127n : ip.value === 1n;
}

/** 169.254.0.0/16, fe80::/10 */
export function isLinkLocalUnicast(ip: IP): boolean {
  return ip.family === 'IPv4' ? ip.value >> 16n === 0xa9fen : ip.value >> 118n === 0x3fan;
}

/** 224.0.0.0/24, ff02::/16 (any ffx2::) */
export function isLinkLocalMulticast(ip: IP): boolean {
  if (ip.family === 'IPv4') return ip.value >> 8n === 0xe00000n;
  const top = ip.value >> 112n;
  return top >> 8n === 0xffn && (top & 0x0fn) === 0x02n;
}

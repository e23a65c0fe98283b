/**
 * Addresses as the DNS needs them: wire bytes, the dashed names of the Kubernetes DNS spec
 * (`10-244-1-5`, `5678-abcd--1`) and reverse names (`5.1.244.10.in-addr.arpa`, nibbles under
 * `ip6.arpa`).
 */

/** The four bytes of a dotted-quad IPv4 address, or undefined. */
export function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255 || (p.length > 1 && p.startsWith('0'))) return undefined;
    out.push(n);
  }
  return out;
}

/** The sixteen bytes of an IPv6 address (with `::` and an embedded IPv4 tail), or undefined. */
export function parseIPv6(s: string): Uint8Array | undefined {
  if (s.includes('%') || !s.includes(':')) return undefined;
  let head = s;
  let tail4: number[] | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tail4 = parseIPv4(s.slice(lastColon + 1));
    if (!tail4) return undefined;
    head = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const group = (x: string): number[] | undefined => {
    if (x === '') return [];
    const gs = x.split(':');
    const out: number[] = [];
    for (const g of gs) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = group(halves[0] ?? '');
  const right = halves.length === 2 ? group(halves[1] ?? '') : [];
  if (!left || !right) return undefined;
  const groups =
    halves.length === 2
      ? [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
      : left;
  if (groups.length !== 8 || (halves.length === 2 && left.length + right.length > 7))
    return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 255;
  });
  if (tail4) out.set(tail4, 12);
  return out;
}

/** RFC 5952 text of sixteen bytes (lower case, the longest run of zero groups as `::`). */
export function formatIPv6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

export type IPFamilyName = 'IPv4' | 'IPv6';

/** The canonical text of an address and its family, or undefined when it is not one. */
export function canonicalIP(s: string): { ip: string; family: IPFamilyName } | undefined {
  const v4 = parseIPv4(s);
  if (v4) return { ip: v4.join('.'), family: 'IPv4' };
  const v6 = parseIPv6(s);
  if (v6) return { ip: formatIPv6(v6), family: 'IPv6' };
  return undefined;
}

/**
 * The name the Kubernetes DNS spec gives an endpoint without a hostname: `172-0-0-2`,
 * `5678-abcd--1` (CoreDNS appends `0` when the dashed IPv6 form ends in `-`).
 */
export function dashedIP(ip: string): string {
  if (ip.includes('.')) return ip.replaceAll('.', '-');
  const d = ip.replaceAll(':', '-');
  return d.endsWith('-') ? `${d}0` : d;
}

/** The address a dashed pod name stands for (`10-244-1-5` → 10.244.1.5), or undefined. */
export function undashIP(label: string): string | undefined {
  const dashes = label.split('-').length - 1;
  const text =
    dashes === 3 && !label.includes('--') ? label.replaceAll('-', '.') : label.replaceAll('-', ':');
  return canonicalIP(text)?.ip;
}

/** `100.0.96.10.in-addr.arpa` for 10.96.0.100; nibbles under `ip6.arpa` for IPv6. */
export function reverseName(ip: string): string | undefined {
  const v4 = parseIPv4(ip);
  if (v4) return `${[...v4].reverse().join('.')}.in-addr.arpa`;
  const v6 = parseIPv6(ip);
  if (!v6) return undefined;
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i--) {
    const b = v6[i] ?? 0;
    nibbles.push((b & 15).toString(16), (b >> 4).toString(16));
  }
  return `${nibbles.join('.')}.ip6.arpa`;
}

/** The address of a full reverse name (lower case, no trailing dot), or undefined. */
export function addressOfReverse(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const labels = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (labels.length !== 4) return undefined;
    return parseIPv4([...labels].reverse().join('.'))?.join('.');
  }
  if (name.endsWith('.ip6.arpa')) {
    const labels = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (labels.length !== 32 || labels.some((l) => !/^[0-9a-f]$/.test(l))) return undefined;
    const b = new Uint8Array(16);
    for (let i = 0; i < 16; i++) {
      const lo = parseInt(labels[30 - i * 2] ?? '0', 16);
      const hi = parseInt(labels[31 - i * 2] ?? '0', 16);
      b[i] = (hi << 4) | lo;
    }
    return formatIPv6(b);
  }
  return undefined;
}

/** A parsed CIDR: family, network bytes and prefix length. */
export interface Cidr {
  readonly family: IPFamilyName;
  readonly bytes: Uint8Array;
  readonly bits: number;
}

/** @throws Error when the text is not a CIDR */
export function parseCidr(s: string): Cidr {
  const [addr = '', bitsText] = s.trim().split('/');
  const v4 = parseIPv4(addr);
  const bytes = v4 ? Uint8Array.from(v4) : parseIPv6(addr);
  if (!bytes) throw new Error(`${JSON.stringify(s)} is not a CIDR (e.g. 10.96.0.0/12)`);
  const max = bytes.length * 8;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > max)
    throw new Error(`${JSON.stringify(s)} has an invalid prefix length`);
  return { family: v4 ? 'IPv4' : 'IPv6', bytes, bits };
}

export function cidrContains(c: Cidr, ip: string): boolean {
  const v4 = parseIPv4(ip);
  const b = v4 ? Uint8Array.from(v4) : parseIPv6(ip);
  if (!b || b.length !== c.bytes.length) return false;
  for (let i = 0; i < c.bits; i++) {
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    if (((b[byte] ?? 0) & mask) !== ((c.bytes[byte] ?? 0) & mask)) return false;
  }
  return true;
}

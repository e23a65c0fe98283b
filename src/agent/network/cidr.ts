/** IPv4 CIDR arithmetic for the pod network (the pod network is IPv4-only for now). */

export interface Cidr4 {
  /** The network address as an unsigned 32-bit number. */
  readonly base: number;
  readonly prefixLength: number;
  /** Number of addresses in the block. */
  readonly size: number;
}

export function ipToNumber(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new RangeError(`not an IPv4 address: ${ip}`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new RangeError(`not an IPv4 address: ${ip}`);
    n = n * 256 + Number(p);
  }
  return n;
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses `10.244.1.0/24`; the address is masked to the network. @throws RangeError */
export function parseCidr(cidr: string): Cidr4 {
  const [addr, len] = cidr.split('/');
  const prefixLength = Number(len);
  if (
    addr === undefined ||
    !Number.isInteger(prefixLength) ||
    prefixLength < 0 ||
    prefixLength > 32
  )
    throw new RangeError(`not an IPv4 CIDR: ${cidr}`);
  const size = 2 ** (32 - prefixLength);
  const base = ipToNumber(addr) - (ipToNumber(addr) % size);
  return { base, prefixLength, size };
}

export function formatCidr(c: Cidr4): string {
  return `${numberToIp(c.base)}/${c.prefixLength}`;
}

export function contains(c: Cidr4, ip: string): boolean {
  const n = ipToNumber(ip);
  return n >= c.base && n < c.base + c.size;
}

/** The gateway of a pod CIDR: its first host address (`.1`). */
export function gatewayOf(c: Cidr4): string {
  return numberToIp(c.base + 1);
}

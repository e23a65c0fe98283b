/**
 * Host-local IP allocation for pod sandboxes, in the manner of the CNI `host-local` plugin: one file
 * per allocated address in `<dir>` holding its owner (the sandbox id), created with O_EXCL so that
 * no address is ever handed out twice, and `last_reserved_ip` so that a released address is reused
 * last (round robin: conntrack entries and ARP caches of a dead pod do not hit the next one).
 * The files are the whole state: an agent restart loses nothing, and `gc` frees what belongs to
 * sandboxes that no longer exist.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Cidr4, formatCidr, ipToNumber, numberToIp, parseCidr } from './cidr.js';
import { IPExhaustedError, NetworkError } from './errors.js';

const lastFile = 'last_reserved_ip';
const ipName = /^\d+\.\d+\.\d+\.\d+$/;

export class HostLocalIPAM {
  readonly dir: string;
  readonly cidr: Cidr4;
  /** Addresses never handed out: network, gateway, broadcast, and any extra. */
  readonly #reserved: Set<number>;

  constructor(options: { dir: string; cidr: string; reserved?: readonly string[] }) {
    this.dir = options.dir;
    this.cidr = parseCidr(options.cidr);
    if (this.cidr.prefixLength > 30)
      throw new NetworkError(`pod CIDR ${options.cidr} is too small`);
    const { base, size } = this.cidr;
    this.#reserved = new Set([
      base,
      base + 1,
      base + size - 1,
      ...(options.reserved ?? []).map(ipToNumber),
    ]);
    mkdirSync(this.dir, { recursive: true });
  }

  /** Every allocation: IP → owner. */
  allocations(): Map<string, string> {
    const out = new Map<string, string>();
    for (const name of readdirSync(this.dir)) {
      if (!ipName.test(name)) continue;
      try {
        out.set(name, readFileSync(join(this.dir, name), 'utf8').trim());
      } catch {
        // released meanwhile
      }
    }
    return out;
  }

  /** The address `owner` holds, if any. */
  get(owner: string): string | undefined {
    for (const [ip, o] of this.allocations()) if (o === owner) return ip;
    return undefined;
  }

  /** Allocates an address for `owner`, or returns the one it holds. @throws IPExhaustedError */
  allocate(owner: string): string {
    const held = this.get(owner);
    if (held) return held;
    const { base, size } = this.cidr;
    let last = base;
    try {
      const n = ipToNumber(readFileSync(join(this.dir, lastFile), 'utf8').trim());
      if (n >= base && n < base + size) last = n;
    } catch {
      // first allocation
    }
    for (let i = 1; i <= size; i++) {
      const candidate = base + ((last - base + i) % size);
      if (this.#reserved.has(candidate)) continue;
      const ip = numberToIp(candidate);
      try {
        writeFileSync(join(this.dir, ip), owner, { flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw new NetworkError(`cannot record the allocation of ${ip}`, { cause: e });
      }
      writeFileSync(join(this.dir, lastFile), ip);
      return ip;
    }
    throw new IPExhaustedError(formatCidr(this.cidr));
  }

  /** Releases whatever `owner` holds. */
  release(owner: string): void {
    for (const [ip, o] of this.allocations())
      if (o === owner) rmSync(join(this.dir, ip), { force: true });
  }

  /** Releases every address whose owner is not live; returns the released addresses. */
  gc(live: ReadonlySet<string>): string[] {
    const freed: string[] = [];
    for (const [ip, o] of this.allocations()) {
      if (!live.has(o)) {
        rmSync(join(this.dir, ip), { force: true });
        freed.push(ip);
      }
    }
    return freed;
  }
}

/**
 * host-gw routing between nodes (flannel's host-gw backend): for every other Node with a pod CIDR
 * and an InternalIP on a subnet this node is attached to, a route `<podCIDR> via <InternalIP>`.
 * The routes carry protocol 117 so the agent finds (and removes) exactly its own; nodes that
 * share no subnet with this one get no route and a warning (they would need VXLAN).
 */
import { exec } from '../../lib/exec.js';
import type { Logger } from '../../lib/log/logger.js';
import type { Node } from '../../api/types/core.js';
import { contains, formatCidr, parseCidr } from '../network/cidr.js';

/** The routing protocol number of the agent's routes (`ip route show proto 117`). */
export const routeProtocol = '117';

export interface HostGwOptions {
  readonly nodeName: string;
  readonly logger: Logger;
  /** IPv4 subnets this node is attached to (its interfaces' networks). */
  readonly localSubnets: () => readonly string[];
}

/** The wanted routes: pod CIDR → gateway (the other node's InternalIP). */
export function wantedRoutes(
  nodes: readonly Node[],
  self: string,
  localSubnets: readonly string[],
): { routes: Map<string, string>; unreachable: string[] } {
  const routes = new Map<string, string>();
  const unreachable: string[] = [];
  const subnets = localSubnets.map((s) => parseCidr(s));
  for (const n of nodes) {
    if (n.metadata.name === self) continue;
    const cidr = n.spec?.podCIDR ?? n.spec?.podCIDRs?.[0];
    const ip = n.status?.addresses?.find(
      (a) => a.type === 'InternalIP' && !a.address.includes(':'),
    )?.address;
    if (!cidr || cidr.includes(':') || !ip) continue;
    if (!subnets.some((s) => contains(s, ip))) {
      unreachable.push(n.metadata.name ?? '');
      continue;
    }
    routes.set(cidr, ip);
  }
  return { routes, unreachable };
}

export class HostGwRoutes {
  readonly #o: HostGwOptions;
  #warned = new Set<string>();

  constructor(options: HostGwOptions) {
    this.#o = options;
  }

  /** The agent's routes now in the kernel: destination → gateway. */
  async current(): Promise<Map<string, string>> {
    const r = await exec('ip', ['-4', 'route', 'show', 'proto', routeProtocol], {
      allowFailure: true,
    });
    const out = new Map<string, string>();
    for (const line of r.stdout.split('\n')) {
      const m = /^(\S+) via (\S+)/.exec(line.trim());
      if (m?.[1] && m[2]) out.set(m[1], m[2]);
    }
    return out;
  }

  /** Makes the kernel's routes match the nodes. */
  async sync(nodes: readonly Node[]): Promise<void> {
    const { routes, unreachable } = wantedRoutes(nodes, this.#o.nodeName, this.#o.localSubnets());
    for (const n of unreachable) {
      if (this.#warned.has(n)) continue;
      this.#warned.add(n);
      this.#o.logger.warn('No route to the pods of a node that shares no subnet with this one', {
        node: n,
      });
    }
    const have = await this.current();
    for (const [dst, via] of routes) {
      if (have.get(dst) === via) continue;
      const r = await exec('ip', ['route', 'replace', dst, 'via', via, 'proto', routeProtocol], {
        allowFailure: true,
      });
      if (r.code !== 0)
        this.#o.logger.warn('Adding a pod route failed', { dst, via, err: r.stderr.trim() });
      else this.#o.logger.v(2).info('Pod route added', { dst, via });
    }
    for (const dst of have.keys()) {
      if (routes.has(dst)) continue;
      await exec('ip', ['route', 'del', dst, 'proto', routeProtocol], { allowFailure: true });
      this.#o.logger.v(2).info('Pod route removed', { dst });
    }
  }

  /** Removes every route the agent made. */
  async removeAll(): Promise<void> {
    for (const dst of (await this.current()).keys())
      await exec('ip', ['route', 'del', dst, 'proto', routeProtocol], { allowFailure: true });
  }
}

/** IPv4 networks of this namespace's interfaces (`ip -4 -o addr`), bridges of pods excluded. */
export async function localSubnets(exclude: readonly string[] = ['portico0']): Promise<string[]> {
  const r = await exec('ip', ['-4', '-o', 'addr', 'show'], { allowFailure: true });
  const out: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+(\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(line);
    if (!m?.[1] || !m[2] || !m[3] || exclude.includes(m[1]) || m[2].startsWith('127.')) continue;
    out.push(formatCidr(parseCidr(`${m[2]}/${m[3]}`)));
  }
  return out;
}

/**
 * BridgeNetwork: the node's pod network, as the CNI `bridge` + `host-local` plugins build it.
 *
 *   node netns:  portico0 (bridge, <podCIDR>.1) ── portico<8 hex> (veth, hairpin) ┐
 *   pod netns:                                        eth0 <pod IP>/<len>, default via .1
 *
 * plus, on the node: `net.ipv4.ip_forward=1`, `br_netfilter` with `bridge-nf-call-iptables=1` (so
 * bridged pod-to-pod packets meet conntrack and the proxy's DNAT is undone on replies; see
 * README.md), a route for the service CIDR over the bridge (node-originated connections to
 * ClusterIPs reach the nat OUTPUT hook instead of failing with "network unreachable"), and the
 * masquerade table (rules.ts). Every command runs in the node's network namespace: this process's
 * own, or `netns` (tests build a `ptest-node` namespace and keep the host untouched).
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { exec, type ExecResult } from '../../lib/exec.js';
import type { Logger } from '../../lib/log/logger.js';
import { discardLogger } from '../../lib/log/logger.js';
import { formatCidr, gatewayOf, parseCidr, type Cidr4 } from './cidr.js';
import { NetworkError } from './errors.js';
import { HostLocalIPAM } from './ipam.js';
import { nodeRuleset } from './rules.js';
import type { AttachRequest, PodInterface, PodNetwork } from './types.js';

export interface BridgeNetworkOptions {
  /** The node's pod CIDR (`10.244.1.0/24`). */
  readonly podCIDR: string;
  /** The cluster's pod CIDR (`10.244.0.0/16`): not masqueraded. */
  readonly clusterCIDR?: string;
  /** Routed over the bridge so node-originated ClusterIP traffic reaches the proxy's DNAT. */
  readonly serviceCIDR?: string;
  /** Where IPAM keeps its files (`<data dir>/network`). */
  readonly stateDir: string;
  /** Bridge name; default `portico0`. */
  readonly bridge?: string;
  /** Host-side veth names: prefix + 8 hex of the sandbox id (≤ 15 chars); default `portico`. */
  readonly vethPrefix?: string;
  /** nftables table (family ip); default `portico-node`. */
  readonly table?: string;
  /** MTU of the pod interfaces; default 1500. */
  readonly mtu?: number;
  /** The node's network namespace as a path or an `ip netns` name; default: this process's. */
  readonly netns?: string;
  readonly hairpin?: boolean;
  readonly masquerade?: boolean;
  readonly logger?: Logger;
}

function netnsPath(netns: string): string {
  return netns.includes('/') ? netns : `/run/netns/${netns}`;
}

/** `/proc/<pid>/ns/net` → pid; `/run/netns/<name>` → name: what `ip link set … netns` takes. */
function ipNetnsArg(path: string): string {
  const pid = /^\/proc\/(\d+)\/ns\/net$/.exec(path);
  if (pid?.[1]) return pid[1];
  const named = /^\/(?:var\/)?run\/netns\/([^/]+)$/.exec(path);
  if (named?.[1]) return named[1];
  throw new NetworkError(`cannot hand a veth to network namespace ${path}: use /proc/<pid>/ns/net`);
}

export class BridgeNetwork implements PodNetwork {
  readonly bridge: string;
  readonly gateway: string;
  readonly #cidr: Cidr4;
  readonly #o: BridgeNetworkOptions;
  readonly #ipam: HostLocalIPAM;
  readonly #prefix: string;
  readonly #table: string;
  readonly #mtu: number;
  readonly #log: Logger;

  constructor(options: BridgeNetworkOptions) {
    this.#o = options;
    this.#cidr = parseCidr(options.podCIDR);
    this.gateway = gatewayOf(this.#cidr);
    this.bridge = options.bridge ?? 'portico0';
    this.#prefix = options.vethPrefix ?? 'portico';
    if (this.#prefix.length > 7)
      throw new NetworkError(`veth prefix ${this.#prefix} is longer than 7`);
    if (this.bridge.length > 15)
      throw new NetworkError(`bridge name ${this.bridge} is longer than 15`);
    this.#table = options.table ?? 'portico-node';
    this.#mtu = options.mtu ?? 1500;
    this.#log = options.logger ?? discardLogger;
    this.#ipam = new HostLocalIPAM({
      dir: `${options.stateDir}/ipam/${this.bridge}`,
      cidr: options.podCIDR,
    });
  }

  /** The host-side veth of a sandbox. */
  vethName(sandboxId: string): string {
    return `${this.#prefix}${sandboxId.replace(/[^a-z0-9]/gi, '').slice(0, 15 - this.#prefix.length)}`;
  }

  /** Runs a command in the node's network namespace. */
  async #node(
    file: string,
    args: readonly string[],
    options: { input?: string; allowFailure?: boolean } = {},
  ): Promise<ExecResult> {
    const argv = this.#o.netns
      ? ['nsenter', `--net=${netnsPath(this.#o.netns)}`, file, ...args]
      : [file, ...args];
    try {
      return await exec(argv[0] ?? file, argv.slice(1), options);
    } catch (e) {
      throw new NetworkError(`${file} ${args.join(' ')} failed in the node network namespace`, {
        cause: e,
      });
    }
  }

  async #sysctl(key: string, value: string): Promise<void> {
    await this.#node('sysctl', ['-qw', `${key}=${value}`]);
  }

  async ensureNode(): Promise<void> {
    // br_netfilter is a module; its sysctls appear (per network namespace) once it is loaded.
    if (!existsSync('/proc/sys/net/bridge'))
      await exec('modprobe', ['br_netfilter'], { allowFailure: true });
    const link = await this.#node('ip', ['link', 'show', this.bridge], { allowFailure: true });
    const batch: string[] = [];
    if (link.code !== 0) batch.push(`link add ${this.bridge} type bridge`);
    batch.push(
      `link set ${this.bridge} up`,
      `addr replace ${this.gateway}/${this.#cidr.prefixLength} dev ${this.bridge}`,
    );
    if (this.#o.serviceCIDR) {
      batch.push(`route replace ${this.#o.serviceCIDR} dev ${this.bridge} src ${this.gateway}`);
    }
    await this.#node('ip', ['-batch', '-'], { input: batch.join('\n') + '\n' });
    await this.#sysctl('net.ipv4.ip_forward', '1');
    const brnf = await this.#node('sysctl', ['-qw', 'net.bridge.bridge-nf-call-iptables=1'], {
      allowFailure: true,
    });
    if (brnf.code !== 0) {
      this.#log.warn(
        'br_netfilter is not available: same-node pod-to-service replies may bypass conntrack',
        {
          stderr: brnf.stderr.trim(),
        },
      );
    }
    if (this.#o.masquerade ?? true) {
      const rules = nodeRuleset({
        table: this.#table,
        podCIDR: formatCidr(this.#cidr),
        ...(this.#o.clusterCIDR ? { clusterCIDR: this.#o.clusterCIDR } : {}),
        bridge: this.bridge,
      });
      await this.#node('nft', ['-f', '-'], { input: rules });
    }
    this.#log.v(2).info('Pod network ready', { bridge: this.bridge, gateway: this.gateway });
  }

  async attach(request: AttachRequest): Promise<PodInterface> {
    const ip = this.#ipam.allocate(request.sandboxId);
    const host = this.vethName(request.sandboxId);
    const peer = `tmp${host.slice(-11)}`;
    const target = ipNetnsArg(request.netnsPath);
    try {
      // Idempotent: a half-made pair from an interrupted attach is replaced.
      await this.#node('ip', ['link', 'del', host], { allowFailure: true });
      const hairpin = (this.#o.hairpin ?? true) ? 'on' : 'off';
      await this.#node('ip', ['-batch', '-'], {
        input:
          [
            `link add ${host} mtu ${this.#mtu} type veth peer name ${peer} mtu ${this.#mtu}`,
            `link set ${peer} netns ${target}`,
            `link set ${host} master ${this.bridge}`,
            `link set ${host} type bridge_slave hairpin ${hairpin} learning on`,
            `link set ${host} up`,
          ].join('\n') + '\n',
      });
      const pod = [
        `link set ${peer} name eth0`,
        `addr add ${ip}/${this.#cidr.prefixLength} dev eth0`,
        `link set eth0 up`,
        `link set lo up`,
        `route add default via ${this.gateway} dev eth0`,
      ];
      await exec('nsenter', [`--net=${request.netnsPath}`, 'ip', '-batch', '-'], {
        input: pod.join('\n') + '\n',
      });
    } catch (e) {
      await this.#node('ip', ['link', 'del', host], { allowFailure: true }).catch(() => undefined);
      this.#ipam.release(request.sandboxId);
      throw e instanceof NetworkError
        ? e
        : new NetworkError(`cannot attach ${request.pod ?? request.sandboxId} to ${this.bridge}`, {
            cause: e,
          });
    }
    return {
      ip,
      prefixLength: this.#cidr.prefixLength,
      gateway: this.gateway,
      hostInterface: host,
      mtu: this.#mtu,
    };
  }

  async detach(sandboxId: string): Promise<void> {
    await this.#node('ip', ['link', 'del', this.vethName(sandboxId)], { allowFailure: true });
    this.#ipam.release(sandboxId);
  }

  ipOf(sandboxId: string): Promise<string | undefined> {
    return Promise.resolve(this.#ipam.get(sandboxId));
  }

  async gc(liveSandboxIds: ReadonlySet<string>): Promise<void> {
    const freed = this.#ipam.gc(liveSandboxIds);
    if (freed.length > 0) this.#log.info('Released IPs of sandboxes that are gone', { ips: freed });
    // Host veths of sandboxes that are gone (their namespace was destroyed: usually gone already).
    const live = new Set([...liveSandboxIds].map((id) => this.vethName(id)));
    for (const name of await this.#vethNames()) {
      if (!live.has(name)) await this.#node('ip', ['link', 'del', name], { allowFailure: true });
    }
  }

  async #vethNames(): Promise<string[]> {
    const r = await this.#node('ip', ['-o', 'link', 'show', 'type', 'veth'], {
      allowFailure: true,
    });
    const out: string[] = [];
    for (const line of r.stdout.split('\n')) {
      const m = /^\d+:\s+([^:@\s]+)/.exec(line);
      if (m?.[1]?.startsWith(this.#prefix) && m[1] !== this.bridge) out.push(m[1]);
    }
    return out;
  }

  /**
   * Removes everything this network made on the node: veths, the bridge (and with it the service
   * route), the nft table and the IPAM files. For `portico` teardown and tests.
   */
  async remove(): Promise<void> {
    for (const name of await this.#vethNames())
      await this.#node('ip', ['link', 'del', name], { allowFailure: true });
    await this.#node('ip', ['link', 'del', this.bridge], { allowFailure: true });
    await this.#node('nft', ['delete', 'table', 'ip', this.#table], { allowFailure: true });
    const dir = `${this.#o.stateDir}/ipam/${this.bridge}`;
    if (existsSync(dir)) {
      for (const f of readdirSync(dir)) rmSync(`${dir}/${f}`, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** The MTU of the interface holding the default route in this namespace, or 1500. */
export function defaultRouteMtu(): number {
  try {
    const route = readFileSync('/proc/net/route', 'utf8')
      .split('\n')
      .find((l) => /^\S+\t00000000\t/.test(l));
    const dev = route?.split('\t')[0];
    if (!dev) return 1500;
    const mtu = Number(readFileSync(`/sys/class/net/${dev}/mtu`, 'utf8').trim());
    return Number.isFinite(mtu) && mtu > 0 ? mtu : 1500;
  } catch {
    return 1500;
  }
}

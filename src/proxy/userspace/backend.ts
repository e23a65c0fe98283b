/**
 * The userspace backend: where nftables cannot be used (not root, no nft), one TCP or UDP relay
 * per Service frontend relays connections to the endpoints, with the nftables rules' endpoint
 * choice (traffic policies, terminating fallback, topology) and ClientIP affinity.
 *
 * Frontends are the ClusterIP, external IPs and LoadBalancer IPs on the Service port — bound
 * only where the address is local to the node (e.g. a service CIDR routed to `lo`, or 127.x
 * ClusterIPs; an address that is not gets one log line) — and the node port on each of
 * `nodePortAddresses`. A frontend listens only while its Service has endpoints, so a Service
 * without endpoints refuses connections, as the nftables rules make it do. Clients appear to
 * endpoints with this process's address: no client IP is preserved in this mode.
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log/logger.js';
import { discardLogger } from '../../lib/log/logger.js';
import type { ProxyBackend, SyncHint, SyncResult } from '../backend.js';
import type { ClusterStateView } from '../changetracker.js';
import { categorizeEndpoints } from '../topology.js';
import type { EndpointInfo, IPFamily } from '../types.js';
import { familyOf } from '../types.js';
import type { Relay } from './relay.js';
import { TcpRelay, UdpRelay } from './relay.js';
import { EndpointSelector } from './select.js';

export interface UserspaceBackendOptions {
  readonly clock: Clock;
  /** Addresses node ports listen on; default `0.0.0.0`. */
  readonly nodePortAddresses?: readonly string[];
  readonly families?: readonly IPFamily[];
  readonly udpIdleTimeoutMs?: number;
  readonly logger?: Logger;
}

interface Frontend {
  readonly key: string;
  readonly protocol: 'TCP' | 'UDP';
  readonly host: string;
  readonly port: number;
  readonly endpoints: readonly EndpointInfo[];
  readonly affinitySeconds: number;
}

interface Active {
  readonly relay: Relay;
  readonly selector: EndpointSelector;
  readonly service: string;
}

export class UserspaceBackend implements ProxyBackend {
  readonly name = 'userspace';
  readonly #o: UserspaceBackendOptions;
  readonly #log: Logger;
  readonly #active = new Map<string, Active>();
  readonly #byService = new Map<string, Set<string>>();
  /** Frontends that could not be bound (logged once each). */
  readonly #unbindable = new Set<string>();
  #warned = false;

  constructor(options: UserspaceBackendOptions) {
    this.#o = options;
    this.#log = (options.logger ?? discardLogger).child({ backend: 'userspace' });
  }

  /** Frontends currently listening, as `PROTO host:port` (tests, status). */
  get listening(): string[] {
    return [...this.#active.keys()].sort();
  }

  #frontends(view: ClusterStateView, service: string): Frontend[] {
    const out: Frontend[] = [];
    const node = view.node();
    for (const family of this.#o.families ?? (['IPv4', 'IPv6'] as const)) {
      for (const { info, endpoints } of view.entries(service, family)) {
        if (info.protocol === 'SCTP') continue;
        const protocol = info.protocol;
        const c = categorizeEndpoints(endpoints, info, node);
        const internal = info.internalPolicyLocal ? c.local : c.cluster;
        const external = info.externalPolicyLocal ? c.local : c.cluster;
        const add = (host: string, port: number, eps: readonly EndpointInfo[]): void => {
          out.push({
            key: `${protocol} ${host.includes(':') ? `[${host}]` : host}:${port}`,
            protocol,
            host,
            port,
            endpoints: eps,
            affinitySeconds: info.affinityTimeoutSeconds,
          });
        };
        add(info.clusterIP, info.port, internal);
        for (const ip of [...info.externalIPs, ...info.loadBalancerIPs])
          add(ip, info.port, external);
        if (info.nodePort > 0)
          for (const addr of this.#o.nodePortAddresses ?? ['0.0.0.0'])
            if (familyOf(addr) === family) add(addr, info.nodePort, external);
      }
    }
    return out;
  }

  async sync(view: ClusterStateView, hint: SyncHint): Promise<SyncResult> {
    const services = hint.full
      ? new Set([...view.serviceKeys(), ...this.#byService.keys()])
      : hint.changed;
    if (hint.full) this.#unbindable.clear();
    let operations = 0;
    for (const service of services) {
      const wanted = new Map<string, Frontend>();
      for (const f of this.#frontends(view, service)) {
        const owner = this.#active.get(f.key)?.service;
        if (owner !== undefined && owner !== service) continue; // another Service has this frontend
        if (f.endpoints.length > 0 && !wanted.has(f.key)) wanted.set(f.key, f);
      }
      const had = this.#byService.get(service) ?? new Set<string>();
      for (const key of had) {
        if (wanted.has(key)) continue;
        const a = this.#active.get(key);
        this.#active.delete(key);
        if (a) {
          await a.relay.close();
          operations++;
        }
      }
      const now = new Set<string>();
      for (const f of wanted.values()) {
        let a = this.#active.get(f.key);
        if (!a) {
          if (this.#unbindable.has(f.key)) continue;
          const selector = new EndpointSelector(this.#o.clock);
          const relay =
            f.protocol === 'TCP'
              ? new TcpRelay({ host: f.host, port: f.port, selector, logger: this.#log })
              : new UdpRelay({
                  host: f.host,
                  port: f.port,
                  selector,
                  logger: this.#log,
                  ...(this.#o.udpIdleTimeoutMs ? { idleTimeoutMs: this.#o.udpIdleTimeoutMs } : {}),
                });
          try {
            await relay.start();
          } catch (err) {
            this.#unbindable.add(f.key);
            const fields = {
              frontend: f.key,
              service,
              err: err instanceof Error ? err.message : String(err),
            };
            // One warning, then one line per frontend at -v 2: ClusterIPs are usually not local.
            if (!this.#warned) {
              this.#warned = true;
              this.#log.warn(
                'Cannot listen on a Service frontend; addresses that are not local to this node (usually ClusterIPs) are unreachable in userspace mode',
                fields,
              );
            } else this.#log.v(2).info('Cannot listen on a Service frontend', fields);
            continue;
          }
          a = { relay, selector, service };
          this.#active.set(f.key, a);
          operations++;
        }
        a.selector.update(f.endpoints, f.affinitySeconds);
        a.relay.prune(new Set(f.endpoints.map((e) => `${e.ip}|${e.port}`)));
        now.add(f.key);
      }
      if (now.size > 0) this.#byService.set(service, now);
      else this.#byService.delete(service);
    }
    return { full: hint.full, operations };
  }

  async cleanup(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    const all = [...this.#active.values()];
    this.#active.clear();
    this.#byService.clear();
    await Promise.all(all.map((a) => a.relay.close(true)));
  }
}

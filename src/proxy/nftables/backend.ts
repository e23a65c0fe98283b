/**
 * The nftables backend for one IP family: keeps the committed table in memory (TableIndex) and
 * turns each sync into one `nft -f` transaction holding only what changed. A full sync (startup,
 * after any failure, periodically) rewrites every chain and every map we fill in one atomic
 * transaction, without deleting the table: conntrack NAT bindings and affinity sets survive, so
 * a restart does not drop live connections.
 */
import type { Logger } from '../../lib/log/logger.js';
import { discardLogger } from '../../lib/log/logger.js';
import type { ProxyBackend, SyncHint, SyncResult } from '../backend.js';
import type { ClusterStateView, NodeState } from '../changetracker.js';
import type { Conntrack, ConntrackFilter, UdpPortState } from '../conntrack.js';
import { staleFilters } from '../conntrack.js';
import type { IPFamily } from '../types.js';
import { familyOf } from '../types.js';
import { PlanError, TableIndex } from './index.js';
import type { PlanStats } from './index.js';
import type { Fragment } from './model.js';
import { Script } from './model.js';
import type { Nft } from './nft.js';
import type { BuiltServicePort, NftContext } from './ruleset.js';
import { servicePortFragment, skeleton, skeletonOwner, tableComment } from './ruleset.js';

export interface NftablesBackendOptions {
  readonly family: IPFamily;
  readonly nft: Nft;
  readonly conntrack?: Conntrack;
  /**
   * What counts as "a pod on this node": `NodeCIDR` uses the Node's podCIDRs (falling back to
   * the cluster CIDRs until known), `ClusterCIDR` the cluster CIDRs (kube-proxy's default).
   */
  readonly detectLocalMode?: 'NodeCIDR' | 'ClusterCIDR';
  readonly clusterCIDRs: readonly string[];
  readonly serviceCIDRs: readonly string[];
  readonly masqueradeBit?: number;
  readonly logger?: Logger;
}

/** What the backend did in its last sync (for metrics and the bench). */
export interface NftSyncStats extends PlanStats {
  readonly scriptBytes: number;
}

export class NftablesBackend implements ProxyBackend {
  readonly name: string;
  readonly family: IPFamily;
  readonly #nft: Nft;
  readonly #conntrack: Conntrack | undefined;
  readonly #options: NftablesBackendOptions;
  readonly #log: Logger;
  readonly #index: TableIndex;
  /** Committed Service ports per Service, with the facts conntrack cleanup needs. */
  #ports = new Map<string, Map<string, BuiltServicePort>>();
  #ctxKey = '';
  #needFull = true;
  /** Services changed since the last successful sync (a failed sync leaves them here). */
  readonly #dirty = new Set<string>();
  lastStats: NftSyncStats | undefined;

  constructor(options: NftablesBackendOptions) {
    this.family = options.family;
    this.name = `nftables-${options.family === 'IPv4' ? 'ip' : 'ip6'}`;
    this.#nft = options.nft;
    this.#conntrack = options.conntrack;
    this.#options = options;
    this.#log = (options.logger ?? discardLogger).child({ backend: this.name });
    this.#index = new TableIndex(options.family);
  }

  /** The rules' node-wide inputs for the current node state. */
  context(node: NodeState): NftContext {
    const fam = (cidrs: readonly string[]): string[] =>
      cidrs.filter((c) => familyOf(c.split('/')[0] ?? '') === this.family);
    const nodeCIDRs = fam(node.podCIDRs);
    const localCIDRs =
      (this.#options.detectLocalMode ?? 'NodeCIDR') === 'NodeCIDR' && nodeCIDRs.length > 0
        ? nodeCIDRs
        : fam(this.#options.clusterCIDRs);
    return {
      family: this.family,
      node: { name: node.name, zone: node.zone },
      localCIDRs,
      serviceCIDRs: fam(this.#options.serviceCIDRs),
      masqueradeBit: this.#options.masqueradeBit ?? 14,
    };
  }

  #build(ctx: NftContext, view: ClusterStateView, service: string): Map<string, BuiltServicePort> {
    const out = new Map<string, BuiltServicePort>();
    for (const e of view.entries(service, this.family))
      out.set(e.info.key, servicePortFragment(ctx, e.info, e.endpoints));
    return out;
  }

  async sync(view: ClusterStateView, hint: SyncHint): Promise<SyncResult> {
    const ctx = this.context(view.node());
    const ctxKey = JSON.stringify(ctx);
    const full = hint.full || this.#needFull || ctxKey !== this.#ctxKey;
    for (const s of hint.changed) this.#dirty.add(s);
    try {
      const r = full
        ? await this.#fullSync(ctx, view, ctxKey === this.#ctxKey)
        : await this.#partialSync(ctx, view, hint.changed);
      this.#ctxKey = ctxKey;
      this.#needFull = false;
      this.#dirty.clear();
      return r;
    } catch (err) {
      this.#needFull = true;
      throw err;
    }
  }

  async #partialSync(
    ctx: NftContext,
    view: ClusterStateView,
    changed: ReadonlySet<string>,
  ): Promise<SyncResult> {
    const changes = new Map<string, Fragment | undefined>();
    const next = new Map<string, Map<string, BuiltServicePort>>();
    const udp: { before: UdpPortState | undefined; after: UdpPortState | undefined }[] = [];
    for (const service of changed) {
      const before = this.#ports.get(service) ?? new Map<string, BuiltServicePort>();
      const after = this.#build(ctx, view, service);
      next.set(service, after);
      for (const [key, b] of after) changes.set(key, b.fragment);
      for (const key of before.keys()) if (!after.has(key)) changes.set(key, undefined);
      for (const key of new Set([...before.keys(), ...after.keys()])) {
        const b = before.get(key);
        const a = after.get(key);
        if ((b?.facts.udp ?? a?.facts.udp) === undefined) continue;
        udp.push({ before: b?.facts.udp, after: a?.facts.udp });
      }
    }
    let plan;
    try {
      plan = this.#index.plan(changes);
    } catch (err) {
      if (err instanceof PlanError) return this.#fullSync(ctx, view, false);
      throw err;
    }
    const script = plan.script.toString();
    if (script !== '') await this.#nft.run(script);
    plan.commit();
    for (const [service, ports] of next) {
      if (ports.size > 0) this.#ports.set(service, ports);
      else this.#ports.delete(service);
    }
    this.lastStats = { ...plan.stats, scriptBytes: script.length };
    await this.#cleanupConntrack(
      udp.flatMap((u) => staleFilters(u.before, u.after)),
      udp.some((u) => nodePortActivated(u)),
    );
    return { full: false, operations: plan.script.size };
  }

  async #fullSync(
    ctx: NftContext,
    view: ClusterStateView,
    sameContext: boolean,
  ): Promise<SyncResult> {
    const all = new Map<string, Fragment>([[skeletonOwner, skeleton(ctx)]]);
    const ports = new Map<string, Map<string, BuiltServicePort>>();
    for (const service of view.serviceKeys()) {
      // Fragments are a pure function of the context and the Service's objects: a periodic
      // resync reuses the committed ones of Services that did not change.
      const committed =
        sameContext && !this.#dirty.has(service) ? this.#ports.get(service) : undefined;
      const built = committed ?? this.#build(ctx, view, service);
      if (built.size === 0) continue;
      ports.set(service, built);
      for (const [key, b] of built) all.set(key, b.fragment);
    }
    const listing = await this.#nft.list(this.family);
    let plan = this.#index.planFull(all, listing, tableComment);
    let script = plan.script.toString();
    try {
      await this.#nft.run(script);
    } catch (err) {
      // The table holds something we cannot reconcile in place (an older proxy's definitions):
      // replace it in one transaction. Conntrack entries survive; affinity state does not.
      this.#log.error(err, 'Full nftables sync failed; replacing the table', {});
      plan = this.#index.planFull(all, undefined, tableComment);
      const replace = new Script(this.family).addTable().deleteTable().toString();
      script = replace + plan.script.toString();
      await this.#nft.run(script);
    }
    plan.commit();
    this.#ports = ports;
    this.lastStats = { ...plan.stats, scriptBytes: script.length };
    await this.#fullConntrackCleanup(ports);
    return { full: true, operations: plan.script.size };
  }

  /** Deletes stale UDP entries after a partial sync. */
  async #cleanupConntrack(
    filters: readonly ConntrackFilter[],
    nodePortsActivated: boolean,
  ): Promise<void> {
    const ct = this.#conntrack;
    if (!ct) return;
    for (const f of filters) {
      try {
        const n = await ct.deleteUDP(this.family, f);
        if (n > 0) this.#log.v(2).info('Deleted stale UDP conntrack entries', { ...f, count: n });
      } catch (err) {
        this.#log.error(err, 'Could not delete stale UDP conntrack entries', { ...f });
      }
    }
    if (nodePortsActivated) await this.#fullConntrackCleanup(this.#ports);
  }

  /**
   * Lists UDP conntrack entries and deletes those to a frontend of ours that point nowhere
   * useful: not DNATed although the Service has endpoints, or DNATed to an endpoint that is gone.
   */
  async #fullConntrackCleanup(
    ports: ReadonlyMap<string, ReadonlyMap<string, BuiltServicePort>>,
  ): Promise<void> {
    const ct = this.#conntrack;
    if (!ct) return;
    const byIP = new Map<string, UdpPortState>();
    const byNodePort = new Map<number, UdpPortState>();
    for (const svc of ports.values())
      for (const b of svc.values()) {
        const u = b.facts.udp;
        if (!u) continue;
        for (const f of u.frontends) {
          if (f.ip !== undefined) byIP.set(`${f.ip}|${f.port}`, u);
          else byNodePort.set(f.port, u);
        }
      }
    if (byIP.size === 0 && byNodePort.size === 0) return;
    let entries;
    try {
      entries = await ct.listUDP(this.family);
    } catch (err) {
      this.#log.error(err, 'Could not list UDP conntrack entries', {});
      return;
    }
    const filters = new Map<string, ConntrackFilter>();
    for (const e of entries) {
      const u = byIP.get(`${e.origDst}|${e.origPortDst}`) ?? byNodePort.get(e.origPortDst);
      if (!u || u.endpoints.length === 0) continue;
      const unNATed = e.replySrc === e.origDst;
      if (!unNATed && u.endpoints.includes(e.replySrc)) continue;
      const f: ConntrackFilter = {
        origDst: e.origDst,
        origPortDst: e.origPortDst,
        replySrc: e.replySrc,
      };
      filters.set(JSON.stringify(f), f);
    }
    await this.#cleanupConntrack([...filters.values()], false);
  }

  async cleanup(): Promise<void> {
    const listing = await this.#nft.list(this.family);
    if (listing) await this.#nft.run(new Script(this.family).deleteTable().toString());
    this.#index.reset();
    this.#ports.clear();
    this.#needFull = true;
  }

  close(): Promise<void> {
    this.#nft.close?.();
    return Promise.resolve();
  }

  /** Number of elements the table holds (for metrics). */
  get elementCount(): number {
    return this.#index.elementCount;
  }
}

function nodePortActivated(u: {
  before: UdpPortState | undefined;
  after: UdpPortState | undefined;
}): boolean {
  const had = (u.before?.endpoints.length ?? 0) > 0;
  const has = (u.after?.endpoints.length ?? 0) > 0;
  return !had && has && (u.after?.frontends.some((f) => f.ip === undefined) ?? false);
}

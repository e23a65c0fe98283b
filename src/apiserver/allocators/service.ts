/**
 * ClusterIPs, nodePorts and healthCheckNodePorts of Services (kube's service Allocators,
 * registry/core/service/storage/alloc.go): allocate before the write, release after the commit,
 * give back on failure. `repair` rebuilds the state from the stored Services, so that a restarted
 * API server never hands out an IP or a port that a stored Service holds.
 */
import type { ClusterConfig } from '../../api/cluster.js';
import { invalid as fieldInvalid } from '../../api/meta/fielderrors.js';
import { internal, invalid } from '../../api/meta/status.js';
import type { IPFamily, Service } from '../../api/types/core.js';
import { goStringSlice } from '../../api/validation/gorepr.js';
import { parseIP } from '../../api/validation/ip.js';
import { needsHealthCheck } from '../../api/validation/service.js';
import type { AllocationTx } from '../registry/strategy.js';
import { AllocationError } from './errors.js';
import { initIPFamilyFields } from './families.js';
import { IPAllocator } from './ipallocator.js';
import { AllocationOperation, type Reservable } from './operation.js';
import { PortAllocator } from './portallocator.js';

export interface ServiceAllocatorsOptions {
  readonly config: ClusterConfig;
  /** Random source for dynamic allocation (tests pass a seeded one). */
  readonly random?: () => number;
}

/** Something a repair found wrong in the stored Services (kube emits these as events). */
export interface RepairProblem {
  readonly service: string;
  readonly reason:
    'ClusterIPOutOfRange' | 'ClusterIPAlreadyAllocated' | 'PortOutOfRange' | 'PortAlreadyAllocated';
  readonly value: string;
}

const needsNodePorts = (svc: Service | undefined): boolean =>
  svc?.spec?.type === 'NodePort' || svc?.spec?.type === 'LoadBalancer';

function shouldAllocateNodePorts(svc: Service): boolean {
  if (svc.spec?.type === 'NodePort') return true;
  if (svc.spec?.type === 'LoadBalancer') return svc.spec.allocateLoadBalancerNodePorts !== false;
  return false;
}

function collectNodePorts(svc: Service | undefined): number[] {
  return (svc?.spec?.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n !== 0);
}

function isHeadless(svc: Service | undefined): boolean {
  const ips = svc?.spec?.clusterIPs ?? [];
  return ips.length > 0 && ips[0] === 'None';
}

/** A transaction over several operations. */
class ServiceTxn implements AllocationTx {
  readonly ipOps: AllocationOperation<string>[] = [];
  portOp: AllocationOperation<number> | undefined;
  readonly #onDone: (t: ServiceTxn) => void;
  constructor(onDone: (t: ServiceTxn) => void) {
    this.#onDone = onDone;
  }
  commit(): void {
    for (const op of this.ipOps) op.commit();
    this.portOp?.commit();
    this.#onDone(this);
  }
  revert(): void {
    for (const op of this.ipOps) op.revert();
    this.portOp?.revert();
    this.#onDone(this);
  }
  ips(): string[] {
    return this.ipOps.flatMap((op) => [...op.allocated]);
  }
  ports(): number[] {
    return [...(this.portOp?.allocated ?? [])];
  }
}

/** Values reserved while a repair was listing Services: they must survive the repair. */
interface RepairWindow {
  readonly ips: Set<string>;
  readonly ports: Set<number>;
}

export class ServiceAllocators {
  readonly #ips = new Map<IPFamily, IPAllocator>();
  readonly #defaultFamily: IPFamily;
  readonly #ports: PortAllocator;
  readonly #open = new Set<ServiceTxn>();
  readonly #windows = new Set<RepairWindow>();

  /** @throws Error for an unusable service CIDR or nodePort range */
  constructor(options: ServiceAllocatorsOptions) {
    const cidrs = options.config.serviceCIDR
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    for (const cidr of cidrs) {
      const alloc = new IPAllocator({
        cidr,
        ...(options.random ? { random: options.random } : {}),
      });
      if (this.#ips.has(alloc.family))
        throw new Error(`service CIDRs ${options.config.serviceCIDR}: at most one per IP family`);
      this.#ips.set(alloc.family, alloc);
    }
    const first = this.#ips.values().next().value;
    if (!first) throw new Error('no service CIDR configured');
    this.#defaultFamily = first.family;
    this.#ports = new PortAllocator({
      range: options.config.nodePortRange,
      ...(options.random ? { random: options.random } : {}),
    });
  }

  /** The allocator of a family (tests and diagnostics). */
  ipAllocator(family: IPFamily): IPAllocator | undefined {
    return this.#ips.get(family);
  }

  get nodePorts(): PortAllocator {
    return this.#ports;
  }

  #recordIP(ip: string): void {
    for (const w of this.#windows) w.ips.add(ip);
  }

  #recordPort(port: number): void {
    for (const w of this.#windows) w.ports.add(port);
  }

  #ipPool(alloc: IPAllocator): Reservable<string> {
    return {
      allocate: (ip) => {
        alloc.allocate(ip);
        this.#recordIP(ip);
      },
      allocateNext: () => {
        const ip = alloc.allocateNext();
        this.#recordIP(ip);
        return ip;
      },
      release: (ip) => alloc.release(ip),
    };
  }

  #portPool(): Reservable<number> {
    return {
      allocate: (p) => {
        this.#ports.allocate(p);
        this.#recordPort(p);
      },
      allocateNext: () => {
        const p = this.#ports.allocateNext();
        this.#recordPort(p);
        return p;
      },
      release: (p) => this.#ports.release(p),
    };
  }

  #txn(): ServiceTxn {
    const t = new ServiceTxn((done) => this.#open.delete(done));
    t.portOp = new AllocationOperation(this.#portPool());
    this.#open.add(t);
    return t;
  }

  #ipOp(t: ServiceTxn, family: IPFamily): AllocationOperation<string> {
    const alloc = this.#ips.get(family);
    if (!alloc) throw internal(`no service CIDR for ${family}`);
    const op = new AllocationOperation(this.#ipPool(alloc));
    t.ipOps.push(op);
    return op;
  }

  /**
   * Allocates the clusterIPs asked for ("" = any) of `svc`, family by family, writing them
   * back. @throws ApiError
   */
  #allocClusterIPs(svc: Service, t: ServiceTxn): void {
    const spec = svc.spec ?? {};
    if (spec.type === 'ExternalName' || isHeadless(svc)) return;
    const families = spec.ipFamilies ?? [this.#defaultFamily];
    const clusterIPs = [...(spec.clusterIPs ?? [])];
    families.forEach((fam, i) => {
      if (i >= clusterIPs.length) clusterIPs.push('');
      const ip = clusterIPs[i] ?? '';
      const op = this.#ipOp(t, fam);
      if (ip === '') {
        try {
          clusterIPs[i] = op.allocateNext();
        } catch (e) {
          throw internal(
            `failed to allocate a serviceIP: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
      } else {
        try {
          op.allocate(ip);
        } catch (e) {
          if (!(e instanceof AllocationError)) throw e;
          throw invalid('', 'Service', svc.metadata.name ?? '', [
            fieldInvalid(
              'spec.clusterIPs',
              goStringSlice(spec.clusterIPs),
              `failed to allocate IP ${ip}: ${e.message}`,
            ),
          ]);
        }
      }
    });
    spec.clusterIPs = clusterIPs;
    spec.clusterIP = clusterIPs[0] ?? '';
  }

  #nodePortError(svc: Service, field: string, port: number, e: unknown): Error {
    if (!(e instanceof AllocationError)) return e instanceof Error ? e : new Error(String(e));
    return invalid('', 'Service', svc.metadata.name ?? '', [fieldInvalid(field, port, e.message)]);
  }

  /** initNodePorts: ports with the same number share a nodePort (TCP and UDP on 53, say). */
  #initNodePorts(svc: Service, op: AllocationOperation<number>): void {
    const ports = svc.spec?.ports ?? [];
    const byPort = new Map<number, number>();
    ports.forEach((sp, i) => {
      if (!sp.nodePort && !shouldAllocateNodePorts(svc)) return;
      const assigned = byPort.get(sp.port);
      if (assigned === undefined) {
        const requested =
          ports.find((p) => p.port === sp.port && (p.nodePort ?? 0) !== 0)?.nodePort ?? 0;
        if (requested !== 0) {
          try {
            op.allocate(requested);
          } catch (e) {
            throw this.#nodePortError(svc, `spec.ports[${i}].nodePort`, requested, e);
          }
          sp.nodePort = requested;
          byPort.set(sp.port, requested);
        } else {
          let np: number;
          try {
            np = op.allocateNext();
          } catch (e) {
            throw internal(
              `failed to allocate a nodePort: ${e instanceof Error ? e.message : String(e)}`,
            );
          }
          sp.nodePort = np;
          byPort.set(sp.port, np);
        }
      } else if ((sp.nodePort ?? 0) !== assigned) {
        if (!sp.nodePort) sp.nodePort = assigned;
        else {
          const np = sp.nodePort;
          try {
            op.allocate(np);
          } catch (e) {
            throw this.#nodePortError(svc, `spec.ports[${i}].nodePort`, np, e);
          }
        }
      }
    });
  }

  #allocHealthCheckNodePort(svc: Service, op: AllocationOperation<number>): void {
    const spec = svc.spec ?? {};
    const requested = spec.healthCheckNodePort ?? 0;
    if (requested !== 0) {
      try {
        op.allocate(requested);
      } catch (e) {
        if (!(e instanceof AllocationError)) throw e;
        // kube answers 500 here; a 422 on the field says what to fix.
        throw invalid('', 'Service', svc.metadata.name ?? '', [
          fieldInvalid(
            'spec.healthCheckNodePort',
            requested,
            `failed to allocate requested HealthCheck NodePort ${requested}: ${e.message}`,
          ),
        ]);
      }
    } else {
      try {
        spec.healthCheckNodePort = op.allocateNext();
      } catch (e) {
        throw internal(
          `failed to allocate a HealthCheck NodePort 0: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
  }

  #guard(t: ServiceTxn, f: () => void): AllocationTx {
    try {
      f();
    } catch (e) {
      t.revert();
      throw e;
    }
    return t;
  }

  /** Allocates what a new Service needs, writing it into `svc`. @throws ApiError (422, 500) */
  allocateCreate(svc: Service): AllocationTx {
    const t = this.#txn();
    return this.#guard(t, () => {
      initIPFamilyFields(svc, undefined, new Set(this.#ips.keys()), this.#defaultFamily);
      this.#allocClusterIPs(svc, t);
      const op = t.portOp as AllocationOperation<number>;
      if (needsNodePorts(svc)) this.#initNodePorts(svc, op);
      if (needsHealthCheck(svc)) this.#allocHealthCheckNodePort(svc, op);
    });
  }

  /**
   * Allocates and schedules releases for an update from `old` to `svc` (type transitions,
   * dual-stack upgrades and downgrades, new ports). @throws ApiError (422, 500)
   */
  allocateUpdate(svc: Service, old: Service): AllocationTx {
    const t = this.#txn();
    return this.#guard(t, () => {
      initIPFamilyFields(svc, old, new Set(this.#ips.keys()), this.#defaultFamily);
      this.#updateClusterIPs(svc, old, t);
      this.#updateNodePorts(svc, old, t.portOp as AllocationOperation<number>);
    });
  }

  #releaseIPsOf(svc: Service, t: ServiceTxn, indexes?: number[]): void {
    const ips = svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : []);
    ips.forEach((ip, i) => {
      if (indexes && !indexes.includes(i)) return;
      const fam = parseIP(ip)?.family;
      if (!fam || !this.#ips.has(fam)) return;
      this.#ipOp(t, fam).releaseDeferred(ip);
    });
  }

  #updateClusterIPs(svc: Service, old: Service, t: ServiceTxn): void {
    const spec = svc.spec ?? {};
    const oldType = old.spec?.type;
    if (oldType === 'ExternalName' && spec.type !== 'ExternalName') {
      this.#allocClusterIPs(svc, t);
      return;
    }
    if (isHeadless(old)) return;
    if (oldType !== 'ExternalName' && spec.type === 'ExternalName') {
      this.#releaseIPsOf(old, t);
      return;
    }
    const oldFams = old.spec?.ipFamilies ?? [];
    const newFams = spec.ipFamilies ?? [];
    if (oldFams.length === 1 && newFams.length === 2) {
      const clusterIPs = [...(spec.clusterIPs ?? [])];
      if (clusterIPs.length < 2) clusterIPs.push('');
      const fam = newFams[1] as IPFamily;
      const op = this.#ipOp(t, fam);
      const ip = clusterIPs[1] ?? '';
      try {
        clusterIPs[1] = ip === '' ? op.allocateNext() : (op.allocate(ip), ip);
      } catch (e) {
        if (!(e instanceof AllocationError)) throw e;
        if (ip === '') throw internal(`failed to allocate a serviceIP: ${e.message}`);
        throw invalid('', 'Service', svc.metadata.name ?? '', [
          fieldInvalid(
            'spec.clusterIPs',
            goStringSlice(spec.clusterIPs),
            `failed to allocate IP ${ip}: ${e.message}`,
          ),
        ]);
      }
      spec.clusterIPs = clusterIPs;
    } else if (oldFams.length === 2 && newFams.length === 1) {
      this.#releaseIPsOf(old, t, [1]);
    }
  }

  #updateNodePorts(svc: Service, old: Service, op: AllocationOperation<number>): void {
    const type = svc.spec?.type;
    if (needsNodePorts(old) && (type === 'ExternalName' || type === 'ClusterIP')) {
      for (const np of collectNodePorts(old)) op.releaseDeferred(np);
    }
    if (needsNodePorts(svc)) {
      const oldPorts = collectNodePorts(old);
      const taken = new Set<number>();
      const seen = new Set<string>();
      (svc.spec?.ports ?? []).forEach((sp, i) => {
        if (!sp.nodePort && !shouldAllocateNodePorts(svc)) return;
        if (sp.nodePort) {
          const np = sp.nodePort;
          if (!oldPorts.includes(np) && !taken.has(np)) {
            try {
              op.allocate(np);
            } catch (e) {
              throw this.#nodePortError(svc, `spec.ports[${i}].nodePort`, np, e);
            }
            taken.add(np);
          }
        } else {
          try {
            sp.nodePort = op.allocateNext();
          } catch (e) {
            throw internal(
              `failed to allocate a nodePort: ${e instanceof Error ? e.message : String(e)}`,
            );
          }
        }
        const key = `${sp.protocol ?? 'TCP'}/${sp.nodePort}`;
        if (seen.has(key))
          throw internal(`duplicate nodePort: {${sp.protocol ?? 'TCP'} ${sp.nodePort}}`);
        seen.add(key);
      });
      const now = new Set(collectNodePorts(svc));
      for (const np of oldPorts) if (!now.has(np)) op.releaseDeferred(np);
    }
    const needed = needsHealthCheck(old);
    const needs = needsHealthCheck(svc);
    if (!needed && needs) this.#allocHealthCheckNodePort(svc, op);
    else if (needed && !needs) {
      const hc = old.spec?.healthCheckNodePort ?? 0;
      if (hc) op.releaseDeferred(hc);
    }
  }

  /** Releases everything a deleted Service held. */
  release(svc: Service): void {
    if (svc.spec?.type !== 'ExternalName' && !isHeadless(svc)) {
      const ips = svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : []);
      for (const ip of ips) {
        const fam = parseIP(ip)?.family;
        if (fam) this.#ips.get(fam)?.release(ip);
      }
    }
    for (const np of collectNodePorts(svc)) this.#ports.release(np);
    if (needsHealthCheck(svc) && svc.spec?.healthCheckNodePort)
      this.#ports.release(svc.spec.healthCheckNodePort);
  }

  /**
   * Starts a repair: from now on every reservation is remembered, as are those of writes in
   * flight, so that `finish` with a list read meanwhile cannot free them.
   */
  beginRepair(): { finish(services: readonly Service[]): RepairProblem[] } {
    const window: RepairWindow = { ips: new Set(), ports: new Set() };
    for (const t of this.#open) {
      for (const ip of t.ips()) window.ips.add(ip);
      for (const p of t.ports()) window.ports.add(p);
    }
    this.#windows.add(window);
    return {
      finish: (services) => {
        this.#windows.delete(window);
        return this.#rebuild(services, window);
      },
    };
  }

  /** Rebuilds the state from exactly these Services. */
  repair(services: readonly Service[]): RepairProblem[] {
    return this.beginRepair().finish(services);
  }

  #rebuild(services: readonly Service[], window: RepairWindow): RepairProblem[] {
    const problems: RepairProblem[] = [];
    const ipSets = new Map<IPFamily, Set<string>>();
    for (const fam of this.#ips.keys()) ipSets.set(fam, new Set());
    const ports = new Set<number>();
    for (const svc of services) {
      const key = `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`;
      if (svc.spec?.type !== 'ExternalName' && !isHeadless(svc)) {
        const ips = svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : []);
        for (const ip of ips) {
          if (!ip) continue;
          const parsed = parseIP(ip);
          const alloc = parsed ? this.#ips.get(parsed.family) : undefined;
          const set = parsed ? ipSets.get(parsed.family) : undefined;
          if (!alloc || !set || !alloc.contains(ip)) {
            problems.push({ service: key, reason: 'ClusterIPOutOfRange', value: ip });
          } else if (set.has(ip)) {
            problems.push({ service: key, reason: 'ClusterIPAlreadyAllocated', value: ip });
          } else set.add(ip);
        }
      }
      const mine = new Set<number>([
        ...collectNodePorts(svc),
        ...(needsHealthCheck(svc) && svc.spec?.healthCheckNodePort
          ? [svc.spec.healthCheckNodePort]
          : []),
      ]);
      for (const np of mine) {
        if (!this.#ports.contains(np))
          problems.push({ service: key, reason: 'PortOutOfRange', value: String(np) });
        else if (ports.has(np))
          problems.push({ service: key, reason: 'PortAlreadyAllocated', value: String(np) });
        else ports.add(np);
      }
    }
    for (const ip of window.ips) {
      const fam = parseIP(ip)?.family;
      if (fam) ipSets.get(fam)?.add(ip);
    }
    for (const p of window.ports) ports.add(p);
    for (const [fam, set] of ipSets) this.#ips.get(fam)?.reset(set);
    this.#ports.reset(ports);
    return problems;
  }
}

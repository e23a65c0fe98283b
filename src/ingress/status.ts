/**
 * `status.loadBalancer.ingress` of the Ingresses we serve: the addresses clients reach us at, so
 * `kubectl get ingress` shows ADDRESS (ingress-nginx's status sync).
 *
 * Several instances (one per node) serve the same Ingresses. Each holds a Lease
 * `portico-ingress-<node>` in `kube-system` (labelled with the class) carrying its addresses in an
 * annotation and renewed every 10 s; an instance whose Lease is older than its duration (30 s) is
 * gone. Every instance computes the same answer — the sorted union of the live instances'
 * addresses — and only the live instance with the lowest name writes it, so there is one writer
 * and no flapping. When Leases cannot be written (no permission on another cluster) an instance
 * publishes its own addresses alone.
 *
 * An Ingress that stops being ours loses the addresses we wrote (when its status is exactly them);
 * on a clean stop the last instance clears the addresses of every Ingress it served.
 */
import { isIP } from 'node:net';
import { resources } from '../api/scheme.js';
import type { LoadBalancerIngress } from '../api/types/core.js';
import type { Lease } from '../api/types/coordination.js';
import type { Ingress } from '../api/types/networking.js';
import { isAlreadyExists, isNotFound } from '../client/errors.js';
import type { Client, Lister } from '../client/types.js';
import type { Clock } from '../lib/clock.js';
import { asError } from '../lib/errors.js';
import type { Logger } from '../lib/log/logger.js';

export const leaseNamePrefix = 'portico-ingress-';
export const labelIngressClass = 'ingress.portico.dev/class';
export const annotationAddresses = 'ingress.portico.dev/addresses';

export interface StatusOptions {
  readonly client: Client;
  readonly logger: Logger;
  readonly clock: Clock;
  /** This instance's identity (the node name). */
  readonly nodeName: string;
  /** Our IngressClass name (instances of one class share the status). */
  readonly className: string;
  readonly leaseNamespace: string;
  /** The Leases of our class (an informer's lister); undefined: publish alone. */
  readonly leases?: Lister<Lease>;
  readonly leaseDurationSeconds?: number;
}

/** The addresses as LoadBalancerIngress entries (IPs as `ip`, names as `hostname`). */
export function loadBalancerIngress(addresses: readonly string[]): LoadBalancerIngress[] {
  return [...new Set(addresses)].sort().map((a) => (isIP(a) ? { ip: a } : { hostname: a }));
}

function lbKey(list: readonly LoadBalancerIngress[] | undefined): string {
  return (list ?? [])
    .map((e) => `${e.ip ?? ''}|${e.hostname ?? ''}`)
    .sort()
    .join(',');
}

/** MicroTime as the API writes it. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class StatusPublisher {
  readonly #o: StatusOptions;
  #addresses: readonly string[] = [];
  #solo: boolean;
  #leaseWarned = false;

  constructor(options: StatusOptions) {
    this.#o = options;
    this.#solo = options.leases === undefined;
  }

  get #leaseName(): string {
    return `${leaseNamePrefix}${this.#o.nodeName}`;
  }

  /** Our own addresses (what the last renew published). */
  get ownAddresses(): readonly string[] {
    return this.#addresses;
  }

  /** Creates or renews our Lease with these addresses. Never throws (falls back to solo). */
  async renew(addresses: readonly string[]): Promise<void> {
    this.#addresses = [...addresses];
    if (this.#o.leases === undefined) return;
    const now = this.#o.clock.now();
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.#leaseName,
        namespace: this.#o.leaseNamespace,
        labels: { [labelIngressClass]: this.#o.className },
        annotations: { [annotationAddresses]: [...addresses].sort().join(',') },
      },
      spec: {
        holderIdentity: this.#o.nodeName,
        leaseDurationSeconds: this.#o.leaseDurationSeconds ?? 30,
        renewTime: microTime(now),
      },
    };
    try {
      try {
        const cur = await this.#o.client.get<Lease>(
          resources.leases,
          this.#o.leaseNamespace,
          this.#leaseName,
        );
        await this.#o.client.update(resources.leases, {
          ...lease,
          metadata: { ...lease.metadata, resourceVersion: cur.metadata.resourceVersion ?? '' },
          spec: { ...lease.spec, acquireTime: cur.spec?.acquireTime ?? microTime(now) },
        });
      } catch (e) {
        if (!isNotFound(e)) throw e;
        try {
          await this.#o.client.create(resources.leases, {
            ...lease,
            spec: { ...lease.spec, acquireTime: microTime(now) },
          });
        } catch (e2) {
          if (!isAlreadyExists(e2)) throw e2;
        }
      }
      this.#solo = false;
      this.#leaseWarned = false;
    } catch (e) {
      this.#solo = true;
      if (!this.#leaseWarned)
        this.#o.logger.warn('Cannot write our Lease; publishing our own addresses alone', {
          lease: `${this.#o.leaseNamespace}/${this.#leaseName}`,
          err: asError(e).message,
        });
      this.#leaseWarned = true;
    }
  }

  /** The live instances (ours included) by name → addresses. */
  members(): Map<string, readonly string[]> {
    const out = new Map<string, readonly string[]>([[this.#o.nodeName, this.#addresses]]);
    if (this.#solo || !this.#o.leases) return out;
    const now = this.#o.clock.now();
    for (const l of this.#o.leases.list(this.#o.leaseNamespace)) {
      const holder = l.spec?.holderIdentity;
      if (!holder || holder === this.#o.nodeName) continue;
      if (l.metadata.labels?.[labelIngressClass] !== this.#o.className) continue;
      const renewed = Date.parse(l.spec?.renewTime ?? '');
      const ttl = (l.spec?.leaseDurationSeconds ?? 30) * 1000;
      if (!Number.isFinite(renewed) || renewed + ttl < now) continue;
      const addrs = (l.metadata.annotations?.[annotationAddresses] ?? '')
        .split(',')
        .filter((a) => a !== '');
      out.set(holder, addrs);
    }
    return out;
  }

  /** Whether this instance writes statuses (the live instance with the lowest name). */
  isWriter(): boolean {
    const names = [...this.members().keys()].sort();
    return names[0] === this.#o.nodeName;
  }

  /** The addresses every served Ingress should show. */
  desired(): LoadBalancerIngress[] {
    return loadBalancerIngress([...this.members().values()].flat());
  }

  /**
   * Writes the statuses: `served` Ingresses (namespace/name) get the desired addresses; others
   * that show exactly those addresses lose them. Only the writer writes. Throws the first failure
   * after trying every Ingress.
   */
  async sync(all: readonly Ingress[], served: ReadonlySet<string>): Promise<number> {
    if (!this.isWriter()) return 0;
    const desired = this.desired();
    if (desired.length === 0) return 0;
    return this.#write(all, served, desired);
  }

  async #write(
    all: readonly Ingress[],
    served: ReadonlySet<string>,
    desired: readonly LoadBalancerIngress[],
  ): Promise<number> {
    let writes = 0;
    let first: unknown;
    for (const ing of all) {
      const ns = ing.metadata.namespace ?? 'default';
      const name = ing.metadata.name ?? '';
      const current = ing.status?.loadBalancer?.ingress;
      let next: LoadBalancerIngress[] | undefined;
      if (served.has(`${ns}/${name}`)) {
        if (lbKey(current) !== lbKey(desired)) next = [...desired];
      } else if ((current ?? []).length > 0 && lbKey(current) === lbKey(desired)) {
        next = [];
      }
      if (next === undefined) continue;
      try {
        await this.#o.client.patch(
          resources.ingresses,
          ns,
          name,
          'merge',
          { status: { loadBalancer: { ingress: next.length > 0 ? next : null } } },
          { subresource: 'status' },
        );
        writes++;
        this.#o.logger.v(2).info('Updated Ingress status', {
          ingress: `${ns}/${name}`,
          addresses: next.map((e) => e.ip ?? e.hostname).join(','),
        });
      } catch (e) {
        if (isNotFound(e)) continue;
        first ??= e;
      }
    }
    if (first !== undefined) throw asError(first);
    return writes;
  }

  /**
   * On a clean stop: drops our Lease; the last instance clears the addresses of what it served.
   */
  async shutdown(all: readonly Ingress[], served: ReadonlySet<string>): Promise<void> {
    const alone = this.members().size === 1;
    const desired = this.desired();
    if (!this.#solo && this.#o.leases) {
      try {
        await this.#o.client.delete(resources.leases, this.#o.leaseNamespace, this.#leaseName);
      } catch (e) {
        if (!isNotFound(e))
          this.#o.logger.warn('Cannot delete our Lease', { err: asError(e).message });
      }
    }
    if (!alone || desired.length === 0) return;
    try {
      // What we served and shows exactly `desired` is cleared as "no longer served".
      const ours = all.filter((i) =>
        served.has(`${i.metadata.namespace ?? 'default'}/${i.metadata.name ?? ''}`),
      );
      await this.#write(ours, new Set(), desired);
    } catch (e) {
      this.#o.logger.warn('Cannot clear Ingress statuses', { err: asError(e).message });
    }
  }
}

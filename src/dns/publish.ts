/**
 * Publishing the DNS as the Service `kube-system/kube-dns` (kubeadm's shape: ClusterIP
 * 10.96.0.10, ports dns 53/UDP, dns-tcp 53/TCP, metrics 9153/TCP, label k8s-app=kube-dns). The
 * Service has no selector: every `portico dns` keeps its own address in the Endpoints object (the
 * mirroring controller turns it into an EndpointSlice), adds it once it is ready, and removes it
 * on a clean stop. Pods then reach the DNS through the service proxy like any Service.
 *
 * Several instances (one per node) share the object: every write is a read-modify-write with the
 * resourceVersion, retried on conflict. Each resync (30 s) re-adds our address (an Endpoints
 * object someone deleted comes back) and drops addresses of nodes that no longer exist.
 */
import type { Endpoints, EndpointAddress, EndpointPort, Node, Service } from '../api/types/core.js';
import { resources } from '../api/scheme.js';
import { isAlreadyExists, isConflict, isNotFound } from '../client/errors.js';
import type { Client } from '../client/types.js';
import { sleepUnlessAborted, type Clock } from '../lib/clock.js';
import { asError } from '../lib/errors.js';
import type { Logger } from '../lib/log/logger.js';

export interface PublisherOptions {
  readonly client: Client;
  readonly namespace: string;
  readonly name: string;
  /** The ClusterIP asked for when the Service is created (kubeadm: 10.96.0.10). */
  readonly clusterIP: string;
  readonly nodeName: string;
  /** The address pods reach this server at; re-read at each resync. */
  readonly address: () => Promise<string | undefined>;
  /** The ports this server listens on (DNS and metrics). */
  readonly dnsPort: number;
  readonly metricsPort: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly resyncMs?: number;
}

export const dnsServiceLabels: Readonly<Record<string, string>> = {
  'k8s-app': 'kube-dns',
  'kubernetes.io/cluster-service': 'true',
  'kubernetes.io/name': 'KubeDNS',
};

function ourPorts(dns: number, metrics: number): EndpointPort[] {
  return [
    { name: 'dns', port: dns, protocol: 'UDP' },
    { name: 'dns-tcp', port: dns, protocol: 'TCP' },
    { name: 'metrics', port: metrics, protocol: 'TCP' },
  ];
}

function samePorts(a: readonly EndpointPort[] | undefined, b: readonly EndpointPort[]): boolean {
  const key = (p: EndpointPort): string => `${p.name ?? ''}/${p.port}/${p.protocol ?? 'TCP'}`;
  const x = (a ?? []).map(key).sort();
  const y = b.map(key).sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** The subsets with `ip` removed everywhere and, when `add`, added under our ports. */
export function withAddress(
  subsets: Endpoints['subsets'],
  ip: string,
  add: EndpointAddress | undefined,
  ports: EndpointPort[],
): NonNullable<Endpoints['subsets']> {
  const out = (subsets ?? [])
    .map((s) => ({
      ...s,
      addresses: (s.addresses ?? []).filter((a) => a.ip !== ip),
      notReadyAddresses: (s.notReadyAddresses ?? []).filter((a) => a.ip !== ip),
    }))
    .map((s) => {
      const r: NonNullable<Endpoints['subsets']>[number] = { ...s };
      if (r.addresses?.length === 0) delete r.addresses;
      if (r.notReadyAddresses?.length === 0) delete r.notReadyAddresses;
      return r;
    });
  if (add) {
    const target = out.find((s) => samePorts(s.ports, ports));
    if (target) target.addresses = [...(target.addresses ?? []), add];
    else out.push({ addresses: [add], ports });
  }
  return out.filter((s) => (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0) > 0);
}

export class Publisher {
  readonly #o: PublisherOptions;
  #published: string | undefined;
  #warnedSelector = false;

  constructor(options: PublisherOptions) {
    this.#o = options;
  }

  /** The address in the Endpoints now (undefined before the first publish). */
  get published(): string | undefined {
    return this.#published;
  }

  /** Creates the Service when it is missing. Returns false when it has a selector (not ours). */
  async ensureService(): Promise<boolean> {
    const o = this.#o;
    try {
      const existing = await o.client.get<Service>(resources.services, o.namespace, o.name);
      if (Object.keys(existing.spec?.selector ?? {}).length > 0) {
        if (!this.#warnedSelector)
          o.logger.warn(
            'The DNS Service has a selector: its endpoints come from pods, not from this server; not publishing',
            { service: `${o.namespace}/${o.name}` },
          );
        this.#warnedSelector = true;
        return false;
      }
      return true;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const svc: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        namespace: o.namespace,
        name: o.name,
        labels: { ...dnsServiceLabels },
        annotations: {
          'prometheus.io/port': String(o.metricsPort),
          'prometheus.io/scrape': 'true',
        },
      },
      spec: {
        type: 'ClusterIP',
        clusterIP: o.clusterIP,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: o.dnsPort },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: o.dnsPort },
          { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: o.metricsPort },
        ],
      },
    };
    try {
      await o.client.create(resources.services, svc, { fieldManager: 'portico-dns' });
      o.logger.info('Created the DNS Service', {
        service: `${o.namespace}/${o.name}`,
        clusterIP: o.clusterIP,
      });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    return true;
  }

  async #modify(
    mutate: (subsets: Endpoints['subsets']) => NonNullable<Endpoints['subsets']>,
  ): Promise<void> {
    const o = this.#o;
    for (let attempt = 0; ; attempt++) {
      let current: Endpoints | undefined;
      try {
        current = await o.client.get<Endpoints>(resources.endpoints, o.namespace, o.name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      const subsets = mutate(current?.subsets);
      try {
        if (current) {
          await o.client.update(
            resources.endpoints,
            { ...current, subsets },
            { fieldManager: 'portico-dns' },
          );
        } else {
          await o.client.create(
            resources.endpoints,
            {
              apiVersion: 'v1',
              kind: 'Endpoints',
              metadata: { namespace: o.namespace, name: o.name, labels: { ...dnsServiceLabels } },
              subsets,
            } satisfies Endpoints,
            { fieldManager: 'portico-dns' },
          );
        }
        return;
      } catch (e) {
        if ((isConflict(e) || isAlreadyExists(e)) && attempt < 10) continue;
        throw e;
      }
    }
  }

  /** Puts our address in the Endpoints (replacing a previous address of ours). */
  async publish(): Promise<void> {
    const o = this.#o;
    if (!(await this.ensureService())) return;
    const ip = await o.address();
    if (ip === undefined) {
      o.logger.warn('No address to publish the DNS at; pass --advertise-address', {});
      return;
    }
    const nodes = await this.#liveNodes();
    const ports = ourPorts(o.dnsPort, o.metricsPort);
    const previous = this.#published;
    await this.#modify((subsets) => {
      let s = withAddress(subsets, ip, { ip, nodeName: o.nodeName }, ports);
      if (previous !== undefined && previous !== ip) s = withAddress(s, previous, undefined, ports);
      if (nodes)
        s = s
          .map((x) => ({
            ...x,
            addresses: (x.addresses ?? []).filter(
              (a) => a.nodeName === undefined || a.nodeName === o.nodeName || nodes.has(a.nodeName),
            ),
          }))
          .filter((x) => x.addresses.length > 0 || (x.notReadyAddresses?.length ?? 0) > 0);
      return s;
    });
    if (this.#published !== ip)
      o.logger.info('Published this DNS server', {
        endpoints: `${o.namespace}/${o.name}`,
        address: ip,
        node: o.nodeName,
      });
    this.#published = ip;
  }

  /** Node names, when they can be listed and ours is among them; else undefined (no pruning). */
  async #liveNodes(): Promise<Set<string> | undefined> {
    try {
      const list = await this.#o.client.list<Node>(resources.nodes);
      const names = new Set(list.items.map((n) => n.metadata.name ?? ''));
      return names.has(this.#o.nodeName) ? names : undefined;
    } catch {
      return undefined;
    }
  }

  /** Takes our address out of the Endpoints. */
  async unpublish(): Promise<void> {
    const ip = this.#published;
    if (ip === undefined) return;
    const ports = ourPorts(this.#o.dnsPort, this.#o.metricsPort);
    await this.#modify((subsets) => withAddress(subsets, ip, undefined, ports));
    this.#o.logger.info('Removed this DNS server from the Service', { address: ip });
    this.#published = undefined;
  }

  /** Publishes now and every resync until the signal aborts; then unpublishes. */
  async run(signal: AbortSignal): Promise<void> {
    const o = this.#o;
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.publish();
        failures = 0;
      } catch (e) {
        failures++;
        if (failures === 1 || failures % 10 === 0)
          o.logger.error(asError(e), 'Publishing the DNS Service endpoints failed; retrying', {
            endpoints: `${o.namespace}/${o.name}`,
          });
      }
      await sleepUnlessAborted(o.clock, failures > 0 ? 2000 : (o.resyncMs ?? 30_000), signal);
    }
    try {
      await this.unpublish();
    } catch (e) {
      o.logger.error(asError(e), 'Removing this DNS server from the Service failed', {});
    }
  }
}

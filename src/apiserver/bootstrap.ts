/**
 * Objects every cluster has, made and kept by the API server itself:
 * - the namespaces default, kube-system, kube-public and kube-node-lease;
 * - `default/kubernetes`: a Service on the first service IP (10.96.0.1), port `https` 443/TCP to
 *   the secure port, no selector, with an Endpoints and an EndpointSlice pointing at the
 *   advertise address. Like kube-apiserver's endpoint reconciler, this is re-checked every few
 *   seconds: deleted or edited objects come back. The Endpoints carries
 *   `endpointslice.kubernetes.io/skip-mirror=true`, so the mirroring controller leaves it alone.
 */
import { networkInterfaces } from 'node:os';
import type { ClusterConfig } from '../api/cluster.js';
import { isApiError } from '../api/meta/status.js';
import type { KubeObject } from '../api/meta/types.js';
import { resources, type ResourceType } from '../api/scheme.js';
import type { EndpointSlice } from '../api/types/discovery.js';
import type { Endpoints, Service } from '../api/types/core.js';
import type { Logger } from '../lib/log/logger.js';
import { canonical } from './registry/meta.js';
import type { Registry } from './registry/registry.js';

export const builtinNamespaces = [
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
] as const;

/** The first address of an IPv4 CIDR (the `kubernetes` Service's ClusterIP). */
export function firstServiceIP(cidr: string): string {
  const [base = '', bitsText = '32'] = cidr.split('/');
  const parts = base.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`service CIDR ${JSON.stringify(cidr)} is not an IPv4 CIDR`);
  const bits = Number(bitsText);
  const n = parts.reduce((acc, p) => acc * 256 + p, 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const first = ((n & mask) >>> 0) + 1;
  return [24, 16, 8, 0].map((s) => (first >>> s) & 255).join('.');
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

/** The host's first non-loopback IPv4 address, or undefined on a loopback-only host. */
export function defaultAdvertiseAddress(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? [])
      if (a.family === 'IPv4' && !a.internal && !isLoopback(a.address)) return a.address;
  }
  return undefined;
}

async function createIfMissing(
  registry: Registry,
  rt: ResourceType,
  obj: KubeObject,
): Promise<boolean> {
  try {
    await registry.create(rt, obj, { fieldManager: 'kube-apiserver' });
    return true;
  } catch (e) {
    if (isApiError(e, 'AlreadyExists')) return false;
    throw e;
  }
}

/** Creates the built-in namespaces that are missing. */
export async function ensureNamespaces(registry: Registry): Promise<void> {
  for (const name of builtinNamespaces) {
    await createIfMissing(registry, resources.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    } as KubeObject);
  }
}

export interface KubernetesServiceOptions {
  readonly registry: Registry;
  readonly config: ClusterConfig;
  /** Where pods reach the API server; undefined on a loopback-only host (no endpoints). */
  readonly advertiseAddress: string | undefined;
  readonly securePort: number;
  readonly logger: Logger;
}

/** Keeps `default/kubernetes` (Service, Endpoints, EndpointSlice) as it should be. */
export class KubernetesServiceReconciler {
  readonly #o: KubernetesServiceOptions;
  #warned = false;

  constructor(options: KubernetesServiceOptions) {
    this.#o = options;
  }

  async reconcile(): Promise<void> {
    const { registry, config } = this.#o;
    const ip = firstServiceIP(config.serviceCIDR);
    const port = {
      name: 'https',
      port: 443,
      protocol: 'TCP' as const,
      targetPort: this.#o.securePort,
    };
    const svc = (await registry.tryGet(resources.services, 'default', 'kubernetes')) as
      Service | undefined;
    if (!svc) {
      await createIfMissing(registry, resources.services, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: 'kubernetes',
          namespace: 'default',
          labels: { component: 'apiserver', provider: 'kubernetes' },
        },
        spec: {
          type: 'ClusterIP',
          clusterIP: ip,
          clusterIPs: [ip],
          ports: [port],
          sessionAffinity: 'None',
          ipFamilies: ['IPv4'],
          ipFamilyPolicy: 'SingleStack',
          internalTrafficPolicy: 'Cluster',
        },
      } as Service);
    } else if (canonical(svc.spec?.ports ?? []) !== canonical([port])) {
      await registry.update(
        resources.services,
        {
          namespace: 'default',
          name: 'kubernetes',
          mutate: (cur) => {
            const s = cur as Service;
            s.spec = { ...s.spec, ports: [port] };
            return s;
          },
        },
        { fieldManager: 'kube-apiserver' },
      );
    }

    const address = this.#o.advertiseAddress;
    if (address === undefined && !this.#warned) {
      this.#warned = true;
      this.#o.logger.warn(
        'This host has no non-loopback IPv4 address: the kubernetes Service gets no endpoints, so pods cannot reach the API server through it. Start with --advertise-address to fix this',
      );
    }
    const epPort = { name: 'https', port: this.#o.securePort, protocol: 'TCP' as const };
    const endpoints: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
      },
      subsets: address === undefined ? [] : [{ addresses: [{ ip: address }], ports: [epPort] }],
    };
    await this.#ensure(resources.endpoints, endpoints, (o) => ({
      subsets: (o as Endpoints).subsets ?? [],
      labels: o.metadata.labels ?? {},
    }));
    const slice: EndpointSlice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { 'kubernetes.io/service-name': 'kubernetes' },
      },
      addressType: 'IPv4',
      endpoints:
        address === undefined ? [] : [{ addresses: [address], conditions: { ready: true } }],
      ports: [epPort],
    };
    await this.#ensure(resources.endpointslices, slice, (o) => {
      const s = o as EndpointSlice;
      return {
        endpoints: s.endpoints ?? [],
        ports: s.ports ?? [],
        labels: o.metadata.labels ?? {},
      };
    });
  }

  /** Creates `want`, or rewrites the existing object when the compared part differs. */
  async #ensure(
    rt: ResourceType,
    want: KubeObject,
    view: (o: KubeObject) => unknown,
  ): Promise<void> {
    const { registry } = this.#o;
    const cur = await registry.tryGet(rt, 'default', 'kubernetes');
    if (!cur) {
      await createIfMissing(registry, rt, structuredClone(want));
      return;
    }
    if (canonical(view(cur)) === canonical(view(want))) return;
    await registry.update(
      rt,
      {
        namespace: 'default',
        name: 'kubernetes',
        mutate: (c) => ({
          ...structuredClone(want),
          metadata: { ...c?.metadata, labels: want.metadata.labels ?? {} },
        }),
      },
      { fieldManager: 'kube-apiserver' },
    );
  }
}

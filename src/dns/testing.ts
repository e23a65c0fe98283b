/**
 * Test helpers: API objects in a few words, a zone and engine fed with them (the fake
 * "informer state" of the unit tests), and asking it questions the way a client would.
 */
import { createSocket } from 'node:dgram';
import type { Pod, Service, ServicePort } from '../api/types/core.js';
import type { Endpoint, EndpointSlice } from '../api/types/discovery.js';
import { FakeClock } from '../lib/fakeclock.js';
import { discardLogger } from '../lib/log/logger.js';
import type { ForwardCache } from './cache.js';
import { DnsEngine, SLOW } from './engine.js';
import type { Forwarder } from './forward.js';
import type { LoopDetector } from './loop.js';
import { readMessage, encodeQuery, type ReadableMessage } from './wire.js';
import { KubernetesZone, type ZoneOptions } from './zone.js';

export function svc(
  namespace: string,
  name: string,
  spec: {
    clusterIP?: string;
    clusterIPs?: string[];
    ports?: ServicePort[];
    type?: 'ClusterIP' | 'ExternalName' | 'NodePort';
    externalName?: string;
    selector?: Record<string, string>;
  },
): Service {
  const clusterIPs = spec.clusterIPs ?? (spec.clusterIP !== undefined ? [spec.clusterIP] : []);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name, resourceVersion: '1' },
    spec: {
      type: spec.type ?? 'ClusterIP',
      ...(clusterIPs.length > 0 ? { clusterIP: clusterIPs[0], clusterIPs } : {}),
      ...(spec.ports ? { ports: spec.ports } : {}),
      ...(spec.externalName !== undefined ? { externalName: spec.externalName } : {}),
      ...(spec.selector ? { selector: spec.selector } : {}),
    },
  };
}

export function port(name: string, p: number, protocol: 'TCP' | 'UDP' = 'TCP'): ServicePort {
  return { name, port: p, protocol };
}

export function ep(
  addresses: string[],
  o: { hostname?: string; ready?: boolean; pod?: string } = {},
): Endpoint {
  return {
    addresses,
    conditions: o.ready === undefined ? { ready: true } : { ready: o.ready },
    ...(o.hostname !== undefined ? { hostname: o.hostname } : {}),
    ...(o.pod !== undefined ? { targetRef: { kind: 'Pod', name: o.pod, namespace: 'x' } } : {}),
  };
}

export function slice(
  namespace: string,
  service: string,
  name: string,
  ports: { name: string; port: number; protocol?: 'TCP' | 'UDP' }[] | null,
  endpoints: Endpoint[],
  addressType: 'IPv4' | 'IPv6' = 'IPv4',
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace,
      name,
      resourceVersion: '1',
      labels: { 'kubernetes.io/service-name': service },
    },
    addressType,
    endpoints,
    ports: ports === null ? null : ports.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP' })),
  };
}

export function pod(namespace: string, name: string, ip: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, resourceVersion: '1' },
    status: { podIP: ip, podIPs: [{ ip }] },
  };
}

export interface Fixture {
  readonly services?: Service[];
  readonly slices?: EndpointSlice[];
  readonly namespaces?: string[];
  readonly pods?: Pod[];
}

/** The CoreDNS serial of its test tables: SOA serials equal this clock's seconds. */
export const testEpochMs = 1_499_347_823_000;

export function newZone(options: Partial<ZoneOptions>, fx: Fixture): KubernetesZone {
  const zone = new KubernetesZone({
    zones: ['cluster.local'],
    ttl: 5,
    podMode: 'insecure',
    dnsService: { namespace: 'kube-system', name: 'kube-dns' },
    clock: new FakeClock({ now: testEpochMs }),
    ...options,
  });
  for (const n of fx.namespaces ?? []) zone.upsertNamespace(n);
  for (const s of fx.services ?? []) zone.upsertService(s);
  for (const s of fx.slices ?? []) zone.upsertSlice(s);
  for (const p of fx.pods ?? []) zone.upsertPod(p);
  zone.flush();
  return zone;
}

export function newEngine(
  zone: KubernetesZone,
  o: {
    synced?: boolean;
    forwarder?: Forwarder;
    cache?: ForwardCache;
    loop?: LoopDetector;
    maxUdp?: number;
  } = {},
): DnsEngine {
  return new DnsEngine({
    zone,
    logger: discardLogger,
    synced: () => o.synced ?? true,
    ...(o.forwarder ? { forwarder: o.forwarder } : {}),
    ...(o.cache ? { cache: o.cache } : {}),
    ...(o.loop ? { loop: o.loop } : {}),
    ...(o.maxUdp !== undefined ? { maxUdp: o.maxUdp } : {}),
  });
}

/** Sends a raw message through the engine as the server would. */
export async function exchange(
  engine: DnsEngine,
  msg: Buffer,
  tcp = false,
): Promise<Buffer | null> {
  const r = engine.answerSync(msg, tcp);
  if (r === SLOW) return engine.answerAsync(msg, tcp);
  return r;
}

/** Asks a question and reads the answer. */
export async function ask(
  engine: DnsEngine,
  name: string,
  type: number,
  o: { edns?: number; tcp?: boolean; dnssecOk?: boolean; qclass?: number } = {},
): Promise<ReadableMessage> {
  const msg = encodeQuery({
    name,
    type,
    ...(o.edns !== undefined ? { edns: o.edns } : {}),
    ...(o.dnssecOk !== undefined ? { dnssecOk: o.dnssecOk } : {}),
    ...(o.qclass !== undefined ? { qclass: o.qclass } : {}),
  });
  const out = await exchange(engine, msg, o.tcp ?? false);
  if (!out) throw new Error(`no answer to ${name}`);
  return readMessage(out);
}

/** One query over UDP to host:port; the decoded answer, or undefined after `timeoutMs`. */
export function queryUdp(
  port: number,
  name: string,
  type: number,
  o: { host?: string; timeoutMs?: number } = {},
): Promise<ReadableMessage | undefined> {
  const msg = encodeQuery({ name, type, id: Math.floor(Math.random() * 65536), edns: 1232 });
  return new Promise((resolve) => {
    const s = createSocket(o.host?.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, o.timeoutMs ?? 1000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(readMessage(m));
    });
    s.send(msg, port, o.host ?? '127.0.0.1');
  });
}

/**
 * `portico ingress` assembled: the IngressClass, the default certificate, HAProxy (the data
 * plane), the controller, the status publisher with its Lease, and /healthz + /metrics.
 * `cmd/ingress.ts` parses flags and calls `startIngress`; integration tests call it in-process.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { resources } from '../api/scheme.js';
import type { Lease } from '../api/types/coordination.js';
import type { Node } from '../api/types/core.js';
import { annotationIsDefaultClass, type IngressClass } from '../api/types/networking.js';
import { isAlreadyExists, isNotFound } from '../client/errors.js';
import { ApiEventRecorder } from '../client/events.js';
import { InformerFactory } from '../client/factory.js';
import type { Client } from '../client/types.js';
import { realClock, sleepUnlessAborted, type Clock } from '../lib/clock.js';
import { asError } from '../lib/errors.js';
import type { Logger } from '../lib/log/logger.js';
import { exponentialBuckets, Registry } from '../lib/metrics.js';
import { IngressController, slimObject } from './controller.js';
import { haproxyPaths, type ListenSpec } from './haproxy/config.js';
import { HaproxyDataplane } from './haproxy/dataplane.js';
import { findExecutable, HaproxyError } from './haproxy/process.js';
import { labelIngressClass, StatusPublisher } from './status.js';
import { selfSignedBundle, validBundle } from './tls.js';

export interface IngressOptions {
  readonly client: Client;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly nodeName: string;
  /** The component's state: `<dir>` holds haproxy.cfg, maps, certificates and sockets. */
  readonly dir: string;
  /** Plain HTTP listener; undefined: none. */
  readonly http?: ListenSpec;
  /** HTTPS listener; undefined: none. */
  readonly https?: ListenSpec;
  readonly className: string;
  readonly controllerName: string;
  readonly watchWithoutClass: boolean;
  /** Create our IngressClass when it is absent (default true). */
  readonly createClass?: boolean;
  /** Mark our IngressClass as the cluster's default. */
  readonly defaultClass?: boolean;
  /** Write Ingress statuses (default true). */
  readonly updateStatus?: boolean;
  /** Addresses to publish; undefined: the Node's InternalIP, else the first non-loopback IPv4. */
  readonly publishAddresses?: readonly string[];
  /** Where instances keep their Leases (default kube-system); undefined with `noLeases`. */
  readonly leaseNamespace?: string;
  readonly noLeases?: boolean;
  /** /healthz and /metrics; undefined: not served. */
  readonly metricsAddress?: { readonly host: string; readonly port: number };
  readonly haproxy?: {
    readonly binary?: string;
    readonly threads?: number;
    readonly accessLog?: boolean;
    readonly serverHeader?: string;
    readonly hardStopAfter?: string;
    readonly statsAddress?: { readonly host: string; readonly port: number };
  };
  /** Record Events on Ingresses (default true). */
  readonly events?: boolean;
  /** Sync debounce (default 50 ms). */
  readonly debounceMs?: number;
  /** Lease renewal and address refresh period (default 10 s). */
  readonly renewMs?: number;
}

export interface RunningIngress {
  readonly controller: IngressController;
  readonly dataplane: HaproxyDataplane;
  readonly status: StatusPublisher | undefined;
  readonly metrics: Registry;
  /** The port of /healthz and /metrics (when served). */
  readonly metricsPort: number | undefined;
  /** Resolves after the first successful sync (false if stopped first). */
  readonly ready: Promise<boolean>;
  /** Stops: statuses and Lease (clean stop), HAProxy (soft stop for `graceMs`), informers. */
  stop(graceMs?: number): Promise<void>;
}

function firstIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

/** Creates our IngressClass when absent; marks it default when asked. Never throws. */
export async function ensureIngressClass(
  client: Client,
  log: Logger,
  o: { className: string; controllerName: string; defaultClass: boolean },
): Promise<void> {
  try {
    let cls: IngressClass | undefined;
    try {
      cls = await client.get<IngressClass>(resources.ingressclasses, undefined, o.className);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (!cls) {
      try {
        await client.create<IngressClass>(resources.ingressclasses, {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'IngressClass',
          metadata: {
            name: o.className,
            ...(o.defaultClass ? { annotations: { [annotationIsDefaultClass]: 'true' } } : {}),
          },
          spec: { controller: o.controllerName },
        });
        log.info('Created IngressClass', { name: o.className, default: o.defaultClass });
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
      return;
    }
    if (cls.spec?.controller !== o.controllerName) {
      log.warn('IngressClass belongs to another controller; its Ingresses are not served here', {
        name: o.className,
        controller: cls.spec?.controller ?? '',
        ours: o.controllerName,
      });
      return;
    }
    if (o.defaultClass && cls.metadata.annotations?.[annotationIsDefaultClass] !== 'true') {
      await client.patch(resources.ingressclasses, undefined, o.className, 'merge', {
        metadata: { annotations: { [annotationIsDefaultClass]: 'true' } },
      });
      log.info('Marked IngressClass as the default', { name: o.className });
    }
  } catch (e) {
    log.warn('Cannot ensure our IngressClass', { name: o.className, err: asError(e).message });
  }
}

/** The default certificate: the one on disk when still valid, else a new self-signed one. */
async function defaultCertificate(dir: string): Promise<string> {
  const path = haproxyPaths(dir).defaultCert;
  if (existsSync(path)) {
    const pem = readFileSync(path, 'utf8');
    if (validBundle(pem)) return pem;
  }
  return selfSignedBundle();
}

export async function startIngress(o: IngressOptions): Promise<RunningIngress> {
  const clock = o.clock ?? realClock;
  const log = o.logger;
  const binary = o.haproxy?.binary ?? 'haproxy';
  if (findExecutable(binary) === undefined)
    throw new HaproxyError(
      `${binary} is not installed: install Debian's haproxy (apt-get install haproxy; scripts/install.sh does) or name it with --haproxy PATH`,
    );
  const ac = new AbortController();
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const metrics = new Registry();
  const syncs = metrics.counter(
    'portico_ingress_syncs_total',
    'Syncs by what they did (start, reload, runtime, unchanged, error).',
  );
  const syncSeconds = metrics.histogram(
    'portico_ingress_sync_duration_seconds',
    'Time from the start of a sync until HAProxy serves its result.',
    exponentialBuckets(0.001, 2, 16),
  );
  const gauges = {
    ingresses: metrics.gauge('portico_ingress_ingresses', 'Ingresses served.'),
    backends: metrics.gauge('portico_ingress_backends', 'Backends (Service ports) configured.'),
    endpoints: metrics.gauge('portico_ingress_endpoints', 'Ready endpoints over all backends.'),
    certificates: metrics.gauge(
      'portico_ingress_certificates',
      'TLS certificates served from Secrets.',
    ),
    up: metrics.gauge('portico_ingress_haproxy_up', '1 while HAProxy runs.'),
  };

  if (o.createClass ?? true)
    await ensureIngressClass(o.client, log, {
      className: o.className,
      controllerName: o.controllerName,
      defaultClass: o.defaultClass ?? false,
    });

  // The controller, made below, resyncs when HAProxy dies (it restarts it).
  const onExit: { resync?: () => void } = {};
  const dataplane = new HaproxyDataplane({
    dir: o.dir,
    logger: log,
    ...(o.http ? { http: o.http } : {}),
    ...(o.https ? { https: o.https } : {}),
    defaultCertificate: await defaultCertificate(o.dir),
    ...(o.haproxy?.binary !== undefined ? { binary: o.haproxy.binary } : {}),
    ...(o.haproxy?.threads !== undefined ? { threads: o.haproxy.threads } : {}),
    ...(o.haproxy?.accessLog !== undefined ? { accessLog: o.haproxy.accessLog } : {}),
    ...(o.haproxy?.serverHeader !== undefined ? { serverHeader: o.haproxy.serverHeader } : {}),
    ...(o.haproxy?.hardStopAfter !== undefined ? { hardStopAfter: o.haproxy.hardStopAfter } : {}),
    ...(o.haproxy?.statsAddress ? { statsAddress: o.haproxy.statsAddress } : {}),
    onUnexpectedExit: () => onExit.resync?.(),
  });

  const factory = new InformerFactory({ client: o.client, logger: log, transform: slimObject });
  const useLeases = (o.updateStatus ?? true) && !(o.noLeases ?? false);
  const leaseNamespace = o.leaseNamespace ?? 'kube-system';
  const leaseInformer = useLeases
    ? factory.informerFor<Lease>(resources.leases, {
        namespace: leaseNamespace,
        labelSelector: `${labelIngressClass}=${o.className}`,
      })
    : undefined;
  const status =
    (o.updateStatus ?? true)
      ? new StatusPublisher({
          client: o.client,
          logger: log,
          clock,
          nodeName: o.nodeName,
          className: o.className,
          leaseNamespace,
          ...(leaseInformer ? { leases: leaseInformer.lister } : {}),
        })
      : undefined;
  const recorder =
    (o.events ?? true)
      ? new ApiEventRecorder({
          client: o.client,
          component: 'portico-ingress',
          host: o.nodeName,
          clock,
          logger: log,
          signal: ac.signal,
        })
      : undefined;
  const ctl = new IngressController({
    factory,
    dataplane,
    logger: log,
    classes: {
      className: o.className,
      controllerName: o.controllerName,
      watchWithoutClass: o.watchWithoutClass,
    },
    ...(status ? { status } : {}),
    ...(recorder ? { recorder } : {}),
    clock,
    ...(o.debounceMs !== undefined ? { debounceMs: o.debounceMs } : {}),
    onSync: (r) => {
      syncs.inc({ result: r.ok ? (r.applied ?? 'unchanged') : 'error' });
      syncSeconds.observe(r.durationMs / 1000);
      gauges.up.set(dataplane.process.running ? 1 : 0);
      if (r.table) {
        gauges.ingresses.set(r.table.ingresses.length);
        gauges.backends.set(r.table.backends.size);
        gauges.endpoints.set(
          [...r.table.backends.values()].reduce((n, b) => n + b.endpoints.length, 0),
        );
        gauges.certificates.set(r.table.certificates.length);
      }
    },
  });
  onExit.resync = () => ctl.resync();
  // Instances coming and going change the published addresses.
  leaseInformer?.addHandlers({
    onAdd: () => ctl.resync(),
    onUpdate: () => ctl.resync(),
    onDelete: () => ctl.resync(),
  });

  // Our addresses, refreshed with the Lease.
  const resolveAddresses = async (): Promise<string[]> => {
    if (o.publishAddresses && o.publishAddresses.length > 0) return [...o.publishAddresses];
    try {
      const node = await o.client.get<Node>(resources.nodes, undefined, o.nodeName);
      const ips = (node.status?.addresses ?? [])
        .filter((a) => a.type === 'InternalIP')
        .map((a) => a.address);
      if (ips.length > 0) return ips;
    } catch {
      // No Node object (yet): this machine's address.
    }
    const ip = firstIPv4();
    return ip ? [ip] : [];
  };
  let renewing: Promise<void> = Promise.resolve();
  if (status) {
    const renewMs = o.renewMs ?? 10_000;
    renewing = (async () => {
      let last = '';
      while (!ac.signal.aborted) {
        const addrs = await resolveAddresses();
        await status.renew(addrs);
        const key = addrs.join(',');
        if (key !== last) {
          if (last !== '' || addrs.length > 0)
            log.info('Publishing addresses', { addresses: key || 'none' });
          last = key;
        }
        ctl.resync();
        await sleepUnlessAborted(clock, renewMs, ac.signal);
      }
    })();
    // The first status write needs our addresses; the loop's first round sets them.
  }

  factory.start(ac.signal);
  const running = ctl
    .run(ac.signal)
    .catch((e: unknown) => log.error(e, 'Controller stopped unexpectedly'));
  const ready = Promise.race([
    ctl.firstSync.then(() => true),
    new Promise<boolean>((r) =>
      ac.signal.addEventListener('abort', () => r(false), { once: true }),
    ),
  ]);

  let server: Server | undefined;
  let metricsPort: number | undefined;
  if (o.metricsAddress) {
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics') {
        gauges.up.set(dataplane.process.running ? 1 : 0);
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(metrics.expose());
      } else if (path === '/healthz' || path === '/readyz') {
        const ok = ctl.synced && dataplane.process.running;
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
        res.end(ok ? 'ok' : 'not serving yet');
      } else res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
    });
    const srv = server;
    const addr = o.metricsAddress;
    try {
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(addr.port, addr.host, () => resolve());
      });
    } catch (e) {
      ac.abort();
      await Promise.all([running, renewing, factory.stopped()]);
      throw new Error(
        `cannot serve /metrics on ${addr.host}:${addr.port}: ${asError(e).message} (use --metrics-bind-address)`,
      );
    }
    const a = srv.address();
    metricsPort = typeof a === 'object' && a ? a.port : addr.port;
  }

  let stopping: Promise<void> | undefined;
  return {
    controller: ctl,
    dataplane,
    status,
    metrics,
    metricsPort,
    ready,
    stop: (graceMs = 10_000) =>
      (stopping ??= (async () => {
        ac.abort();
        await running;
        await renewing;
        if (status) {
          const snap = ctl.statusSnapshot();
          await status.shutdown(snap.all, snap.served);
        }
        await dataplane.stop(graceMs);
        if (server) {
          server.closeAllConnections();
          await new Promise<void>((r) => server?.close(() => r()));
        }
        await factory.stopped();
      })()),
  };
}

/** The ingress directory inside a component data dir. */
export function ingressDir(dataDir: string): string {
  return join(dataDir, 'ingress');
}

/**
 * HTTP endpoints of the proxy, in kube-proxy's shapes:
 *
 * - the proxier health server (port 10256): `/healthz` and `/livez` answer 200 when the rules
 *   are current (the last queued change was applied, or was queued less than the health
 *   timeout ago) and 503 otherwise; `/metrics` serves the Prometheus text;
 * - one server per `healthCheckNodePort` of a LoadBalancer Service with
 *   externalTrafficPolicy Local: 200 with the number of local endpoints, 503 with none, so an
 *   external load balancer sends traffic only to nodes that can serve it.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log/logger.js';
import { discardLogger } from '../lib/log/logger.js';
import type { Registry } from '../lib/metrics.js';

/** Tracks whether the data plane is up to date (kube-proxy's ProxierHealthServer logic). */
export class HealthState {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  #lastUpdated = 0;
  /** When the oldest change not yet applied was queued; undefined when none is waiting. */
  #queuedAt: number | undefined;
  #generation = 0;

  constructor(clock: Clock, timeoutMs: number) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  /** A change is waiting to be applied. */
  queued(): void {
    this.#generation++;
    this.#queuedAt ??= this.#clock.now();
  }

  /** The generation of the newest queued change (a sync records it when it starts). */
  get generation(): number {
    return this.#generation;
  }

  /** A sync that started at `generation` succeeded. */
  updated(generation: number): void {
    this.#lastUpdated = this.#clock.now();
    if (generation >= this.#generation) this.#queuedAt = undefined;
  }

  status(): { healthy: boolean; lastUpdated: number; currentTime: number } {
    const now = this.#clock.now();
    const synced = this.#lastUpdated > 0;
    const caughtUp = this.#queuedAt === undefined || now - this.#queuedAt < this.#timeoutMs;
    return { healthy: synced && caughtUp, lastUpdated: this.#lastUpdated, currentTime: now };
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export interface HealthServerOptions {
  readonly host: string;
  readonly port: number;
  readonly health: HealthState;
  readonly registry: Registry;
}

/** Serves /healthz, /livez and /metrics. Resolves once listening; `address` gives the bound port. */
export async function startHealthServer(
  options: HealthServerOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/livez') {
      const s = options.health.status();
      const body = {
        lastUpdated: s.lastUpdated > 0 ? new Date(s.lastUpdated).toISOString() : '',
        currentTime: new Date(s.currentTime).toISOString(),
        ...(path === '/healthz' ? { nodeEligible: true } : {}),
      };
      res.writeHead(s.healthy ? 200 : 503, {
        'Content-Type': 'application/json',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(JSON.stringify(body));
      return;
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(options.registry.expose());
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('404 page not found\n');
  });
  await listen(server, options.host, options.port);
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : options.port;
  return { port, close: () => close(server) };
}

/** One Service's health check: its name and how many ready endpoints this node has. */
export interface ServiceHealth {
  readonly namespace: string;
  readonly name: string;
  readonly localEndpoints: number;
}

/**
 * The healthCheckNodePort servers. `sync` opens a server for every new port and closes the
 * ports no Service uses any more; endpoint counts are read at request time.
 */
export class ServiceHealthServer {
  readonly #host: string;
  readonly #log: Logger;
  readonly #servers = new Map<number, { server: Server; key: string }>();
  #health = new Map<number, ServiceHealth>();
  readonly #proxyHealthy: () => boolean;

  constructor(options: { host: string; logger?: Logger; proxyHealthy?: () => boolean }) {
    this.#host = options.host;
    this.#log = options.logger ?? discardLogger;
    this.#proxyHealthy = options.proxyHealthy ?? (() => true);
  }

  /** Ports currently served. */
  get ports(): number[] {
    return [...this.#servers.keys()].sort((a, b) => a - b);
  }

  async sync(byPort: ReadonlyMap<number, ServiceHealth>): Promise<void> {
    this.#health = new Map(byPort);
    for (const [port, entry] of [...this.#servers]) {
      const want = byPort.get(port);
      if (!want || `${want.namespace}/${want.name}` !== entry.key) {
        this.#servers.delete(port);
        await close(entry.server);
      }
    }
    for (const [port, h] of byPort) {
      if (this.#servers.has(port)) continue;
      const server = createServer((_req, res) => this.#answer(port, res));
      try {
        await listen(server, this.#host, port);
        this.#servers.set(port, { server, key: `${h.namespace}/${h.name}` });
      } catch (err) {
        this.#log.error(err, 'Cannot serve a healthCheckNodePort', {
          port,
          service: `${h.namespace}/${h.name}`,
        });
      }
    }
  }

  #answer(port: number, res: ServerResponse): void {
    const h = this.#health.get(port);
    const count = h?.localEndpoints ?? 0;
    const healthy = this.#proxyHealthy();
    res.writeHead(count > 0 && healthy ? 200 : 503, {
      'Content-Type': 'application/json',
      'X-Content-Type-Options': 'nosniff',
      'X-Load-Balancing-Endpoint-Weight': String(count),
    });
    res.end(
      JSON.stringify({
        service: { namespace: h?.namespace ?? '', name: h?.name ?? '' },
        localEndpoints: count,
        serviceProxyHealthy: healthy,
      }),
    );
  }

  async close(): Promise<void> {
    const servers = [...this.#servers.values()];
    this.#servers.clear();
    await Promise.all(servers.map((s) => close(s.server)));
  }
}

/**
 * The DNS server's HTTP endpoints on one listener (CoreDNS serves them on three: prometheus
 * :9153, health :8080, ready :8181):
 *   /metrics  Prometheus text
 *   /health   200 `OK` while the process serves (CoreDNS's health plugin)
 *   /ready    200 `OK` once the informers have synced, 503 before (CoreDNS's ready plugin)
 */
import { createServer, type Server } from 'node:http';

export interface HttpEndpointsOptions {
  readonly host: string;
  readonly port: number;
  readonly metrics: () => string;
  readonly ready: () => boolean;
}

export interface HttpEndpoints {
  readonly port: number;
  close(): Promise<void>;
}

export async function startHttpEndpoints(o: HttpEndpointsOptions): Promise<HttpEndpoints> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(o.metrics());
    } else if (path === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
    } else if (path === '/ready') {
      const ok = o.ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ok ? 'OK' : 'kubernetes: informers have not synced yet');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : o.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

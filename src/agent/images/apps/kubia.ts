/**
 * The `luksa/kubia` app of *Kubernetes in Action*: HTTP on 8080 answering `You've hit <hostname>`,
 * logging each client like the book's app.js. Variants of the book's later chapters:
 * `unhealthy` (500 after the fifth request, for liveness probes), `v1`/`v2` ("This is vN running
 * in pod <hostname>") and `v3` (errors after the fifth request).
 */
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { output } from './flags.js';

export type KubiaVariant = 'latest' | 'unhealthy' | 'v1' | 'v2' | 'v3';

export function kubia(variant: KubiaVariant = 'latest', port = 8080): Server {
  output.stdout('Kubia server starting...\n');
  let requestCount = 0;
  const server = createServer((req, res) => {
    output.stdout(`Received request from ${req.socket.remoteAddress ?? ''}\n`);
    requestCount++;
    const host = hostname();
    if (variant === 'unhealthy' && requestCount > 5) {
      res.writeHead(500);
      res.end("I'm not well. Please restart me!");
      return;
    }
    if (variant === 'v3' && requestCount > 5) {
      res.writeHead(500);
      res.end(`Some internal error has occurred! This is pod ${host}\n`);
      return;
    }
    res.writeHead(200);
    if (variant === 'latest' || variant === 'unhealthy') res.end(`You've hit ${host}\n`);
    else res.end(`This is ${variant} running in pod ${host}\n`);
  });
  server.listen(port);
  return server;
}

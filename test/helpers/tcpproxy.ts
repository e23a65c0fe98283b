/**
 * A TCP proxy on 127.0.0.1:0 in front of a local server that a test can cut (destroy every
 * connection, as a network failure or a server crash looks to clients) or hold closed (refuse new
 * connections). TLS passes through untouched.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface CuttableProxy {
  readonly port: number;
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  cut(): void;
  refuse(on: boolean): void;
  close(): Promise<void>;
}

export async function startCuttableProxy(
  t: { after(fn: () => unknown): void } | undefined,
  targetPort: number,
): Promise<CuttableProxy> {
  const sockets = new Set<net.Socket>();
  let refusing = false;
  const server = net.createServer((down) => {
    if (refusing) {
      down.destroy();
      return;
    }
    const up = net.connect(targetPort, '127.0.0.1');
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    down.pipe(up).pipe(down);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const proxy: CuttableProxy = {
    port,
    url: `https://127.0.0.1:${port}`,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    refuse: (on) => {
      refusing = on;
    },
    close: async () => {
      proxy.cut();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  t?.after(() => proxy.close());
  return proxy;
}

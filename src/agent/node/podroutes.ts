/**
 * Routes to every Node's pod CIDR, without the rest of the agent: for a host that runs the control
 * plane but no pods (the sandbox's `server`), so the API server reaches pod IPs for pods/proxy
 * and services/proxy as it would on a node. `portico agent routes` runs it.
 */
import { resources } from '../../api/scheme.js';
import type { Node } from '../../api/types/core.js';
import { InformerFactory } from '../../client/factory.js';
import type { Client } from '../../client/types.js';
import type { Logger } from '../../lib/log/logger.js';
import { HostGwRoutes, localSubnets } from './routes.js';

/** Keeps the host-gw routes in step with the Nodes until the signal aborts. */
export async function followPodRoutes(o: {
  client: Client;
  nodeName: string;
  logger: Logger;
  signal: AbortSignal;
}): Promise<void> {
  const factory = new InformerFactory({ client: o.client, logger: o.logger });
  const nodes = factory.informerFor<Node>(resources.nodes);
  let subnets = await localSubnets();
  const routes = new HostGwRoutes({
    nodeName: o.nodeName,
    logger: o.logger,
    localSubnets: () => subnets,
  });
  let timer: NodeJS.Timeout | undefined;
  // Debounced: a burst of Node status updates makes one `ip route` pass.
  const sync = (): void => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void localSubnets()
        .then((s) => {
          subnets = s;
          return routes.sync(nodes.lister.list());
        })
        .catch((e: unknown) => o.logger.error(e, 'Syncing pod routes failed'));
    }, 100);
  };
  nodes.addHandlers({ onAdd: sync, onUpdate: sync, onDelete: sync });
  factory.start(o.signal);
  await new Promise<void>((resolve) => {
    if (o.signal.aborted) resolve();
    else o.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  if (timer) clearTimeout(timer);
}

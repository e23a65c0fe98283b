/**
 * Runs a set of controllers in one process on one shared InformerFactory (kube-controller-
 * manager's shape): `portico controllers` calls it, and integration tests start it in-process.
 */
import { setMaxListeners } from 'node:events';
import { InformerFactory } from '../client/factory.js';
import { ApiEventRecorder, type EventRecorder } from '../client/events.js';
import type { Client } from '../client/types.js';
import { realClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log/logger.js';
import type { Registry } from '../lib/metrics.js';
import { selectControllers } from './all.js';
import type { ControllerContext, ControllersConfig } from './context.js';
import { createController } from './runner.js';

export interface ManagerOptions {
  readonly client: Client;
  readonly config: ControllersConfig;
  /** `--controllers` items: `*`, `name`, `-name`. */
  readonly controllers: readonly string[];
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly metrics?: Registry;
  /** Workers per controller instead of each one's default. */
  readonly workers?: Readonly<Record<string, number>>;
}

export interface RunningControllers {
  readonly names: readonly string[];
  /** Resolves once every informer has listed (the controllers act from then on). */
  readonly synced: Promise<boolean>;
  /** Resolves when every controller has stopped after the signal aborted. */
  readonly done: Promise<void>;
}

/**
 * Starts the selected controllers; they run until the signal aborts.
 * @throws UnknownControllerError, CIDRError (bad --cluster-cidr or --lb-pool)
 */
export function startControllers(options: ManagerOptions, signal: AbortSignal): RunningControllers {
  setMaxListeners(200, signal);
  const clock = options.clock ?? realClock;
  const informers = new InformerFactory({ client: options.client, clock, logger: options.logger });
  const recorders = new Map<string, EventRecorder>();
  const ctx: ControllerContext = {
    client: options.client,
    informers,
    clock,
    logger: options.logger,
    config: options.config,
    recorder: (component) => {
      let r = recorders.get(component);
      if (r === undefined) {
        r = new ApiEventRecorder({
          client: options.client,
          component,
          clock,
          logger: options.logger,
          signal,
        });
        recorders.set(component, r);
      }
      return r;
    },
  };
  const selected = selectControllers(options.controllers, ctx);
  const running = selected.map((d) => {
    const controller = createController({
      reconciler: d.create(ctx),
      logger: options.logger,
      clock,
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
    return { d, controller };
  });
  informers.start(signal);
  const done = Promise.all(
    running.map(({ d, controller }) =>
      controller.run(signal, options.workers?.[d.name] ?? d.workers),
    ),
  ).then(async () => {
    await informers.stopped();
  });
  return { names: selected.map((d) => d.name), synced: informers.waitForSync(signal), done };
}

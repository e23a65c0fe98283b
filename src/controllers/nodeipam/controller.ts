/**
 * Node IPAM: every Node gets `spec.podCIDR` / `spec.podCIDRs` from the cluster CIDR (default
 * 10.244.0.0/16, a /24 each), lowest free range first. Allocations are not stored anywhere but
 * on the Nodes: at start the set is rebuilt from the ranges the Nodes already carry, so a
 * restart hands out the same ranges and never a used one twice.
 */
import { resources } from '../../api/scheme.js';
import type { Node } from '../../api/types/core.js';
import type { Client, Informer, WorkQueue } from '../../client/types.js';
import type { Logger } from '../../lib/log/logger.js';
import { isNotFound } from '../common/apierrors.js';
import type { EventRecorder } from '../common/events.js';
import type { ControllerContext, Reconciler } from '../context.js';
import { CIDRSet } from './cidrset.js';

export class NodeIpamController implements Reconciler {
  readonly name = 'nodeipam';
  readonly informers: readonly Informer<unknown>[];
  readonly #client: Client;
  readonly #log: Logger;
  readonly #recorder: EventRecorder;
  readonly #nodes: Informer<Node>;
  readonly #set: CIDRSet;
  /** Node name → the range it holds (ours or found on it). */
  readonly #byNode = new Map<string, string>();
  #initialized = false;

  /** @throws CIDRError for a cluster CIDR / mask that cannot work */
  constructor(ctx: ControllerContext) {
    this.#client = ctx.client;
    this.#log = ctx.logger.child({ controller: this.name });
    this.#recorder = ctx.recorder('node-ipam-controller');
    this.#set = new CIDRSet(ctx.config.clusterCIDR, ctx.config.nodeCIDRMaskSize);
    this.#nodes = ctx.informers.informerFor<Node>(resources.nodes);
    this.informers = [this.#nodes] as Informer<unknown>[];
  }

  register(queue: WorkQueue): void {
    this.#nodes.addHandlers({
      onAdd: (n) => queue.add(n.metadata.name ?? ''),
      onUpdate: (o, n) => {
        if (o.spec?.podCIDR !== n.spec?.podCIDR) queue.add(n.metadata.name ?? '');
      },
      onDelete: (n) => queue.add(n.metadata.name ?? ''),
    });
  }

  /** Marks every range the Nodes already hold (runs once, after the cache has synced). */
  #init(): void {
    if (this.#initialized) return;
    this.#initialized = true;
    for (const node of this.#nodes.lister.list()) {
      const cidr = node.spec?.podCIDR;
      if (cidr !== undefined && cidr !== '' && this.#set.occupy(cidr))
        this.#byNode.set(node.metadata.name ?? '', cidr);
    }
  }

  async sync(name: string, _signal: AbortSignal): Promise<void> {
    this.#init();
    const node = this.#nodes.lister.get(undefined, name);
    const held = this.#byNode.get(name);
    if (node === undefined) {
      if (held !== undefined) this.#set.release(held);
      this.#byNode.delete(name);
      return;
    }
    const existing = node.spec?.podCIDR ?? '';
    if (existing !== '') {
      if (held !== undefined && held !== existing) this.#set.release(held);
      if (this.#set.occupy(existing)) this.#byNode.set(name, existing);
      return;
    }
    if (held !== undefined) {
      // We allocated it but the cache has not caught up with our patch yet.
      return this.#assign(name, held);
    }
    const cidr = this.#set.allocateNext();
    if (cidr === undefined) {
      this.#recorder.event(
        node,
        'Warning',
        'CIDRNotAvailable',
        `Node ${name} status is now: CIDRNotAvailable`,
      );
      this.#log.warn(
        'No pod CIDR left for node; widen --cluster-cidr or shrink --node-cidr-mask-size',
        { node: name },
      );
      return;
    }
    this.#byNode.set(name, cidr);
    await this.#assign(name, cidr);
  }

  async #assign(name: string, cidr: string): Promise<void> {
    try {
      await this.#client.patch(resources.nodes, undefined, name, 'merge', {
        spec: { podCIDR: cidr, podCIDRs: [cidr] },
      });
      this.#log.v(2).info('Assigned pod CIDR', { node: name, podCIDR: cidr });
    } catch (e) {
      if (isNotFound(e)) {
        this.#set.release(cidr);
        this.#byNode.delete(name);
        return;
      }
      throw e;
    }
  }
}

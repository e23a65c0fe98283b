/**
 * Forwarding-loop detection (CoreDNS's `loop` idea). An upstream that is this server itself is
 * refused outright (same address and port as one we listen on). Then each upstream gets one
 * probe query for a random name under `portico-loop-probe.`; if that name ever arrives here, the
 * upstream sends our queries back to us (e.g. the node's resolv.conf points at the cluster DNS
 * Service), so it is excluded and the probe is answered REFUSED, which ends the loop.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../lib/log/logger.js';
import { upstreamString, type Forwarder, type Upstream } from './forward.js';
import { T } from './types.js';
import { nameWire } from './writer.js';

export const probeSuffix = 'portico-loop-probe';

export interface LoopDetectorOptions {
  readonly forwarder: Forwarder;
  readonly logger: Logger;
  /** Called once per upstream found looping (metrics). */
  readonly onLoop?: (u: Upstream) => void;
}

export class LoopDetector {
  readonly #o: LoopDetectorOptions;
  readonly #probes = new Map<string, Upstream>();

  constructor(options: LoopDetectorOptions) {
    this.#o = options;
  }

  /**
   * Excludes upstreams that are one of our own listening endpoints. `local(host)` says whether
   * an address belongs to this machine and is one we listen on for `port`.
   */
  excludeSelf(isOwnEndpoint: (u: Upstream) => boolean): void {
    for (const u of this.#o.forwarder.upstreams)
      if (isOwnEndpoint(u)) this.#o.forwarder.exclude(u, 'it is this DNS server');
  }

  /** Sends one probe to each upstream (their answers do not matter). */
  async probe(timeoutMs = 2000): Promise<void> {
    const fwd = this.#o.forwarder;
    await Promise.all(
      fwd.usable.map(async (u) => {
        const name = `${randomBytes(6).toString('hex')}.${randomBytes(6).toString('hex')}.${probeSuffix}`;
        this.#probes.set(name, u);
        const w = nameWire(name);
        const question = Buffer.alloc(w.length + 4);
        w.copy(question, 0);
        question.writeUInt16BE(T.HINFO, w.length);
        question.writeUInt16BE(1, w.length + 2);
        await fwd.exchange(u, question, false, false, timeoutMs);
      }),
    );
  }

  /**
   * True when a (lower-case) name is one of our probes coming back: its upstream loops, and is
   * excluded now. Names under the probe suffix are never forwarded.
   */
  isProbe(name: string): boolean {
    if (!name.endsWith(`.${probeSuffix}`)) return false;
    const u = this.#probes.get(name);
    if (u && this.#o.forwarder.excludedReason(u) === undefined) {
      this.#o.forwarder.exclude(
        u,
        `it sent our loop probe back to us (${name}): queries forwarded to it would loop`,
      );
      this.#o.onLoop?.(u);
    }
    this.#o.logger.v(2).info('Loop probe received', { name, upstream: u ? upstreamString(u) : '' });
    return true;
  }
}

/**
 * Endpoint choice for the userspace relays, with the nftables rules' semantics: uniform random
 * over the usable endpoints, and with ClientIP affinity the endpoint a client used last, for
 * `timeoutSeconds` after its last new connection (nft's `update @set { … timeout }`).
 */
import type { Clock } from '../../lib/clock.js';
import type { EndpointInfo } from '../types.js';

export interface Target {
  readonly ip: string;
  readonly port: number;
}

export class EndpointSelector {
  #targets: readonly Target[] = [];
  #affinityMs = 0;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #sticky = new Map<string, { target: Target; expires: number }>();

  constructor(clock: Clock, random: () => number = Math.random) {
    this.#clock = clock;
    this.#random = random;
  }

  /** Replaces the endpoints; affinity entries to endpoints that went away are dropped. */
  update(endpoints: readonly EndpointInfo[], affinityTimeoutSeconds: number): void {
    this.#targets = endpoints.map((e) => ({ ip: e.ip, port: e.port }));
    this.#affinityMs = affinityTimeoutSeconds * 1000;
    const live = new Set(this.#targets.map((t) => `${t.ip}|${t.port}`));
    for (const [client, s] of this.#sticky)
      if (!live.has(`${s.target.ip}|${s.target.port}`) || this.#affinityMs === 0)
        this.#sticky.delete(client);
  }

  get size(): number {
    return this.#targets.length;
  }

  /** The endpoint for a new connection from `clientIP`, avoiding `exclude` (failed dials). */
  pick(clientIP: string, exclude: ReadonlySet<string> = new Set()): Target | undefined {
    const now = this.#clock.now();
    if (this.#affinityMs > 0) {
      const s = this.#sticky.get(clientIP);
      if (s && s.expires > now && !exclude.has(`${s.target.ip}|${s.target.port}`)) {
        s.expires = now + this.#affinityMs;
        return s.target;
      }
    }
    const usable = this.#targets.filter((t) => !exclude.has(`${t.ip}|${t.port}`));
    if (usable.length === 0) return undefined;
    const t = usable[Math.floor(this.#random() * usable.length)] ?? usable[0];
    if (t && this.#affinityMs > 0) {
      this.#sticky.set(clientIP, { target: t, expires: now + this.#affinityMs });
      if (this.#sticky.size > 65536) this.#expire(now);
    }
    return t;
  }

  #expire(now: number): void {
    for (const [k, s] of this.#sticky) if (s.expires <= now) this.#sticky.delete(k);
  }
}

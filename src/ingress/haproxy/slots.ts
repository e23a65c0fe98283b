/**
 * Server slots: each backend has a fixed number of `server` lines; endpoints move in and out of
 * them through the runtime API. Pure planning, so the rules are unit-tested:
 * - an endpoint that already has a slot keeps it (its connections and counters stay);
 * - a removed endpoint's slot goes to maintenance (no new requests; requests in flight finish);
 * - a new endpoint takes a free slot, preferring slots that were free before this change, so a
 *   slot just vacated keeps draining as long as possible;
 * - more endpoints than slots: the backend needs a new configuration (a reload) with more slots.
 */
import type { Endpoint } from '../types.js';

export type Slots = readonly (Endpoint | undefined)[];

export function endpointKey(ep: Endpoint): string {
  return `${ep.address}|${ep.port}`;
}

/** Slots for `n` endpoints in a new configuration: room for half as many again, by fours. */
export function slotsFor(n: number): number {
  return Math.max(4, Math.ceil(Math.ceil(n * 1.5) / 4) * 4);
}

/** The slot count to configure: the current one while it fits and is not far too large. */
export function slotCount(current: number | undefined, n: number): number {
  if (current !== undefined && current >= n && current <= 4 * slotsFor(n)) return current;
  return slotsFor(n);
}

/** A new configuration's slots: endpoints in order, then free slots. */
export function initialSlots(endpoints: readonly Endpoint[], count: number): Slots {
  return Array.from({ length: Math.max(count, endpoints.length) }, (_, i) => endpoints[i]);
}

export interface SlotPlan {
  readonly next: Slots;
  /** Slots to point at an endpoint and enable. */
  readonly enable: readonly { readonly slot: number; readonly endpoint: Endpoint }[];
  /** Slots to put in maintenance. */
  readonly disable: readonly number[];
}

/** The runtime changes that move `current` to `desired`; undefined when the slots do not suffice. */
export function planSlots(current: Slots, desired: readonly Endpoint[]): SlotPlan | undefined {
  const want = new Map(desired.map((e) => [endpointKey(e), e]));
  const next: (Endpoint | undefined)[] = [...current];
  const held = new Set<string>();
  const disable: number[] = [];
  const freeBefore: number[] = [];
  next.forEach((ep, i) => {
    if (ep === undefined) freeBefore.push(i);
    else if (want.has(endpointKey(ep)) && !held.has(endpointKey(ep))) held.add(endpointKey(ep));
    else {
      disable.push(i);
      next[i] = undefined;
    }
  });
  const missing = desired.filter((e) => !held.has(endpointKey(e)));
  const free = [...freeBefore, ...disable];
  if (missing.length > free.length) return undefined;
  const enable = missing.map((endpoint, i) => {
    const slot = free[i] ?? 0;
    next[slot] = endpoint;
    return { slot, endpoint };
  });
  const reused = new Set(enable.map((e) => e.slot));
  return { next, enable, disable: disable.filter((s) => !reused.has(s)) };
}

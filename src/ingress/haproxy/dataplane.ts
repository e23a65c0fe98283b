/**
 * The HAProxy data plane: takes a RouteTable and makes HAProxy serve it, with the cheapest change
 * that does it.
 *
 * - Runtime API, no reload: route changes (map files: `prepare map`, `add map @v`, `commit map
 *   @v`, atomic per map), endpoint changes (server slots: `set server addr`, `state ready|maint`)
 *   and certificate rotation of a Secret already served (`set ssl cert`, `commit ssl cert`).
 * - Seamless reload (master-worker, SIGUSR2): a backend appears or goes, a backend needs more
 *   slots, the set of certificates or their SNI names change. The new configuration carries the
 *   current endpoints, so a reload is a complete snapshot.
 * - Start: the first apply, and after HAProxy died.
 *
 * Every file is written (atomically, certificates and keys mode 0600) before HAProxy reads it, and
 * every runtime change is also written to the files, so a reload or restart serves the same.
 * A failed runtime change falls back to a reload; a failed reload leaves the old worker serving
 * and throws (the caller retries with backoff).
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { exec } from '../../lib/exec.js';
import type { Logger } from '../../lib/log/logger.js';
import type { Endpoint, RouteTable } from '../types.js';
import {
  allMaps,
  haproxyPaths,
  renderConfig,
  renderCrtList,
  type HaproxyConfigModel,
  type ListenSpec,
} from './config.js';
import { renderMap, routeMaps, type MapName } from './maps.js';
import { HaproxyError, HaproxyProcess } from './process.js';
import type { RuntimeSession } from './runtime.js';
import { initialSlots, planSlots, slotCount, type Slots } from './slots.js';

export type ApplyResult = 'unchanged' | 'runtime' | 'reload' | 'start';

export interface DataplaneOptions {
  /** Directory of the configuration, maps, certificates and sockets (created 0700). */
  readonly dir: string;
  readonly logger: Logger;
  readonly http?: ListenSpec;
  readonly https?: ListenSpec;
  /** The default certificate bundle (PEM chain + key). */
  readonly defaultCertificate: string;
  readonly serverHeader?: string;
  readonly threads?: number;
  readonly accessLog?: boolean;
  readonly hardStopAfter?: string;
  readonly statsAddress?: { readonly host: string; readonly port: number };
  readonly binary?: string;
  /** Called when HAProxy exits on its own (the caller schedules a sync, which restarts it). */
  onUnexpectedExit?(message: string): void;
}

interface Applied {
  readonly structure: string;
  readonly slots: Map<string, Slots>;
  readonly maps: Map<MapName, string>;
  readonly certs: Map<string, string>;
}

/** Counters for /metrics. */
export interface DataplaneStats {
  starts: number;
  reloads: number;
  reloadFailures: number;
  runtimeUpdates: number;
  runtimeFailures: number;
}

function writeAtomic(path: string, data: string, mode = 0o644): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

export class HaproxyDataplane {
  readonly process: HaproxyProcess;
  readonly stats: DataplaneStats = {
    starts: 0,
    reloads: 0,
    reloadFailures: 0,
    runtimeUpdates: 0,
    runtimeFailures: 0,
  };
  readonly #o: DataplaneOptions;
  readonly #paths: ReturnType<typeof haproxyPaths>;
  #applied: Applied | undefined;

  constructor(options: DataplaneOptions) {
    this.#o = options;
    this.#paths = haproxyPaths(options.dir);
    this.process = new HaproxyProcess({
      ...(options.binary !== undefined ? { binary: options.binary } : {}),
      configPath: this.#paths.config,
      masterSocket: this.#paths.masterSocket,
      runtimeSocket: this.#paths.runtimeSocket,
      pidFile: this.#paths.pidFile,
      logger: options.logger,
      onExit: (code, signal, lines) => {
        this.#applied = undefined;
        const why = signal ? `signal ${signal}` : `code ${code ?? '?'}`;
        const message = `HAProxy exited (${why}): ${lines.slice(-3).join(' | ') || 'no output'}`;
        options.logger.error(new HaproxyError(message), 'HAProxy exited; restarting it');
        options.onUnexpectedExit?.(message);
      },
    });
  }

  /** The configuration model for a table and slot layout. */
  #model(slots: ReadonlyMap<string, Slots>): HaproxyConfigModel {
    const o = this.#o;
    return {
      dir: o.dir,
      ...(o.http ? { http: o.http } : {}),
      ...(o.https ? { https: o.https } : {}),
      backends: [...slots].map(([name, s]) => ({ name, slots: s })),
      serverHeader: o.serverHeader ?? 'portico',
      ...(o.threads !== undefined ? { threads: o.threads } : {}),
      ...(o.accessLog !== undefined ? { accessLog: o.accessLog } : {}),
      ...(o.hardStopAfter !== undefined ? { hardStopAfter: o.hardStopAfter } : {}),
      ...(o.statsAddress ? { statsAddress: o.statsAddress } : {}),
    };
  }

  /** What only a new configuration can change: backends and their slot counts, certificates. */
  #structure(slots: ReadonlyMap<string, Slots>, crtList: string): string {
    return JSON.stringify([[...slots].map(([n, s]) => [n, s.length]), crtList]);
  }

  /** Serves a table. Resolves with what it took. @throws HaproxyError */
  async apply(table: RouteTable): Promise<ApplyResult> {
    const maps = routeMaps(table);
    const mapText = new Map(allMaps.map((n) => [n, renderMap(maps[n])]));
    const certs = new Map(table.certificates.map((c) => [c.name, c.pem]));
    const crtList = renderCrtList(this.#o.dir, table.certificates);
    const endpoints = new Map([...table.backends].map(([n, b]) => [n, b.endpoints]));
    const applied = this.#applied;

    if (!applied || !this.process.running) {
      const slots = this.#layout(endpoints, undefined);
      this.#writeAll(slots, mapText, certs, crtList);
      await this.#validate();
      await this.process.start();
      this.stats.starts++;
      this.#applied = { structure: this.#structure(slots, crtList), slots, maps: mapText, certs };
      this.#removeStaleCerts(certs);
      return 'start';
    }

    // Runtime plans for the slots; a backend that does not fit needs a reload.
    const plans = new Map<string, ReturnType<typeof planSlots>>();
    let fits = true;
    for (const [name, eps] of endpoints) {
      const cur = applied.slots.get(name);
      const plan = cur ? planSlots(cur, eps) : undefined;
      if (!plan) fits = false;
      plans.set(name, plan);
    }
    const sameBackends =
      endpoints.size === applied.slots.size &&
      [...endpoints.keys()].every((n) => applied.slots.has(n));
    const structureSame =
      fits && sameBackends && this.#structure(applied.slots, crtList) === applied.structure;
    if (!structureSame) return this.#reload(endpoints, mapText, certs, crtList, applied);

    const changedMaps = allMaps.filter((n) => applied.maps.get(n) !== mapText.get(n));
    const changedCerts = [...certs].filter(([n, pem]) => applied.certs.get(n) !== pem);
    const slotChanges = [...plans].filter(
      ([, p]) => p !== undefined && (p.enable.length > 0 || p.disable.length > 0),
    );
    if (changedMaps.length === 0 && changedCerts.length === 0 && slotChanges.length === 0)
      return 'unchanged';

    const nextSlots = new Map(applied.slots);
    for (const [name, p] of plans) if (p) nextSlots.set(name, p.next);
    // Files first: a reload or restart from now on serves the new state.
    this.#writeAll(nextSlots, mapText, certs, crtList);
    try {
      await this.process.runtime.session(async (s) => {
        for (const [name, p] of slotChanges) {
          if (!p) continue;
          for (const { slot, endpoint } of p.enable) await enableSlot(s, name, slot, endpoint);
          for (const slot of p.disable)
            await s.expect(`set server ${name}/s${slot + 1} state maint`);
        }
        for (const n of changedMaps) await replaceMap(s, this.#paths.map(n), mapText.get(n) ?? '');
        for (const [name, pem] of changedCerts) {
          const file = this.#paths.cert(name);
          await s.expect(`set ssl cert ${file}`, /Transaction (created|updated)/, pem);
          await s.expect(`commit ssl cert ${file}`, /Success!/);
        }
      });
    } catch (e) {
      this.stats.runtimeFailures++;
      this.#o.logger.warn('Runtime API update failed; reloading instead', {
        err: (e as Error).message,
      });
      return this.#reload(endpoints, mapText, certs, crtList, applied);
    }
    this.stats.runtimeUpdates++;
    this.#applied = { structure: applied.structure, slots: nextSlots, maps: mapText, certs };
    this.#o.logger.v(2).info('Updated HAProxy through the runtime API', {
      maps: changedMaps.join(','),
      backends: slotChanges.length,
      certificates: changedCerts.length,
    });
    return 'runtime';
  }

  async #reload(
    endpoints: ReadonlyMap<string, readonly Endpoint[]>,
    mapText: ReadonlyMap<MapName, string>,
    certs: ReadonlyMap<string, string>,
    crtList: string,
    applied: Applied,
  ): Promise<ApplyResult> {
    const slots = this.#layout(endpoints, applied.slots);
    this.#writeAll(slots, mapText, certs, crtList);
    try {
      await this.#validate();
      await this.process.reload();
    } catch (e) {
      this.stats.reloadFailures++;
      // What HAProxy runs is unknown now: the next apply reloads again.
      this.#applied = { ...applied, structure: '' };
      throw e;
    }
    this.stats.reloads++;
    this.#applied = {
      structure: this.#structure(slots, crtList),
      slots,
      maps: new Map(mapText),
      certs: new Map(certs),
    };
    this.#removeStaleCerts(certs);
    this.#o.logger.v(2).info('Reloaded HAProxy', {
      backends: slots.size,
      certificates: certs.size,
      worker: this.process.workerPid,
    });
    return 'reload';
  }

  /** Slots for a new configuration. */
  #layout(
    endpoints: ReadonlyMap<string, readonly Endpoint[]>,
    current: ReadonlyMap<string, Slots> | undefined,
  ): Map<string, Slots> {
    const out = new Map<string, Slots>();
    for (const [name, eps] of [...endpoints].sort(([a], [b]) => (a < b ? -1 : 1))) {
      out.set(name, initialSlots(eps, slotCount(current?.get(name)?.length, eps.length)));
    }
    return out;
  }

  #writeAll(
    slots: ReadonlyMap<string, Slots>,
    mapText: ReadonlyMap<MapName, string>,
    certs: ReadonlyMap<string, string>,
    crtList: string,
  ): void {
    const p = this.#paths;
    mkdirSync(this.#o.dir, { recursive: true, mode: 0o700 });
    mkdirSync(p.mapDir, { recursive: true });
    mkdirSync(p.certDir, { recursive: true, mode: 0o700 });
    writeAtomic(p.defaultCert, this.#o.defaultCertificate, 0o600);
    for (const [name, pem] of certs) writeAtomic(p.cert(name), pem, 0o600);
    writeAtomic(p.crtList, crtList);
    for (const n of allMaps) writeAtomic(p.map(n), mapText.get(n) ?? '');
    writeAtomic(p.config, renderConfig(this.#model(slots)));
  }

  #removeStaleCerts(certs: ReadonlyMap<string, string>): void {
    const keep = new Set([...certs.keys()].map((n) => `${n}.pem`));
    keep.add('default.pem');
    for (const f of readdirSync(this.#paths.certDir)) {
      if (!keep.has(f)) rmSync(`${this.#paths.certDir}/${f}`, { force: true });
    }
  }

  async #validate(): Promise<void> {
    const r = await exec(this.#o.binary ?? 'haproxy', ['-c', '-q', '-f', this.#paths.config], {
      allowFailure: true,
      timeoutMs: 60_000,
    });
    if (r.code !== 0)
      throw new HaproxyError(
        `HAProxy rejects the generated configuration ${this.#paths.config}: ${(r.stderr || r.stdout).trim()}`,
      );
  }

  /** Stops HAProxy (soft stop for up to `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    await this.process.stop(graceMs);
    this.#applied = undefined;
  }

  /** The directory the data plane lives in. */
  get dir(): string {
    return dirname(this.#paths.config);
  }
}

async function enableSlot(
  s: RuntimeSession,
  backend: string,
  slot: number,
  ep: Endpoint,
): Promise<void> {
  const server = `${backend}/s${slot + 1}`;
  await s.expect(`set server ${server} addr ${ep.address} port ${ep.port}`, /changed|no need/);
  await s.expect(`set server ${server} state ready`);
}

/** Replaces a map's content atomically (a new version, filled, then committed). */
async function replaceMap(s: RuntimeSession, path: string, text: string): Promise<void> {
  const answer = await s.expect(`prepare map ${path}`, /New version created: \d+/);
  const version = /(\d+)/.exec(answer)?.[1] ?? '';
  if (text.trim() !== '') await s.expect(`add map @${version} ${path}`, undefined, text);
  await s.expect(`commit map @${version} ${path}`);
}

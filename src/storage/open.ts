/**
 * Opens a Store from a datastore URI (the `--datastore` flag):
 *
 * | URI | backend |
 * |---|---|
 * | `memory://` | MemoryStore: nothing survives the process |
 * | `sqlite:///abs/path/state.db`, or a plain path | SqliteStore (relative paths from the cwd) |
 * | `etcd://host:port[,host:port...]` | EtcdStore; TLS from `options.etcdTls` |
 *
 * The scheme → constructor table is a constant built here, not a registry filled at import
 * time.
 */
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Clock } from '../lib/clock.js';
import { PorticoError, asError } from '../lib/errors.js';
import type { Logger } from '../lib/log/logger.js';
import type { CompactionPolicy } from './compactor.js';
import { EtcdStore } from './etcd/store.js';
import { MemoryStore } from './memory/store.js';
import { SqliteStore } from './sqlite/store.js';
import type { Store } from './store.js';

/** A datastore URI that cannot be opened as written. */
export class StoreUriError extends PorticoError {
  readonly uri: string;
  constructor(uri: string, reason: string, options?: { cause?: unknown }) {
    super('E_STORE_URI', `datastore ${JSON.stringify(uri)}: ${reason}`, options);
    this.uri = uri;
  }
}

/** Files holding the TLS material of an etcd cluster (PEM). */
export interface EtcdTlsFiles {
  readonly caFile: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

export interface OpenStoreOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Most events a watcher may have waiting before it is closed (default 10,000). */
  readonly watchBufferSize?: number;
  /** Periodic compaction by the store itself (sqlite, etcd); `false` when the caller compacts. */
  readonly compaction?: CompactionPolicy | false;
  /** TLS for `etcd://` (switches the connection to https). */
  readonly etcdTls?: EtcdTlsFiles;
}

type Opener = (uri: string, target: string, options: OpenStoreOptions) => Promise<Store>;

const usage = 'use memory://, sqlite:///path/to/state.db (or a plain path) or etcd://host:port';

function common(options: OpenStoreOptions): {
  logger?: Logger;
  clock?: Clock;
  watchBufferSize?: number;
  compaction?: CompactionPolicy | false;
} {
  return {
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.watchBufferSize === undefined ? {} : { watchBufferSize: options.watchBufferSize }),
    ...(options.compaction === undefined ? {} : { compaction: options.compaction }),
  };
}

function openMemory(uri: string, target: string, options: OpenStoreOptions): Promise<Store> {
  if (target !== '') throw new StoreUriError(uri, 'memory:// takes nothing after the scheme');
  return Promise.resolve(
    new MemoryStore(
      options.watchBufferSize === undefined ? {} : { watchBufferSize: options.watchBufferSize },
    ),
  );
}

function openSqlite(uri: string, target: string, options: OpenStoreOptions): Promise<Store> {
  if (target === '') throw new StoreUriError(uri, `no database path; ${usage}`);
  const path = resolve(decodeURIComponent(target));
  try {
    // The file holds Secrets: create it (and its directory) readable by the owner only;
    // SQLite gives the -wal and -shm files the database file's permissions.
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'a', 0o600));
    return Promise.resolve(new SqliteStore({ path, ...common(options) }));
  } catch (err) {
    throw new StoreUriError(uri, `cannot open ${path}: ${asError(err).message}`, { cause: err });
  }
}

async function openEtcd(uri: string, target: string, options: OpenStoreOptions): Promise<Store> {
  const endpoints = target
    .replace(/\/+$/, '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (endpoints.length === 0) throw new StoreUriError(uri, `no etcd endpoint; ${usage}`);
  for (const e of endpoints) {
    if (!/^[^/:]+:\d+$/.test(e) && !/^\[[^\]]+\]:\d+$/.test(e)) {
      throw new StoreUriError(uri, `${JSON.stringify(e)} is not host:port`);
    }
  }
  const tls = options.etcdTls;
  const store = new EtcdStore({
    endpoints,
    ...common(options),
    ...(tls === undefined
      ? {}
      : {
          tls: {
            ca: readFileSync(tls.caFile),
            ...(tls.certFile === undefined ? {} : { cert: readFileSync(tls.certFile) }),
            ...(tls.keyFile === undefined ? {} : { key: readFileSync(tls.keyFile) }),
          },
        }),
  });
  try {
    await store.currentRevision();
  } catch (err) {
    await store.close();
    throw new StoreUriError(
      uri,
      `cannot reach etcd at ${endpoints.join(', ')}: ${asError(err).message}; is etcd running there?`,
      { cause: err },
    );
  }
  return store;
}

const openers: ReadonlyMap<string, Opener> = new Map([
  ['memory', openMemory],
  ['sqlite', openSqlite],
  ['etcd', openEtcd],
]);

/**
 * Opens the store a datastore URI names. For etcd it checks that the cluster answers.
 * @throws StoreUriError for an unknown scheme, a malformed URI, or a store that cannot open
 * @example
 * const store = await openStore('sqlite:///var/lib/portico/state.db');
 */
export async function openStore(uri: string, options: OpenStoreOptions = {}): Promise<Store> {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(uri);
  if (m === null) {
    if (uri.trim() === '') throw new StoreUriError(uri, `empty; ${usage}`);
    return openSqlite(uri, uri, options);
  }
  const scheme = (m[1] ?? '').toLowerCase();
  const opener = openers.get(scheme);
  if (opener === undefined) throw new StoreUriError(uri, `unknown scheme ${scheme}://; ${usage}`);
  return opener(uri, m[2] ?? '', options);
}

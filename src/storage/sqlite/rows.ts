/**
 * Log rows and the prepared statements over them. A row is one write: `id` is its revision,
 * `value` the value written (NULL for a delete), `old_value` / `prev_revision` the version it
 * replaced (0 when there was none).
 */
import type Database from 'better-sqlite3';
import type { KeyValue, StoreEvent } from '../store.js';

/** One row of the log table. */
export interface Row {
  readonly id: number;
  readonly name: string;
  readonly created: number;
  readonly deleted: number;
  readonly create_revision: number;
  readonly prev_revision: number;
  readonly value: Buffer | null;
  readonly old_value: Buffer | null;
}

/** A row's key, create revision and value, without the blob of the version it replaced. */
export type LiveRow = Pick<Row, 'id' | 'name' | 'create_revision' | 'value'>;

const empty = new Uint8Array(0);

/** A Buffer from SQLite as a plain Uint8Array (no copy: each read gets fresh memory). */
export function bytes(b: Buffer | null): Uint8Array {
  return b === null ? empty : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** A Uint8Array as a Buffer that better-sqlite3 can bind (no copy: SQLite copies it). */
export function blob(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** The version a live row holds. */
export function rowKeyValue(row: LiveRow): KeyValue {
  return {
    key: row.name,
    value: bytes(row.value),
    createRevision: row.create_revision,
    modRevision: row.id,
  };
}

/** A list row in raw (array) form: id, name, create_revision, value. */
export type RawLiveRow = [number, string, number, Buffer | null];

/** The version a raw list row holds. Raw rows skip building one object per row in SQLite's binding. */
export function rawKeyValue(row: RawLiveRow): KeyValue {
  return { key: row[1], value: bytes(row[3]), createRevision: row[2], modRevision: row[0] };
}

/** The version a row replaced. */
function prevKeyValue(row: Row): KeyValue {
  return {
    key: row.name,
    value: bytes(row.old_value),
    createRevision: row.create_revision,
    modRevision: row.prev_revision,
  };
}

/** The watch event a row records. */
export function rowEvent(row: Row): StoreEvent {
  if (row.deleted !== 0) return { type: 'delete', prev: prevKeyValue(row), revision: row.id };
  if (row.created !== 0) return { type: 'create', kv: rowKeyValue(row) };
  return { type: 'update', kv: rowKeyValue(row), prev: prevKeyValue(row) };
}

/**
 * Newest live row per name in [lo, hi) (or (lo, hi) with '>') at or below a revision, in name
 * order. SQLite takes the bare `deleted` column from the row holding MAX(id), and walks the
 * covering index in name order, so neither this nor the join below sorts anything.
 */
const newest = (lowerOp: '>=' | '>'): string =>
  `SELECT name, MAX(id) AS id, deleted FROM kine INDEXED BY kine_name_id_deleted_index
   WHERE name ${lowerOp} ? AND name < ? AND id <= ? GROUP BY name HAVING deleted = 0`;

/** The statements the store runs, prepared once. */
export class Statements {
  readonly latest: Database.Statement<[string], Row>;
  readonly list: Database.Statement<[string, string, number, number], RawLiveRow>;
  readonly listAfter: Database.Statement<[string, string, number, number], RawLiveRow>;
  readonly countAfter: Database.Statement<[string, string, number], { n: number }>;
  readonly events: Database.Statement<[number, number, string, string, number], Row>;
  readonly insert: Database.Statement<
    [number, string, number, number, number, number, Buffer | null, Buffer | null]
  >;
  readonly sequence: Database.Statement<[], { seq: number }>;
  readonly getMeta: Database.Statement<[string], { value: number }>;
  readonly setMeta: Database.Statement<[string, number]>;
  readonly deleteSuperseded: Database.Statement<[number, number]>;
  readonly deleteTombstones: Database.Statement<[number, number]>;

  constructor(db: Database.Database) {
    this.latest = db.prepare('SELECT * FROM kine WHERE name = ? ORDER BY id DESC LIMIT 1');
    const listSql = (op: '>=' | '>'): string =>
      `SELECT kv.id, kv.name, kv.create_revision, kv.value
       FROM (${newest(op)} ORDER BY name LIMIT ?) AS m CROSS JOIN kine AS kv ON kv.id = m.id
       ORDER BY m.name`;
    this.list = db.prepare<[string, string, number, number], RawLiveRow>(listSql('>=')).raw();
    this.listAfter = db.prepare<[string, string, number, number], RawLiveRow>(listSql('>')).raw();
    this.countAfter = db.prepare(`SELECT COUNT(*) AS n FROM (${newest('>')})`);
    this.events = db.prepare(
      `SELECT * FROM kine WHERE id > ? AND id <= ? AND name >= ? AND name < ? ORDER BY id LIMIT ?`,
    );
    this.insert = db.prepare(
      `INSERT INTO kine (id, name, created, deleted, create_revision, prev_revision, value, old_value)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.sequence = db.prepare(
      `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'kine'), 0) AS seq`,
    );
    this.getMeta = db.prepare('SELECT value FROM portico_meta WHERE key = ?');
    this.setMeta = db.prepare(
      'INSERT INTO portico_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    // Compaction of (from, to]: the versions superseded by a write in that range, and the
    // tombstones in it. Anything superseded earlier went in an earlier compaction.
    this.deleteSuperseded = db.prepare(
      `DELETE FROM kine WHERE id IN (
         SELECT prev_revision FROM kine WHERE id > ? AND id <= ? AND prev_revision > 0)`,
    );
    this.deleteTombstones = db.prepare('DELETE FROM kine WHERE id > ? AND id <= ? AND deleted = 1');
  }
}

/**
 * The SQLite schema, in the manner of k3s' kine: one append-only log table whose rowid is the
 * revision. Every write appends a row; a key's current value is its newest row; a delete is a
 * row with `deleted = 1`. `old_value` and `prev_revision` make each row a self-contained watch
 * event, so watches never join. The compact revision lives in a one-row side table (kine keeps
 * it as a log row named `compact_rev_key`, which costs a revision per compaction; ours does not).
 */
import type Database from 'better-sqlite3';
import { PorticoError } from '../../lib/errors.js';

/** Bumped when the layout changes; a newer file is refused rather than misread. */
export const schemaVersion = 1;

const ddl = `
CREATE TABLE IF NOT EXISTS kine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value BLOB,
  old_value BLOB
);
-- "Newest row per key under a prefix at revision R" is a range scan of this covering index
-- (name range, max id <= R per name, is that row a tombstone); a point read is one seek. The
-- scan comes out in name order, so a list needs no sort and a limited list stops early.
CREATE INDEX IF NOT EXISTS kine_name_id_deleted_index ON kine (name, id, deleted);
-- At most one successor per version: a second writer racing on the same version fails here
-- even if it got past the compare step (kine's kine_name_prev_revision_uindex).
CREATE UNIQUE INDEX IF NOT EXISTS kine_name_prev_revision_uindex ON kine (name, prev_revision);
CREATE TABLE IF NOT EXISTS portico_meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`;

/**
 * Applies the pragmas and creates the schema.
 *
 * `journal_mode=WAL` lets readers (sqlite3 CLI, backups) work beside the writer;
 * `synchronous=FULL` fsyncs the WAL at every commit, so an acknowledged write survives kill -9
 * and power loss (NORMAL, kine's choice, may lose the last commits on power loss).
 */
export function initSchema(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = OFF');
  // 64 MiB of page cache: a 10k-object list reads every row's value.
  db.pragma('cache_size = -65536');
  db.exec(ddl);
  const row = db.prepare(`SELECT value FROM portico_meta WHERE key = 'schema_version'`).get() as
    { value: number } | undefined;
  if (row === undefined) {
    db.prepare(`INSERT INTO portico_meta (key, value) VALUES ('schema_version', ?)`).run(
      schemaVersion,
    );
  } else if (row.value > schemaVersion) {
    throw new PorticoError(
      'E_STORE_SCHEMA',
      `the database was written by a newer Portico (schema ${row.value}, this one knows ${schemaVersion}); upgrade Portico`,
    );
  }
}

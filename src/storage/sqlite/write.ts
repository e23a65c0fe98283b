/**
 * One write inside the group-commit transaction: the compare step (key exists, expected
 * revision) and the appended row. Runs synchronously inside an IMMEDIATE transaction, so the
 * row it compares against is the newest one committed by anyone.
 */
import { ConflictError, KeyExistsError, KeyNotFoundError } from '../store.js';
import type { StoreEvent } from '../store.js';
import { blob, rowKeyValue } from './rows.js';
import type { Statements } from './rows.js';

export type WriteOp =
  | { readonly type: 'create'; readonly key: string; readonly value: Uint8Array }
  | {
      readonly type: 'update';
      readonly key: string;
      readonly value: Uint8Array;
      readonly expectedRevision: number;
    }
  | { readonly type: 'delete'; readonly key: string; readonly expectedRevision?: number };

/** The failures a caller can act on; they reject that one write, not the batch. */
export type WriteError = KeyExistsError | KeyNotFoundError | ConflictError;

/**
 * Appends the row for `op` with revision `id`, or returns why it cannot be written (nothing is
 * written then). Other errors (I/O, constraint) are thrown and roll the whole batch back.
 */
export function applyWrite(stmt: Statements, op: WriteOp, id: number): StoreEvent | WriteError {
  const row = stmt.latest.get(op.key);
  const current = row === undefined || row.deleted !== 0 ? undefined : rowKeyValue(row);
  switch (op.type) {
    case 'create': {
      if (current !== undefined) return new KeyExistsError(op.key);
      stmt.insert.run(id, op.key, 1, 0, id, row?.id ?? 0, blob(op.value), null);
      const kv = {
        key: op.key,
        value: Uint8Array.from(op.value),
        createRevision: id,
        modRevision: id,
      };
      return { type: 'create', kv };
    }
    case 'update': {
      if (current === undefined) return new KeyNotFoundError(op.key);
      if (current.modRevision !== op.expectedRevision) return new ConflictError(op.key, current);
      stmt.insert.run(
        id,
        op.key,
        0,
        0,
        current.createRevision,
        current.modRevision,
        blob(op.value),
        row?.value ?? null,
      );
      const kv = {
        key: op.key,
        value: Uint8Array.from(op.value),
        createRevision: current.createRevision,
        modRevision: id,
      };
      return { type: 'update', kv, prev: current };
    }
    case 'delete': {
      if (current === undefined) return new KeyNotFoundError(op.key);
      if (op.expectedRevision !== undefined && current.modRevision !== op.expectedRevision) {
        return new ConflictError(op.key, current);
      }
      stmt.insert.run(
        id,
        op.key,
        0,
        1,
        current.createRevision,
        current.modRevision,
        null,
        row?.value ?? null,
      );
      return { type: 'delete', prev: current, revision: id };
    }
  }
}

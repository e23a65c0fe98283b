/**
 * Test helper for sqlite.test.ts, run as its own process: opens the store at argv[2] and writes
 * until killed, printing `ack <revision> <key>` after each write is acknowledged. Several writes
 * are in flight at once so that group commits are exercised too. Not part of the product.
 */
import { SqliteStore } from './store.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: writer-child.js <db path>');
const store = new SqliteStore({ path, compaction: false, pollIntervalMs: 0 });
const value = new Uint8Array(256).fill(7);
let i = 0;

async function writer(lane: number): Promise<never> {
  for (;;) {
    const key = `/kill9/${lane}/${i++}`;
    const kv = await store.create(key, value);
    process.stdout.write(`ack ${kv.modRevision} ${key}\n`);
  }
}

process.stdout.write('ready\n');
await Promise.all([0, 1, 2, 3].map(writer));

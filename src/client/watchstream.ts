/**
 * Decoding of the watch wire format: one JSON object `{"type": …, "object": …}` per line
 * (kube-apiserver writes each event with Go's json.Encoder, which appends "\n"). Lines are cut on
 * bytes, not characters, so a chunk boundary inside a line or inside a multi-byte UTF-8
 * sequence is harmless.
 */
import type { KubeObject, WatchEvent, WatchEventType } from '../api/meta/types.js';
import { ClientError } from './errors.js';

const eventTypes: ReadonlySet<string> = new Set([
  'ADDED',
  'MODIFIED',
  'DELETED',
  'BOOKMARK',
  'ERROR',
]);

/** Complete lines (without the newline) from a byte stream; a final unterminated line counts. */
export async function* splitLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  for await (const chunk of chunks) {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let nl = buf.indexOf(0x0a);
    while (nl >= 0) {
      pending.push(buf.subarray(0, nl));
      yield pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
      pending = [];
      buf = buf.subarray(nl + 1);
      nl = buf.indexOf(0x0a);
    }
    if (buf.length > 0) pending.push(Buffer.from(buf));
  }
  if (pending.length > 0) yield Buffer.concat(pending);
}

/**
 * One watch event from one line.
 * @throws ClientError E_CLIENT_DECODE for a line that is not a watch event.
 */
export function decodeWatchEvent<T extends KubeObject>(line: Buffer): WatchEvent<T> | undefined {
  const text = line.toString('utf8').trim();
  if (text === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ClientError('E_CLIENT_DECODE', `watch stream: invalid JSON: ${text.slice(0, 200)}`, {
      cause: e,
    });
  }
  if (typeof v !== 'object' || v === null) throw badEvent(text);
  const { type, object } = v as { type?: unknown; object?: unknown };
  if (
    typeof type !== 'string' ||
    !eventTypes.has(type) ||
    typeof object !== 'object' ||
    object === null
  )
    throw badEvent(text);
  const obj = object as { metadata?: unknown };
  if (typeof obj.metadata !== 'object' || obj.metadata === null) obj.metadata = {};
  return { type: type as WatchEventType, object: obj as T };
}

function badEvent(text: string): ClientError {
  return new ClientError(
    'E_CLIENT_DECODE',
    `watch stream: not a watch event: ${text.slice(0, 200)}`,
  );
}

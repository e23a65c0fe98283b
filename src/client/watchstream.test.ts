import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWatchEvent, splitLines } from './watchstream.js';
import { ClientError } from './errors.js';

async function* chunks(parts: readonly Uint8Array[]) {
  for (const p of parts) {
    await Promise.resolve();
    yield p;
  }
}

async function lines(parts: readonly Uint8Array[]): Promise<string[]> {
  const out: string[] = [];
  for await (const l of splitLines(chunks(parts))) out.push(l.toString('utf8'));
  return out;
}

test('splitLines() reassembles lines cut at every possible byte, including inside UTF-8 sequences', async () => {
  const text = '{"a":"žluťoučký 🐎"}\n{"b":2}\n\n{"c":3}';
  const bytes = Buffer.from(text);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const got = await lines([bytes.subarray(0, cut), bytes.subarray(cut)]);
    assert.deepEqual(got, ['{"a":"žluťoučký 🐎"}', '{"b":2}', '', '{"c":3}'], `cut at ${cut}`);
  }
  const oneByOne = await lines([...bytes].map((b) => Uint8Array.of(b)));
  assert.deepEqual(oneByOne, ['{"a":"žluťoučký 🐎"}', '{"b":2}', '', '{"c":3}']);
});

test('decodeWatchEvent() accepts every event type and rejects what is not an event', () => {
  const ev = decodeWatchEvent(
    Buffer.from('{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"p"}}}'),
  );
  assert.equal(ev?.type, 'ADDED');
  assert.equal(ev?.object.metadata.name, 'p');
  const err = decodeWatchEvent(
    Buffer.from('{"type":"ERROR","object":{"kind":"Status","code":410}}\r'),
  );
  assert.equal(err?.type, 'ERROR');
  assert.deepEqual(err?.object.metadata, {});
  assert.equal(decodeWatchEvent(Buffer.from('  ')), undefined);
  for (const bad of [
    '{',
    '[]',
    '{"type":"NOPE","object":{}}',
    '{"type":"ADDED"}',
    '{"type":"ADDED","object":3}',
  ])
    assert.throws(
      () => decodeWatchEvent(Buffer.from(bad)),
      (e) => e instanceof ClientError && e.code === 'E_CLIENT_DECODE',
      bad,
    );
});

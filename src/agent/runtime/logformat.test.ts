import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatCriLine,
  formatRFC3339Nano,
  parseCriLine,
  renderLogEntry,
  tailEntries,
  timeToNanos,
  logEntryMatches,
} from './logformat.js';
import type { LogEntry } from './types.js';

const b = (s: string) => Buffer.from(s);
const entry = (time: string, text: string, partial = false): LogEntry => ({
  time,
  stream: 'stdout',
  partial,
  content: b(text),
});

describe('parseCriLine()', () => {
  const cases = [
    {
      name: 'full stdout line',
      line: '2016-10-06T00:17:09.669794202Z stdout F hello world',
      want: {
        time: '2016-10-06T00:17:09.669794202Z',
        stream: 'stdout',
        partial: false,
        text: 'hello world',
      },
    },
    {
      name: 'partial stderr piece',
      line: '2016-10-06T00:17:09.669794202Z stderr P abc',
      want: {
        time: '2016-10-06T00:17:09.669794202Z',
        stream: 'stderr',
        partial: true,
        text: 'abc',
      },
    },
    {
      name: 'empty line',
      line: '2016-10-06T00:17:10.113242941Z stdout F ',
      want: { time: '2016-10-06T00:17:10.113242941Z', stream: 'stdout', partial: false, text: '' },
    },
    {
      name: 'content with spaces kept',
      line: '2016-10-06T00:17:10Z stdout F  two  spaces',
      want: {
        time: '2016-10-06T00:17:10Z',
        stream: 'stdout',
        partial: false,
        text: ' two  spaces',
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const e = parseCriLine(b(c.line));
      assert.ok(e);
      assert.deepEqual(
        {
          time: e.time,
          stream: e.stream,
          partial: e.partial,
          text: Buffer.from(e.content).toString(),
        },
        c.want,
      );
    });
  }
  it('rejects malformed lines', () => {
    for (const l of ['', 'garbage', '2016 stdin F x', '2016 stdout X x'])
      assert.equal(parseCriLine(b(l)), undefined, l);
  });
  it('round-trips with formatCriLine()', () => {
    const e = entry('2024-01-02T03:04:05.000000001Z', 'x y');
    const line = formatCriLine(e);
    assert.equal(line.toString(), '2024-01-02T03:04:05.000000001Z stdout F x y\n');
    const back = parseCriLine(line.subarray(0, line.length - 1));
    assert.equal(Buffer.from(back?.content ?? []).toString(), 'x y');
  });
});

describe('time helpers', () => {
  it('timeToNanos() keeps nanoseconds and offsets', () => {
    assert.equal(timeToNanos('1970-01-01T00:00:01.5Z'), 1_500_000_000n);
    assert.equal(timeToNanos('1970-01-01T01:00:00.000000007+01:00'), 7n);
    assert.equal(timeToNanos('yesterday'), undefined);
  });
  it('formatRFC3339Nano() trims trailing zeros like Go', () => {
    assert.equal(formatRFC3339Nano(1_500_000_000n), '1970-01-01T00:00:01.5Z');
    assert.equal(formatRFC3339Nano(1_000_000_000n), '1970-01-01T00:00:01Z');
    assert.equal(formatRFC3339Nano(1_000_000_123n), '1970-01-01T00:00:01.000000123Z');
  });
  it('logEntryMatches() filters by since', () => {
    const since = new Date('2024-01-01T00:00:01Z');
    assert.equal(logEntryMatches(entry('2024-01-01T00:00:00.999999999Z', ''), { since }), false);
    assert.equal(logEntryMatches(entry('2024-01-01T00:00:01Z', ''), { since }), true);
  });
});

describe('tailEntries()', () => {
  const es = [entry('t', 'a'), entry('t', 'b1', true), entry('t', 'b2'), entry('t', 'c')];
  it('counts a split line once', () => {
    assert.deepEqual(
      tailEntries(es, 2).map((e) => Buffer.from(e.content).toString()),
      ['b1', 'b2', 'c'],
    );
  });
  it('0 gives nothing, undefined everything, more than there is everything', () => {
    assert.equal(tailEntries(es, 0).length, 0);
    assert.equal(tailEntries(es, undefined).length, 4);
    assert.equal(tailEntries(es, 10).length, 4);
  });
});

describe('renderLogEntry()', () => {
  it('prefixes the timestamp once per line and ends full lines with a newline', () => {
    const t = '2024-01-02T03:04:05.100000000Z';
    assert.equal(
      renderLogEntry(entry(t, 'x'), { timestamps: true }).toString(),
      '2024-01-02T03:04:05.1Z x\n',
    );
    assert.equal(
      renderLogEntry(entry(t, 'p', true), { timestamps: true }).toString(),
      '2024-01-02T03:04:05.1Z p',
    );
    assert.equal(
      renderLogEntry(entry(t, 'q'), { timestamps: true, continuation: true }).toString(),
      'q\n',
    );
    assert.equal(renderLogEntry(entry(t, 'x')).toString(), 'x\n');
  });
});

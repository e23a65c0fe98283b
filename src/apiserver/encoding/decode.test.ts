import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isApiError } from '../../api/meta/status.js';
import { resources } from '../../api/scheme.js';
import { decodeBody, decodeRequestBody } from './decode.js';

// ---- a minimal protobuf writer for hand-made messages ----
type PbField = [num: number, value: number | bigint | string | Buffer | PbField[]];
function varint(v: bigint): number[] {
  let x = BigInt.asUintN(64, v);
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) b |= 0x80;
    out.push(b);
  } while (x > 0n);
  return out;
}
function pb(fields: PbField[]): Buffer {
  const parts: number[] = [];
  for (const [num, v] of fields) {
    if (typeof v === 'number' || typeof v === 'bigint') {
      parts.push(...varint(BigInt(num) << 3n), ...varint(BigInt(v)));
    } else {
      const bytes = typeof v === 'string' ? Buffer.from(v) : Buffer.isBuffer(v) ? v : pb(v);
      parts.push(...varint((BigInt(num) << 3n) | 2n), ...varint(BigInt(bytes.length)), ...bytes);
    }
  }
  return Buffer.from(parts);
}
function envelope(apiVersion: string, kind: string, raw: PbField[]): Buffer {
  return Buffer.concat([
    Buffer.from('k8s\0', 'latin1'),
    pb([
      [
        1,
        [
          [1, apiVersion],
          [2, kind],
        ],
      ],
      [2, pb(raw)],
      [3, ''],
      [4, ''],
    ]),
  ]);
}
const proto = 'application/vnd.kubernetes.protobuf';

function apiErr(fn: () => unknown, code: number, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isApiError(e), String(e));
    assert.equal(e.httpStatus, code);
    if (message) assert.match(e.status.message ?? '', message);
    return true;
  });
}

describe('decodeBody JSON', () => {
  it('parses JSON and defaults a missing content type to JSON', () => {
    const body = Buffer.from('{"kind":"Scale","spec":{"replicas":3}}');
    assert.deepEqual(decodeBody(body, undefined, resources.replicationcontrollers), {
      kind: 'Scale',
      spec: { replicas: 3 },
    });
    assert.deepEqual(decodeBody(body, 'application/json; charset=utf-8', resources.services), {
      kind: 'Scale',
      spec: { replicas: 3 },
    });
  });

  const dupCases: { name: string; text: string; want: string[] }[] = [
    { name: 'no duplicates', text: '{"a":{"b":1,"c":[{"d":1},{"d":2}]}}', want: [] },
    { name: 'top level', text: '{"kind":"Service","kind":"Pod"}', want: ['kind'] },
    {
      name: 'nested, inside lists, escaped keys, reported once',
      text: '{"spec":{"ports":[{"port":1},{"port":2,"port":3,"port":4}],"sel\\u0065ctor":{},"selector":{}}}',
      want: ['spec.ports[1].port', 'spec.selector'],
    },
    {
      name: 'strings containing braces and quotes',
      text: '{"a":"{\\"a\\":1}","a":"]"}',
      want: ['a'],
    },
  ];
  for (const c of dupCases) {
    it(`reports duplicate fields: ${c.name}`, () => {
      const d = decodeRequestBody(Buffer.from(c.text), 'application/json');
      assert.deepEqual(d.duplicateFields, c.want);
    });
  }

  it('answers 400 with Go-like wording for bad JSON', () => {
    apiErr(
      () => decodeBody(Buffer.from('{"a":'), 'application/json', resources.services),
      400,
      /^couldn't get version\/kind; json parse error: unexpected end of JSON input$/,
    );
    apiErr(
      () => decodeBody(Buffer.from('xyz'), 'application/json', resources.services),
      400,
      /invalid character 'x' looking for beginning of value/,
    );
    apiErr(
      () => decodeBody(Buffer.from('{'), 'application/merge-patch+json', resources.services),
      400,
      /^error decoding patch: /,
    );
  });

  it('answers 415 for media types it does not speak', () => {
    apiErr(() => decodeBody(Buffer.from('x'), 'text/plain', resources.services), 415);
    apiErr(() => decodeBody(Buffer.from('x'), 'application/cbor', resources.services), 415);
  });
});

describe('decodeBody YAML', () => {
  it('parses YAML 1.1 scalars as go-yaml v2 does', () => {
    const text =
      'kind: Service\nmetadata:\n  name: a\n  labels: {on: yes, when: 2024-01-01, t: "1:20"}\n';
    assert.deepEqual(decodeBody(Buffer.from(text), 'application/yaml', resources.services), {
      kind: 'Service',
      metadata: { name: 'a', labels: { true: true, when: '2024-01-01', t: '1:20' } },
    });
  });

  it('reports duplicate keys and keeps the last value', () => {
    const d = decodeRequestBody(Buffer.from('a: 1\nb:\n  c: 1\n  c: 2\n'), 'application/yaml');
    assert.deepEqual(d.object, { a: 1, b: { c: 2 } });
    assert.deepEqual(d.duplicateFields, ['b.c']);
  });

  it('reads apply-patch+yaml bodies, which kubectl sends as JSON', () => {
    const d = decodeRequestBody(
      Buffer.from('{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"}}'),
      'application/apply-patch+yaml',
    );
    assert.deepEqual(d.object, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' } });
  });

  it('answers 400 naming the line of a syntax error', () => {
    apiErr(
      () => decodeBody(Buffer.from('a: [1, 2\nb: c\n'), 'application/yaml', resources.services),
      400,
      /line \d+/,
    );
    apiErr(
      () => decodeBody(Buffer.from('a: 1\n---\nb: 2\n'), 'application/yaml', resources.services),
      400,
      /more than one document/,
    );
  });
});

describe('decodeBody protobuf', () => {
  const meta: PbField = [
    1,
    [
      [1, 'web'],
      [2, ''],
      [3, ''],
      [7, 0],
      [8, []],
      [
        11,
        [
          [1, 'app'],
          [2, 'web'],
        ],
      ],
    ],
  ];

  it('decodes a Service, treating gogo zero values as unset', () => {
    const body = envelope('v1', 'Service', [
      meta,
      [
        2,
        [
          [
            1,
            [
              [1, 'http'],
              [2, 'TCP'],
              [3, 80],
              [
                4,
                [
                  [1, 0],
                  [2, 8080],
                  [3, ''],
                ],
              ],
              [5, 0],
              [6, ''],
            ],
          ],
          [
            1,
            [
              [1, 'metrics'],
              [2, 'UDP'],
              [3, 9100],
              [
                4,
                [
                  [1, 1],
                  [2, 0],
                  [3, 'metrics'],
                ],
              ],
            ],
          ],
          [
            2,
            [
              [1, 'app'],
              [2, 'web'],
            ],
          ],
          [3, ''],
          [4, 'NodePort'],
          [13, 0],
        ],
      ],
      [3, [[1, []]]],
    ]);
    assert.deepEqual(decodeBody(body, proto, resources.services), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        ports: [
          { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, appProtocol: '' },
          { name: 'metrics', protocol: 'UDP', port: 9100, targetPort: 'metrics' },
        ],
        selector: { app: 'web' },
        type: 'NodePort',
      },
      status: { loadBalancer: {} },
    });
  });

  it('keeps zero values of pointer fields, negative numbers, repeated strings and times', () => {
    const body = envelope('apps/v1', 'Deployment', [
      [
        1,
        [
          [1, 'd'],
          [
            8,
            [
              [1, 1700000000],
              [2, 0],
            ],
          ],
          [10, -1n],
        ],
      ],
      [
        2,
        [
          [1, 0],
          [9, 600],
          [
            3,
            [
              [
                2,
                [
                  [
                    2,
                    [
                      [1, 'c'],
                      [2, 'busybox'],
                      [3, 'sleep'],
                      [3, 'infinity'],
                    ],
                  ],
                  [4, -5n],
                ],
              ],
            ],
          ],
        ],
      ],
    ]);
    assert.deepEqual(decodeBody(body, proto, resources.deployments), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'd',
        creationTimestamp: '2023-11-14T22:13:20Z',
        deletionGracePeriodSeconds: -1,
      },
      spec: {
        replicas: 0,
        progressDeadlineSeconds: 600,
        template: {
          spec: {
            containers: [{ name: 'c', image: 'busybox', command: ['sleep', 'infinity'] }],
            terminationGracePeriodSeconds: -5,
          },
        },
      },
    });
  });

  it('decodes secret bytes to base64 and inline volume sources', () => {
    const secret = envelope('v1', 'Secret', [
      [1, [[1, 's']]],
      [
        2,
        [
          [1, 'tls.crt'],
          [2, Buffer.from([0, 1, 2, 255])],
        ],
      ],
      [3, 'kubernetes.io/tls'],
    ]);
    assert.deepEqual(decodeBody(secret, proto, resources.secrets), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { 'tls.crt': 'AAEC/w==' },
      type: 'kubernetes.io/tls',
    });
    const pod = envelope('v1', 'Pod', [
      [
        2,
        [
          [
            1,
            [
              [1, 'cache'],
              [2, [[2, [[1, 'Memory']]]]],
            ],
          ],
        ],
      ],
    ]);
    assert.deepEqual(decodeBody(pod, proto, resources.pods), {
      apiVersion: 'v1',
      kind: 'Pod',
      spec: { volumes: [{ name: 'cache', emptyDir: { medium: 'Memory' } }] },
    });
  });

  it('answers 415 for kinds it has no schema for and 400 for broken bytes', () => {
    apiErr(() => decodeBody(envelope('policy/v1', 'Eviction', []), proto, resources.pods), 415);
    apiErr(() => decodeBody(Buffer.from('{"kind":"Pod"}'), proto, resources.pods), 400, /prefix/);
    const truncated = envelope('v1', 'Service', [meta]).subarray(0, 12);
    apiErr(() => decodeBody(truncated, proto, resources.services), 400, /unexpected end/);
  });
});

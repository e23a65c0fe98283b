/**
 * Real kubectl 1.32 sends protobuf bodies for `kubectl create <generator>`. For each generator we
 * capture the body kubectl sends and compare our decoding with the same object as kubectl prints
 * it in JSON (`--dry-run=client -o json`): the Go types' own JSON form is the oracle.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resourceForKind } from '../../src/api/scheme.js';
import { decodeRequestBody } from '../../src/apiserver/encoding/decode.js';
import { typeError, unknownFields } from '../../src/apiserver/encoding/strict.js';
import { kubectl132, startCaptureServer, type CaptureServer } from './capture.js';

const skip = existsSync(kubectl132) ? false : `${kubectl132} is not installed`;

/** kubectl's JSON minus what the protobuf body cannot carry (the null creationTimestamp) or does not (namespace, from the URL). */
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'creationTimestamp' && x === null) continue;
    if (k === 'namespace' && typeof x === 'string') continue;
    out[k] = normalize(x);
  }
  return out;
}

describe('kubectl 1.32 protobuf bodies', { skip }, () => {
  let cap: CaptureServer;
  before(async () => {
    cap = await startCaptureServer();
    // A certificate and key for `create secret tls` (kubectl checks that they pair).
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=kubia.example.com',
        '-keyout',
        join(cap.dir, 'tls.key'),
        '-out',
        join(cap.dir, 'tls.cert'),
      ],
      { stdio: 'ignore' },
    );
    writeFileSync(join(cap.dir, 'index.html'), '<h1>hello</h1>\n');
    cap.respond = (w, res) => {
      let status = 201;
      let body: unknown;
      try {
        body = decodeRequestBody(w.body, w.contentType).object;
      } catch (e) {
        status = 500;
        body = {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: String(e),
          code: 500,
        };
      }
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
  });
  after(async () => cap?.close());

  const generators: { name: string; args: string[]; path: string }[] = [
    {
      name: 'create secret tls',
      args: ['create', 'secret', 'tls', 'tls-secret', '--cert=tls.cert', '--key=tls.key'],
      path: '/api/v1/namespaces/default/secrets',
    },
    {
      name: 'create secret generic (literal, empty value, file)',
      args: [
        'create',
        'secret',
        'generic',
        'gen',
        '--from-literal=user=admin',
        '--from-literal=empty=',
        '--from-file=index.html',
        '--type=Opaque',
      ],
      path: '/api/v1/namespaces/default/secrets',
    },
    {
      name: 'create secret docker-registry',
      args: [
        'create',
        'secret',
        'docker-registry',
        'reg',
        '--docker-server=registry.example',
        '--docker-username=u',
        '--docker-password=p',
        '--docker-email=u@example.com',
      ],
      path: '/api/v1/namespaces/default/secrets',
    },
    {
      name: 'create configmap',
      args: ['create', 'configmap', 'cfg', '--from-literal=k=v', '--from-file=index.html'],
      path: '/api/v1/namespaces/default/configmaps',
    },
    {
      name: 'create namespace',
      args: ['create', 'namespace', 'ptest-ns'],
      path: '/api/v1/namespaces',
    },
    {
      name: 'create service clusterip',
      args: ['create', 'service', 'clusterip', 'web', '--tcp=80:8080', '--tcp=443:8443'],
      path: '/api/v1/namespaces/default/services',
    },
    {
      name: 'create service clusterip headless',
      args: ['create', 'service', 'clusterip', 'hl', '--clusterip=None'],
      path: '/api/v1/namespaces/default/services',
    },
    {
      name: 'create service nodeport',
      args: ['create', 'service', 'nodeport', 'mysvc', '--tcp=80:8080', '--node-port=30080'],
      path: '/api/v1/namespaces/default/services',
    },
    {
      name: 'create service loadbalancer',
      args: ['create', 'service', 'loadbalancer', 'lb', '--tcp=5678:8080'],
      path: '/api/v1/namespaces/default/services',
    },
    {
      name: 'create service externalname',
      args: [
        'create',
        'service',
        'externalname',
        'ext',
        '--external-name=api.example.com',
        '--tcp=443',
      ],
      path: '/api/v1/namespaces/default/services',
    },
    {
      name: 'create deployment',
      args: [
        'create',
        'deployment',
        'kubia-dep',
        '--image=luksa/kubia',
        '--port=8080',
        '--replicas=2',
      ],
      path: '/apis/apps/v1/namespaces/default/deployments',
    },
    {
      name: 'create deployment with two images and zero replicas',
      args: [
        'create',
        'deployment',
        'multi',
        '--image=busybox',
        '--image=nginx:1.27',
        '--replicas=0',
      ],
      path: '/apis/apps/v1/namespaces/default/deployments',
    },
    {
      name: 'create ingress',
      args: [
        'create',
        'ingress',
        'kubia',
        '--class=default',
        '--rule=kubia.example.com/*=kubia-nodeport:80,tls=tls-secret',
        '--rule=foo.com/exact=svc1:http',
        '--default-backend=kubia:80',
        '--annotation=a=b',
      ],
      path: '/apis/networking.k8s.io/v1/namespaces/default/ingresses',
    },
  ];

  for (const g of generators) {
    it(`${g.name}: decodes to kubectl's own JSON`, async () => {
      const before = cap.writes.length;
      const r = await cap.kubectl(g.args);
      assert.equal(r.code, 0, `kubectl ${g.args.join(' ')}: ${r.stderr}`);
      const w = cap.writes[before];
      assert.ok(w, 'kubectl sent a write');
      assert.equal(w.method, 'POST');
      assert.equal(w.path, g.path);
      assert.equal(w.contentType, 'application/vnd.kubernetes.protobuf');
      assert.equal(w.query.get('fieldValidation'), 'Strict');
      assert.deepEqual(w.body.subarray(0, 4), Buffer.from('k8s\0', 'latin1'));

      const decoded = decodeRequestBody(w.body, w.contentType).object as Record<string, unknown>;
      const dry = await cap.kubectl([...g.args, '--dry-run=client', '-o', 'json']);
      assert.equal(dry.code, 0, dry.stderr);
      assert.deepEqual(decoded, normalize(JSON.parse(dry.stdout)));

      // Everything kubectl sends is known to the schema and well-typed.
      const rt = resourceForKind(String(decoded['apiVersion']), String(decoded['kind']));
      assert.ok(rt);
      assert.deepEqual(unknownFields(rt, decoded), []);
      assert.equal(typeError(rt, decoded), undefined);
    });
  }
});

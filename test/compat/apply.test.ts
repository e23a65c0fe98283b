/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- walking arbitrary JSON documents */
/**
 * Client-side `kubectl apply` computes strategic merge patches from our OpenAPI v3 documents
 * (x-kubernetes-patch-strategy / -merge-key). For each scenario we capture the patch kubectl
 * sends, check it is the same patch kubectl computes from its compiled-in Go types (OpenAPI
 * switched off), and check that our strategic merge patch turns the live object into what the
 * new manifest says.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/meta/types.js';
import { decodeRequestBody } from '../../src/apiserver/encoding/decode.js';
import { applyStrategicMergePatch } from '../../src/apiserver/encoding/smp.js';
import { kubectl132, startCaptureServer, type CaptureServer } from './capture.js';

const skip = existsSync(kubectl132) ? false : `${kubectl132} is not installed`;
const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

interface Scenario {
  name: string;
  path: string;
  type: string;
  before: string;
  after: string;
  /** Server-side fields the live object carries beyond the manifest (defaults, allocations). */
  serverFields: (obj: Record<string, any>) => void;
  check: (result: Record<string, any>) => void;
}

const scenarios: Scenario[] = [
  {
    name: 'service: a second port, a label and session affinity',
    path: '/api/v1/namespaces/default/services/kubia',
    type: 'core.v1.Service',
    before: `apiVersion: v1
kind: Service
metadata:
  name: kubia
spec:
  ports:
  - name: http
    port: 80
    targetPort: 8080
  selector:
    app: kubia
`,
    after: `apiVersion: v1
kind: Service
metadata:
  name: kubia
  labels:
    tier: web
spec:
  sessionAffinity: ClientIP
  ports:
  - name: http
    port: 80
    targetPort: 8080
  - name: https
    port: 443
    targetPort: 8443
  selector:
    app: kubia
`,
    serverFields: (o) => {
      o['spec'].clusterIP = '10.96.0.20';
      o['spec'].type = 'ClusterIP';
      o['spec'].sessionAffinity = 'None';
      o['spec'].ports[0].protocol = 'TCP';
    },
    check: (r) => {
      assert.deepEqual(r['metadata'].labels, { tier: 'web' });
      assert.equal(r['spec'].sessionAffinity, 'ClientIP');
      assert.equal(r['spec'].clusterIP, '10.96.0.20');
      assert.deepEqual(r['spec'].ports, [
        { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
        { name: 'https', port: 443, targetPort: 8443 },
      ]);
    },
  },
  {
    name: 'service: a port removed and the remaining one changed',
    path: '/api/v1/namespaces/default/services/kubia',
    type: 'core.v1.Service',
    before: `apiVersion: v1
kind: Service
metadata: {name: kubia}
spec:
  type: NodePort
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: https, port: 443, targetPort: 8443}
  selector: {app: kubia}
`,
    after: `apiVersion: v1
kind: Service
metadata: {name: kubia}
spec:
  type: NodePort
  ports:
  - {name: https, port: 443, targetPort: 9443}
  selector: {app: kubia}
`,
    serverFields: (o) => {
      o['spec'].ports[0].nodePort = 30080;
      o['spec'].ports[1].nodePort = 30443;
    },
    check: (r) => {
      assert.deepEqual(r['spec'].ports, [
        { name: 'https', port: 443, targetPort: 9443, nodePort: 30443 },
      ]);
    },
  },
  {
    name: 'replication controller: a new image and fewer replicas',
    path: '/api/v1/namespaces/default/replicationcontrollers/kubia',
    type: 'core.v1.ReplicationController',
    before: `apiVersion: v1
kind: ReplicationController
metadata: {name: kubia}
spec:
  replicas: 3
  selector: {app: kubia}
  template:
    metadata: {labels: {app: kubia}}
    spec:
      containers:
      - name: kubia
        image: luksa/kubia
        ports:
        - containerPort: 8080
`,
    after: `apiVersion: v1
kind: ReplicationController
metadata: {name: kubia}
spec:
  replicas: 2
  selector: {app: kubia}
  template:
    metadata: {labels: {app: kubia}}
    spec:
      containers:
      - name: kubia
        image: luksa/kubia:v2
        ports:
        - containerPort: 8080
`,
    serverFields: (o) => {
      const c = o['spec'].template.spec.containers[0];
      c.imagePullPolicy = 'Always';
      c.ports[0].protocol = 'TCP';
      o['spec'].template.spec.restartPolicy = 'Always';
    },
    check: (r) => {
      assert.equal(r['spec'].replicas, 2);
      const c = r['spec'].template.spec.containers[0];
      assert.equal(c.image, 'luksa/kubia:v2');
      assert.equal(c.imagePullPolicy, 'Always', 'server defaults survive');
      assert.deepEqual(c.ports, [{ containerPort: 8080, protocol: 'TCP' }]);
    },
  },
  {
    name: 'deployment: env reordered and trimmed, a volume switched from emptyDir to hostPath',
    path: '/apis/apps/v1/namespaces/default/deployments/web',
    type: 'apps.v1.Deployment',
    before: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        env:
        - {name: A, value: "1"}
        - {name: B, value: "2"}
        - {name: C, value: "3"}
        volumeMounts:
        - {name: data, mountPath: /data}
      volumes:
      - name: data
        emptyDir: {}
`,
    after: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        env:
        - {name: C, value: "3"}
        - {name: A, value: "10"}
        volumeMounts:
        - {name: data, mountPath: /data, readOnly: true}
      volumes:
      - name: data
        hostPath: {path: /srv/data}
`,
    serverFields: (o) => {
      o['spec'].replicas = 1;
      o['spec'].template.spec.dnsPolicy = 'ClusterFirst';
    },
    check: (r) => {
      const spec = r['spec'].template.spec;
      assert.deepEqual(spec.containers[0].env, [
        { name: 'C', value: '3' },
        { name: 'A', value: '10' },
      ]);
      assert.deepEqual(spec.containers[0].volumeMounts, [
        { name: 'data', mountPath: '/data', readOnly: true },
      ]);
      assert.deepEqual(spec.volumes, [{ name: 'data', hostPath: { path: '/srv/data' } }]);
      assert.equal(spec.dnsPolicy, 'ClusterFirst');
    },
  },
];

describe('kubectl 1.32 client-side apply patches', { skip }, () => {
  let cap: CaptureServer;
  before(async () => {
    cap = await startCaptureServer();
  });
  after(async () => cap?.close());

  for (const s of scenarios) {
    it(s.name, async () => {
      cap.objects.clear();
      cap.openapi = true;
      // First apply: GET 404, then a POST carrying the last-applied annotation.
      cap.respond = (w, res) => {
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end(w.body);
      };
      writeFileSync(join(cap.dir, 'before.yaml'), s.before);
      writeFileSync(join(cap.dir, 'after.yaml'), s.after);
      const first = await cap.kubectl(['apply', '-f', 'before.yaml']);
      assert.equal(first.code, 0, first.stderr);
      const post = cap.writes.at(-1);
      assert.ok(post && post.method === 'POST');
      const live = decodeRequestBody(post.body, post.contentType).object as Record<string, any>;
      assert.ok(live['metadata'].annotations[lastApplied]);
      s.serverFields(live);
      live['metadata'].uid = '5e0f3f3c-0000-4000-8000-000000000001';
      live['metadata'].resourceVersion = '10';
      cap.objects.set(s.path, live);

      // Second apply: the patch, computed from our OpenAPI.
      let patched: unknown;
      cap.respond = (w, res) => {
        patched = applyStrategicMergePatch(live, JSON.parse(w.body.toString()), s.type);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(patched));
      };
      const n = cap.writes.length;
      const second = await cap.kubectl(['apply', '-f', 'after.yaml']);
      assert.equal(second.code, 0, second.stderr);
      assert.doesNotMatch(second.stderr, /warning/i);
      assert.match(second.stdout, /configured/);
      const patch = cap.writes[n];
      assert.ok(patch);
      assert.equal(patch.method, 'PATCH');
      assert.equal(patch.contentType, 'application/strategic-merge-patch+json');
      assert.equal(patch.query.get('fieldManager'), 'kubectl-client-side-apply');
      const fromOpenapi: unknown = JSON.parse(patch.body.toString());
      if (process.env['SHOW_PATCH']) console.log(patch.body.toString());

      // The same patch from kubectl's compiled-in types.
      cap.openapi = false;
      const third = await cap.kubectl(['apply', '-f', 'after.yaml', '--validate=false']);
      assert.equal(third.code, 0, third.stderr);
      const compiled = cap.writes.at(-1);
      assert.ok(compiled && compiled !== patch);
      assert.deepEqual(fromOpenapi, JSON.parse(compiled.body.toString()));

      const result = patched as Record<string, any>;
      s.check(result);
      const annotation = JSON.parse(
        String((result as unknown as KubeObject).metadata.annotations?.[lastApplied]),
      ) as Record<string, unknown>;
      assert.deepEqual(
        annotation['spec'],
        (
          decodeRequestBody(Buffer.from(s.after), 'application/yaml').object as Record<
            string,
            unknown
          >
        )['spec'],
      );
    });
  }
});

// Streams the API server passes to node agents (logs, exec over WebSocket) and the proxy
// subresources, against a fake agent and a plain HTTP backend on 127.0.0.1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { resources } from '../../src/api/scheme.js';
import { encodeObject } from '../../src/apiserver/registry/codec.js';
import { objectKey } from '../../src/apiserver/registry/keys.js';
import { apiRequest, startTestApiServer, type TestApiServer } from '../../src/testing/apiserver.js';
import { startFakeAgent, type FakeAgent } from '../../src/testing/fakeagent.js';

// Address plan: everything on 127.0.0.1. The node "n1" has InternalIP 127.0.0.1 and its agent
// on the fake agent's port; pod "p" runs on n1 with podIP 127.0.0.1; the backend listens on a
// free port and is the pod's "port".

let api: TestApiServer;
let agent: FakeAgent;
let backend: Server;
let backendPort: number;

before(async () => {
  api = await startTestApiServer(undefined);
  agent = await startFakeAgent();
  backend = createServer((req, res) => {
    if ((req.url ?? '').startsWith('/html')) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<a href="/rewriteme">test</a>');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: req.method, url: req.url }));
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  backendPort = (backend.address() as AddressInfo).port;
  const node = await apiRequest(api, {
    method: 'POST',
    path: '/api/v1/nodes',
    body: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      status: {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: agent.port } },
      },
    },
  });
  assert.equal(node.status, 201, node.text);
  // Node status is a subresource: set the addresses there.
  const st = await apiRequest(api, {
    method: 'PATCH',
    path: '/api/v1/nodes/n1/status',
    headers: { 'content-type': 'application/merge-patch+json' },
    body: {
      status: {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: agent.port } },
      },
    },
  });
  assert.equal(st.status, 200, st.text);
  const pod = await apiRequest(api, {
    method: 'POST',
    path: '/api/v1/namespaces/default/pods',
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { nodeName: 'n1', containers: [{ name: 'main', image: 'busybox' }] },
    },
  });
  assert.equal(pod.status, 201, pod.text);
  const ps = await apiRequest(api, {
    method: 'PATCH',
    path: '/api/v1/namespaces/default/pods/p/status',
    headers: { 'content-type': 'application/merge-patch+json' },
    body: { status: { podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }] } },
  });
  assert.equal(ps.status, 200, ps.text);
});

after(async () => {
  await api.stop();
  await agent.close();
  await new Promise<void>((r) => backend.close(() => r()));
});

describe('pods/log', () => {
  test('is the agent`s containerLogs, with the kubelet-client certificate', async () => {
    const r = await apiRequest(api, { path: '/api/v1/namespaces/default/pods/p/log?tailLines=2' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, 'line 2\nline 3\n');
    assert.match(agent.requests.at(-1) ?? '', /^\/containerLogs\/default\/p\/main\?tailLines=2$/);
    assert.equal(agent.clients.at(-1), 'kube-apiserver-kubelet-client');
  });

  test('follow streams until the agent ends', async () => {
    const r = await apiRequest(api, { path: '/api/v1/namespaces/default/pods/p/log?follow=true' });
    assert.equal(r.text, 'line 1\nline 2\nline 3\n');
  });

  test('an unknown container is 400', async () => {
    const r = await apiRequest(api, {
      path: '/api/v1/namespaces/default/pods/p/log?container=nope',
    });
    assert.equal(r.status, 400);
    assert.equal((r.json as { message: string }).message, 'container nope is not valid for pod p');
  });
});

describe('pods/exec', () => {
  function exec(query: string, stdin?: string): Promise<{ frames: Buffer[]; protocol: string }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(
        `wss://127.0.0.1:${api.port}/api/v1/namespaces/default/pods/p/exec?${query}`,
        ['v5.channel.k8s.io'],
        {
          ca: api.ca,
          cert: api.admin.cert,
          key: api.admin.key,
        },
      );
      const frames: Buffer[] = [];
      ws.on('open', () => {
        if (stdin !== undefined) {
          ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(stdin)]));
          ws.send(Buffer.from([255, 0]));
        }
      });
      ws.on('message', (d: Buffer) => frames.push(d));
      ws.on('close', () => resolve({ frames, protocol: ws.protocol }));
      ws.on('error', reject);
    });
  }

  test('a WebSocket upgrade reaches the agent and its v5 frames come back', async () => {
    const { frames, protocol } = await exec('command=echo&command=hi&stdout=true');
    assert.equal(protocol, 'v5.channel.k8s.io');
    assert.equal(frames[0]?.[0], 1);
    assert.equal(frames[0]?.subarray(1).toString(), 'hi\n');
    const status = frames.find((f) => f[0] === 3);
    assert.deepEqual(JSON.parse(status?.subarray(1).toString() ?? '{}'), {
      metadata: {},
      status: 'Success',
    });
    assert.match(
      agent.requests.at(-1) ?? '',
      /^\/exec\/default\/p\/main\?command=echo&command=hi&stdout=true$/,
    );
  });

  test('stdin flows to the agent', async () => {
    const { frames } = await exec('command=cat&stdin=true&stdout=true', 'hello\n');
    assert.equal(
      frames
        .filter((f) => f[0] === 1)
        .map((f) => f.subarray(1).toString())
        .join(''),
      'hello\n',
    );
  });

  test('an anonymous upgrade is refused with 401', async () => {
    const err = await new Promise<Error>((resolve) => {
      const ws = new WebSocket(
        `wss://127.0.0.1:${api.port}/api/v1/namespaces/default/pods/p/exec?command=ls`,
        ['v5.channel.k8s.io'],
        {
          ca: api.ca,
        },
      );
      ws.on('error', resolve);
    });
    assert.match(err.message, /401/);
  });

  test('exec without an upgrade is 400', async () => {
    const r = await apiRequest(api, {
      method: 'POST',
      path: '/api/v1/namespaces/default/pods/p/exec?command=ls',
    });
    assert.equal(r.status, 400);
  });
});

describe('proxy subresources', () => {
  test('pods/proxy without a trailing slash redirects (301)', async () => {
    const r = await apiRequest(api, {
      path: `/api/v1/namespaces/default/pods/p:${backendPort}/proxy`,
    });
    assert.equal(r.status, 301);
    assert.equal(r.headers['location'], `/api/v1/namespaces/default/pods/p:${backendPort}/proxy/`);
  });

  test('pods/proxy forwards method, path and query to the pod', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
      const r = await apiRequest(api, {
        method,
        path: `/api/v1/namespaces/default/pods/p:${backendPort}/proxy/some/path?method=${method}`,
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { method, url: `/some/path?method=${method}` });
    }
  });

  test('absolute links in HTML are rewritten under the proxy path', async () => {
    const r = await apiRequest(api, {
      path: `/api/v1/namespaces/default/pods/http:p:${backendPort}/proxy/html`,
    });
    assert.equal(
      r.text,
      `<a href="/api/v1/namespaces/default/pods/http:p:${backendPort}/proxy/rewriteme">test</a>`,
    );
  });

  test('services/proxy goes to an endpoint of the named port', async () => {
    const svc = await apiRequest(api, {
      method: 'POST',
      path: '/api/v1/namespaces/default/services',
      body: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { ports: [{ name: 'http', port: 80 }] },
      },
    });
    assert.equal(svc.status, 201, svc.text);
    // Endpoints validation refuses loopback addresses (as Kubernetes does), and this test may
    // only talk to loopback: write the Endpoints straight into the store.
    const ep = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name: 'web',
        namespace: 'default',
        uid: 'ep-uid',
        creationTimestamp: '2026-01-01T00:00:00Z',
      },
      subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'http', port: backendPort }] }],
    };
    await api.store.create(objectKey(resources.endpoints, 'default', 'web'), encodeObject(ep));
    const r = await apiRequest(api, {
      path: '/api/v1/namespaces/default/services/web:http/proxy/x',
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { method: 'GET', url: '/x' });
  });
});

// Subresources and the API server's own objects over real HTTPS: status, scale, binding,
// eviction, namespace lifecycle and finalize, the extensions/v1beta1 Ingress, the `kubernetes`
// Service with its endpoints, and the Event TTL sweep.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sweepEvents } from '../../src/apiserver/loops.js';
import { apiRequest, startTestApiServer, type TestApiServer } from '../../src/testing/apiserver.js';
import { waitFor } from '../../src/testing/wait.js';

let api: TestApiServer;
let n = 0;

before(async () => {
  api = await startTestApiServer(undefined, { server: { reconcileIntervalMs: 100 } });
});
after(async () => {
  await api.stop();
});

async function namespace(): Promise<string> {
  const name = `sub-${++n}`;
  const r = await apiRequest(api, {
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
  });
  assert.equal(r.status, 201, r.text);
  return name;
}

type Json = Record<string, unknown> & { metadata: Record<string, unknown> };
const merge = { 'content-type': 'application/merge-patch+json' };

function rc(name: string, replicas: number): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name },
    spec: {
      replicas,
      selector: { app: name },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'luksa/kubia' }] },
      },
    },
  };
}

describe('status', () => {
  test('a status write keeps the spec; a main write keeps the status', async () => {
    const ns = await namespace();
    const base = `/api/v1/namespaces/${ns}/services/s`;
    const c = await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/services`,
      body: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 's' },
        spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
      },
    });
    assert.equal(c.status, 201, c.text);
    const st = await apiRequest(api, {
      method: 'PATCH',
      path: `${base}/status`,
      headers: merge,
      body: {
        metadata: { annotations: { patchedstatus: 'true' } },
        spec: { type: 'ClusterIP' },
        status: { loadBalancer: { ingress: [{ ip: '203.0.113.1' }] } },
      },
    });
    assert.equal(st.status, 200, st.text);
    const after1 = (await apiRequest(api, { path: base })).json as Json & {
      spec: { type: string };
      status: { loadBalancer: { ingress: { ip: string }[] } };
    };
    assert.equal(after1.spec.type, 'LoadBalancer');
    assert.equal(after1.status.loadBalancer.ingress[0]?.ip, '203.0.113.1');
    assert.deepEqual(after1.metadata['annotations'], { patchedstatus: 'true' });
    const main = await apiRequest(api, {
      method: 'PATCH',
      path: base,
      headers: merge,
      body: { status: { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } } },
    });
    assert.equal(main.status, 200, main.text);
    const after2 = main.json as { status: { loadBalancer: { ingress: { ip: string }[] } } };
    assert.equal(after2.status.loadBalancer.ingress[0]?.ip, '203.0.113.1');
    const get = await apiRequest(api, { path: `${base}/status` });
    assert.equal((get.json as Json).metadata['name'], 's');
  });

  test('a resource without a status subresource answers 404 there', async () => {
    const ns = await namespace();
    const r = await apiRequest(api, { path: `/api/v1/namespaces/${ns}/configmaps/x/status` });
    assert.equal(r.status, 404);
  });
});

describe('scale', () => {
  test('GET, merge PATCH and PUT without Content-Type on an RC scale', async () => {
    const ns = await namespace();
    const c = await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/replicationcontrollers`,
      body: rc('kubia', 3),
    });
    assert.equal(c.status, 201, c.text);
    const path = `/api/v1/namespaces/${ns}/replicationcontrollers/kubia/scale`;
    const s = (await apiRequest(api, { path })).json as Json & {
      spec: { replicas: number };
      status: { replicas: number; selector: string };
    };
    assert.equal(s['kind'], 'Scale');
    assert.equal(s['apiVersion'], 'autoscaling/v1');
    assert.equal(s.spec.replicas, 3);
    assert.equal(s.status.selector, 'app=kubia');
    const p = await apiRequest(api, {
      method: 'PATCH',
      path,
      headers: merge,
      body: { spec: { replicas: 5 } },
    });
    assert.equal(p.status, 200, p.text);
    assert.equal((p.json as { spec: { replicas: number } }).spec.replicas, 5);
    const cur = (await apiRequest(api, { path })).json as Json;
    // kubectl scale --current-replicas: PUT with the Scale (and its resourceVersion), no Content-Type.
    const put = await apiRequest(api, {
      method: 'PUT',
      path,
      body: JSON.stringify({ ...cur, spec: { replicas: 2 } }),
      headers: { 'content-type': '' },
    });
    assert.equal(put.status, 200, put.text);
    const stale = await apiRequest(api, {
      method: 'PUT',
      path,
      body: { ...cur, spec: { replicas: 1 } },
    });
    assert.equal(stale.status, 409);
    const obj = (
      await apiRequest(api, { path: `/api/v1/namespaces/${ns}/replicationcontrollers/kubia` })
    ).json as {
      spec: { replicas: number };
    };
    assert.equal(obj.spec.replicas, 2);
    const neg = await apiRequest(api, {
      method: 'PATCH',
      path,
      headers: merge,
      body: { spec: { replicas: -1 } },
    });
    assert.equal(neg.status, 422);
  });

  test('a Deployment scale has a label-selector string', async () => {
    const ns = await namespace();
    const body = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'd' } },
        template: {
          metadata: { labels: { app: 'd' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    };
    const c = await apiRequest(api, {
      method: 'POST',
      path: `/apis/apps/v1/namespaces/${ns}/deployments`,
      body,
    });
    assert.equal(c.status, 201, c.text);
    const s = (
      await apiRequest(api, { path: `/apis/apps/v1/namespaces/${ns}/deployments/d/scale` })
    ).json as {
      status: { selector: string };
    };
    assert.equal(s.status.selector, 'app=d');
  });
});

describe('pods/binding and pods/eviction', () => {
  test('binding sets nodeName once; a second binding is 409', async () => {
    const ns = await namespace();
    await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/pods`,
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      },
    });
    const bind = (node: string): Promise<{ status: number; text: string; json: unknown }> =>
      apiRequest(api, {
        method: 'POST',
        path: `/api/v1/namespaces/${ns}/pods/p/binding`,
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: 'p' },
          target: { kind: 'Node', name: node },
        },
      });
    const b1 = await bind('n1');
    assert.equal(b1.status, 201, b1.text);
    const pod = (await apiRequest(api, { path: `/api/v1/namespaces/${ns}/pods/p` })).json as {
      spec: { nodeName: string };
      status: { conditions: { type: string; status: string }[] };
    };
    assert.equal(pod.spec.nodeName, 'n1');
    assert.ok(pod.status.conditions.some((c) => c.type === 'PodScheduled' && c.status === 'True'));
    const b2 = await bind('n2');
    assert.equal(b2.status, 409);
    assert.equal(
      (b2.json as { message: string }).message,
      'Operation cannot be fulfilled on pods/binding "p": pod p is already assigned to node "n1"',
    );
  });

  test('eviction deletes the pod', async () => {
    const ns = await namespace();
    await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/pods`,
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'e' },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      },
    });
    const r = await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/pods/e/eviction`,
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'e' } },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal((await apiRequest(api, { path: `/api/v1/namespaces/${ns}/pods/e` })).status, 404);
  });
});

describe('namespaces', () => {
  test('deleting a namespace makes it Terminating; creates in it are 403; finalize removes it', async () => {
    const ns = await namespace();
    await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } },
    });
    const d = await apiRequest(api, { method: 'DELETE', path: `/api/v1/namespaces/${ns}` });
    assert.equal(d.status, 200, d.text);
    const term = d.json as Json & { status: { phase: string }; spec: { finalizers: string[] } };
    assert.equal(term.status.phase, 'Terminating');
    assert.ok(term.metadata['deletionTimestamp']);
    assert.deepEqual(term.spec.finalizers, ['kubernetes']);
    const create = await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/configmaps`,
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } },
    });
    assert.equal(create.status, 403);
    assert.equal(
      (create.json as { message: string }).message,
      `configmaps "b" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
    );
    // What the namespace controller does once the content is gone.
    const fin = await apiRequest(api, {
      method: 'PUT',
      path: `/api/v1/namespaces/${ns}/finalize`,
      body: { ...term, spec: { finalizers: [] } },
    });
    assert.equal(fin.status, 200, fin.text);
    assert.equal((await apiRequest(api, { path: `/api/v1/namespaces/${ns}` })).status, 404);
  });
});

describe('extensions/v1beta1 Ingress', () => {
  test('is stored as networking.k8s.io/v1 and served in both versions', async () => {
    const ns = await namespace();
    const c = await apiRequest(api, {
      method: 'POST',
      path: `/apis/extensions/v1beta1/namespaces/${ns}/ingresses`,
      body: {
        apiVersion: 'extensions/v1beta1',
        kind: 'Ingress',
        metadata: { name: 'kubia' },
        spec: {
          rules: [
            {
              host: 'kubia.example.com',
              http: {
                paths: [{ path: '/', backend: { serviceName: 'kubia-nodeport', servicePort: 80 } }],
              },
            },
          ],
        },
      },
    });
    assert.equal(c.status, 201, c.text);
    assert.equal((c.json as Json)['apiVersion'], 'extensions/v1beta1');
    const v1 = (
      await apiRequest(api, { path: `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/kubia` })
    ).json as {
      apiVersion: string;
      spec: {
        rules: {
          http: {
            paths: {
              pathType: string;
              backend: { service: { name: string; port: { number: number } } };
            }[];
          };
        }[];
      };
    };
    assert.equal(v1.apiVersion, 'networking.k8s.io/v1');
    const p = v1.spec.rules[0]?.http.paths[0];
    assert.deepEqual(p?.backend, { service: { name: 'kubia-nodeport', port: { number: 80 } } });
    assert.equal(p?.pathType, 'ImplementationSpecific');
    const list = (
      await apiRequest(api, { path: `/apis/extensions/v1beta1/namespaces/${ns}/ingresses` })
    ).json as {
      items: {
        apiVersion: string;
        spec: { rules: { http: { paths: { backend: unknown }[] } }[] };
      }[];
    };
    assert.equal(list.items[0]?.apiVersion, 'extensions/v1beta1');
    assert.deepEqual(list.items[0]?.spec.rules[0]?.http.paths[0]?.backend, {
      serviceName: 'kubia-nodeport',
      servicePort: 80,
    });
  });
});

describe('built-in objects', () => {
  test('the built-in namespaces exist', async () => {
    const l = (await apiRequest(api, { path: '/api/v1/namespaces' })).json as { items: Json[] };
    const names = l.items.map((i) => i.metadata['name']);
    for (const want of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
      assert.ok(names.includes(want), want);
  });

  test('default/kubernetes has 10.96.0.1, port https 443 → the secure port, and endpoints at the advertise address', async () => {
    const svc = (await apiRequest(api, { path: '/api/v1/namespaces/default/services/kubernetes' }))
      .json as {
      spec: {
        clusterIP: string;
        ports: { name: string; port: number; targetPort: number }[];
        selector?: unknown;
      };
    };
    assert.equal(svc.spec.clusterIP, '10.96.0.1');
    assert.deepEqual(
      svc.spec.ports.map((p) => [p.name, p.port, p.targetPort]),
      [['https', 443, api.port]],
    );
    assert.equal(svc.spec.selector, undefined);
    const ep = (await apiRequest(api, { path: '/api/v1/namespaces/default/endpoints/kubernetes' }))
      .json as {
      subsets: { addresses: { ip: string }[]; ports: { port: number }[] }[];
    };
    assert.equal(ep.subsets[0]?.addresses[0]?.ip, '192.0.2.1');
    assert.equal(ep.subsets[0]?.ports[0]?.port, api.port);
    const slices = (
      await apiRequest(api, {
        path: '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dkubernetes',
      })
    ).json as {
      items: { endpoints: { addresses: string[] }[]; ports: { port: number; name: string }[] }[];
    };
    assert.deepEqual(slices.items[0]?.endpoints[0]?.addresses, ['192.0.2.1']);
    assert.deepEqual(
      slices.items[0]?.ports.map((p) => [p.name, p.port]),
      [['https', api.port]],
    );
  });

  test('a deleted kubernetes Endpoints comes back', async () => {
    const d = await apiRequest(api, {
      method: 'DELETE',
      path: '/api/v1/namespaces/default/endpoints/kubernetes',
    });
    assert.equal(d.status, 200, d.text);
    await waitFor(
      async () =>
        (await apiRequest(api, { path: '/api/v1/namespaces/default/endpoints/kubernetes' }))
          .status === 200,
      {
        what: 'the kubernetes Endpoints to be recreated',
        timeoutMs: 5000,
      },
    );
  });

  test('events older than the TTL are swept', async () => {
    const ns = await namespace();
    const ev = (name: string, lastTimestamp: string): Record<string, unknown> => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name },
      involvedObject: { kind: 'Pod', name: 'p', namespace: ns },
      reason: 'Test',
      message: 'm',
      type: 'Normal',
      firstTimestamp: lastTimestamp,
      lastTimestamp,
      count: 1,
      source: { component: 'test' },
    });
    const now = Date.now();
    const r1 = await apiRequest(api, {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/events`,
      body: ev('fresh', new Date(now).toISOString().replace(/\.\d+Z$/, 'Z')),
    });
    assert.equal(r1.status, 201, r1.text);
    // The sweep runs with a clock two hours ahead: both are old then; with one minute, none.
    assert.equal(await sweepEvents(api.server.registry, now + 60_000, 3600_000), 0);
    const swept = await sweepEvents(api.server.registry, now + 2 * 3600_000, 3600_000);
    assert.ok(swept >= 1);
    assert.equal(
      (await apiRequest(api, { path: `/api/v1/namespaces/${ns}/events/fresh` })).status,
      404,
    );
  });
});

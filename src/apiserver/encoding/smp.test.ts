import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isApiError } from '../../api/meta/status.js';
import { applyStrategicMergePatch } from './smp.js';

interface Case {
  name: string;
  type: string;
  original: unknown;
  patch: unknown;
  want?: unknown;
  /** HTTP code of the expected error. */
  code?: number;
  message?: RegExp;
}

const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

const cases: Case[] = [
  // ---- golden bodies recorded from kubectl 1.32 (kubectl-compat §9) ----
  {
    name: 'kubectl apply: a second service port, a label and session affinity',
    type: 'core.v1.Service',
    original: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubia', annotations: { [lastApplied]: '{"old":1}\n' } },
      spec: {
        clusterIP: '10.96.0.20',
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
        selector: { app: 'kubia' },
        sessionAffinity: 'None',
        type: 'ClusterIP',
      },
    },
    patch: {
      metadata: { annotations: { [lastApplied]: '{"new":1}\n' }, labels: { tier: 'web' } },
      spec: {
        '$setElementOrder/ports': [{ port: 80 }, { port: 443 }],
        ports: [
          { name: 'http', port: 80 },
          { name: 'https', port: 443, targetPort: 8443 },
        ],
        sessionAffinity: 'ClientIP',
      },
    },
    want: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kubia',
        annotations: { [lastApplied]: '{"new":1}\n' },
        labels: { tier: 'web' },
      },
      spec: {
        clusterIP: '10.96.0.20',
        ports: [
          { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
          { name: 'https', port: 443, targetPort: 8443 },
        ],
        selector: { app: 'kubia' },
        sessionAffinity: 'ClientIP',
        type: 'ClusterIP',
      },
    },
  },
  {
    name: 'kubectl apply: the RC container image change keeps the other container fields',
    type: 'core.v1.ReplicationController',
    original: {
      spec: {
        replicas: 3,
        selector: { app: 'kubia' },
        template: {
          metadata: { labels: { app: 'kubia' } },
          spec: {
            containers: [
              {
                name: 'kubia',
                image: 'luksa/kubia',
                ports: [{ containerPort: 8080, protocol: 'TCP' }],
                imagePullPolicy: 'Always',
              },
            ],
            restartPolicy: 'Always',
          },
        },
      },
    },
    patch: {
      spec: {
        replicas: 2,
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'kubia' }],
            containers: [{ image: 'luksa/kubia:v2', name: 'kubia' }],
          },
        },
      },
    },
    want: {
      spec: {
        replicas: 2,
        selector: { app: 'kubia' },
        template: {
          metadata: { labels: { app: 'kubia' } },
          spec: {
            containers: [
              {
                name: 'kubia',
                image: 'luksa/kubia:v2',
                ports: [{ containerPort: 8080, protocol: 'TCP' }],
                imagePullPolicy: 'Always',
              },
            ],
            restartPolicy: 'Always',
          },
        },
      },
    },
  },
  // ---- semantics ----
  {
    name: 'null deletes a key; maps merge',
    type: 'core.v1.Service',
    original: {
      metadata: { labels: { a: '1', b: '2' } },
      spec: { type: 'NodePort', externalTrafficPolicy: 'Local' },
    },
    patch: { metadata: { labels: { a: null, c: '3' } }, spec: { externalTrafficPolicy: null } },
    want: { metadata: { labels: { b: '2', c: '3' } }, spec: { type: 'NodePort' } },
  },
  {
    name: 'a list without merge strategy is replaced (endpoints subsets)',
    type: 'core.v1.Endpoints',
    original: { subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }] },
    patch: {
      subsets: [{ addresses: [{ ip: '10.0.0.25' }], ports: [{ name: 'http-test', port: 8080 }] }],
    },
    want: {
      subsets: [{ addresses: [{ ip: '10.0.0.25' }], ports: [{ name: 'http-test', port: 8080 }] }],
    },
  },
  {
    name: 'service ports merge by port; patch order wins over later server-only ports',
    type: 'core.v1.Service',
    original: { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 81 }] } },
    patch: { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 82 }] } },
    want: { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 82 }, { port: 81 }] } },
  },
  {
    name: '$patch: delete removes a list element by merge key',
    type: 'core.v1.Service',
    original: { spec: { ports: [{ port: 80 }, { port: 443 }] } },
    patch: { spec: { ports: [{ $patch: 'delete', port: 80 }] } },
    want: { spec: { ports: [{ port: 443 }] } },
  },
  {
    name: '$patch: replace in a list replaces the whole list',
    type: 'core.v1.Service',
    original: { spec: { ports: [{ port: 80 }, { port: 443, name: 'https' }] } },
    patch: { spec: { ports: [{ port: 8080 }, { $patch: 'replace' }] } },
    want: { spec: { ports: [{ port: 8080 }] } },
  },
  {
    name: '$patch: replace in a map replaces the map',
    type: 'core.v1.Service',
    original: { spec: { selector: { app: 'a', tier: 'b' }, type: 'ClusterIP' } },
    patch: { spec: { selector: { app: 'c', $patch: 'replace' } } },
    want: { spec: { selector: { app: 'c' }, type: 'ClusterIP' } },
  },
  {
    name: '$patch: delete on a map empties it',
    type: 'core.v1.Pod',
    original: { metadata: { labels: { a: '1' } }, spec: { nodeSelector: { disk: 'ssd' } } },
    patch: { spec: { nodeSelector: { $patch: 'delete' } } },
    want: { metadata: { labels: { a: '1' } }, spec: { nodeSelector: {} } },
  },
  {
    name: '$patch: merge on a map is rejected as kube does',
    type: 'core.v1.Pod',
    original: { spec: {} },
    patch: { spec: { $patch: 'merge' } },
    code: 400,
    message: /unknown patch type: merge in map/,
  },
  {
    name: 'containers merge by name, env by name, ports by containerPort, mounts by mountPath',
    type: 'core.v1.Pod',
    original: {
      spec: {
        containers: [
          {
            name: 'app',
            image: 'a:1',
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
            ports: [{ containerPort: 80, name: 'http' }],
            volumeMounts: [{ name: 'v', mountPath: '/data' }],
          },
          { name: 'sidecar', image: 's:1' },
        ],
      },
    },
    patch: {
      spec: {
        containers: [
          {
            name: 'app',
            env: [
              { name: 'B', value: '3' },
              { name: 'C', value: '4' },
            ],
            ports: [{ containerPort: 80, protocol: 'TCP' }],
            volumeMounts: [{ mountPath: '/data', readOnly: true }],
          },
        ],
      },
    },
    want: {
      spec: {
        containers: [
          {
            name: 'app',
            image: 'a:1',
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '3' },
              { name: 'C', value: '4' },
            ],
            ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
            volumeMounts: [{ name: 'v', mountPath: '/data', readOnly: true }],
          },
          { name: 'sidecar', image: 's:1' },
        ],
      },
    },
  },
  {
    name: '$setElementOrder reorders; a server-only item goes before the later-ordered ones',
    type: 'core.v1.Container',
    original: { env: [{ name: 'A' }, { name: 'B' }, { name: 'X' }, { name: 'C' }] },
    patch: { '$setElementOrder/env': [{ name: 'C' }, { name: 'B' }, { name: 'A' }] },
    want: { env: [{ name: 'X' }, { name: 'C' }, { name: 'B' }, { name: 'A' }] },
  },
  {
    name: 'finalizers merge as a set; $deleteFromPrimitiveList removes',
    type: 'core.v1.Service',
    original: { metadata: { finalizers: ['a', 'b'] } },
    patch: { metadata: { finalizers: ['c', 'a'], '$deleteFromPrimitiveList/finalizers': ['b'] } },
    want: { metadata: { finalizers: ['c', 'a'] } },
  },
  {
    name: '$deleteFromPrimitiveList on a missing list is a no-op',
    type: 'core.v1.Service',
    original: { metadata: {} },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } },
    want: { metadata: {} },
  },
  {
    name: '$retainKeys on a volume switches its source',
    type: 'core.v1.PodSpec',
    original: { volumes: [{ name: 'v', emptyDir: {} }] },
    patch: {
      volumes: [{ name: 'v', hostPath: { path: '/x' }, $retainKeys: ['hostPath', 'name'] }],
    },
    want: { volumes: [{ name: 'v', hostPath: { path: '/x' } }] },
  },
  {
    name: '$retainKeys must name every key the patch sets',
    type: 'core.v1.PodSpec',
    original: { volumes: [{ name: 'v', emptyDir: {} }] },
    patch: { volumes: [{ name: 'v', hostPath: { path: '/x' }, $retainKeys: ['name'] }] },
    code: 400,
    message: /invalid patch format of retainKeys/,
  },
  {
    name: 'deployment strategy retains keys',
    type: 'apps.v1.DeploymentSpec',
    original: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } },
    patch: { strategy: { type: 'Recreate', $retainKeys: ['type'], rollingUpdate: null } },
    want: { strategy: { type: 'Recreate' } },
  },
  {
    name: 'a merged list item without its merge key is rejected',
    type: 'core.v1.Service',
    original: { spec: { ports: [{ port: 80 }] } },
    patch: { spec: { ports: [{ name: 'x' }] } },
    code: 400,
    message: /does not contain declared merge key: port/,
  },
  {
    name: 'a $setElementOrder list that contradicts the patch list is rejected',
    type: 'core.v1.Service',
    original: { spec: { ports: [{ port: 80 }, { port: 81 }] } },
    patch: {
      spec: {
        '$setElementOrder/ports': [{ port: 81 }, { port: 80 }],
        ports: [{ port: 80 }, { port: 81 }],
      },
    },
    code: 400,
    message: /doesn't match \$setElementOrder list/,
  },
  {
    name: 'lists of lists are unprocessable',
    type: 'core.v1.PodSpec',
    original: { containers: [[1]] },
    patch: { containers: [[2]] },
    code: 422,
  },
  {
    name: 'directives and nulls inside newly added values are dropped',
    type: 'core.v1.Service',
    original: { spec: {} },
    patch: {
      spec: {
        ports: [
          { port: 80, name: null },
          { $patch: 'delete', port: 81 },
        ],
        selector: { a: null, b: 'c' },
      },
    },
    want: { spec: { ports: [{ port: 80 }], selector: { b: 'c' } } },
  },
  {
    name: 'a patch that is not an object is rejected',
    type: 'core.v1.Service',
    original: {},
    patch: [1],
    code: 400,
  },
];

describe('applyStrategicMergePatch', () => {
  for (const c of cases) {
    it(c.name, () => {
      const frozen = structuredClone(c.original);
      if (c.code !== undefined) {
        assert.throws(
          () => applyStrategicMergePatch(c.original, c.patch, c.type),
          (e: unknown) => {
            assert.ok(isApiError(e), String(e));
            assert.equal(e.httpStatus, c.code);
            const text = `${e.status.message ?? ''} ${JSON.stringify(e.status.details ?? {})}`;
            if (c.message) assert.match(text, c.message);
            return true;
          },
        );
        return;
      }
      assert.deepEqual(applyStrategicMergePatch(c.original, c.patch, c.type), c.want);
      assert.deepEqual(c.original, frozen, 'the original is not modified');
    });
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExtensionsIngress } from '../types/extensions.js';
import type { Ingress } from '../types/networking.js';
import { ingressV1beta1ToV1, ingressV1ToV1beta1 } from './ingress.js';

/** The Kubernetes in Action ingress (kubia-ingress-tls.yaml). */
const seed: ExtensionsIngress = {
  apiVersion: 'extensions/v1beta1',
  kind: 'Ingress',
  metadata: { name: 'kubia', namespace: 'default' },
  spec: {
    tls: [{ hosts: ['kubia.example.com'], secretName: 'tls-secret' }],
    rules: [
      {
        host: 'kubia.example.com',
        http: {
          paths: [{ path: '/', backend: { serviceName: 'kubia-nodeport', servicePort: 80 } }],
        },
      },
    ],
  },
};

describe('ingress conversion', () => {
  it('converts the seed ingress to networking.k8s.io/v1, defaulting pathType', () => {
    const frozen = structuredClone(seed);
    assert.deepEqual(ingressV1beta1ToV1(seed), {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'kubia', namespace: 'default' },
      spec: {
        tls: [{ hosts: ['kubia.example.com'], secretName: 'tls-secret' }],
        rules: [
          {
            host: 'kubia.example.com',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'ImplementationSpecific',
                  backend: { service: { name: 'kubia-nodeport', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    });
    assert.deepEqual(seed, frozen, 'input untouched');
  });

  const backends: {
    name: string;
    v1beta1: NonNullable<ExtensionsIngress['spec']>;
    v1: Ingress['spec'];
  }[] = [
    {
      name: 'a named port and a default backend',
      v1beta1: { backend: { serviceName: 'web', servicePort: 'http' }, ingressClassName: 'nginx' },
      v1: {
        defaultBackend: { service: { name: 'web', port: { name: 'http' } } },
        ingressClassName: 'nginx',
      },
    },
    {
      name: 'a resource backend',
      v1beta1: {
        rules: [
          {
            http: {
              paths: [
                {
                  path: '/s',
                  pathType: 'Prefix',
                  backend: {
                    resource: {
                      apiGroup: 'k8s.example.com',
                      kind: 'StorageBucket',
                      name: 'static',
                    },
                  },
                },
              ],
            },
          },
        ],
      },
      v1: {
        rules: [
          {
            http: {
              paths: [
                {
                  path: '/s',
                  pathType: 'Prefix',
                  backend: {
                    resource: {
                      apiGroup: 'k8s.example.com',
                      kind: 'StorageBucket',
                      name: 'static',
                    },
                  },
                },
              ],
            },
          },
        ],
      },
    },
  ];
  for (const b of backends) {
    it(`round-trips ${b.name}`, () => {
      const legacy: ExtensionsIngress = {
        apiVersion: 'extensions/v1beta1',
        kind: 'Ingress',
        metadata: { name: 'x' },
        spec: b.v1beta1,
      };
      const v1 = ingressV1beta1ToV1(legacy);
      assert.deepEqual(v1.spec, b.v1);
      assert.deepEqual(ingressV1ToV1beta1(v1), legacy);
    });
  }

  it('keeps metadata and status and converts v1 back with integer ports', () => {
    const v1: Ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'x', uid: 'u', resourceVersion: '5', labels: { a: 'b' } },
      spec: {
        rules: [
          {
            host: 'h',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Exact',
                  backend: { service: { name: 's', port: { number: 8080 } } },
                },
              ],
            },
          },
        ],
      },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } },
    };
    const legacy = ingressV1ToV1beta1(v1);
    assert.equal(legacy.apiVersion, 'extensions/v1beta1');
    assert.deepEqual(legacy.metadata, v1.metadata);
    assert.deepEqual(legacy.status, v1.status);
    assert.deepEqual(legacy.spec?.rules?.[0]?.http?.paths[0]?.backend, {
      serviceName: 's',
      servicePort: 8080,
    });
    assert.deepEqual(ingressV1beta1ToV1(legacy), v1);
  });
});

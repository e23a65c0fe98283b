import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extensionsIngresses, resources } from '../../api/scheme.js';
import {
  base64ErrorOffset,
  pruneUnknownFields,
  strictDecodingMessage,
  typeError,
  unknownFields,
} from './strict.js';

const svc = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'kubia' },
  spec,
  ...extra,
});

describe('unknownFields', () => {
  const cases: {
    name: string;
    rt: (typeof resources)[keyof typeof resources];
    obj: unknown;
    want: string[];
  }[] = [
    {
      name: 'a valid service has none',
      rt: resources.services,
      obj: svc({ selector: { app: 'kubia' }, ports: [{ port: 80, targetPort: 8080 }] }),
      want: [],
    },
    {
      name: 'a misspelled spec field',
      rt: resources.services,
      obj: svc({ portz: [{ port: 80 }] }),
      want: ['spec.portz'],
    },
    {
      name: 'a field inside a list item',
      rt: resources.services,
      obj: svc({ ports: [{ port: 80 }, { port: 81, bogus: 1 }] }),
      want: ['spec.ports[1].bogus'],
    },
    {
      name: 'metadata and top-level fields, in document order',
      rt: resources.services,
      obj: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a', nmae: 'b' }, extra: 1 },
      want: ['metadata.nmae', 'extra'],
    },
    {
      name: 'map values are not fields',
      rt: resources.services,
      obj: svc({ selector: { anything: 'goes', 'app.kubernetes.io/name': 'x' } }),
      want: [],
    },
    {
      name: 'inline volume sources are known; their typos are not',
      rt: resources.pods,
      obj: {
        spec: {
          containers: [{ name: 'c', image: 'busybox', resources: { limits: { cpu: '1' } } }],
          volumes: [
            { name: 'v', emptyDir: {} },
            { name: 'w', hostPath: { path: '/x', typ: 'y' } },
          ],
        },
      },
      want: ['spec.volumes[1].hostPath.typ'],
    },
    {
      name: 'a real-world deployment with probes, affinity and topology spread',
      rt: resources.deployments,
      obj: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          strategy: {
            type: 'RollingUpdate',
            rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 },
          },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              affinity: {
                podAntiAffinity: {
                  preferredDuringSchedulingIgnoredDuringExecution: [
                    {
                      weight: 100,
                      podAffinityTerm: {
                        topologyKey: 'kubernetes.io/hostname',
                        labelSelector: { matchLabels: { app: 'web' } },
                      },
                    },
                  ],
                },
              },
              topologySpreadConstraints: [
                { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' },
              ],
              securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [
                {
                  name: 'web',
                  image: 'nginx:1.27',
                  ports: [{ containerPort: 80, name: 'http' }],
                  readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
                  resources: { requests: { cpu: '100m', memory: '64Mi' } },
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    capabilities: { drop: ['ALL'] },
                  },
                },
              ],
            },
          },
        },
      },
      want: [],
    },
    {
      name: 'the legacy extensions/v1beta1 ingress of the seeds',
      rt: extensionsIngresses,
      obj: {
        apiVersion: 'extensions/v1beta1',
        kind: 'Ingress',
        metadata: { name: 'kubia' },
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
      },
      want: [],
    },
    {
      name: 'networking/v1 ingress does not know serviceName',
      rt: resources.ingresses,
      obj: {
        spec: { rules: [{ http: { paths: [{ path: '/', backend: { serviceName: 'x' } }] } }] },
      },
      want: ['spec.rules[0].http.paths[0].backend.serviceName'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(unknownFields(c.rt, c.obj), c.want));
  }

  it('pruneUnknownFields drops exactly the unknown fields', () => {
    const obj = svc({ portz: 1, ports: [{ port: 80, bogus: true }], type: 'NodePort' });
    pruneUnknownFields(resources.services, obj);
    assert.deepEqual(obj.spec, { ports: [{ port: 80 }], type: 'NodePort' });
  });

  it('formats the strict decoding message as kube does', () => {
    assert.equal(
      strictDecodingMessage(['spec.portz'], ['metadata.name']),
      'strict decoding error: duplicate field "metadata.name", unknown field "spec.portz"',
    );
  });
});

describe('typeError', () => {
  const cases: { name: string; obj: unknown; want: string | undefined }[] = [
    { name: 'valid', obj: svc({ ports: [{ port: 80, targetPort: 'http' }] }), want: undefined },
    {
      name: 'a string where an int32 goes',
      obj: svc({ ports: [{ port: '80' }] }),
      want: 'json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32',
    },
    {
      name: 'a fraction where an int32 goes',
      obj: svc({ ports: [{ port: 80.5 }] }),
      want: 'json: cannot unmarshal number 80.5 into Go struct field ServicePort.spec.ports.port of type int32',
    },
    {
      name: 'an object where a list goes',
      obj: svc({ ports: { port: 80 } }),
      want: 'json: cannot unmarshal object into Go struct field ServiceSpec.spec.ports of type []v1.ServicePort',
    },
    {
      name: 'a number in a string map',
      obj: svc({ selector: { app: 1 } }),
      want: 'json: cannot unmarshal number into Go struct field ServiceSpec.spec.selector of type string',
    },
    {
      name: 'a boolean targetPort',
      obj: svc({ ports: [{ port: 80, targetPort: true }] }),
      want: 'json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort of type intstr.IntOrString',
    },
    { name: 'null is the zero value', obj: svc({ ports: null, selector: null }), want: undefined },
    {
      name: 'a body that is not an object',
      obj: [1],
      want: 'json: cannot unmarshal array into Go value of type v1.Service',
    },
    {
      name: 'creationTimestamp null is fine; a bad time is not',
      obj: { metadata: { name: 'x', creationTimestamp: 'yesterday' } },
      want: 'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"',
    },
  ];
  for (const c of cases)
    it(c.name, () => assert.equal(typeError(resources.services, c.obj), c.want));

  it('checks quantities and base64', () => {
    const pod = (q: unknown) => ({
      spec: { containers: [{ name: 'c', resources: { limits: { memory: q } } }] },
    });
    assert.equal(typeError(resources.pods, pod('64Mi')), undefined);
    assert.equal(typeError(resources.pods, pod(1)), undefined);
    assert.match(typeError(resources.pods, pod('lots')) ?? '', /quantities must match/);
    assert.equal(typeError(resources.secrets, { data: { a: 'aGk=' } }), undefined);
    assert.equal(
      typeError(resources.secrets, { data: { a: 'hi!!' } }),
      'illegal base64 data at input byte 2',
    );
    assert.equal(base64ErrorOffset('aGk'), 0);
  });
});

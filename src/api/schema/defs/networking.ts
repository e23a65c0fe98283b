/**
 * networking.k8s.io/v1 Ingress and IngressClass.
 * Field tables in the schema language of ../dsl.ts, following the Kubernetes v1.32 API
 * (k8s.io/api v0.32): JSON name, type, protobuf field number, list and patch semantics.
 * A data table: long by nature.
 */
import type { TypeDefs } from '../dsl.js';

export const networkingTypes: TypeDefs = {
  HTTPIngressPath: {
    required: ['pathType', 'backend'],
    fields: {
      path: 'string 1',
      pathType: '*string 3',
      backend: 'IngressBackend 2 !',
    },
  },
  HTTPIngressRuleValue: {
    required: ['paths'],
    fields: {
      paths: '[]HTTPIngressPath 1 ! atomic',
    },
  },
  Ingress: {
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1',
      spec: 'IngressSpec 2',
      status: 'IngressStatus 3',
    },
  },
  IngressBackend: {
    fields: {
      service: '*IngressServiceBackend 4',
      resource: '*core.v1.TypedLocalObjectReference 3',
    },
  },
  IngressClass: {
    fields: {
      apiVersion: 'string -',
      kind: 'string -',
      metadata: 'meta.v1.ObjectMeta 1',
      spec: 'IngressClassSpec 2',
    },
  },
  IngressClassParametersReference: {
    required: ['kind', 'name'],
    fields: {
      apiGroup: '*string 1',
      kind: 'string 2 !',
      name: 'string 3 !',
      scope: '*string 4',
      namespace: '*string 5',
    },
  },
  IngressClassSpec: {
    fields: {
      controller: 'string 1',
      parameters: '*IngressClassParametersReference 2',
    },
  },
  IngressLoadBalancerIngress: {
    fields: {
      ip: 'string 1',
      hostname: 'string 2',
      ports: '[]IngressPortStatus 4 atomic',
    },
  },
  IngressLoadBalancerStatus: {
    fields: {
      ingress: '[]IngressLoadBalancerIngress 1 atomic',
    },
  },
  IngressPortStatus: {
    required: ['port', 'protocol'],
    fields: {
      port: 'int32 1 !',
      protocol: 'string 2 !',
      error: '*string 3',
    },
  },
  IngressRule: {
    inline: ['IngressRuleValue 2'],
    fields: {
      host: 'string 1',
    },
  },
  IngressRuleValue: {
    fields: {
      http: '*HTTPIngressRuleValue 1',
    },
  },
  IngressServiceBackend: {
    required: ['name'],
    fields: {
      name: 'string 1 !',
      port: 'ServiceBackendPort 2',
    },
  },
  IngressSpec: {
    fields: {
      ingressClassName: '*string 4',
      defaultBackend: '*IngressBackend 1',
      tls: '[]IngressTLS 2 atomic',
      rules: '[]IngressRule 3 atomic',
    },
  },
  IngressStatus: {
    fields: {
      loadBalancer: 'IngressLoadBalancerStatus 1',
    },
  },
  IngressTLS: {
    fields: {
      hosts: '[]string 1 atomic',
      secretName: 'string 2',
    },
  },
  ServiceBackendPort: {
    atomic: true,
    fields: {
      name: 'string 1',
      number: 'int32 2',
    },
  },
};

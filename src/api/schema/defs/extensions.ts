/**
 * extensions/v1beta1 Ingress: the legacy shape of the seeds (serviceName/servicePort).
 * Field tables in the schema language of ../dsl.ts, following the Kubernetes v1.32 API
 * (k8s.io/api v0.32): JSON name, type, protobuf field number, list and patch semantics.
 * A data table: long by nature.
 */
import type { TypeDefs } from '../dsl.js';

export const extensionsTypes: TypeDefs = {
  HTTPIngressPath: {
    required: ['backend'],
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
      serviceName: 'string 1',
      servicePort: 'intstr 2',
      resource: '*core.v1.TypedLocalObjectReference 3',
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
  IngressSpec: {
    fields: {
      ingressClassName: '*string 4',
      backend: '*IngressBackend 1',
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
};

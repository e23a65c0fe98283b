/**
 * Short descriptions for OpenAPI and `kubectl explain`, in our own words: the kinds and the fields
 * Service networking users read most. Keys are `pkg.Type` or `pkg.Type.field`.
 */
export const descriptions: Readonly<Record<string, string>> = {
  // ---- meta/v1 ----
  'meta.v1.ObjectMeta':
    'Metadata every persisted object carries: name, namespace, labels and the bookkeeping the server maintains.',
  'meta.v1.ObjectMeta.name':
    'Unique name of the object within its namespace. Cannot be changed after creation.',
  'meta.v1.ObjectMeta.generateName':
    'Prefix from which the server generates a unique name when name is empty.',
  'meta.v1.ObjectMeta.namespace': 'Namespace of the object; empty for cluster-scoped kinds.',
  'meta.v1.ObjectMeta.uid': 'Unique identifier assigned by the server at creation. Read-only.',
  'meta.v1.ObjectMeta.resourceVersion':
    'Opaque version of the object, used for optimistic concurrency and watches. Read-only.',
  'meta.v1.ObjectMeta.generation': 'Sequence number of changes to the desired state. Read-only.',
  'meta.v1.ObjectMeta.creationTimestamp':
    'Time the server created the object (RFC 3339, UTC). Read-only.',
  'meta.v1.ObjectMeta.deletionTimestamp':
    'Time after which the object will be deleted; set when a graceful deletion is requested. Read-only.',
  'meta.v1.ObjectMeta.labels':
    'Key/value pairs used to organize and select objects (services select pods by label).',
  'meta.v1.ObjectMeta.annotations': 'Arbitrary non-identifying metadata for tools and humans.',
  'meta.v1.ObjectMeta.ownerReferences':
    'Objects this one depends on; the garbage collector deletes it when all owners are gone.',
  'meta.v1.ObjectMeta.finalizers':
    'Keys that must be removed before the object is deleted from storage.',
  'meta.v1.ObjectMeta.managedFields':
    'Which field manager set which fields, for server-side apply. Usually hidden by clients.',
  'meta.v1.LabelSelector':
    'A label query: matchLabels and matchExpressions are ANDed; an empty selector matches everything.',
  'meta.v1.LabelSelector.matchLabels': 'Labels that must all be present with exactly these values.',
  'meta.v1.LabelSelector.matchExpressions':
    'Set-based requirements (In, NotIn, Exists, DoesNotExist).',

  // ---- core/v1 Service ----
  'core.v1.Service':
    'A Service gives a set of pods one stable virtual IP, DNS name and ports, and load-balances connections across them.',
  'core.v1.Service.apiVersion': 'Versioned schema of this representation of an object.',
  'core.v1.Service.kind': 'The REST resource this object represents.',
  'core.v1.Service.metadata': 'Standard object metadata.',
  'core.v1.Service.spec': 'Desired behaviour of the service.',
  'core.v1.Service.status':
    'Most recently observed status of the service (load balancer addresses). Read-only.',
  'core.v1.ServiceSpec':
    'Desired behaviour of a service: its type, ports, selector and traffic policies.',
  'core.v1.ServiceSpec.ports':
    'The ports the service exposes. Each has a port, a protocol and the targetPort on the pods.',
  'core.v1.ServiceSpec.selector':
    'Pods with all these labels become endpoints. Without a selector, endpoints are managed by hand.',
  'core.v1.ServiceSpec.clusterIP':
    'Virtual IP of the service; allocated from the service CIDR when empty; "None" makes a headless service.',
  'core.v1.ServiceSpec.clusterIPs':
    'All cluster IPs of the service (one per IP family); clusterIPs[0] equals clusterIP.',
  'core.v1.ServiceSpec.type':
    'How the service is exposed: ClusterIP (default), NodePort, LoadBalancer or ExternalName.',
  'core.v1.ServiceSpec.externalIPs':
    'Extra addresses on which nodes accept traffic for this service.',
  'core.v1.ServiceSpec.sessionAffinity':
    'ClientIP sends each client to the same endpoint; None (default) balances every connection.',
  'core.v1.ServiceSpec.loadBalancerIP':
    'Deprecated: requested load balancer address, where the provider supports it.',
  'core.v1.ServiceSpec.loadBalancerSourceRanges': 'Client CIDRs allowed through the load balancer.',
  'core.v1.ServiceSpec.externalName':
    'DNS name the service aliases (type ExternalName): cluster DNS answers with a CNAME.',
  'core.v1.ServiceSpec.externalTrafficPolicy':
    'Local keeps the client source IP and uses only node-local endpoints for external traffic; Cluster (default) uses all.',
  'core.v1.ServiceSpec.healthCheckNodePort':
    'Node port answering health checks for LoadBalancer services with externalTrafficPolicy Local.',
  'core.v1.ServiceSpec.publishNotReadyAddresses':
    'Publish endpoints of pods that are not ready (for peer discovery).',
  'core.v1.ServiceSpec.sessionAffinityConfig':
    'Settings of session affinity (the ClientIP timeout).',
  'core.v1.ServiceSpec.ipFamilies':
    'IP families of the service (IPv4, IPv6), in order of preference.',
  'core.v1.ServiceSpec.ipFamilyPolicy': 'SingleStack, PreferDualStack or RequireDualStack.',
  'core.v1.ServiceSpec.allocateLoadBalancerNodePorts':
    'Whether LoadBalancer services get node ports (default true).',
  'core.v1.ServiceSpec.loadBalancerClass':
    'Selects the load balancer implementation; the default implementation ignores classed services.',
  'core.v1.ServiceSpec.internalTrafficPolicy':
    'Local routes in-cluster traffic only to endpoints on the same node; Cluster (default) uses all.',
  'core.v1.ServiceSpec.trafficDistribution':
    'Preference for how traffic is spread over endpoints (PreferClose keeps it topologically close).',
  'core.v1.ServicePort': 'One port of a service.',
  'core.v1.ServicePort.name':
    'Name of the port; required and unique when the service has several ports. Becomes the EndpointSlice port name.',
  'core.v1.ServicePort.protocol': 'TCP (default), UDP or SCTP.',
  'core.v1.ServicePort.appProtocol':
    'Application protocol hint for implementations (e.g. http, kubernetes.io/h2c).',
  'core.v1.ServicePort.port': 'Port the service listens on (on its cluster IP).',
  'core.v1.ServicePort.targetPort':
    'Port number or named container port on the pods; defaults to port.',
  'core.v1.ServicePort.nodePort':
    'Port on every node for NodePort and LoadBalancer services; allocated when unset.',
  'core.v1.ServiceStatus': 'Observed state of a service.',
  'core.v1.ServiceStatus.loadBalancer': 'Addresses of the load balancer, if any.',
  'core.v1.SessionAffinityConfig': 'Session affinity settings.',
  'core.v1.ClientIPConfig.timeoutSeconds':
    'Seconds a ClientIP affinity sticks (1 to 86400, default 10800).',

  // ---- core/v1 Endpoints ----
  'core.v1.Endpoints':
    'The addresses and ports behind a service (legacy API; EndpointSlices supersede it).',
  'core.v1.Endpoints.subsets': 'Groups of addresses that share the same ports.',
  'core.v1.EndpointSubset': 'Addresses sharing a set of ports.',
  'core.v1.EndpointSubset.addresses': 'Ready addresses.',
  'core.v1.EndpointSubset.notReadyAddresses': 'Addresses not ready to serve traffic.',
  'core.v1.EndpointSubset.ports': 'Port numbers available on every address of the subset.',
  'core.v1.EndpointAddress.ip':
    'IP of the endpoint (no loopback, link-local or multicast addresses).',
  'core.v1.EndpointAddress.targetRef': 'The object (usually a pod) providing the endpoint.',

  // ---- other core kinds ----
  'core.v1.Pod':
    'A group of containers sharing a network namespace and storage, scheduled together on a node.',
  'core.v1.PodSpec': 'Desired state of a pod.',
  'core.v1.PodSpec.containers': 'The containers of the pod. At least one.',
  'core.v1.Container': 'One container of a pod.',
  'core.v1.Container.ports':
    'Ports the container listens on (informational; named ports can be service targetPorts).',
  'core.v1.ContainerPort.containerPort': 'Port number the container listens on.',
  'core.v1.ContainerPort.name': 'Name that service targetPorts can refer to (IANA_SVC_NAME).',
  'core.v1.Namespace': 'A scope for names; deleting it deletes everything in it.',
  'core.v1.Node': 'A machine that runs pods.',
  'core.v1.Secret': 'Sensitive data (passwords, keys, certificates) as base64-encoded values.',
  'core.v1.Secret.data': 'Values, base64-encoded.',
  'core.v1.Secret.stringData': 'Write-only plain values merged into data on write.',
  'core.v1.Secret.type': 'How the data is used (Opaque, kubernetes.io/tls, ...).',
  'core.v1.ConfigMap': 'Non-confidential configuration as key/value pairs.',
  'core.v1.Event': 'A report of something that happened to an object.',
  'core.v1.ReplicationController':
    'Keeps a number of pod replicas running (legacy; use Deployments).',
  'core.v1.ServiceAccount': 'An identity for processes running in pods.',
  'core.v1.Binding': "Binds a pod to a node (the scheduler's write).",

  // ---- more fields ----
  'core.v1.EndpointAddress': 'One address of an endpoint.',
  'core.v1.EndpointAddress.hostname':
    'Hostname of the endpoint, published in DNS for headless services.',
  'core.v1.EndpointAddress.nodeName': 'The node hosting the endpoint.',
  'core.v1.EndpointPort': 'A port of an endpoint subset.',
  'core.v1.EndpointPort.name':
    'Name of the port; must match the service port name when the service has several ports.',
  'core.v1.EndpointPort.port': 'Port number of the endpoints.',
  'core.v1.EndpointPort.protocol': 'TCP (default), UDP or SCTP.',
  'core.v1.EndpointPort.appProtocol': 'Application protocol hint (copied from the service port).',
  'discovery.v1.Endpoint': 'One endpoint: its addresses, readiness and topology.',
  'discovery.v1.Endpoint.addresses':
    'Addresses of the endpoint (one, for IP address types). Consumers use the first.',
  'discovery.v1.Endpoint.conditions': 'Readiness, serving and terminating state of the endpoint.',
  'discovery.v1.Endpoint.hostname':
    'Hostname of the endpoint, published in DNS for headless services.',
  'discovery.v1.Endpoint.targetRef': 'The object (usually a pod) providing the endpoint.',
  'discovery.v1.Endpoint.nodeName':
    'The node hosting the endpoint (used by externalTrafficPolicy and internalTrafficPolicy Local).',
  'discovery.v1.Endpoint.zone': 'The zone of the endpoint.',
  'discovery.v1.Endpoint.hints':
    'Topology hints for proxies (zones and nodes that should use this endpoint).',
  'discovery.v1.EndpointConditions.ready':
    'Ready to receive traffic (unset means ready). False while terminating.',
  'discovery.v1.EndpointConditions.serving': 'Serving traffic, whether or not terminating.',
  'discovery.v1.EndpointConditions.terminating': 'The endpoint is being deleted.',
  'discovery.v1.EndpointPort.name': 'Name of the port: the service port name, or empty.',
  'discovery.v1.EndpointPort.port': 'Port number on the endpoints.',
  'discovery.v1.EndpointPort.protocol': 'TCP (default), UDP or SCTP.',
  'networking.v1.IngressSpec': 'Desired routing of an ingress.',
  'networking.v1.IngressBackend': 'Where matching requests go: a service port, or a resource.',
  'networking.v1.IngressBackend.service': 'The backend service and port.',
  'networking.v1.IngressBackend.resource':
    'A resource of another kind handling the requests (mutually exclusive with service).',
  'networking.v1.IngressServiceBackend.name': 'Name of the service (in the ingress namespace).',
  'networking.v1.IngressServiceBackend.port': 'Port of the service, by number or by name.',
  'networking.v1.ServiceBackendPort.name': 'Name of the service port.',
  'networking.v1.ServiceBackendPort.number': 'Number of the service port.',
  'networking.v1.IngressRule.host':
    'Host the rule applies to; a leading "*." matches one DNS label. Empty matches every host.',
  'networking.v1.IngressRule.http': 'HTTP paths of the rule.',
  'networking.v1.HTTPIngressPath.path':
    'Path matched against the request path (must start with "/").',
  'networking.v1.HTTPIngressPath.backend': 'Where requests matching the path go.',
  'networking.v1.IngressTLS.hosts': 'Hosts the certificate serves (SNI).',
  'networking.v1.IngressTLS.secretName':
    'Secret (type kubernetes.io/tls) holding the certificate and key.',
  'networking.v1.IngressClassSpec.controller':
    'Name of the controller that implements the class (e.g. example.com/ingress-controller).',
  'core.v1.ObjectReference': 'A reference to another object.',
  'core.v1.LoadBalancerIngress.ip': 'IP address of the load balancer.',
  'core.v1.LoadBalancerIngress.hostname': 'DNS name of the load balancer.',
  'core.v1.LoadBalancerIngress.ipMode':
    'VIP: traffic arrives with the load balancer IP as destination; Proxy: with the node IP.',
  'core.v1.Container.name': 'Name of the container, unique in the pod (DNS label).',
  'core.v1.Container.image': 'Image to run.',
  'core.v1.Container.command':
    'Entrypoint, replacing the ENTRYPOINT of the image. Not run in a shell.',
  'core.v1.Container.args': 'Arguments to the entrypoint, replacing the CMD of the image.',
  'core.v1.Container.env':
    'Environment variables, in addition to the service variables of the namespace.',
  'core.v1.Container.readinessProbe': 'When it fails, the pod is removed from service endpoints.',
  'core.v1.Container.livenessProbe': 'When it fails, the container is restarted.',
  'core.v1.Container.imagePullPolicy':
    'Always, Never or IfNotPresent (default Always for :latest or untagged images).',
  'core.v1.ContainerPort.protocol': 'TCP (default), UDP or SCTP.',
  'core.v1.ContainerPort.hostPort': 'Port exposed on the node for this container port.',
  'core.v1.PodSpec.restartPolicy': 'Always (default), OnFailure or Never.',
  'core.v1.PodSpec.hostname': 'Hostname of the pod (default: the pod name).',
  'core.v1.PodSpec.subdomain':
    'With a headless service of this name, gives the pod the DNS name <hostname>.<subdomain>.<namespace>.svc.<cluster-domain>.',
  'core.v1.PodSpec.dnsPolicy': 'ClusterFirst (default), ClusterFirstWithHostNet, Default or None.',
  'core.v1.PodSpec.nodeName': 'The node the pod is bound to; set by the scheduler.',
  'core.v1.PodSpec.hostNetwork': 'Run in the network namespace of the node.',
  'core.v1.PodSpec.volumes': 'Volumes the containers can mount.',
  'core.v1.PodSpec.enableServiceLinks': 'Inject the service environment variables (default true).',

  // ---- apps, networking, discovery, coordination ----
  'apps.v1.Deployment': 'Declarative updates of pods through ReplicaSets.',
  'apps.v1.ReplicaSet': 'Keeps a number of pod replicas running.',
  'networking.v1.Ingress': 'HTTP(S) routing rules from hosts and paths to services.',
  'networking.v1.IngressSpec.rules':
    'Host and path rules; requests matching no rule go to defaultBackend.',
  'networking.v1.IngressSpec.defaultBackend': 'Backend for requests that match no rule.',
  'networking.v1.IngressSpec.tls': 'TLS settings: hosts and the Secret holding their certificate.',
  'networking.v1.IngressSpec.ingressClassName':
    'The IngressClass of the controller that should serve this ingress.',
  'networking.v1.HTTPIngressPath.pathType': 'Exact, Prefix or ImplementationSpecific.',
  'networking.v1.IngressClass': 'A kind of ingress controller that ingresses can ask for.',
  'extensions.v1beta1.Ingress':
    'Deprecated Ingress API (served for old manifests; stored as networking.k8s.io/v1).',
  'extensions.v1beta1.IngressBackend.serviceName': 'Name of the backend service.',
  'extensions.v1beta1.IngressBackend.servicePort': 'Port number or name of the backend service.',
  'discovery.v1.EndpointSlice':
    'A subset of the endpoints of a service, with their readiness and topology.',
  'discovery.v1.EndpointSlice.addressType':
    'IPv4, IPv6 or FQDN: the type of every address in the slice.',
  'discovery.v1.EndpointSlice.endpoints': 'The endpoints (at most 1000).',
  'discovery.v1.EndpointSlice.ports': 'Ports served by every endpoint of the slice.',
  'coordination.v1.Lease': 'A lease: node heartbeats and leader election.',
  'autoscaling.v1.Scale': 'The replica count of a scalable resource.',
};

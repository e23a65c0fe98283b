/**
 * Service environment variables, exactly as kubelet makes them (pkg/kubelet/envvars FromServices,
 * kubelet_pods.go getServiceEnvVarMap); conformance.md §10, ENV-xx.
 *
 * - Only Services with a real cluster IP (not empty, not `None`): no headless, no ExternalName.
 * - The pod's namespace's Services when `enableServiceLinks` (default true), and always the
 *   `kubernetes` Service of `default` — unless the namespace has a Service of that name itself.
 * - `<PREFIX>_SERVICE_HOST`, `<PREFIX>_SERVICE_PORT` (first port), `<PREFIX>_SERVICE_PORT_<NAME>`
 *   per named port, and the Docker link variables `<PREFIX>_PORT` (first port) and
 *   `<PREFIX>_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR}` per port.
 */
import type { Service } from '../../api/types/core.js';

/** Services whose variables are always injected, from `default`. */
const masterServices = new Set(['kubernetes']);

/** `my-svc` → `MY_SVC`. */
export function envVarName(name: string): string {
  return name.replace(/-/g, '_').toUpperCase();
}

function isServiceIPSet(s: Service): boolean {
  const ip = s.spec?.clusterIP ?? '';
  return ip !== '' && ip !== 'None';
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The variables of some Services, in kubelet's order. */
export function fromServices(services: readonly Service[]): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const s of services) {
    if (!isServiceIPSet(s)) continue;
    const ports = s.spec?.ports ?? [];
    const first = ports[0];
    if (!first) continue;
    const ip = s.spec?.clusterIP ?? '';
    const prefix = envVarName(s.metadata.name ?? '');
    out.push({ name: `${prefix}_SERVICE_HOST`, value: ip });
    out.push({ name: `${prefix}_SERVICE_PORT`, value: String(first.port) });
    for (const p of ports) {
      if (p.name)
        out.push({ name: `${prefix}_SERVICE_PORT_${envVarName(p.name)}`, value: String(p.port) });
    }
    ports.forEach((p, i) => {
      const proto = p.protocol ?? 'TCP';
      const url = `${proto.toLowerCase()}://${joinHostPort(ip, p.port)}`;
      if (i === 0) out.push({ name: `${prefix}_PORT`, value: url });
      const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.push(
        { name: pp, value: url },
        { name: `${pp}_PROTO`, value: proto.toLowerCase() },
        { name: `${pp}_PORT`, value: String(p.port) },
        { name: `${pp}_ADDR`, value: ip },
      );
    });
  }
  return out;
}

/**
 * The service variables a container of a pod in `namespace` gets, given every Service the node
 * knows (kubelet's getServiceEnvVarMap).
 */
export function serviceEnvMap(
  services: readonly Service[],
  namespace: string,
  enableServiceLinks: boolean,
): Map<string, string> {
  const byName = new Map<string, Service>();
  for (const s of services) {
    if (!isServiceIPSet(s)) continue;
    const name = s.metadata.name ?? '';
    if (s.metadata.namespace === 'default' && masterServices.has(name)) {
      if (!byName.has(name)) byName.set(name, s);
    } else if (s.metadata.namespace === namespace && enableServiceLinks) {
      byName.set(name, s);
    }
  }
  const out = new Map<string, string>();
  for (const e of fromServices([...byName.values()])) out.set(e.name, e.value);
  return out;
}

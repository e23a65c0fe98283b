/**
 * A container's environment as kubelet computes it (kubelet_pods.go makeEnvironmentVariables):
 *
 * 1. `envFrom` (ConfigMaps and Secrets, with `prefix`), in order; later sources overwrite;
 * 2. `env` in order: `value` with `$(VAR)` expanded against the variables so far and the service
 *    variables; or `valueFrom` (fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef; a
 *    missing optional source or key skips the variable);
 * 3. the service variables the container does not define itself.
 *
 * `command` and `args` are then expanded against the result (expandCommand). Failures are
 * `EnvError`s: kubelet reports them as `CreateContainerConfigError`.
 */
import type { ConfigMap, Container, Pod, Secret } from '../../api/types/core.js';
import { PorticoError } from '../../lib/errors.js';
import { expand, mappingFor } from './expansion.js';

export class EnvError extends PorticoError {
  constructor(message: string) {
    super('E_AGENT_ENV', message);
  }
}

/** Reads the objects env vars refer to; resolves undefined when the object does not exist. */
export interface EnvSources {
  getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
}

export interface EnvInput {
  readonly pod: Pod;
  readonly container: Container;
  /** The pod's IPs (the sandbox's), first = primary. */
  readonly podIPs: readonly string[];
  /** The node's IPs, first = primary. */
  readonly hostIPs: readonly string[];
  /** serviceEnvMap() for this pod. */
  readonly serviceEnv: ReadonlyMap<string, string>;
  readonly sources: EnvSources;
  /** The node's allocatable cpu (millicores) and memory (bytes): resourceFieldRef defaults. */
  readonly nodeAllocatable?: { readonly cpuMillis: number; readonly memoryBytes: number };
}

function decodeSecret(v: string): string {
  return Buffer.from(v, 'base64').toString('utf8');
}

/** Go's %q for the values of a formatted label or annotation map. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

function formatMap(m: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m?.[k] ?? '')}`)
    .join('\n');
}

/** The value of a downward API field path (fieldpath.ExtractFieldPathAsString plus kubelet's own). */
export function fieldPathValue(
  pod: Pod,
  fieldPath: string,
  podIPs: readonly string[],
  hostIPs: readonly string[],
): string {
  const meta = pod.metadata;
  const sub = /^metadata\.(labels|annotations)\[['"]?(.*?)['"]?\]$/.exec(fieldPath);
  if (sub) {
    const m = sub[1] === 'labels' ? meta.labels : meta.annotations;
    return m?.[sub[2] ?? ''] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return hostIPs[0] ?? '';
    case 'status.hostIPs':
      return hostIPs.join(',');
    case 'status.podIP':
      return podIPs[0] ?? '';
    case 'status.podIPs':
      return podIPs.join(',');
    default:
      throw new EnvError(`unsupported fieldPath: ${fieldPath}`);
  }
}

/** A quantity string in base units (cpu cores, bytes); NaN when it is not one. */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  const factors: Record<string, number> = {
    '': 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    Pi: 1024 ** 5,
    Ei: 1024 ** 6,
  };
  const f = factors[suffix];
  return f === undefined ? NaN : n * f;
}

/** resourceFieldRef: limits default to the node's allocatable, requests to 0 (as kubelet). */
function resourceFieldValue(
  input: EnvInput,
  ref: { containerName?: string; resource: string; divisor?: string | number },
): string {
  const c =
    ref.containerName && ref.containerName !== input.container.name
      ? [...(input.pod.spec?.containers ?? []), ...(input.pod.spec?.initContainers ?? [])].find(
          (x) => x.name === ref.containerName,
        )
      : input.container;
  if (!c) throw new EnvError(`container ${ref.containerName ?? ''} not found in the pod`);
  const [kind, resource] = ref.resource.split('.') as [string, string | undefined];
  const table = kind === 'limits' ? c.resources?.limits : c.resources?.requests;
  const raw = resource !== undefined ? table?.[resource] : undefined;
  let value: number;
  if (raw !== undefined) value = parseQuantity(raw);
  else if (kind === 'limits' && resource === 'cpu')
    value = (input.nodeAllocatable?.cpuMillis ?? 0) / 1000;
  else if (kind === 'limits' && resource === 'memory')
    value = input.nodeAllocatable?.memoryBytes ?? 0;
  else if (kind === 'limits' && resource === 'ephemeral-storage') value = 0;
  else value = 0;
  if (
    !['cpu', 'memory', 'ephemeral-storage'].includes(resource ?? '') &&
    !resource?.startsWith('hugepages-')
  )
    throw new EnvError(`unsupported container resource: ${ref.resource}`);
  const divisor = ref.divisor !== undefined ? parseQuantity(ref.divisor) : 1;
  if (!(divisor > 0)) throw new EnvError(`invalid divisor ${String(ref.divisor)}`);
  // kubelet rounds up, in integer milli-units for cpu and bytes otherwise.
  const scale = resource === 'cpu' ? 1000 : 1;
  const v = Math.round(value * scale);
  const d = Math.max(1, Math.round(divisor * scale));
  return String(Math.ceil(v / d));
}

/** The container's environment, in kubelet's order (see the file comment). @throws EnvError */
export async function containerEnv(input: EnvInput): Promise<{ name: string; value: string }[]> {
  const { pod, container, sources } = input;
  const ns = pod.metadata.namespace ?? 'default';
  const configMaps = new Map<string, ConfigMap | undefined>();
  const secrets = new Map<string, Secret | undefined>();
  const getCM = async (name: string): Promise<ConfigMap | undefined> => {
    if (!configMaps.has(name)) configMaps.set(name, await sources.getConfigMap(ns, name));
    return configMaps.get(name);
  };
  const getSecret = async (name: string): Promise<Secret | undefined> => {
    if (!secrets.has(name)) secrets.set(name, await sources.getSecret(ns, name));
    return secrets.get(name);
  };
  const tmp = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const cm = await getCM(from.configMapRef.name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new EnvError(`configmap "${from.configMapRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) tmp.set(prefix + k, v);
    } else if (from.secretRef) {
      const s = await getSecret(from.secretRef.name);
      if (!s) {
        if (from.secretRef.optional) continue;
        throw new EnvError(`secret "${from.secretRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(s.data ?? {})) tmp.set(prefix + k, decodeSecret(v));
    }
  }
  const mapping = mappingFor(tmp, input.serviceEnv);
  for (const e of container.env ?? []) {
    let value = e.value ?? '';
    if (value !== '') {
      value = expand(value, mapping);
    } else if (e.valueFrom) {
      const vf = e.valueFrom;
      if (vf.fieldRef) {
        value = fieldPathValue(pod, vf.fieldRef.fieldPath, input.podIPs, input.hostIPs);
      } else if (vf.resourceFieldRef) {
        value = resourceFieldValue(input, {
          resource: vf.resourceFieldRef.resource,
          ...(vf.resourceFieldRef.containerName
            ? { containerName: vf.resourceFieldRef.containerName }
            : {}),
          ...(vf.resourceFieldRef.divisor !== undefined
            ? { divisor: vf.resourceFieldRef.divisor }
            : {}),
        });
      } else if (vf.configMapKeyRef) {
        const ref = vf.configMapKeyRef;
        const cm = await getCM(ref.name);
        if (!cm) {
          if (ref.optional) continue;
          throw new EnvError(`configmap "${ref.name}" not found`);
        }
        const v = cm.data?.[ref.key];
        if (v === undefined) {
          if (ref.optional) continue;
          throw new EnvError(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}`);
        }
        value = v;
      } else if (vf.secretKeyRef) {
        const ref = vf.secretKeyRef;
        const s = await getSecret(ref.name);
        if (!s) {
          if (ref.optional) continue;
          throw new EnvError(`secret "${ref.name}" not found`);
        }
        const v = s.data?.[ref.key];
        if (v === undefined) {
          if (ref.optional) continue;
          throw new EnvError(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`);
        }
        value = decodeSecret(v);
      }
    }
    tmp.set(e.name, value);
  }
  const out = [...tmp].map(([name, value]) => ({ name, value }));
  for (const [name, value] of input.serviceEnv) if (!tmp.has(name)) out.push({ name, value });
  return out;
}

/** `command` and `args` with `$(VAR)` expanded against the container's environment. */
export function expandCommand(
  container: Pick<Container, 'command' | 'args'>,
  env: readonly { name: string; value: string }[],
): { command?: string[]; args?: string[] } {
  const mapping = mappingFor(new Map(env.map((e) => [e.name, e.value])));
  return {
    ...(container.command ? { command: container.command.map((c) => expand(c, mapping)) } : {}),
    ...(container.args ? { args: container.args.map((a) => expand(a, mapping)) } : {}),
  };
}

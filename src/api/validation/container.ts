/**
 * Container validation shared by Pods and pod templates (validateContainerCommon, ports, env,
 * volume mounts, resources, probes, lifecycle handlers), with kube's messages.
 */
import {
  duplicate,
  forbidden,
  invalid,
  notFound,
  notSupported,
  required,
  type FieldError,
} from '../meta/fielderrors.js';
import type { Container, ContainerPort, LifecycleHandler, Probe } from '../types/core.js';
import { validateNonnegative } from './meta.js';
import {
  isConfigMapKey,
  isEnvVarName,
  isHTTPHeaderName,
  isQualifiedName,
  isValidPortName,
  nameIsDNSSubdomain,
  isDNS1123Label,
} from './names.js';
import { validatePortNum, validatePortNumOrName, validateProtocol } from './ports.js';
import { parseQuantity, quantityFormatError } from './quantity.js';

const pullPolicies = ['Always', 'IfNotPresent', 'Never'] as const;
const terminationMessagePolicies = ['File', 'FallbackToLogsOnError'] as const;
const httpSchemes = ['HTTP', 'HTTPS'] as const;
const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);

function validateContainerPorts(
  ports: readonly ContainerPort[] | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (ports ?? []).forEach((port, i) => {
    const p = `${path}[${i}]`;
    if (port.name) {
      const msgs = isValidPortName(port.name);
      if (msgs.length > 0) for (const m of msgs) errs.push(invalid(`${p}.name`, port.name, m));
      else if (names.has(port.name)) errs.push(duplicate(`${p}.name`, port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) errs.push(required(`${p}.containerPort`));
    else errs.push(...validatePortNum(port.containerPort, `${p}.containerPort`));
    if (port.hostPort) errs.push(...validatePortNum(port.hostPort, `${p}.hostPort`));
    errs.push(...validateProtocol(port.protocol, `${p}.protocol`));
  });
  return errs;
}

function validateEnv(c: Container, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (c.env ?? []).forEach((ev, i) => {
    const p = `${path}.env[${i}]`;
    if (!ev.name) errs.push(required(`${p}.name`));
    else for (const m of isEnvVarName(ev.name)) errs.push(invalid(`${p}.name`, ev.name, m));
    const vf = ev.valueFrom;
    if (!vf) return;
    const vp = `${p}.valueFrom`;
    let sources = 0;
    if (vf.fieldRef) {
      sources++;
      if (!vf.fieldRef.fieldPath) errs.push(required(`${vp}.fieldRef.fieldPath`));
    }
    if (vf.resourceFieldRef) {
      sources++;
      if (!vf.resourceFieldRef.resource) errs.push(required(`${vp}.resourceFieldRef.resource`));
    }
    for (const [key, ref] of [
      ['configMapKeyRef', vf.configMapKeyRef],
      ['secretKeyRef', vf.secretKeyRef],
    ] as const) {
      if (!ref) continue;
      sources++;
      for (const m of nameIsDNSSubdomain(ref.name ?? '', false))
        errs.push(invalid(`${vp}.${key}.name`, ref.name ?? '', m));
      if (!ref.key) errs.push(required(`${vp}.${key}.key`));
      else
        for (const m of isConfigMapKey(ref.key)) errs.push(invalid(`${vp}.${key}.key`, ref.key, m));
    }
    if (sources === 0) {
      errs.push(
        invalid(
          vp,
          '',
          'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        ),
      );
    } else if (ev.value) {
      errs.push(invalid(vp, '', 'may not be specified when `value` is not empty'));
    } else if (sources > 1) {
      errs.push(invalid(vp, '', 'may not have more than one field specified at a time'));
    }
  });
  (c.envFrom ?? []).forEach((ef, i) => {
    const p = `${path}.envFrom[${i}]`;
    if (ef.prefix)
      for (const m of isEnvVarName(ef.prefix)) errs.push(invalid(`${p}.prefix`, ef.prefix, m));
    let sources = 0;
    for (const [key, ref] of [
      ['configMapRef', ef.configMapRef],
      ['secretRef', ef.secretRef],
    ] as const) {
      if (!ref) continue;
      sources++;
      if (!ref.name) errs.push(required(`${p}.${key}.name`));
      else
        for (const m of nameIsDNSSubdomain(ref.name, true))
          errs.push(invalid(`${p}.${key}.name`, ref.name, m));
    }
    if (sources === 0)
      errs.push(
        invalid(`${path}.envFrom`, '', 'must specify one of: `configMapRef` or `secretRef`'),
      );
    else if (sources > 1)
      errs.push(
        invalid(`${path}.envFrom`, '', 'may not have more than one field specified at a time'),
      );
  });
  return errs;
}

function validateVolumeMounts(
  c: Container,
  volumes: ReadonlySet<string>,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  (c.volumeMounts ?? []).forEach((m, i) => {
    const p = `${path}.volumeMounts[${i}]`;
    if (!m.name) errs.push(required(`${p}.name`));
    if (!volumes.has(m.name)) errs.push(notFound(`${p}.name`, m.name));
    if (!m.mountPath) errs.push(required(`${p}.mountPath`));
    if (mountPoints.has(m.mountPath))
      errs.push(invalid(`${p}.mountPath`, m.mountPath, 'must be unique'));
    mountPoints.add(m.mountPath);
    if (m.subPath)
      errs.push(...validateLocalDescendingPath(m.subPath, `${path}.volumeMounts.subPath`));
  });
  return errs;
}

/** validateLocalDescendingPath: relative, no `..` element. */
export function validateLocalDescendingPath(p: string, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(invalid(field, p, 'must be a relative path'));
  if (p.split('/').includes('..')) errs.push(invalid(field, p, "must not contain '..'"));
  return errs;
}

function validateResources(c: Container, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const check = (
    kind: 'limits' | 'requests',
    name: string,
    q: string | number,
  ): number | undefined => {
    const p = `${path}.resources.${kind}[${name}]`;
    const nameErrs = isQualifiedName(name).map((m) => invalid(p, name, m));
    if (
      nameErrs.length === 0 &&
      !name.includes('/') &&
      !standardContainerResources.has(name) &&
      !name.startsWith('hugepages-')
    ) {
      nameErrs.push(invalid(p, name, 'must be a standard resource for containers'));
    }
    errs.push(...nameErrs);
    const v = parseQuantity(q);
    if (v === undefined) {
      errs.push(invalid(p, q, quantityFormatError));
      return undefined;
    }
    if (v < 0) errs.push(invalid(p, String(q), 'must be greater than or equal to 0'));
    return v;
  };
  const limitValues = new Map<string, number | undefined>();
  for (const [name, q] of Object.entries(limits)) limitValues.set(name, check('limits', name, q));
  for (const [name, q] of Object.entries(requests)) {
    const v = check('requests', name, q);
    const lim = limitValues.get(name);
    if (v !== undefined && lim !== undefined && v > lim) {
      errs.push(
        invalid(
          `${path}.resources.requests`,
          String(q),
          `must be less than or equal to ${name} limit of ${String(limits[name])}`,
        ),
      );
    }
  }
  return errs;
}

type Handler = Pick<LifecycleHandler, 'exec' | 'httpGet' | 'tcpSocket' | 'sleep'> & {
  grpc?: Probe['grpc'];
};

function validateHandler(h: Handler, gracePeriod: number | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  const one = (key: string, f: () => FieldError[]): void => {
    if (n > 0) errs.push(forbidden(`${path}.${key}`, 'may not specify more than 1 handler type'));
    else {
      n++;
      errs.push(...f());
    }
  };
  if (h.exec) {
    const exec = h.exec;
    one('exec', () =>
      (exec.command ?? []).length === 0 ? [required(`${path}.exec.command`)] : [],
    );
  }
  if (h.httpGet) {
    const g = h.httpGet;
    one('httpGet', () => {
      const e: FieldError[] = [];
      if (!g.path) e.push(required(`${path}.httpGet.path`));
      e.push(...validatePortNumOrName(g.port, `${path}.httpGet.port`));
      if (!(httpSchemes as readonly string[]).includes(g.scheme ?? '')) {
        e.push(notSupported(`${path}.httpGet.scheme`, g.scheme ?? '', httpSchemes));
      }
      for (const hdr of g.httpHeaders ?? []) {
        for (const m of isHTTPHeaderName(hdr.name))
          e.push(invalid(`${path}.httpGet.httpHeaders`, hdr.name, m));
      }
      return e;
    });
  }
  if (h.tcpSocket) {
    const t = h.tcpSocket;
    one('tcpSocket', () => validatePortNumOrName(t.port, `${path}.tcpSocket.port`));
  }
  if (h.grpc) {
    const g = h.grpc;
    one('grpc', () => validatePortNum(g.port, `${path}.grpc.port`));
  }
  if (h.sleep) {
    const s = h.sleep;
    one('sleep', () =>
      gracePeriod !== undefined && (s.seconds < 0 || s.seconds > gracePeriod)
        ? [
            invalid(
              `${path}.sleep`,
              s.seconds,
              `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`,
            ),
          ]
        : [],
    );
  }
  if (n === 0) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

function validateProbe(probe: Probe, gracePeriod: number | undefined, path: string): FieldError[] {
  const errs = validateHandler(probe, gracePeriod, path);
  errs.push(...validateNonnegative(probe.initialDelaySeconds, `${path}.initialDelaySeconds`));
  errs.push(...validateNonnegative(probe.timeoutSeconds, `${path}.timeoutSeconds`));
  errs.push(...validateNonnegative(probe.periodSeconds, `${path}.periodSeconds`));
  errs.push(...validateNonnegative(probe.successThreshold, `${path}.successThreshold`));
  errs.push(...validateNonnegative(probe.failureThreshold, `${path}.failureThreshold`));
  if (
    probe.terminationGracePeriodSeconds !== undefined &&
    probe.terminationGracePeriodSeconds <= 0
  ) {
    errs.push(
      invalid(
        `${path}.terminationGracePeriodSeconds`,
        probe.terminationGracePeriodSeconds,
        'must be greater than 0',
      ),
    );
  }
  return errs;
}

/** Liveness, readiness and startup probes and lifecycle hooks of one container. */
export function validateProbesAndLifecycle(
  c: Container,
  gracePeriod: number | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (c.lifecycle?.postStart)
    errs.push(
      ...validateHandler(c.lifecycle.postStart, gracePeriod, `${path}.lifecycle.postStart`),
    );
  if (c.lifecycle?.preStop)
    errs.push(...validateHandler(c.lifecycle.preStop, gracePeriod, `${path}.lifecycle.preStop`));
  for (const kind of ['livenessProbe', 'startupProbe'] as const) {
    const probe = c[kind];
    if (!probe) continue;
    errs.push(...validateProbe(probe, gracePeriod, `${path}.${kind}`));
    if (probe.successThreshold !== 1)
      errs.push(
        invalid(`${path}.${kind}.successThreshold`, probe.successThreshold ?? 0, 'must be 1'),
      );
  }
  if (c.readinessProbe) {
    errs.push(...validateProbe(c.readinessProbe, gracePeriod, `${path}.readinessProbe`));
    if (c.readinessProbe.terminationGracePeriodSeconds !== undefined) {
      errs.push(
        invalid(
          `${path}.readinessProbe.terminationGracePeriodSeconds`,
          c.readinessProbe.terminationGracePeriodSeconds,
          'must not be set for readinessProbes',
        ),
      );
    }
  }
  return errs;
}

/** validateContainerCommon: name, image, ports, env, mounts, pull policy, resources. */
export function validateContainerCommon(
  c: Container,
  volumes: ReadonlySet<string>,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(required(`${path}.name`));
  else for (const m of isDNS1123Label(c.name)) errs.push(invalid(`${path}.name`, c.name, m));
  if (!c.image) errs.push(required(`${path}.image`));
  const tmp = c.terminationMessagePolicy;
  if (!tmp) errs.push(required(`${path}.terminationMessagePolicy`));
  else if (!(terminationMessagePolicies as readonly string[]).includes(tmp)) {
    errs.push(notSupported(`${path}.terminationMessagePolicy`, tmp, terminationMessagePolicies));
  }
  errs.push(...validateContainerPorts(c.ports, `${path}.ports`));
  errs.push(...validateEnv(c, path));
  errs.push(...validateVolumeMounts(c, volumes, path));
  if (!c.imagePullPolicy) errs.push(required(`${path}.imagePullPolicy`));
  else if (!(pullPolicies as readonly string[]).includes(c.imagePullPolicy)) {
    errs.push(notSupported(`${path}.imagePullPolicy`, c.imagePullPolicy, pullPolicies));
  }
  errs.push(...validateResources(c, path));
  return errs;
}

/** validateContainerOnlyForPod: images of real pods may not carry surrounding whitespace. */
export function validateContainerOnlyForPod(c: Container, path: string): FieldError[] {
  const image = c.image ?? '';
  return image.length !== image.trim().length
    ? [invalid(`${path}.image`, image, 'must not have leading or trailing whitespace')]
    : [];
}

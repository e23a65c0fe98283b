/**
 * Pod validation (ValidatePodCreate / ValidatePodUpdate / ValidatePodStatusUpdate) and pod
 * templates (ValidatePodTemplateSpec), over the fields Portico's types carry.
 */
import {
  duplicate,
  forbidden,
  invalid,
  notSupported,
  required,
  type FieldError,
} from '../meta/fielderrors.js';
import type { Pod, PodSpec, PodTemplateSpec, Volume } from '../types/core.js';
import {
  validateContainerCommon,
  validateContainerOnlyForPod,
  validateLocalDescendingPath,
  validateProbesAndLifecycle,
} from './container.js';
import { describeDiff, semanticEqual } from './equality.js';
import { goStringSlice } from './gorepr.js';
import { validateIP } from './ip-fields.js';
import { parseIP } from './ip.js';
import {
  validateAnnotations,
  validateImmutable,
  validateLabelName,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta.js';
import {
  inclusiveRangeError,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  nameIsDNSSubdomain,
} from './names.js';

const restartPolicies = ['Always', 'OnFailure', 'Never'] as const;
const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'] as const;
const hostPathTypes = [
  '',
  'BlockDevice',
  'CharDevice',
  'Directory',
  'DirectoryOrCreate',
  'File',
  'FileOrCreate',
  'Socket',
] as const;
const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
const maxDNSNameservers = 3;
const maxDNSSearchPaths = 32;
const maxDNSSearchListChars = 2048;
const maxInt32 = 2147483647;
const fileModeErrorMsg = 'must be a number between 0 and 0777 (octal), both inclusive';

function validateMode(mode: number | undefined, field: string): FieldError[] {
  return mode !== undefined && (mode < 0 || mode > 0o777)
    ? [invalid(field, mode, fileModeErrorMsg)]
    : [];
}

function validateKeyToPaths(
  items: { key: string; path: string; mode?: number }[] | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  (items ?? []).forEach((it, i) => {
    const p = `${path}.items[${i}]`;
    if (!it.key) errs.push(required(`${p}.key`));
    if (!it.path) errs.push(required(`${p}.path`));
    else errs.push(...validateLocalDescendingPath(it.path, `${p}.path`));
    errs.push(...validateMode(it.mode, `${p}.mode`));
  });
  return errs;
}

function validateVolumeSource(v: Volume, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  const one = (key: string, f: () => FieldError[]): void => {
    if (n > 0) errs.push(forbidden(`${path}.${key}`, 'may not specify more than 1 volume type'));
    else {
      n++;
      errs.push(...f());
    }
  };
  if (v.emptyDir) one('emptyDir', () => []);
  if (v.hostPath) {
    const hp = v.hostPath;
    one('hostPath', () => {
      if (!hp.path) return [required(`${path}.hostPath.path`)];
      const e: FieldError[] = [];
      if (hp.path.split('/').includes('..'))
        e.push(invalid(`${path}.hostPath.path`, hp.path, "must not contain '..'"));
      if (hp.type !== undefined && !(hostPathTypes as readonly string[]).includes(hp.type)) {
        e.push(notSupported(`${path}.hostPath.type`, hp.type, hostPathTypes));
      }
      return e;
    });
  }
  if (v.secret) {
    const s = v.secret;
    one('secret', () => {
      const p = `${path}.secret`;
      const e: FieldError[] = [];
      if (!s.secretName) e.push(required(`${p}.secretName`));
      e.push(...validateMode(s.defaultMode, `${p}.defaultMode`));
      e.push(...validateKeyToPaths(s.items, p));
      return e;
    });
  }
  if (v.configMap) {
    const c = v.configMap;
    one('configMap', () => {
      const p = `${path}.configMap`;
      const e: FieldError[] = [];
      if (!c.name) e.push(required(`${p}.name`));
      e.push(...validateMode(c.defaultMode, `${p}.defaultMode`));
      e.push(...validateKeyToPaths(c.items, p));
      return e;
    });
  }
  if (v.downwardAPI) {
    const d = v.downwardAPI;
    one('downwardAPI', () => {
      const p = `${path}.downwardAPI`;
      const e: FieldError[] = [...validateMode(d.defaultMode, `${p}.defaultMode`)];
      (d.items ?? []).forEach((it, i) => {
        const ip = `${p}.items[${i}]`;
        if (!it.path) e.push(required(`${ip}.path`));
        else e.push(...validateLocalDescendingPath(it.path, `${ip}.path`));
        if (!it.fieldRef && !it.resourceFieldRef)
          e.push(required(ip, 'must specify one of fieldRef or resourceFieldRef'));
        e.push(...validateMode(it.mode, `${ip}.mode`));
      });
      return e;
    });
  }
  if (v.persistentVolumeClaim) {
    const c = v.persistentVolumeClaim;
    one('persistentVolumeClaim', () =>
      c.claimName ? [] : [required(`${path}.persistentVolumeClaim.claimName`)],
    );
  }
  // The other sources are accepted as given (the node decides whether it can mount them).
  for (const key of [
    'projected',
    'nfs',
    'csi',
    'ephemeral',
    'image',
    'gcePersistentDisk',
    'awsElasticBlockStore',
    'gitRepo',
    'iscsi',
    'glusterfs',
    'rbd',
    'flexVolume',
    'cinder',
    'cephfs',
    'flocker',
    'fc',
    'azureFile',
    'vsphereVolume',
    'quobyte',
    'azureDisk',
    'photonPersistentDisk',
    'portworxVolume',
    'scaleIO',
    'storageos',
  ] as const) {
    if (v[key] !== undefined) one(key, () => []);
  }
  if (n === 0) errs.push(required(path, 'must specify a volume type'));
  return errs;
}

function validateVolumes(
  volumes: readonly Volume[] | undefined,
  path: string,
): { names: Set<string>; errs: FieldError[] } {
  const names = new Set<string>();
  const errs: FieldError[] = [];
  (volumes ?? []).forEach((v, i) => {
    const p = `${path}[${i}]`;
    const el = validateVolumeSource(v, p);
    if (!v.name) el.push(required(`${p}.name`));
    else for (const m of isDNS1123Label(v.name)) el.push(invalid(`${p}.name`, v.name, m));
    if (names.has(v.name)) el.push(duplicate(`${p}.name`, v.name));
    if (el.length === 0) names.add(v.name);
    else errs.push(...el);
  });
  return { names, errs };
}

function validateTolerations(spec: PodSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (spec.tolerations ?? []).forEach((t, i) => {
    const p = `${path}[${i}]`;
    if (t.key) errs.push(...validateLabelName(t.key, `${p}.key`));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(
        invalid(
          `${p}.operator`,
          t.operator ?? '',
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(
        invalid(
          `${p}.effect`,
          t.effect ?? '',
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
    switch (t.operator ?? '') {
      case 'Equal':
      case '': {
        const msgs = isValidLabelValue(t.value ?? '');
        if (msgs.length > 0) errs.push(invalid(`${p}.operator`, t.value ?? '', msgs.join(';')));
        break;
      }
      case 'Exists':
        if (t.value)
          errs.push(
            invalid(`${p}.operator`, t.value, "value must be empty when `operator` is 'Exists'"),
          );
        break;
      default:
        errs.push(notSupported(`${p}.operator`, t.operator, ['Equal', 'Exists']));
    }
    if (t.effect && !(taintEffects as readonly string[]).includes(t.effect)) {
      errs.push(notSupported(`${p}.effect`, t.effect, taintEffects));
    }
  });
  return errs;
}

function validateDNSConfig(spec: PodSpec, path: string): FieldError[] {
  const cfg = spec.dnsConfig;
  if (spec.dnsPolicy === 'None') {
    if (!cfg) return [required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if ((cfg.nameservers ?? []).length === 0) {
      return [
        required(
          `${path}.nameservers`,
          'must provide at least one DNS nameserver when `dnsPolicy` is None',
        ),
      ];
    }
  }
  if (!cfg) return [];
  const errs: FieldError[] = [];
  const ns = cfg.nameservers ?? [];
  if (ns.length > maxDNSNameservers) {
    errs.push(
      invalid(
        `${path}.nameservers`,
        goStringSlice(ns),
        `must not have more than ${maxDNSNameservers} nameservers`,
      ),
    );
  }
  ns.forEach((s, i) => errs.push(...validateIP(s, `${path}.nameservers[${i}]`)));
  const searches = cfg.searches ?? [];
  if (searches.length > maxDNSSearchPaths) {
    errs.push(
      invalid(
        `${path}.searches`,
        goStringSlice(searches),
        `must not have more than ${maxDNSSearchPaths} search paths`,
      ),
    );
  }
  if (searches.join(' ').length > maxDNSSearchListChars) {
    errs.push(
      invalid(
        `${path}.searches`,
        goStringSlice(searches),
        `must not have more than ${maxDNSSearchListChars} characters (including spaces) in the search list`,
      ),
    );
  }
  searches.forEach((s, i) => {
    const trimmed = s.replace(/\.$/, '');
    for (const m of isDNS1123Subdomain(trimmed))
      errs.push(invalid(`${path}.searches[${i}]`, trimmed, m));
  });
  (cfg.options ?? []).forEach((o, i) => {
    if (!o.name) errs.push(required(`${path}.options[${i}]`, 'must not be empty'));
  });
  return errs;
}

export interface PodSpecOptions {
  /** The spec is a Pod's (not a template's): hostNetwork ports must name their hostPort. */
  readonly resourceIsPod: boolean;
}

/** ValidatePodSpec. */
export function validatePodSpec(
  spec: PodSpec | undefined,
  path: string,
  opts: PodSpecOptions,
): FieldError[] {
  const s: PodSpec = spec ?? { containers: [] };
  const errs: FieldError[] = [];
  if (s.terminationGracePeriodSeconds === undefined)
    errs.push(required(`${path}.terminationGracePeriodSeconds`));
  const grace = s.terminationGracePeriodSeconds;
  const vols = validateVolumes(s.volumes, `${path}.volumes`);
  errs.push(...vols.errs);
  const containers = s.containers ?? [];
  if (containers.length === 0) errs.push(required(`${path}.containers`));
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const p = `${path}.containers[${i}]`;
    errs.push(...validateContainerCommon(c, vols.names, p));
    if (names.has(c.name)) errs.push(duplicate(`${p}.name`, c.name));
    else names.add(c.name);
    errs.push(...validateProbesAndLifecycle(c, grace, p));
  });
  (s.initContainers ?? []).forEach((c, i) => {
    const p = `${path}.initContainers[${i}]`;
    errs.push(...validateContainerCommon(c, vols.names, p));
    if (names.has(c.name)) errs.push(duplicate(`${p}.name`, c.name));
    else if (c.name) names.add(c.name);
    for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      if (c[k])
        errs.push(
          forbidden(`${p}.${k}`, 'may not be set for init containers without restartPolicy=Always'),
        );
    }
  });
  // Host ports may not collide across containers.
  const hostPorts = new Set<string>();
  containers.forEach((c, ci) =>
    (c.ports ?? []).forEach((port, pi) => {
      if (!port.hostPort) return;
      const key = `${port.protocol ?? ''}/${port.hostIP ?? ''}/${port.hostPort}`;
      if (hostPorts.has(key))
        errs.push(duplicate(`${path}.containers[${ci}].ports[${pi}].hostPort`, key));
      hostPorts.add(key);
    }),
  );
  if (s.hostNetwork) {
    containers.forEach((c, ci) =>
      (c.ports ?? []).forEach((port, pi) => {
        const hp = port.hostPort ?? 0;
        if ((opts.resourceIsPod || hp !== 0) && hp !== port.containerPort) {
          errs.push(
            invalid(
              `${path}.containers[${ci}].ports[${pi}].hostPort`,
              hp,
              'must match `containerPort` when `hostNetwork` is true',
            ),
          );
        }
      }),
    );
  }
  const rp = s.restartPolicy ?? '';
  if (!rp) errs.push(required(`${path}.restartPolicy`));
  else if (!(restartPolicies as readonly string[]).includes(rp))
    errs.push(notSupported(`${path}.restartPolicy`, rp, restartPolicies));
  const dp = s.dnsPolicy ?? '';
  if (!dp) errs.push(required(`${path}.dnsPolicy`));
  else if (!(dnsPolicies as readonly string[]).includes(dp))
    errs.push(notSupported(`${path}.dnsPolicy`, dp, dnsPolicies));
  errs.push(...validateLabels(s.nodeSelector, `${path}.nodeSelector`));
  errs.push(...validateDNSConfig(s, `${path}.dnsConfig`));
  (s.readinessGates ?? []).forEach((g, i) => {
    for (const m of isQualifiedName(g.conditionType))
      errs.push(invalid(`${path}.readinessGates[${i}].conditionType`, g.conditionType, m));
  });
  if (s.serviceAccountName) {
    for (const m of nameIsDNSSubdomain(s.serviceAccountName, false))
      errs.push(invalid(`${path}.serviceAccountName`, s.serviceAccountName, m));
  }
  if (s.nodeName) {
    for (const m of nameIsDNSSubdomain(s.nodeName, false))
      errs.push(invalid(`${path}.nodeName`, s.nodeName, m));
  }
  if (
    s.activeDeadlineSeconds !== undefined &&
    (s.activeDeadlineSeconds < 1 || s.activeDeadlineSeconds > maxInt32)
  ) {
    errs.push(
      invalid(
        `${path}.activeDeadlineSeconds`,
        s.activeDeadlineSeconds,
        inclusiveRangeError(1, maxInt32),
      ),
    );
  }
  if (s.hostname)
    for (const m of isDNS1123Label(s.hostname))
      errs.push(invalid(`${path}.hostname`, s.hostname, m));
  if (s.subdomain)
    for (const m of isDNS1123Label(s.subdomain))
      errs.push(invalid(`${path}.subdomain`, s.subdomain, m));
  errs.push(...validateTolerations(s, `${path}.tolerations`));
  (s.hostAliases ?? []).forEach((ha, i) => {
    errs.push(...validateIP(ha.ip, `${path}.hostAliases[${i}].ip`));
    (ha.hostnames ?? []).forEach((h, j) => {
      for (const m of isDNS1123Subdomain(h))
        errs.push(invalid(`${path}.hostAliases[${i}].hostnames[${j}]`, h, m));
    });
  });
  if (
    s.preemptionPolicy !== undefined &&
    !['Never', 'PreemptLowerPriority'].includes(s.preemptionPolicy)
  ) {
    errs.push(
      notSupported(`${path}.preemptionPolicy`, s.preemptionPolicy, [
        'Never',
        'PreemptLowerPriority',
      ]),
    );
  }
  return errs;
}

/** ValidatePodTemplateSpec (templates of RCs, ReplicaSets and Deployments). */
export function validatePodTemplateSpec(
  t: PodTemplateSpec | undefined,
  path: string,
): FieldError[] {
  const errs = validateLabels(t?.metadata?.labels, `${path}.labels`);
  errs.push(...validateAnnotations(t?.metadata?.annotations, `${path}.annotations`));
  errs.push(...validatePodSpec(t?.spec, `${path}.spec`, { resourceIsPod: false }));
  return errs;
}

function validatePodMetadataAndSpec(pod: Pod): FieldError[] {
  const errs = validateObjectMeta(pod.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  errs.push(...validatePodSpec(pod.spec, 'spec', { resourceIsPod: true }));
  (pod.spec?.containers ?? []).forEach((c, i) =>
    errs.push(...validateContainerOnlyForPod(c, `spec.containers[${i}]`)),
  );
  (pod.spec?.initContainers ?? []).forEach((c, i) =>
    errs.push(...validateContainerOnlyForPod(c, `spec.initContainers[${i}]`)),
  );
  return errs;
}

/** ValidatePodCreate. */
export function validatePod(pod: Pod): FieldError[] {
  return validatePodMetadataAndSpec(pod);
}

const updatablePodSpecFields = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** ValidatePodUpdate: a pod's spec is immutable except images, activeDeadlineSeconds and added tolerations. */
export function validatePodUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  errs.push(...validatePodMetadataAndSpec(pod));
  const spec = pod.spec ?? { containers: [] };
  const oldSpec = old.spec ?? { containers: [] };
  for (const key of ['containers', 'initContainers'] as const) {
    const now = spec[key] ?? [];
    const before = oldSpec[key] ?? [];
    if (now.length !== before.length) {
      errs.push(forbidden(`spec.${key}`, 'pod updates may not add or remove containers'));
      return errs;
    }
    now.forEach((c, i) => {
      if (!c.image) errs.push(required(`spec.${key}[${i}].image`));
    });
  }
  const newADS = spec.activeDeadlineSeconds;
  const oldADS = oldSpec.activeDeadlineSeconds;
  if (newADS !== undefined) {
    if (newADS < 0 || newADS > maxInt32) {
      errs.push(invalid('spec.activeDeadlineSeconds', newADS, inclusiveRangeError(0, maxInt32)));
      return errs;
    }
    if (oldADS !== undefined && oldADS < newADS) {
      errs.push(
        invalid(
          'spec.activeDeadlineSeconds',
          newADS,
          'must be less than or equal to previous value',
        ),
      );
      return errs;
    }
  } else if (oldADS !== undefined) {
    errs.push(
      invalid(
        'spec.activeDeadlineSeconds',
        null,
        'must not update from a positive integer to nil value',
      ),
    );
  }
  // Tolerations may only be added (tolerationSeconds of existing ones may change).
  for (const t of oldSpec.tolerations ?? []) {
    const found = (spec.tolerations ?? []).some((n) =>
      semanticEqual({ ...t, tolerationSeconds: undefined }, { ...n, tolerationSeconds: undefined }),
    );
    if (!found) {
      errs.push(
        forbidden(
          'spec.tolerations',
          'existing toleration can not be modified except its tolerationSeconds',
        ),
      );
      break;
    }
  }
  if (semanticEqual(spec, oldSpec)) return errs;
  const munged: PodSpec = structuredClone(spec);
  munged.containers = munged.containers.map((c, i) => ({
    ...c,
    image: oldSpec.containers[i]?.image ?? '',
  }));
  if (munged.initContainers) {
    munged.initContainers = munged.initContainers.map((c, i) => ({
      ...c,
      image: oldSpec.initContainers?.[i]?.image ?? '',
    }));
  }
  if (oldADS === undefined) delete munged.activeDeadlineSeconds;
  else munged.activeDeadlineSeconds = oldADS;
  if (oldSpec.tolerations === undefined) delete munged.tolerations;
  else munged.tolerations = oldSpec.tolerations;
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (oldGrace !== undefined && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldGrace;
  }
  if (!semanticEqual(munged, oldSpec)) {
    const diff = describeDiff(oldSpec, munged, 'spec').join('\n');
    errs.push(
      forbidden(
        'spec',
        `pod updates may not change fields other than ${updatablePodSpecFields.join(',')}\n${diff}`,
      ),
    );
  }
  return errs;
}

/** ValidatePodStatusUpdate: nodeName stays, IPs valid and one per family. */
export function validatePodStatusUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  if ((pod.spec?.nodeName ?? '') !== (old.spec?.nodeName ?? '')) {
    errs.push(forbidden('status.nodeName', 'may not be changed directly'));
  }
  const status = pod.status ?? {};
  if (status.nominatedNodeName && status.nominatedNodeName !== old.status?.nominatedNodeName) {
    for (const m of nameIsDNSSubdomain(status.nominatedNodeName, false)) {
      errs.push(invalid('status.nominatedNodeName', status.nominatedNodeName, m));
    }
  }
  errs.push(...validateImmutable(status.qosClass, old.status?.qosClass, 'status.qosClass'));
  (status.conditions ?? []).forEach((c, i) => {
    if (['PodScheduled', 'Ready', 'Initialized', 'ContainersReady'].includes(c.type)) return;
    for (const m of isQualifiedName(c.type))
      errs.push(invalid(`metadata.conditions[${i}].Type`, c.type, m));
  });
  for (const [key, list] of [
    ['podIPs', status.podIPs ?? []],
    ['hostIPs', status.hostIPs ?? []],
  ] as const) {
    list.forEach((ip, i) => errs.push(...validateIP(ip.ip, `status.${key}[${i}]`)));
    if (list.length > 1) {
      const fams = list.map((ip) => parseIP(ip.ip)?.family);
      if (list.length > 2 || fams[0] === fams[1]) {
        errs.push(
          invalid(
            `status.${key}`,
            goStringSlice(list.map((x) => x.ip)),
            'may specify no more than one IP for each IP family',
          ),
        );
      }
    }
  }
  if ((status.hostIPs ?? []).length > 0 && status.hostIP !== status.hostIPs?.[0]?.ip) {
    errs.push(
      invalid('status.hostIPs[0].ip', status.hostIPs?.[0]?.ip ?? '', 'must be equal to `hostIP`'),
    );
  }
  return errs;
}

/**
 * Pod volumes on the node, under `<data dir>/pods/<uid>/volumes/<plugin>/<name>` as kubelet lays
 * them out: emptyDir (a directory; `medium: Memory` is a directory too), hostPath, configMap,
 * secret, downwardAPI and projected (configMap, secret, downwardAPI sources) are written as files
 * (re-written on every sync, so updates reach running pods); other volume types fail with a
 * clear message. Mounts are bind mounts made by the runtime.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  chmodSync,
  lstatSync,
} from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { ConfigMap, Container, Pod, Secret, Volume } from '../../api/types/core.js';
import { PorticoError } from '../../lib/errors.js';
import type { Mount } from '../runtime/types.js';
import { fieldPathValue, type EnvSources } from './env.js';

export class VolumeError extends PorticoError {
  constructor(message: string) {
    super('E_AGENT_VOLUME', message);
  }
}

export interface VolumeContext {
  /** `<data dir>/pods`. */
  readonly podsDir: string;
  readonly sources: EnvSources;
  readonly podIPs: readonly string[];
  readonly hostIPs: readonly string[];
}

interface FileSpec {
  readonly path: string;
  readonly content: Buffer;
  readonly mode: number;
}

function podDir(ctx: VolumeContext, pod: Pod): string {
  return join(ctx.podsDir, pod.metadata.uid ?? 'unknown');
}

function pluginDir(v: Volume): string {
  if (v.emptyDir) return 'kubernetes.io~empty-dir';
  if (v.configMap) return 'kubernetes.io~configmap';
  if (v.secret) return 'kubernetes.io~secret';
  if (v.downwardAPI) return 'kubernetes.io~downward-api';
  if (v.projected) return 'kubernetes.io~projected';
  return 'kubernetes.io~other';
}

/** A relative path inside a volume that stays inside it. */
function safeRelative(p: string): string {
  const n = normalize(p);
  if (n.startsWith('/') || n === '..' || n.startsWith('../'))
    throw new VolumeError(`path ${JSON.stringify(p)} must be relative and may not contain '..'`);
  return n;
}

function keyFiles(
  data: Readonly<Record<string, Buffer>>,
  items: readonly { key: string; path: string; mode?: number }[] | undefined,
  defaultMode: number,
  optional: boolean,
  what: string,
): FileSpec[] {
  if (!items || items.length === 0)
    return Object.entries(data).map(([k, v]) => ({ path: k, content: v, mode: defaultMode }));
  const out: FileSpec[] = [];
  for (const it of items) {
    const v = data[it.key];
    if (v === undefined) {
      if (optional) continue;
      throw new VolumeError(
        `configured to use key "${it.key}" of ${what}, but the key does not exist`,
      );
    }
    out.push({ path: safeRelative(it.path), content: v, mode: it.mode ?? defaultMode });
  }
  return out;
}

function configMapData(cm: ConfigMap): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm.data ?? {})) out[k] = Buffer.from(v);
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

function secretData(s: Secret): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

async function configMapFiles(
  ctx: VolumeContext,
  ns: string,
  src: {
    name?: string;
    items?: { key: string; path: string; mode?: number }[];
    optional?: boolean;
  },
  defaultMode: number,
): Promise<FileSpec[]> {
  const name = src.name ?? '';
  const cm = await ctx.sources.getConfigMap(ns, name);
  if (!cm) {
    if (src.optional) return [];
    throw new VolumeError(`configmap "${name}" not found`);
  }
  return keyFiles(
    configMapData(cm),
    src.items,
    defaultMode,
    src.optional ?? false,
    `configmap "${name}"`,
  );
}

async function secretFiles(
  ctx: VolumeContext,
  ns: string,
  src: { name: string; items?: { key: string; path: string; mode?: number }[]; optional?: boolean },
  defaultMode: number,
): Promise<FileSpec[]> {
  const s = await ctx.sources.getSecret(ns, src.name);
  if (!s) {
    if (src.optional) return [];
    throw new VolumeError(`secret "${src.name}" not found`);
  }
  return keyFiles(
    secretData(s),
    src.items,
    defaultMode,
    src.optional ?? false,
    `secret "${src.name}"`,
  );
}

function downwardFiles(
  ctx: VolumeContext,
  pod: Pod,
  items: readonly { path: string; fieldRef?: { fieldPath: string }; mode?: number }[],
  defaultMode: number,
): FileSpec[] {
  return items.map((it) => {
    if (!it.fieldRef)
      throw new VolumeError(`downwardAPI item ${it.path}: only fieldRef is supported`);
    return {
      path: safeRelative(it.path),
      content: Buffer.from(fieldPathValue(pod, it.fieldRef.fieldPath, ctx.podIPs, ctx.hostIPs)),
      mode: it.mode ?? defaultMode,
    };
  });
}

/** Writes `files` into `dir`, removing files that are no longer wanted. */
function writeFiles(dir: string, files: readonly FileSpec[]): void {
  mkdirSync(dir, { recursive: true });
  const wanted = new Set(files.map((f) => f.path));
  for (const f of files) {
    const target = join(dir, f.path);
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.portico-tmp`;
    writeFileSync(tmp, f.content);
    chmodSync(tmp, f.mode & 0o7777);
    renameSync(tmp, target);
  }
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else if (!wanted.has(r)) rmSync(join(d, e.name), { force: true });
    }
  };
  walk(dir, '');
}

/**
 * Prepares every volume of the pod and returns the host path of each, by volume name.
 * @throws VolumeError (kubelet's FailedMount)
 */
export async function setUpVolumes(
  ctx: VolumeContext,
  pod: Pod,
): Promise<Map<string, { path: string; readOnly: boolean }>> {
  const out = new Map<string, { path: string; readOnly: boolean }>();
  const ns = pod.metadata.namespace ?? 'default';
  for (const v of pod.spec?.volumes ?? []) {
    const dir = join(podDir(ctx, pod), 'volumes', pluginDir(v), v.name);
    if (v.emptyDir) {
      mkdirSync(dir, { recursive: true, mode: 0o777 });
      chmodSync(dir, 0o777);
      out.set(v.name, { path: dir, readOnly: false });
    } else if (v.hostPath) {
      const type = v.hostPath.type ?? '';
      const p = v.hostPath.path;
      if (type === 'DirectoryOrCreate' && !existsSync(p))
        mkdirSync(p, { recursive: true, mode: 0o755 });
      else if (type === 'FileOrCreate' && !existsSync(p)) {
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, '', { mode: 0o644 });
      } else if (type !== '' && !existsSync(p)) {
        throw new VolumeError(
          `hostPath type check failed: ${p} is not a ${type === 'Directory' ? 'directory' : type === 'File' ? 'file' : type}`,
        );
      } else if (type === 'Directory' && !lstatSync(p).isDirectory()) {
        throw new VolumeError(`hostPath type check failed: ${p} is not a directory`);
      }
      out.set(v.name, { path: p, readOnly: false });
    } else if (v.configMap) {
      const mode = v.configMap.defaultMode ?? 0o644;
      writeFiles(dir, await configMapFiles(ctx, ns, v.configMap, mode));
      out.set(v.name, { path: dir, readOnly: true });
    } else if (v.secret) {
      const mode = v.secret.defaultMode ?? 0o644;
      writeFiles(
        dir,
        await secretFiles(
          ctx,
          ns,
          {
            name: v.secret.secretName ?? '',
            ...(v.secret.items ? { items: v.secret.items } : {}),
            ...(v.secret.optional !== undefined ? { optional: v.secret.optional } : {}),
          },
          mode,
        ),
      );
      out.set(v.name, { path: dir, readOnly: true });
    } else if (v.downwardAPI) {
      writeFiles(
        dir,
        downwardFiles(ctx, pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? 0o644),
      );
      out.set(v.name, { path: dir, readOnly: true });
    } else if (v.projected) {
      const mode = v.projected.defaultMode ?? 0o644;
      const files: FileSpec[] = [];
      for (const src of v.projected.sources ?? []) {
        const s = src as {
          configMap?: {
            name?: string;
            items?: { key: string; path: string; mode?: number }[];
            optional?: boolean;
          };
          secret?: {
            name?: string;
            items?: { key: string; path: string; mode?: number }[];
            optional?: boolean;
          };
          downwardAPI?: {
            items?: { path: string; fieldRef?: { fieldPath: string }; mode?: number }[];
          };
          serviceAccountToken?: unknown;
          clusterTrustBundle?: unknown;
        };
        if (s.configMap) files.push(...(await configMapFiles(ctx, ns, s.configMap, mode)));
        else if (s.secret)
          files.push(
            ...(await secretFiles(
              ctx,
              ns,
              {
                name: s.secret.name ?? '',
                ...(s.secret.items ? { items: s.secret.items } : {}),
                ...(s.secret.optional !== undefined ? { optional: s.secret.optional } : {}),
              },
              mode,
            )),
          );
        else if (s.downwardAPI)
          files.push(...downwardFiles(ctx, pod, s.downwardAPI.items ?? [], mode));
        // serviceAccountToken and clusterTrustBundle sources are not served: nothing is written.
      }
      writeFiles(dir, files);
      out.set(v.name, { path: dir, readOnly: true });
    } else {
      const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
      throw new VolumeError(`volume "${v.name}": ${kind} volumes are not supported on this node`);
    }
  }
  return out;
}

/** The bind mounts of one container. @throws VolumeError */
export function containerMounts(
  container: Container,
  volumes: ReadonlyMap<string, { path: string; readOnly: boolean }>,
): Mount[] {
  const out: Mount[] = [];
  for (const vm of container.volumeMounts ?? []) {
    const v = volumes.get(vm.name);
    if (!v)
      throw new VolumeError(
        `volume "${vm.name}" of container ${container.name} is not defined in the pod`,
      );
    let hostPath = v.path;
    if (vm.subPath) {
      hostPath = join(v.path, safeRelative(vm.subPath));
      if (!existsSync(hostPath)) mkdirSync(hostPath, { recursive: true });
    }
    out.push({
      containerPath: vm.mountPath,
      hostPath,
      readOnly: (vm.readOnly ?? false) || v.readOnly,
    });
  }
  return out;
}

/** Removes the pod's directory (volumes and all). */
export function removePodDir(podsDir: string, uid: string): void {
  rmSync(join(podsDir, uid), { recursive: true, force: true });
}

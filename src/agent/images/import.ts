/**
 * `portico image import`: images from `docker save` archives (manifest.json + layer tars) and OCI
 * image layouts (oci-layout + index.json + blobs/, as a directory or a tar). Layers are extracted
 * with GNU tar (it detects gzip/zstd by itself) and their whiteouts converted to overlayfs form:
 * `.wh.<name>` becomes a 0:0 character device `<name>`, `.wh..wh..opq` the `trusted.overlay.opaque`
 * attribute of its directory (OCI image-spec layer.md, "Whiteouts").
 */
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec } from '../../lib/exec.js';
import { ImageImportError } from './errors.js';
import { formatReference, parseReference } from './reference.js';
import type { ImageRecord, ImageStore } from './store.js';
import type { ImageConfig } from './types.js';

/** Sets an extended attribute (the overlay opaque flag); portico-shim provides one. */
export type SetXattr = (path: string, name: string, value: string) => Promise<void>;

interface OciConfigFile {
  config?: {
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Env?: string[] | null;
    WorkingDir?: string;
    ExposedPorts?: Record<string, unknown> | null;
    User?: string;
    StopSignal?: string;
    Labels?: Record<string, string> | null;
  };
  created?: string;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string };
}

function toConfig(c: OciConfigFile['config']): ImageConfig {
  const out: { -readonly [K in keyof ImageConfig]: ImageConfig[K] } = {};
  if (!c) return out;
  if (c.Entrypoint) out.entrypoint = c.Entrypoint;
  if (c.Cmd) out.cmd = c.Cmd;
  if (c.Env) out.env = c.Env;
  if (c.WorkingDir) out.workingDir = c.WorkingDir;
  if (c.ExposedPorts) out.exposedPorts = Object.keys(c.ExposedPorts);
  if (c.User) out.user = c.User;
  if (c.StopSignal) out.stopSignal = c.StopSignal;
  if (c.Labels) out.labels = c.Labels;
  return out;
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (b) => h.update(b))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

function readJsonFile(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (e) {
    throw new ImageImportError(`cannot read ${what} (${path})`, { cause: e });
  }
}

async function convertWhiteouts(dir: string, setXattr: SetXattr): Promise<void> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.name === '.wh..wh..opq') {
      rmSync(p, { force: true });
      await setXattr(dir, 'trusted.overlay.opaque', 'y');
    } else if (e.name.startsWith('.wh.')) {
      rmSync(p, { recursive: true, force: true });
      const target = join(dir, e.name.slice(4));
      rmSync(target, { recursive: true, force: true });
      await exec('mknod', [target, 'c', '0', '0']);
    } else if (e.isDirectory()) {
      await convertWhiteouts(p, setXattr);
    }
  }
}

/** Extracts one layer archive into the store (once per content digest); returns its dir name. */
async function importLayer(store: ImageStore, archive: string, setXattr: SetXattr): Promise<string> {
  const digest = await sha256File(archive);
  const name = digest;
  const dir = join(store.layersDir, name);
  if (existsSync(dir)) return name;
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true, mode: 0o755 });
  try {
    await exec('tar', ['-xf', archive, '-C', tmp, '--numeric-owner', '--same-owner', '--preserve-permissions', '--xattrs']);
    await convertWhiteouts(tmp, setXattr);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new ImageImportError(`cannot extract layer ${archive}`, { cause: e });
  }
  renameSync(tmp, dir);
  return name;
}

function normaliseTag(tag: string, fallbackRepo: string | undefined): string | undefined {
  try {
    if (!tag.includes('/') && !tag.includes(':') && fallbackRepo) return formatReference(parseReference(`${fallbackRepo}:${tag}`));
    return formatReference(parseReference(tag));
  } catch {
    return undefined;
  }
}

async function fromDockerSave(store: ImageStore, root: string, setXattr: SetXattr, name?: string): Promise<ImageRecord[]> {
  const manifest = readJsonFile(join(root, 'manifest.json'), 'the docker manifest') as {
    Config: string;
    RepoTags?: string[] | null;
    Layers: string[];
  }[];
  const out: ImageRecord[] = [];
  for (const m of manifest) {
    const configPath = join(root, m.Config);
    const config = readJsonFile(configPath, 'the image config') as OciConfigFile;
    const layers: string[] = [];
    for (const l of m.Layers) layers.push(await importLayer(store, join(root, l), setXattr));
    const tags = (m.RepoTags ?? []).map((t) => normaliseTag(t, undefined)).filter((t): t is string => !!t);
    if (name) tags.push(formatReference(parseReference(name)));
    out.push({
      id: `sha256:${await sha256File(configPath)}`,
      repoTags: [...new Set(tags)],
      layers,
      config: toConfig(config.config),
      size: layers.reduce((n, l) => n + duBytes(join(store.layersDir, l)), 0),
      created: config.created ?? new Date().toISOString(),
    });
  }
  return out;
}

function blobPath(root: string, digest: string): string {
  const [alg, hex] = digest.split(':');
  if (!alg || !hex || !/^[a-f0-9]+$/.test(hex)) throw new ImageImportError(`bad digest ${digest}`);
  return join(root, 'blobs', alg, hex);
}

const hostArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

async function fromOciLayout(store: ImageStore, root: string, setXattr: SetXattr, name?: string): Promise<ImageRecord[]> {
  const index = readJsonFile(join(root, 'index.json'), 'the OCI index') as {
    manifests?: Descriptor[];
  };
  const out: ImageRecord[] = [];
  const arch = hostArch[process.arch] ?? process.arch;
  const visit = async (d: Descriptor, names: string[]): Promise<void> => {
    const mt = d.mediaType ?? '';
    if (mt.includes('image.index') || mt.includes('manifest.list')) {
      const sub = readJsonFile(blobPath(root, d.digest), 'an image index') as {
        manifests?: Descriptor[];
      };
      const candidates = (sub.manifests ?? []).filter(
        (m) => !m.annotations?.['vnd.docker.reference.type'] && (!m.platform || (m.platform.os === 'linux' && m.platform.architecture === arch)),
      );
      const chosen = candidates[0];
      if (!chosen) throw new ImageImportError(`no linux/${arch} image in ${d.digest}`);
      await visit(chosen, names);
      return;
    }
    const manifest = readJsonFile(blobPath(root, d.digest), 'an image manifest') as {
      config: Descriptor;
      layers: Descriptor[];
    };
    const config = readJsonFile(
      blobPath(root, manifest.config.digest),
      'the image config',
    ) as OciConfigFile;
    const layers: string[] = [];
    for (const l of manifest.layers) layers.push(await importLayer(store, blobPath(root, l.digest), setXattr));
    out.push({
      id: manifest.config.digest,
      repoTags: names,
      layers,
      config: toConfig(config.config),
      size: layers.reduce((n, l) => n + duBytes(join(store.layersDir, l)), 0),
      created: config.created ?? new Date().toISOString(),
    });
  };
  for (const d of index.manifests ?? []) {
    const a = d.annotations ?? {};
    const full = a['io.containerd.image.name'];
    const refName = a['org.opencontainers.image.ref.name'];
    const names: string[] = [];
    const fromAnnotation = full ?? (refName && (refName.includes('/') || refName.includes(':')) ? refName : undefined);
    if (fromAnnotation) {
      const t = normaliseTag(fromAnnotation, undefined);
      if (t) names.push(t);
    } else if (refName && name) {
      const t = normaliseTag(refName, formatReference({ ...parseReference(name), tag: undefined, digest: undefined }));
      if (t) names.push(t);
    }
    if (name && names.length === 0) names.push(formatReference(parseReference(name)));
    await visit(d, names);
  }
  return out;
}

function duBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += duBytes(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

/**
 * Imports every image of an archive or layout; `name` tags them (required when the source carries
 * no name). Returns what was stored.
 * @throws ImageImportError
 */
export async function importImages(
  store: ImageStore,
  source: string,
  options: { name?: string; setXattr: SetXattr },
): Promise<ImageRecord[]> {
  if (!existsSync(source)) throw new ImageImportError(`${source} does not exist`);
  await store.open();
  let root = source;
  let scratch: string | undefined;
  if (!statSync(source).isDirectory()) {
    scratch = mkdtempSync(join(tmpdir(), 'portico-import-'));
    try {
      await exec('tar', ['-xf', source, '-C', scratch]);
    } catch (e) {
      rmSync(scratch, { recursive: true, force: true });
      throw new ImageImportError(`${source} is not a tar archive`, { cause: e });
    }
    root = scratch;
  }
  try {
    let records: ImageRecord[];
    if (existsSync(join(root, 'manifest.json'))) records = await fromDockerSave(store, root, options.setXattr, options.name);
    else if (existsSync(join(root, 'index.json'))) records = await fromOciLayout(store, root, options.setXattr, options.name);
    else throw new ImageImportError(`${source} is neither a docker save archive nor an OCI image layout`);
    if (records.length === 0) throw new ImageImportError(`${source} holds no image`);
    for (const r of records) store.saveRecord(r);
    return records;
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

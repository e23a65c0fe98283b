/**
 * The node's local image store (`<data dir>/images`): the built-in images (builtin.ts), plus images
 * imported from OCI layouts and `docker save` archives (import.ts). There is no registry to pull
 * from: an image is here or it is not (ImageNotFoundError).
 *
 *   images/layers/<hex>/            one directory per layer (extracted, whiteouts converted)
 *   images/records/<hex>.json       one record per imported image (repoTags, layers, config)
 *   images/builtin/tls/             porter's self-signed pair, made once per node
 *
 * An imported image shadows a built-in one with the same name and tag.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../../lib/log/logger.js';
import { discardLogger } from '../../lib/log/logger.js';
import {
  appSources,
  builtinImages,
  layerHash,
  missingBusyboxApplets,
  type BuiltinImage,
  type BuiltinLayer,
} from './builtin.js';
import { ImageNotFoundError } from './errors.js';
import { formatReference, looksLikeId, parseReference, repository } from './reference.js';
import type { Image, ImageConfig, ImageService } from './types.js';

export interface ImageRecord {
  readonly id: string;
  repoTags: string[];
  readonly layers: readonly string[];
  readonly config: ImageConfig;
  readonly size: number;
  readonly created: string;
}

export interface ImageStoreOptions {
  /** `<data dir>/images`. */
  readonly dir: string;
  /** The host's Node binary the built-in apps run with; default this process's. */
  readonly node?: string;
  /** Busybox on the host (applet links for the busybox image); default: found on PATH. */
  readonly busybox?: string;
  readonly logger?: Logger;
}

function findOnPath(name: string): string | undefined {
  for (const d of (process.env['PATH'] ?? '/usr/bin:/bin').split(':')) {
    const p = join(d, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function dirSize(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += dirSize(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

export class ImageStore implements ImageService {
  readonly dir: string;
  readonly #o: ImageStoreOptions;
  readonly #log: Logger;
  #builtins: { def: BuiltinImage; image: Image }[] | undefined;

  constructor(options: ImageStoreOptions) {
    this.dir = options.dir;
    this.#o = options;
    this.#log = options.logger ?? discardLogger;
  }

  get layersDir(): string {
    return join(this.dir, 'layers');
  }
  get recordsDir(): string {
    return join(this.dir, 'records');
  }

  /** Materialises the built-in images' layers (once per content). Called lazily by every read. */
  open(): Promise<void> {
    if (this.#builtins) return Promise.resolve();
    mkdirSync(this.layersDir, { recursive: true });
    mkdirSync(this.recordsDir, { recursive: true });
    const busybox = this.#o.busybox ?? findOnPath('busybox');
    const tls = this.#tlsPair();
    const defs = builtinImages({
      node: this.#o.node ?? process.execPath,
      apps: appSources(),
      ...(tls ? { tls } : {}),
      ...(busybox ? { busybox, busyboxApplets: missingBusyboxApplets(busybox) } : {}),
    });
    this.#builtins = defs.map((def) => {
      const layers = def.layers.map((l) => this.#materialise(l));
      const id = `sha256:${createHash('sha256')
        .update(JSON.stringify({ r: def.repositories, t: def.displayTag, layers, config: def.config }))
        .digest('hex')}`;
      const image: Image = {
        id,
        repoTags: def.repositories.map((r) => `${r}:${def.displayTag}`),
        layers,
        config: def.config,
        size: layers.reduce((n, l) => n + dirSize(l), 0),
        builtin: true,
        created: new Date(0).toISOString(),
      };
      return { def, image };
    });
    return Promise.resolve();
  }

  /** A self-signed pair for `localhost` (127.0.0.1, ::1), as agnhost's image carries. */
  #tlsPair(): { cert: string; key: string } | undefined {
    const dir = join(this.dir, 'builtin', 'tls');
    const crt = join(dir, 'localhost.crt');
    const key = join(dir, 'localhost.key');
    if (!existsSync(crt) || !existsSync(key)) {
      mkdirSync(dir, { recursive: true });
      try {
        execFileSync(
          'openssl',
          [
            'req', '-x509', '-newkey', 'ec',
            '-pkeyopt',
            'ec_paramgen_curve:prime256v1', '-nodes', '-days', '36500',
            '-subj', '/O=Acme Co/CN=localhost',
            '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
            '-keyout', `${key}.tmp`, '-out', `${crt}.tmp`,
          ],
          { stdio: 'ignore' },
        );
        renameSync(`${key}.tmp`, key);
        renameSync(`${crt}.tmp`, crt);
      } catch (e) {
        this.#log.warn('No TLS pair for the agnhost image (openssl failed): porter TLS ports will fail', {
          err: e instanceof Error ? e.message : String(e),
        });
        return undefined;
      }
    }
    return { cert: readFileSync(crt, 'utf8'), key: readFileSync(key, 'utf8') };
  }

  #materialise(layer: BuiltinLayer): string {
    const dir = join(this.layersDir, `builtin-${layer.name}-${layerHash(layer).slice(0, 16)}`);
    if (existsSync(dir)) return dir;
    const tmp = `${dir}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true, mode: 0o755 });
    for (const f of layer.files) {
      const target = join(tmp, f.path);
      mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
      if ('symlink' in f) symlinkSync(f.symlink, target);
      else {
        writeFileSync(target, f.content);
        chmodSync(target, f.mode ?? 0o644);
      }
    }
    // Directories created here must not hide the host's permissions (overlay takes the upper
    // layer's directory attributes): keep them 0755 like the host's /usr, /usr/local, /usr/lib.
    renameSync(tmp, dir);
    return dir;
  }

  #records(): ImageRecord[] {
    if (!existsSync(this.recordsDir)) return [];
    const out: ImageRecord[] = [];
    for (const name of readdirSync(this.recordsDir)) {
      if (!name.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(readFileSync(join(this.recordsDir, name), 'utf8')) as ImageRecord);
      } catch {
        // half-written: ignored
      }
    }
    return out;
  }

  #toImage(r: ImageRecord): Image {
    return {
      id: r.id,
      repoTags: r.repoTags,
      layers: r.layers.map((l) => join(this.layersDir, l)),
      config: r.config,
      size: r.size,
      builtin: false,
      created: r.created,
    };
  }

  async list(): Promise<readonly Image[]> {
    await this.open();
    return [...this.#records().map((r) => this.#toImage(r)), ...(this.#builtins ?? []).map((b) => b.image)];
  }

  async resolve(reference: string): Promise<Image> {
    await this.open();
    const records = this.#records();
    const builtins = this.#builtins ?? [];
    if (looksLikeId(reference)) {
      const hex = reference.replace(/^sha256:/, '');
      const all = [...records.map((r) => this.#toImage(r)), ...builtins.map((b) => b.image)];
      const byId = all.filter((i) => i.id.slice('sha256:'.length).startsWith(hex));
      if (byId.length === 1 && byId[0]) return byId[0];
    }
    const ref = parseReference(reference);
    const repo = repository(ref);
    if (ref.tag !== undefined) {
      const name = formatReference({ ...ref, digest: undefined });
      const rec = records.find((r) => r.repoTags.includes(name));
      if (rec) return this.#toImage(rec);
      const tag = ref.tag;
      const b = builtins.find(
        (x) => x.def.repositories.includes(repo) && (x.def.tags === '*' || x.def.tags.includes(tag)),
      );
      if (b) return b.image;
    } else if (ref.digest) {
      const rec = records.find(
        (r) => r.id === ref.digest && r.repoTags.some((t) => t.startsWith(`${repo}:`)),
      );
      if (rec) return this.#toImage(rec);
    }
    throw new ImageNotFoundError(reference);
  }

  /** Saves an imported image (import.ts); names taken by another record move to this one. */
  saveRecord(record: ImageRecord): void {
    const names = new Set(record.repoTags);
    for (const other of this.#records()) {
      if (other.id === record.id) continue;
      const kept = other.repoTags.filter((t) => !names.has(t));
      if (kept.length !== other.repoTags.length) {
        other.repoTags = kept;
        this.#writeRecord(other);
      }
    }
    const existing = this.#records().find((r) => r.id === record.id);
    if (existing) record.repoTags = [...new Set([...existing.repoTags, ...record.repoTags])];
    this.#writeRecord(record);
  }

  #writeRecord(record: ImageRecord): void {
    const path = join(this.recordsDir, `${record.id.replace(/^sha256:/, '')}.json`);
    mkdirSync(this.recordsDir, { recursive: true });
    writeFileSync(`${path}.tmp`, JSON.stringify(record, null, 2) + '\n');
    renameSync(`${path}.tmp`, path);
  }

  /**
   * Removes an imported image by reference or id, and the layers no other image uses. Built-in
   * images cannot be removed. Containers running from it keep their mounted layers only while
   * they run: remove images that no pod uses.
   * @throws ImageNotFoundError
   */
  async remove(reference: string): Promise<Image> {
    const image = await this.resolve(reference);
    if (image.builtin) throw new ImageNotFoundError(`${reference} (built-in images cannot be removed)`);
    rmSync(join(this.recordsDir, `${image.id.replace(/^sha256:/, '')}.json`), { force: true });
    const used = new Set(this.#records().flatMap((r) => r.layers));
    for (const l of image.layers) {
      const name = l.slice(this.layersDir.length + 1);
      if (!used.has(name)) rmSync(l, { recursive: true, force: true });
    }
    this.#log.info('Removed image', { id: image.id, repoTags: image.repoTags });
    return image;
  }
}

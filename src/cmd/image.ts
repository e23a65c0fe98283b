/** `portico image list|import|rm|inspect`: the node's local image store (there is no registry). */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ImageImportError,
  ImageNotFoundError,
  InvalidReferenceError,
} from '../agent/images/errors.js';
import { importImages } from '../agent/images/import.js';
import { familiarName, parseReference } from '../agent/images/reference.js';
import { ImageStore } from '../agent/images/store.js';
import type { Image } from '../agent/images/types.js';
import { ensureShim } from '../agent/runtime/shimbin.js';
import { exec } from '../lib/exec.js';
import { defaultDataDir } from './datadir.js';

const usage = `Usage:
  portico image list [-o table|json]                the images on this node (built-in and imported)
  portico image import [--name REF] SOURCE...       add images from \`docker save\` archives or OCI layouts
                                                    (a directory or a tar); --name tags an unnamed one
  portico image rm REF...                           remove imported images
  portico image inspect REF                         an image's config and layers, as JSON

Flags:
  --data-dir DIR   the node's data directory (default ${defaultDataDir()}); images live in DIR/images

Images resolve with or without registry and tag: busybox = docker.io/library/busybox:latest.`;

function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let n = bytes;
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n < 10 && i > 0 ? n.toFixed(1) : Math.round(n)}${units[i] ?? 'B'}`;
}

function rows(images: readonly Image[]): string[][] {
  const out: string[][] = [];
  for (const img of images) {
    const id = img.id.replace(/^sha256:/, '').slice(0, 13);
    const names = img.repoTags.length > 0 ? img.repoTags : ['<none>:<none>'];
    for (const t of names) {
      let repo = t;
      let tag = '<none>';
      try {
        const ref = parseReference(t);
        const fam = familiarName({ ...ref, tag: undefined });
        repo = fam;
        tag = ref.tag ?? '<none>';
      } catch {
        // keep as is
      }
      out.push([
        repo,
        img.builtin && tag !== '<none>' ? `${tag} (built-in)` : tag,
        id,
        humanSize(img.size),
      ]);
    }
  }
  return out;
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3)))
      .join('')
      .trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      name: { type: 'string' },
      output: { type: 'string', short: 'o', default: 'table' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [sub, ...rest] = positionals;
  if (values.help || sub === undefined) {
    console.log(usage);
    return sub === undefined && !values.help ? 2 : 0;
  }
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const store = new ImageStore({ dir: join(dataDir, 'images') });
  try {
    switch (sub) {
      case 'list':
      case 'ls': {
        const images = await store.list();
        if (values.output === 'json') console.log(JSON.stringify(images, null, 2));
        else console.log(table(['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'], rows(images)));
        return 0;
      }
      case 'import': {
        if (rest.length === 0) {
          console.error('portico image import: name an archive or OCI layout to import');
          return 2;
        }
        if (process.getuid?.() !== 0) {
          console.error(
            'portico image import: needs root (layers keep their owners and whiteouts are device files)',
          );
          return 1;
        }
        const shim = await ensureShim(join(dataDir, 'runtime', 'bin'));
        const setXattr = async (path: string, name: string, value: string) => {
          await exec(shim, ['setxattr', path, name, value]);
        };
        for (const source of rest) {
          const records = await importImages(store, source, {
            setXattr,
            ...(values.name ? { name: values.name } : {}),
          });
          for (const r of records) {
            const names = r.repoTags.map((t) => familiarName(parseReference(t)));
            console.log(`Imported ${names.join(', ') || '<untagged>'} (${r.id.slice(0, 19)})`);
          }
        }
        return 0;
      }
      case 'rm':
      case 'remove': {
        for (const ref of rest) {
          const img = await store.remove(ref);
          console.log(`Deleted: ${img.id}`);
        }
        return 0;
      }
      case 'inspect': {
        const ref = rest[0];
        if (!ref) {
          console.error('portico image inspect: name an image');
          return 2;
        }
        console.log(JSON.stringify(await store.resolve(ref), null, 2));
        return 0;
      }
      default:
        console.error(`portico image: unknown subcommand ${JSON.stringify(sub)}\n\n${usage}`);
        return 2;
    }
  } catch (e) {
    if (
      e instanceof ImageNotFoundError ||
      e instanceof InvalidReferenceError ||
      e instanceof ImageImportError
    ) {
      console.error(`portico image: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

import { createHash } from 'node:crypto';
import { ImageNotFoundError } from './errors.js';
import { formatReference, looksLikeId, parseReference, repository } from './reference.js';
import type { Image, ImageConfig, ImageService } from './types.js';

/**
 * An in-memory ImageService for unit tests: images are added by reference and resolve with the
 * same normalisation rules as the real store (`busybox` = `docker.io/library/busybox:latest`).
 */
export class FakeImageService implements ImageService {
  readonly #images: Image[] = [];
  /** Every reference `resolve` was asked for, in order. */
  readonly resolved: string[] = [];

  constructor(options: { images?: readonly { ref: string; config?: ImageConfig }[] } = {}) {
    for (const i of options.images ?? []) this.add(i.ref, i.config);
  }

  /** Adds an image named by `ref` (normalised); returns it. */
  add(ref: string, config: ImageConfig = {}): Image {
    const name = formatReference(parseReference(ref));
    const id = `sha256:${createHash('sha256').update(name + JSON.stringify(config)).digest('hex')}`;
    const image: Image = {
      id,
      repoTags: [name],
      layers: [],
      config,
      size: 0,
      builtin: false,
      created: new Date(0).toISOString(),
    };
    this.#images.push(image);
    return image;
  }

  remove(ref: string): void {
    const name = formatReference(parseReference(ref));
    const i = this.#images.findIndex((x) => x.repoTags.includes(name));
    if (i >= 0) this.#images.splice(i, 1);
  }

  resolve(reference: string): Promise<Image> {
    this.resolved.push(reference);
    if (looksLikeId(reference)) {
      const hex = reference.replace(/^sha256:/, '');
      const byId = this.#images.filter((x) => x.id.slice(7).startsWith(hex));
      if (byId.length === 1 && byId[0]) return Promise.resolve(byId[0]);
    }
    const ref = parseReference(reference);
    const found = this.#images.find(
      (x) =>
        (ref.tag !== undefined && x.repoTags.includes(formatReference({ ...ref, digest: undefined }))) ||
        (ref.tag === undefined && ref.digest === x.id && x.repoTags.some((t) => t.startsWith(repository(ref) + ':'))),
    );
    if (!found) return Promise.reject(new ImageNotFoundError(reference));
    return Promise.resolve(found);
  }

  list(): Promise<readonly Image[]> {
    return Promise.resolve([...this.#images]);
  }
}

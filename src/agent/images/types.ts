/**
 * The local image store's seam. An image is a stack of layer directories (bottom first) and an
 * OCI-style config; the host's root filesystem lies under the bottom layer, so an image only
 * carries what it adds to the host (`luksa/kubia` is one file, `busybox` is a few symlinks).
 */

/** The runtime-relevant part of an OCI image config (`config` of the image config JSON). */
export interface ImageConfig {
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  /** `NAME=value` strings, as in the OCI config. */
  readonly env?: readonly string[];
  readonly workingDir?: string;
  /** `"8080/tcp"` keys, as in the OCI config. */
  readonly exposedPorts?: readonly string[];
  readonly user?: string;
  readonly stopSignal?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** An image in the store. */
export interface Image {
  /** `sha256:<hex>` of the canonical config: stable for identical content. */
  readonly id: string;
  /** Normalised references naming it (`docker.io/luksa/kubia:latest`). */
  readonly repoTags: readonly string[];
  /** Absolute paths of the layer directories, bottom first. */
  readonly layers: readonly string[];
  readonly config: ImageConfig;
  /** Bytes in its layers. */
  readonly size: number;
  /** True for the images Portico ships (they cannot be removed). */
  readonly builtin: boolean;
  /** RFC 3339. */
  readonly created: string;
}

/** Finds, lists and adds images. Resolution accepts any spelling of a reference (see reference.ts). */
export interface ImageService {
  /**
   * The image a reference names: `luksa/kubia`, `docker.io/luksa/kubia:latest`, `busybox:1.36`
   * (a tag we do not have falls back to nothing: it is not found), `sha256:…` or a unique id prefix.
   * @throws ImageNotFoundError
   * @throws InvalidReferenceError for a malformed reference.
   */
  resolve(reference: string): Promise<Image>;
  list(): Promise<readonly Image[]>;
}

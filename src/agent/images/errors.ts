import { PorticoError } from '../../lib/errors.js';

/**
 * The image is not in the local store (there is no registry to pull from). The agent reports it as
 * `ErrImagePull`, then `ImagePullBackOff`, as kubelet does.
 */
export class ImageNotFoundError extends PorticoError {
  readonly reference: string;
  constructor(reference: string) {
    super(
      'E_IMAGE_NOT_FOUND',
      `image ${JSON.stringify(reference)} is not in the local image store; add it with \`portico image import\``,
    );
    this.reference = reference;
  }
}

/** A reference that is not a valid image name (kubelet: `InvalidImageName`). */
export class InvalidReferenceError extends PorticoError {
  readonly reference: string;
  constructor(reference: string, why: string) {
    super('E_IMAGE_INVALID_REFERENCE', `invalid image reference ${JSON.stringify(reference)}: ${why}`);
    this.reference = reference;
  }
}

/** An archive or layout that cannot be imported. */
export class ImageImportError extends PorticoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_IMAGE_IMPORT', message, options);
  }
}

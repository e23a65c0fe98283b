import { PorticoError } from '../../lib/errors.js';

export class SandboxNotFoundError extends PorticoError {
  readonly sandboxId: string;
  constructor(sandboxId: string) {
    super('E_SANDBOX_NOT_FOUND', `pod sandbox ${sandboxId} not found`);
    this.sandboxId = sandboxId;
  }
}

/** The sandbox exists but its namespace holder is gone or it was stopped: replace it. */
export class SandboxNotReadyError extends PorticoError {
  readonly sandboxId: string;
  constructor(sandboxId: string) {
    super('E_SANDBOX_NOT_READY', `pod sandbox ${sandboxId} is not ready`);
    this.sandboxId = sandboxId;
  }
}

export class ContainerNotFoundError extends PorticoError {
  readonly containerId: string;
  constructor(containerId: string) {
    super('E_CONTAINER_NOT_FOUND', `container ${containerId} not found`);
    this.containerId = containerId;
  }
}

/** exec/attach on a container that is not running. */
export class ContainerNotRunningError extends PorticoError {
  readonly containerId: string;
  constructor(containerId: string) {
    super('E_CONTAINER_NOT_RUNNING', `container ${containerId} is not running`);
    this.containerId = containerId;
  }
}

/** runc, the shim or a mount failed; `message` carries the tool's own words. */
export class RuntimeError extends PorticoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_RUNTIME', message, options);
  }
}

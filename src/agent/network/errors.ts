import { PorticoError } from '../../lib/errors.js';

/** Setting up or tearing down the pod network failed; the message says what and why. */
export class NetworkError extends PorticoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_NETWORK', message, options);
  }
}

/** Every address of the pod CIDR is taken. */
export class IPExhaustedError extends NetworkError {
  constructor(cidr: string) {
    super(`no free IP address left in pod CIDR ${cidr}`);
  }
}

/** Allocator outcomes a caller acts on, with kube's ipallocator / portallocator messages. */
import { PorticoError } from '../../lib/errors.js';

export type AllocationErrorCode = 'E_ALLOC_FULL' | 'E_ALLOC_ALLOCATED' | 'E_ALLOC_NOT_IN_RANGE';

export class AllocationError extends PorticoError {
  declare readonly code: AllocationErrorCode;
}

export const rangeFull = (): AllocationError =>
  new AllocationError('E_ALLOC_FULL', 'range is full');

/**
 * What a resource's registry does beyond storing bytes: defaulting, validation, preparation of
 * create/update/status writes, field selectors and allocations (kube-apiserver's
 * `rest.RESTCreateStrategy` family, as one interface). The generic registry calls these hooks in
 * this order on create:
 *
 *   decode → strict field check → defaults → prepareForCreate → (metadata: uid, timestamps,
 *   generateName) → admit → validate → allocate → store.create → tx.commit (tx.revert on failure)
 *
 * and on update: … defaults → prepareForUpdate → admit → validateUpdate → allocate(obj, old) → store.update → tx.commit.
 * On delete, after the store committed: release.
 */
import type { ClusterConfig } from '../../api/cluster.js';
import type { FieldError } from '../../api/meta/fielderrors.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { ResourceType } from '../../api/scheme.js';

/** Read access to other objects, for admission-like decisions (the default IngressClass). */
export interface StrategyContext {
  readonly config: ClusterConfig;
  get(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined>;
  list(rt: ResourceType, namespace?: string): Promise<KubeObject[]>;
}

/** Allocations made for a write: committed after the store accepted it, reverted otherwise. */
export interface AllocationTx {
  /** The write is stored: release what the old object held and the new one no longer does. */
  commit(): void;
  /** The write failed: release what was allocated for it. */
  revert(): void;
}

export interface Strategy<T extends KubeObject = KubeObject> {
  /** SetDefaults_<Kind>: mutates `obj`. Runs on create and update bodies. */
  defaults?(obj: T): void;
  /** Drops what a client may not set on create (status), sets generation. */
  prepareForCreate?(obj: T): void;
  /** Keeps status from `old` (main resource writes ignore status), bumps generation on spec change. */
  prepareForUpdate?(obj: T, old: T): void;
  /** Mutation that needs other objects (defaults that depend on cluster state). */
  admit?(obj: T, old: T | undefined, ctx: StrategyContext): Promise<void>;
  /** Full validation, metadata included. */
  validate?(obj: T, ctx: StrategyContext): FieldError[];
  validateUpdate?(obj: T, old: T, ctx: StrategyContext): FieldError[];
  /** status subresource writes: keep everything but status (and metadata labels/annotations) from `old`. */
  prepareForStatusUpdate?(obj: T, old: T): void;
  validateStatusUpdate?(obj: T, old: T, ctx: StrategyContext): FieldError[];
  /** Values of the fields `?fieldSelector=` may name beyond metadata.name and metadata.namespace. */
  selectableFields?(obj: T): Record<string, string>;
  /** ClusterIPs, nodePorts: mutates `obj` (fills what it asked to allocate) and returns the transaction. @throws ApiError (422) */
  allocate?(obj: T, old: T | undefined, ctx: StrategyContext): Promise<AllocationTx>;
  /** Releases what a deleted object held. */
  release?(obj: T): void;
  /**
   * Writes through the `finalize` subresource (namespaces): only spec.finalizers changes, so the
   * namespace controller can let a Terminating namespace go. Main-resource updates keep them.
   */
  prepareForFinalizeUpdate?(obj: T, old: T): void;
  validateFinalizeUpdate?(obj: T, old: T, ctx: StrategyContext): FieldError[];
}

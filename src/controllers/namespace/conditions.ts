/**
 * The status conditions of a terminating namespace, worded as kube's namespace controller
 * words them (pkg/controller/namespace/deletion), computed from what deletion found.
 */
import type { Condition } from '../../api/meta/types.js';

export interface DeletionOutcome {
  /** Discovery failed: the error text. */
  readonly discoveryError?: string | undefined;
  /** Deletes that failed, as messages. */
  readonly deleteErrors: readonly string[];
  /** Objects left, by resource (plural name). */
  readonly remaining: ReadonlyMap<string, number>;
  /** Objects left that hold finalizers, by finalizer. */
  readonly finalizers: ReadonlyMap<string, number>;
}

function cond(type: string, on: boolean, reason: string, message: string, now: string): Condition {
  return { type, status: on ? 'True' : 'False', lastTransitionTime: now, reason, message };
}

/** The five deletion conditions; lastTransitionTime is kept where the status did not change. */
export function namespaceConditions(
  outcome: DeletionOutcome,
  previous: readonly Condition[],
  now: string,
): Condition[] {
  const remaining = [...outcome.remaining]
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b));
  const finalizers = [...outcome.finalizers]
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b));
  const next = [
    outcome.discoveryError !== undefined
      ? cond(
          'NamespaceDeletionDiscoveryFailure',
          true,
          'DiscoveryFailed',
          `Discovery failed for some groups: ${outcome.discoveryError}`,
          now,
        )
      : cond(
          'NamespaceDeletionDiscoveryFailure',
          false,
          'ResourcesDiscovered',
          'All resources successfully discovered',
          now,
        ),
    cond(
      'NamespaceDeletionGroupVersionParsingFailure',
      false,
      'ParsedGroupVersions',
      'All legacy kube types successfully parsed',
      now,
    ),
    outcome.deleteErrors.length > 0
      ? cond(
          'NamespaceDeletionContentFailure',
          true,
          'ContentDeletionFailed',
          `Failed to delete all resource types, ${outcome.deleteErrors.length} remaining: ${outcome.deleteErrors.join(', ')}`,
          now,
        )
      : cond(
          'NamespaceDeletionContentFailure',
          false,
          'ContentDeleted',
          'All content successfully deleted, may be waiting on finalization',
          now,
        ),
    remaining.length > 0
      ? cond(
          'NamespaceContentRemaining',
          true,
          'SomeResourcesRemain',
          `Some resources are remaining: ${remaining.map(([r, n]) => `${r} has ${n} resource instances`).join(', ')}`,
          now,
        )
      : cond(
          'NamespaceContentRemaining',
          false,
          'ContentRemoved',
          'All content successfully removed',
          now,
        ),
    finalizers.length > 0
      ? cond(
          'NamespaceFinalizersRemaining',
          true,
          'SomeFinalizersRemain',
          `Some content in the namespace has finalizers remaining: ${finalizers.map(([f, n]) => `${f} in ${n} resource instances`).join(', ')}`,
          now,
        )
      : cond(
          'NamespaceFinalizersRemaining',
          false,
          'ContentHasNoFinalizers',
          'All content-preserving finalizers finished',
          now,
        ),
  ];
  return next.map((c) => {
    const prev = previous.find((p) => p.type === c.type);
    return prev !== undefined && prev.status === c.status && prev.lastTransitionTime !== undefined
      ? { ...c, lastTransitionTime: prev.lastTransitionTime }
      : c;
  });
}

/**
 * The namespaced resources to empty a namespace of, found by discovery (GET /api/v1, /apis and
 * each group's preferred version) so that it works against any Kubernetes API, custom resources
 * included.
 */
import type { ResourceType } from '../../api/scheme.js';
import type { Client } from '../../client/types.js';
import { PorticoError } from '../../lib/errors.js';

/** Discovery failed; the namespace condition NamespaceDeletionDiscoveryFailure says so. */
export class DiscoveryError extends PorticoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_DISCOVERY', message, options);
  }
}

interface APIResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs?: string[];
}

async function getJSON<T>(client: Client, path: string): Promise<T> {
  const res = await client.request({ method: 'GET', path, accept: 'application/json' });
  if (res.status !== 200) throw new DiscoveryError(`GET ${path}: HTTP ${res.status}`);
  return JSON.parse(res.body.toString('utf8')) as T;
}

/** A deletable resource and whether it supports deletecollection. */
export interface DeletableResource {
  readonly rt: ResourceType;
  readonly deleteCollection: boolean;
}

function toResourceTypes(
  group: string,
  version: string,
  list: readonly APIResource[],
): DeletableResource[] {
  return list
    .filter(
      (r) =>
        r.namespaced &&
        !r.name.includes('/') &&
        (r.verbs ?? []).includes('list') &&
        (r.verbs ?? []).some((v) => v === 'delete' || v === 'deletecollection'),
    )
    .map((r) => ({
      rt: {
        group,
        version,
        kind: r.kind,
        listKind: `${r.kind}List`,
        resource: r.name,
        singular: r.kind.toLowerCase(),
        namespaced: true,
        shortNames: [],
        categories: [],
        subresources: [],
      },
      deleteCollection: (r.verbs ?? []).includes('deletecollection'),
    }));
}

/**
 * Every namespaced resource that can be listed and deleted, at its group's preferred version.
 * @throws DiscoveryError
 */
export async function discoverNamespacedResources(client: Client): Promise<DeletableResource[]> {
  try {
    const out = toResourceTypes(
      '',
      'v1',
      (await getJSON<{ resources: APIResource[] }>(client, '/api/v1')).resources,
    );
    const groups = await getJSON<{
      groups?: {
        name: string;
        preferredVersion?: { version: string };
        versions?: { version: string }[];
      }[];
    }>(client, '/apis');
    for (const g of groups.groups ?? []) {
      const version = g.preferredVersion?.version ?? g.versions?.[0]?.version;
      if (version === undefined) continue;
      const list = await getJSON<{ resources: APIResource[] }>(
        client,
        `/apis/${g.name}/${version}`,
      );
      out.push(...toResourceTypes(g.name, version, list.resources));
    }
    return out;
  } catch (e) {
    if (e instanceof DiscoveryError) throw e;
    throw new DiscoveryError(
      `resource discovery failed: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
}

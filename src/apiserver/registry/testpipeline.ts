/**
 * The engine's hook order (strategy.ts) over an in-memory map, for unit tests of strategies:
 * create, update, status update and delete run exactly the hooks the registry runs, so tests
 * see the objects and errors a client would, without a store or a server.
 */
import { defaultClusterConfig, type ClusterConfig } from '../../api/cluster.js';
import { invalid } from '../../api/meta/status.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { ResourceType } from '../../api/scheme.js';
import type { StrategySet } from './strategies.js';
import type { StrategyContext } from './strategy.js';

export class TestPipeline {
  readonly objects = new Map<string, KubeObject>();
  readonly ctx: StrategyContext;
  readonly #strategies: StrategySet;
  #uid = 0;
  #rv = 1;

  constructor(strategies: StrategySet, config: ClusterConfig = defaultClusterConfig) {
    this.#strategies = strategies;
    const key = (rt: ResourceType, ns: string | undefined, name: string): string =>
      `${rt.group}/${rt.resource}/${rt.namespaced ? (ns ?? '') : ''}/${name}`;
    this.ctx = {
      config,
      get: (rt, ns, name) => Promise.resolve(structuredClone(this.objects.get(key(rt, ns, name)))),
      list: (rt, ns) =>
        Promise.resolve(
          [...this.objects.entries()]
            .filter(([k]) =>
              k.startsWith(`${rt.group}/${rt.resource}/${ns === undefined ? '' : `${ns}/`}`),
            )
            .map(([, v]) => structuredClone(v)),
        ),
    };
    this.key = key;
  }

  readonly key: (rt: ResourceType, ns: string | undefined, name: string) => string;

  get(rt: ResourceType, ns: string | undefined, name: string): KubeObject | undefined {
    return structuredClone(this.objects.get(this.key(rt, ns, name)));
  }

  /** Create as the engine does. @throws ApiError */
  async create<T extends KubeObject>(rt: ResourceType, body: T): Promise<T> {
    const obj = structuredClone(body);
    const s = this.#strategies.for(rt);
    obj.apiVersion = rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
    obj.kind = rt.kind;
    // Status on create is the strategy's decision (prepareForCreate): most kinds drop it, Nodes
    // keep the one their kubelet registers with.
    s.defaults?.(obj);
    s.prepareForCreate?.(obj);
    obj.metadata.uid = `uid-${++this.#uid}`;
    obj.metadata.creationTimestamp = new Date(Date.UTC(2024, 0, 1, 0, 0, this.#uid))
      .toISOString()
      .replace('.000Z', 'Z');
    if (!obj.metadata.name && obj.metadata.generateName)
      obj.metadata.name = `${obj.metadata.generateName}x${this.#uid}`;
    await s.admit?.(obj, undefined, this.ctx);
    const errs = s.validate?.(obj, this.ctx) ?? [];
    if (errs.length > 0) throw invalid(rt.group, rt.kind, obj.metadata.name ?? '', errs);
    const tx = await s.allocate?.(obj, undefined, this.ctx);
    const k = this.key(rt, obj.metadata.namespace, obj.metadata.name ?? '');
    if (this.objects.has(k)) {
      tx?.revert();
      throw new Error(`${k} exists`);
    }
    obj.metadata.resourceVersion = String(++this.#rv);
    this.objects.set(k, structuredClone(obj));
    tx?.commit();
    return obj;
  }

  /** Update (main resource or status) as the engine does; `fail` simulates a store failure. @throws ApiError */
  async update<T extends KubeObject>(
    rt: ResourceType,
    mutate: (current: T) => T,
    ref: { namespace?: string; name: string },
    opts: { status?: boolean; fail?: boolean } = {},
  ): Promise<T> {
    const k = this.key(rt, ref.namespace, ref.name);
    const old = this.objects.get(k) as T | undefined;
    if (!old) throw new Error(`${k} not found`);
    const obj = mutate(structuredClone(old));
    const s = this.#strategies.for(rt);
    obj.metadata.uid ||= old.metadata.uid ?? '';
    if (old.metadata.generation !== undefined) obj.metadata.generation = old.metadata.generation;
    if (opts.status) {
      s.prepareForStatusUpdate?.(obj, old);
      const errs = s.validateStatusUpdate?.(obj, old, this.ctx) ?? [];
      if (errs.length > 0) throw invalid(rt.group, rt.kind, ref.name, errs);
    } else {
      if (rt.subresources.includes('status'))
        (obj as { status?: unknown }).status = structuredClone(
          (old as { status?: unknown }).status,
        );
      s.defaults?.(obj);
      s.prepareForUpdate?.(obj, old);
      await s.admit?.(obj, old, this.ctx);
      const errs = s.validateUpdate?.(obj, old, this.ctx) ?? [];
      if (errs.length > 0) throw invalid(rt.group, rt.kind, ref.name, errs);
    }
    const tx = opts.status ? undefined : await s.allocate?.(obj, old, this.ctx);
    if (opts.fail) {
      tx?.revert();
      throw new Error('store failure');
    }
    obj.metadata.resourceVersion = String(++this.#rv);
    this.objects.set(k, structuredClone(obj));
    tx?.commit();
    return obj;
  }

  delete(rt: ResourceType, ref: { namespace?: string; name: string }): void {
    const k = this.key(rt, ref.namespace, ref.name);
    const old = this.objects.get(k);
    if (!old) throw new Error(`${k} not found`);
    this.objects.delete(k);
    this.#strategies.for(rt).release?.(old);
  }
}

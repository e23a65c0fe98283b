/**
 * FakeClient: an in-memory Client for unit tests, in the manner of client-go's fake clientset.
 * The objects and the write rules live in its ObjectTracker (fakestore.ts: resourceVersions,
 * selectors, paging, watches with history, the status split, finalizers, patches); FakeClient
 * records every call as an action that tests assert on, and runs reactors first so a test can
 * inject an error or a canned answer per verb and resource.
 *
 * @example
 * const fake = new FakeClient({ objects: [service, pod] });
 * await reconciler.sync('default/web', signal);
 * assert.deepEqual(fake.writeActions().map((a) => a.summary), ['create endpointslices default']);
 */
import { ApiError, statusOf } from '../api/meta/status.js';
import type { DeleteOptions, KubeList, KubeObject, WatchEvent } from '../api/meta/types.js';
import type { ResourceType } from '../api/scheme.js';
import { realClock, type Clock } from '../lib/clock.js';
import { ObjectTracker } from './fakestore.js';
import { namespacedKey } from './keys.js';
import type {
  Client,
  ListOptions,
  PatchOptions,
  PatchType,
  RawRequest,
  RawResponse,
  WatchOptions,
  WriteOptions,
} from './types.js';

export type FakeVerb =
  'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'request';

/** One recorded call. */
export interface FakeAction {
  readonly verb: FakeVerb;
  /** The plural resource (`services`, `deployments`); the raw path for `request`. */
  readonly resource: string;
  readonly group: string;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource?: string;
  /** The body of create and update (a copy, as sent). */
  readonly object?: KubeObject;
  readonly patchType?: PatchType;
  readonly patch?: unknown;
  readonly listOptions?: ListOptions;
  readonly writeOptions?: WriteOptions | PatchOptions;
  readonly deleteOptions?: DeleteOptions;
  readonly rawRequest?: RawRequest;
  /** `create services default/web`: handy for assertions on a sequence of actions. */
  readonly summary: string;
}

/**
 * Runs before the built-in behaviour. Throw to make the call fail; return a value to answer the
 * call with it (not stored); return undefined to fall through.
 */
export type Reactor = (action: FakeAction) => unknown;

export interface FakeClientOptions {
  /** Objects present from the start (their resource is found from apiVersion and kind). */
  readonly objects?: readonly KubeObject[];
  /** Timestamps and watch timeouts; the wall clock by default. */
  readonly clock?: Clock;
}

/** What a method passes to #record: the action without its derived fields. */
type ActionInput = Omit<FakeAction, 'summary' | 'resource' | 'group' | 'name' | 'namespace'> & {
  readonly name?: string | undefined;
  readonly namespace?: string | undefined;
  readonly rt?: ResourceType;
  readonly path?: string;
};

const writeVerbs: ReadonlySet<FakeVerb> = new Set(['create', 'update', 'patch', 'delete']);
function clone<T>(v: T): T {
  return structuredClone(v);
}

/** An in-memory Client. See the file comment. */
export class FakeClient implements Client {
  /** The objects; its methods read and change them without recording actions. */
  readonly tracker: ObjectTracker;
  readonly #actions: FakeAction[] = [];
  readonly #reactors: { verb: FakeVerb | '*'; resource: string; fn: Reactor }[] = [];

  constructor(options: FakeClientOptions = {}) {
    this.tracker = new ObjectTracker({ clock: options.clock ?? realClock });
    for (const obj of options.objects ?? []) this.tracker.add(obj);
  }

  // ---- test helpers ----------------------------------------------------------------------------

  /** Every call so far, in order. */
  get actions(): readonly FakeAction[] {
    return this.#actions;
  }

  /** The create/update/patch/delete calls only (what a reconciler test usually asserts). */
  writeActions(): readonly FakeAction[] {
    return this.#actions.filter((a) => writeVerbs.has(a.verb));
  }

  clearActions(): void {
    this.#actions.length = 0;
  }

  /**
   * Adds a reactor in front of the others for `verb` ('*' = any) on `resource` (plural, '*' =
   * any). @example fake.prependReactor('update', 'services', () => { throw conflict(...) })
   */
  prependReactor(verb: FakeVerb | '*', resource: string, fn: Reactor): void {
    this.#reactors.unshift({ verb, resource, fn });
  }

  /** Makes the next matching call fail with `error` (once). */
  failNext(verb: FakeVerb | '*', resource: string, error: Error): void {
    let used = false;
    this.prependReactor(verb, resource, () => {
      if (used) return undefined;
      used = true;
      throw error;
    });
  }

  /** tracker.add: stores an object without recording an action (watchers see it). */
  add<T extends KubeObject>(obj: T, rt?: ResourceType): T {
    return this.tracker.add(obj, rt);
  }

  /** tracker.remove: deletes without recording an action (watchers see DELETED). */
  remove(rt: ResourceType, namespace: string | undefined, name: string): void {
    this.tracker.remove(rt, namespace, name);
  }

  /** tracker.peek: the stored object (a copy), without recording an action. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the kind it expects, as with Client.get
  peek<T extends KubeObject>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
  ): T | undefined {
    return this.tracker.peek<T>(rt, namespace, name);
  }

  /** tracker.objects: every stored object of a resource, sorted by key. */
  objects<T extends KubeObject>(rt: ResourceType): T[] {
    return this.tracker.objects<T>(rt);
  }

  /** The latest resourceVersion handed out. */
  resourceVersion(): string {
    return this.tracker.resourceVersion();
  }

  /** Forgets history up to `rv` (default: now): watches from older versions get 410 Expired. */
  compact(rv?: number): void {
    this.tracker.compact(rv);
  }

  /** Sends a BOOKMARK at the current resourceVersion to watches that allow bookmarks. */
  bookmark(): void {
    this.tracker.bookmark();
  }

  /** Ends every open watch, as a server closing its connections does. */
  closeWatches(): void {
    this.tracker.closeWatches();
  }

  /** Number of watch streams currently open. */
  openWatches(): number {
    return this.tracker.openWatches();
  }

  // ---- Client ----------------------------------------------------------------------------------

  get<T extends KubeObject>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<T> {
    return this.#run({ verb: 'get', rt, namespace, name }, () =>
      this.tracker.get<T>(rt, namespace, name),
    );
  }

  list<T extends KubeObject>(rt: ResourceType, options: ListOptions = {}): Promise<KubeList<T>> {
    const { signal: _signal, ...listOptions } = options;
    return this.#run({ verb: 'list', rt, namespace: options.namespace, listOptions }, () =>
      this.tracker.list<T>(rt, options),
    );
  }

  watch<T extends KubeObject>(
    rt: ResourceType,
    options: WatchOptions,
    signal: AbortSignal,
  ): AsyncIterable<WatchEvent<T>> {
    const { signal: _signal, ...listOptions } = options;
    const action = this.#record({ verb: 'watch', rt, namespace: options.namespace, listOptions });
    const reacted = this.#react(action);
    if (reacted !== undefined) return reacted as AsyncIterable<WatchEvent<T>>;
    return this.tracker.watch<T>(rt, options, signal);
  }

  create<T extends KubeObject>(rt: ResourceType, obj: T, options: WriteOptions = {}): Promise<T> {
    const namespace = rt.namespaced ? obj.metadata.namespace : undefined;
    return this.#run(
      {
        verb: 'create',
        rt,
        namespace,
        name: obj.metadata.name,
        object: obj,
        writeOptions: options,
      },
      () => this.tracker.create(rt, obj, options),
    );
  }

  update<T extends KubeObject>(rt: ResourceType, obj: T, options: WriteOptions = {}): Promise<T> {
    return this.#run(
      {
        verb: 'update',
        rt,
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
        object: obj,
        writeOptions: options,
      },
      () => this.tracker.update(rt, obj, false, options),
    );
  }

  updateStatus<T extends KubeObject>(
    rt: ResourceType,
    obj: T,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.#run(
      {
        verb: 'update',
        rt,
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
        subresource: 'status',
        object: obj,
        writeOptions: options,
      },
      () => this.tracker.update(rt, obj, true, options),
    );
  }

  patch<T extends KubeObject>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    body: unknown,
    options: PatchOptions = {},
  ): Promise<T> {
    return this.#run(
      {
        verb: 'patch',
        rt,
        namespace,
        name,
        patchType: type,
        patch: body,
        writeOptions: options,
        ...(options.subresource !== undefined ? { subresource: options.subresource } : {}),
      },
      () => this.tracker.patch(rt, namespace, name, type, body, options) as T,
    );
  }

  delete(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): Promise<KubeObject | undefined> {
    return this.#run({ verb: 'delete', rt, namespace, name, deleteOptions: options }, () =>
      this.tracker.delete(rt, namespace, name, options),
    );
  }

  request(options: RawRequest): Promise<RawResponse> {
    const action = this.#record({ verb: 'request', path: options.path, rawRequest: options });
    try {
      const reacted = this.#react(action);
      if (reacted !== undefined) return Promise.resolve(reacted as RawResponse);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return Promise.reject(
      new ApiError(statusOf(404, 'NotFound', `the fake client serves no raw path ${options.path}`)),
    );
  }

  // ---- plumbing --------------------------------------------------------------------------------

  #run<R>(a: ActionInput, body: () => R): Promise<R> {
    try {
      const action = this.#record(a);
      const reacted = this.#react(action);
      if (reacted !== undefined) return Promise.resolve(clone(reacted) as R);
      return Promise.resolve(body());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  #record(a: ActionInput): FakeAction {
    const { rt, path, ...rest } = a;
    const resource = rt ? rt.resource : (path ?? '');
    const target =
      rest.name !== undefined
        ? ` ${namespacedKey(rest.namespace, rest.name)}`
        : rest.namespace
          ? ` ${rest.namespace}`
          : '';
    const sub = rest.subresource ? `/${rest.subresource}` : '';
    const action: FakeAction = {
      ...rest,
      name: rest.name,
      namespace: rest.namespace,
      ...(rest.object ? { object: clone(rest.object) } : {}),
      ...(rest.patch !== undefined ? { patch: clone(rest.patch) } : {}),
      resource,
      group: rt?.group ?? '',
      summary: `${rest.verb} ${resource}${sub}${target}`,
    };
    this.#actions.push(action);
    return action;
  }

  #react(action: FakeAction): unknown {
    for (const r of this.#reactors) {
      if (
        (r.verb === '*' || r.verb === action.verb) &&
        (r.resource === '*' || r.resource === action.resource)
      ) {
        const out = r.fn(action);
        if (out !== undefined) return out;
      }
    }
    return undefined;
  }
}

/**
 * The object store behind FakeClient (client-go's testing.ObjectTracker): objects in maps keyed
 * by resource and `namespace/name`, integer resourceVersions, and the write rules of the API
 * server that unit tests depend on. FakeClient adds action recording and reactors on top.
 *
 * Like the API server: NotFound / AlreadyExists / Conflict errors with Kubernetes' messages,
 * generateName, uid, creationTimestamp, generation bumps on spec changes, the status subresource
 * split (update keeps status, updateStatus changes only status), finalizers and
 * deletionTimestamp, resourceVersion preconditions, dryRun, paging over a snapshot, watches
 * replayed from a resourceVersion, 410 Expired after `compact()`.
 * Not modelled: defaulting, validation, namespace existence, garbage collection, field ownership
 * for server-side apply (apply is create-or-merge), graceful pod deletion.
 */
import { randomUUID } from 'node:crypto';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  expired,
  notFound,
  objectModified,
  statusOf,
} from '../api/meta/status.js';
import type { DeleteOptions, KubeList, KubeObject, WatchEvent } from '../api/meta/types.js';
import { allResources, apiVersionOf, type ResourceType } from '../api/scheme.js';
import type { Clock } from '../lib/clock.js';
import { FakeWatchHub } from './fakewatch.js';
import { namespacedKey } from './keys.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.js';
import { compileFilter } from './selection.js';
import type { ListOptions, PatchOptions, PatchType, WatchOptions, WriteOptions } from './types.js';

const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

function rtKey(rt: ResourceType): string {
  return `${rt.group}/${rt.resource}`;
}

function gr(rt: ResourceType): { group: string; resource: string } {
  return { group: rt.group, resource: rt.resource };
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function withoutMetaAndStatus(obj: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = obj as KubeObject & { status?: unknown };
  return JSON.stringify(rest);
}

function isKubeObject(v: unknown): v is KubeObject {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { metadata?: unknown }).metadata === 'object' &&
    (v as { metadata?: unknown }).metadata !== null
  );
}

/** An in-memory Client. See the file comment for what it models. */
export class ObjectTracker {
  readonly #clock: Clock;
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  readonly #watch: FakeWatchHub;
  readonly #pages = new Map<string, { rv: string; items: KubeObject[]; offset: number }>();
  #rv = 0;
  #names = 0;
  #pageIds = 0;

  constructor(options: { readonly clock: Clock }) {
    this.#clock = options.clock;
    this.#watch = new FakeWatchHub({
      clock: this.#clock,
      current: (rt) => this.#sorted(rt),
    });
  }

  /**
   * Stores an object without recording an action (seeding, or a change "made by someone else").
   * Creates or replaces; watchers see ADDED or MODIFIED. Returns the stored copy.
   */
  add<T extends KubeObject>(obj: T, rt?: ResourceType): T {
    const type = rt ?? this.#resourceOf(obj);
    const bucket = this.#bucket(type);
    const stored = clone(obj);
    if (!type.namespaced) delete stored.metadata.namespace;
    else stored.metadata.namespace ??= 'default';
    const key = namespacedKey(stored.metadata.namespace, stored.metadata.name ?? '');
    const old = bucket.get(key);
    this.#stamp(type, stored, old);
    stored.metadata.resourceVersion = this.#nextRv();
    bucket.set(key, stored);
    this.#watch.emit(type, old ? 'MODIFIED' : 'ADDED', stored, old, this.#rv);
    return clone(stored);
  }

  /** Removes an object without recording an action; watchers see DELETED. */
  remove(rt: ResourceType, namespace: string | undefined, name: string): void {
    const bucket = this.#bucket(rt);
    const key = namespacedKey(rt.namespaced ? namespace : undefined, name);
    const old = bucket.get(key);
    if (!old) return;
    bucket.delete(key);
    const gone = clone(old);
    gone.metadata.resourceVersion = this.#nextRv();
    this.#watch.emit(rt, 'DELETED', gone, old, this.#rv);
  }

  /** The stored object (a copy), without recording an action. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the kind it expects, as with Client.get
  peek<T extends KubeObject>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
  ): T | undefined {
    const o = this.#bucket(rt).get(namespacedKey(rt.namespaced ? namespace : undefined, name));
    return o ? (clone(o) as T) : undefined;
  }

  /** Every stored object of a resource (copies, sorted by key), without recording an action. */
  objects<T extends KubeObject>(rt: ResourceType): T[] {
    return this.#sorted(rt).map((o) => clone(o) as T);
  }

  /** The latest resourceVersion handed out. */
  resourceVersion(): string {
    return String(this.#rv);
  }

  /** Forgets history up to `rv` (default: now): watches from older versions get 410 Expired. */
  compact(rv: number = this.#rv): void {
    this.#watch.compact(rv);
  }

  /** Sends a BOOKMARK at the current resourceVersion to watches that allow bookmarks. */
  bookmark(): void {
    this.#watch.bookmark(String(this.#rv));
  }

  /** Ends every open watch, as a server closing its connections does. */
  closeWatches(): void {
    this.#watch.closeAll();
  }

  /** Number of watch streams currently open. */
  openWatches(): number {
    return this.#watch.open();
  }

  /** @throws ApiError NotFound */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the kind it expects, as with Client.get
  get<T extends KubeObject>(rt: ResourceType, namespace: string | undefined, name: string): T {
    const o = this.peek<T>(rt, namespace, name);
    if (!o) throw notFound(gr(rt), name);
    return o;
  }

  watch<T extends KubeObject>(
    rt: ResourceType,
    options: WatchOptions,
    signal: AbortSignal,
  ): AsyncIterable<WatchEvent<T>> {
    return this.#watch.watch<T>(rt, options, signal);
  }

  list<T extends KubeObject>(rt: ResourceType, options: ListOptions = {}): KubeList<T> {
    options.signal?.throwIfAborted();
    let page: { rv: string; items: KubeObject[]; offset: number };
    if (options.continue) {
      const p = this.#pages.get(options.continue);
      if (!p)
        throw expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      page = p;
      this.#pages.delete(options.continue);
    } else {
      const filter = compileFilter(options);
      page = {
        rv: String(this.#rv),
        items: this.#sorted(rt).filter((o) => filter.matches(o)),
        offset: 0,
      };
    }
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const items = page.items.slice(page.offset, page.offset + limit);
    const next = page.offset + items.length;
    const list: KubeList<T> = {
      kind: rt.listKind,
      apiVersion: apiVersionOf(rt),
      metadata: { resourceVersion: page.rv },
      items: items.map((o) => clone(o) as T),
    };
    if (next < page.items.length) {
      const token = `fake-${++this.#pageIds}`;
      this.#pages.set(token, { ...page, offset: next });
      list.metadata.continue = token;
      list.metadata.remainingItemCount = page.items.length - next;
    }
    return list;
  }

  create<T extends KubeObject>(rt: ResourceType, obj: T, options: WriteOptions = {}): T {
    const o = clone(obj);
    o.apiVersion ??= apiVersionOf(rt);
    o.kind ??= rt.kind;
    if (rt.namespaced) {
      if (!o.metadata.namespace)
        throw badRequest(`the namespace of the provided ${rt.kind} is required`);
    } else delete o.metadata.namespace;
    if (o.metadata.resourceVersion)
      throw badRequest('resourceVersion should not be set on objects to be created');
    if (!o.metadata.name) {
      if (!o.metadata.generateName)
        throw new ApiError(
          statusOf(
            422,
            'Invalid',
            `${rt.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
          ),
        );
      o.metadata.name = o.metadata.generateName + this.#suffix();
    }
    const key = namespacedKey(o.metadata.namespace, o.metadata.name);
    const bucket = this.#bucket(rt);
    if (bucket.has(key)) throw alreadyExists(gr(rt), o.metadata.name);
    o.metadata.uid ??= randomUUID();
    o.metadata.creationTimestamp = this.#now();
    o.metadata.generation = 1;
    delete o.metadata.deletionTimestamp;
    if (options.dryRun) return o;
    o.metadata.resourceVersion = this.#nextRv();
    bucket.set(key, o);
    this.#watch.emit(rt, 'ADDED', o, undefined, this.#rv);
    return clone(o);
  }

  update<T extends KubeObject>(
    rt: ResourceType,
    obj: T,
    status: boolean,
    options: WriteOptions,
  ): T {
    const name = obj.metadata.name ?? '';
    const namespace = rt.namespaced ? obj.metadata.namespace : undefined;
    if (status && !rt.subresources.includes('status'))
      throw new ApiError(
        statusOf(404, 'NotFound', 'the server could not find the requested resource'),
      );
    const old = this.#bucket(rt).get(namespacedKey(namespace, name));
    if (!old) throw notFound(gr(rt), name);
    const rv = obj.metadata.resourceVersion;
    if (rv && rv !== old.metadata.resourceVersion) throw conflict(gr(rt), name, objectModified);
    return this.#commit(rt, old, clone(obj), status, options.dryRun === true);
  }

  patch(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    body: unknown,
    options: PatchOptions,
  ): KubeObject {
    const ns = rt.namespaced ? namespace : undefined;
    const status = options.subresource === 'status';
    const old = this.#bucket(rt).get(namespacedKey(ns, name));
    if (!old) {
      if (type !== 'apply') throw notFound(gr(rt), name);
      if (!isKubeObject(body)) throw badRequest('an apply patch must be an object');
      const obj = clone(body);
      obj.metadata = { ...obj.metadata, name };
      if (ns !== undefined) obj.metadata.namespace = ns;
      return this.create(rt, obj, options);
    }
    let patched: unknown;
    switch (type) {
      case 'merge':
      case 'apply':
        patched = applyMergePatch(old, body);
        break;
      case 'json':
        patched = applyJsonPatch(old, body);
        break;
      case 'strategic':
        patched = applyStrategicMergePatch(old, body);
        break;
    }
    if (!isKubeObject(patched)) throw badRequest('the patch removed the object metadata');
    if (patched.metadata.resourceVersion !== old.metadata.resourceVersion)
      throw conflict(gr(rt), name, objectModified);
    return this.#commit(rt, old, patched, status, options.dryRun === true);
  }

  /** Stores `next` in place of `old` with the rules of an update. */
  #commit<T extends KubeObject>(
    rt: ResourceType,
    old: KubeObject,
    next: T,
    status: boolean,
    dryRun: boolean,
  ): T {
    const hasStatus = rt.subresources.includes('status');
    let o: KubeObject & { status?: unknown };
    if (status) {
      // The status subresource changes status only.
      o = clone(old);
      const s = (next as KubeObject & { status?: unknown }).status;
      if (s === undefined) delete o.status;
      else o.status = s;
    } else {
      o = next;
      if (hasStatus) {
        const s = (old as KubeObject & { status?: unknown }).status;
        if (s === undefined) delete o.status;
        else o.status = clone(s);
      }
    }
    o.apiVersion ??= apiVersionOf(rt);
    o.kind ??= rt.kind;
    // Fields the server owns.
    const m = o.metadata;
    const om = old.metadata;
    if (om.namespace !== undefined) m.namespace = om.namespace;
    else delete m.namespace;
    m.name = om.name ?? '';
    if (om.uid !== undefined) m.uid = om.uid;
    if (om.creationTimestamp !== undefined) m.creationTimestamp = om.creationTimestamp;
    if (om.deletionTimestamp !== undefined) m.deletionTimestamp = om.deletionTimestamp;
    else delete m.deletionTimestamp;
    m.generation =
      (om.generation ?? 1) + (withoutMetaAndStatus(o) !== withoutMetaAndStatus(old) ? 1 : 0);
    if (dryRun) return clone(o) as T;
    const key = namespacedKey(m.namespace, m.name);
    if (m.deletionTimestamp !== undefined && (m.finalizers ?? []).length === 0) {
      // The last finalizer is gone: the object is deleted now.
      this.#bucket(rt).delete(key);
      m.resourceVersion = this.#nextRv();
      this.#watch.emit(rt, 'DELETED', o, old, this.#rv);
      return clone(o) as T;
    }
    m.resourceVersion = this.#nextRv();
    this.#bucket(rt).set(key, o);
    this.#watch.emit(rt, 'MODIFIED', o, old, this.#rv);
    return clone(o) as T;
  }

  delete(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions,
  ): KubeObject {
    const key = namespacedKey(rt.namespaced ? namespace : undefined, name);
    const bucket = this.#bucket(rt);
    const old = bucket.get(key);
    if (!old) throw notFound(gr(rt), name);
    const pre = options.preconditions;
    if (pre?.uid !== undefined && pre.uid !== old.metadata.uid)
      throw conflict(
        gr(rt),
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid ?? ''}`,
      );
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== old.metadata.resourceVersion)
      throw conflict(
        gr(rt),
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion ?? ''}`,
      );
    const dryRun = (options.dryRun ?? []).includes('All');
    const o = clone(old);
    if ((o.metadata.finalizers ?? []).length > 0 || options.propagationPolicy === 'Foreground') {
      // Finalizers hold the object: it gets a deletionTimestamp and stays until they are removed.
      if (
        options.propagationPolicy === 'Foreground' &&
        !(o.metadata.finalizers ?? []).includes('foregroundDeletion')
      )
        o.metadata.finalizers = [...(o.metadata.finalizers ?? []), 'foregroundDeletion'];
      if (o.metadata.deletionTimestamp !== undefined && !options.propagationPolicy) return o;
      o.metadata.deletionTimestamp ??= this.#now();
      o.metadata.deletionGracePeriodSeconds = 0;
      o.metadata.generation = (o.metadata.generation ?? 1) + 1;
      if (dryRun) return o;
      o.metadata.resourceVersion = this.#nextRv();
      bucket.set(key, o);
      this.#watch.emit(rt, 'MODIFIED', o, old, this.#rv);
      return clone(o);
    }
    if (dryRun) return o;
    bucket.delete(key);
    o.metadata.resourceVersion = this.#nextRv();
    this.#watch.emit(rt, 'DELETED', o, old, this.#rv);
    return clone(o);
  }

  #bucket(rt: ResourceType): Map<string, KubeObject> {
    let b = this.#objects.get(rtKey(rt));
    if (!b) {
      b = new Map();
      this.#objects.set(rtKey(rt), b);
    }
    return b;
  }

  #sorted(rt: ResourceType): KubeObject[] {
    return [...this.#bucket(rt).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o);
  }

  #resourceOf(obj: KubeObject): ResourceType {
    const rt = allResources.find((r) => apiVersionOf(r) === obj.apiVersion && r.kind === obj.kind);
    if (!rt)
      throw new TypeError(
        `FakeClient: no resource for apiVersion ${String(obj.apiVersion)} kind ${String(obj.kind)}; pass the ResourceType`,
      );
    return rt;
  }

  /** Fills what the server would have set on a seeded object. */
  #stamp(rt: ResourceType, o: KubeObject, old: KubeObject | undefined): void {
    o.apiVersion ??= apiVersionOf(rt);
    o.kind ??= rt.kind;
    o.metadata.uid ??= old?.metadata.uid ?? randomUUID();
    o.metadata.creationTimestamp ??= old?.metadata.creationTimestamp ?? this.#now();
    o.metadata.generation ??= old?.metadata.generation ?? 1;
  }

  #nextRv(): string {
    return String(++this.#rv);
  }

  /** RFC 3339 with seconds, as metav1.Time serialises. */
  #now(): string {
    return new Date(this.#clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /** Five characters from the alphabet of apiserver's generateName, deterministic per client. */
  #suffix(): string {
    let n = ++this.#names * 7919;
    let s = '';
    for (let i = 0; i < 5; i++) {
      s += nameAlphabet[n % nameAlphabet.length] ?? 'x';
      n = Math.floor(n / nameAlphabet.length);
    }
    return s;
  }
}

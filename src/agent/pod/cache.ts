/**
 * The agent's view of the runtime, per pod UID (kubelet's pod cache + PLEG in one): `relist()`
 * reads everything (`runtime.list()`, cheap: files and /proc) and reports the pods whose
 * sandboxes or containers changed state, so their workers sync; `refresh(uid)` re-reads only the
 * objects of one pod before a sync; `put()` records what a sync just created.
 */
import type { Runtime, Sandbox, ContainerStatus } from '../runtime/types.js';

export interface PodRuntimeView {
  readonly uid: string;
  readonly sandboxes: readonly Sandbox[];
  readonly containers: readonly ContainerStatus[];
}

interface Entry {
  sandboxes: Map<string, Sandbox>;
  containers: Map<string, ContainerStatus>;
  fingerprint: string;
}

function fingerprint(e: Pick<Entry, 'sandboxes' | 'containers'>): string {
  const parts: string[] = [];
  for (const s of [...e.sandboxes.values()].sort((a, b) => a.id.localeCompare(b.id)))
    parts.push(`s:${s.id}:${s.state}:${s.ip ?? ''}`);
  for (const c of [...e.containers.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    const st = c.state;
    parts.push(
      `c:${c.id}:${st.state}:${st.state === 'exited' ? `${st.exitCode}:${st.finishedAt}` : ''}`,
    );
  }
  return parts.join('|');
}

function isNotFound(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'E_SANDBOX_NOT_FOUND' || code === 'E_CONTAINER_NOT_FOUND';
}

export class RuntimeCache {
  readonly #runtime: Runtime;
  readonly #pods = new Map<string, Entry>();

  constructor(runtime: Runtime) {
    this.#runtime = runtime;
  }

  #entry(uid: string): Entry {
    let e = this.#pods.get(uid);
    if (!e) {
      e = { sandboxes: new Map(), containers: new Map(), fingerprint: '' };
      this.#pods.set(uid, e);
    }
    return e;
  }

  /** Re-reads every sandbox and container; returns the UIDs whose state changed. */
  async relist(): Promise<Set<string>> {
    const snap = await this.#runtime.list();
    const fresh = new Map<string, Entry>();
    const get = (uid: string): Entry => {
      let e = fresh.get(uid);
      if (!e) {
        e = { sandboxes: new Map(), containers: new Map(), fingerprint: '' };
        fresh.set(uid, e);
      }
      return e;
    };
    for (const s of snap.sandboxes) get(s.podUID).sandboxes.set(s.id, s);
    for (const c of snap.containers) get(c.podUID).containers.set(c.id, c);
    const changed = new Set<string>();
    for (const [uid, e] of fresh) {
      e.fingerprint = fingerprint(e);
      if (this.#pods.get(uid)?.fingerprint !== e.fingerprint) changed.add(uid);
    }
    for (const uid of this.#pods.keys()) if (!fresh.has(uid)) changed.add(uid);
    this.#pods.clear();
    for (const [uid, e] of fresh) this.#pods.set(uid, e);
    return changed;
  }

  /** The pod's objects as last read. */
  get(uid: string): PodRuntimeView {
    const e = this.#pods.get(uid);
    return {
      uid,
      sandboxes: e ? [...e.sandboxes.values()] : [],
      containers: e ? [...e.containers.values()] : [],
    };
  }

  /** Every pod UID the runtime has objects for. */
  uids(): string[] {
    return [...this.#pods.keys()].filter((u) => {
      const e = this.#pods.get(u);
      return e !== undefined && (e.sandboxes.size > 0 || e.containers.size > 0);
    });
  }

  /** Re-reads the pod's known objects (dropping those that are gone) and returns them. */
  async refresh(uid: string): Promise<PodRuntimeView> {
    const e = this.#pods.get(uid);
    if (!e) return this.get(uid);
    for (const id of [...e.sandboxes.keys()]) {
      try {
        e.sandboxes.set(id, await this.#runtime.sandboxStatus(id));
      } catch (err) {
        if (isNotFound(err)) e.sandboxes.delete(id);
        else throw err;
      }
    }
    for (const id of [...e.containers.keys()]) {
      try {
        e.containers.set(id, await this.#runtime.containerStatus(id));
      } catch (err) {
        if (isNotFound(err)) e.containers.delete(id);
        else throw err;
      }
    }
    e.fingerprint = fingerprint(e);
    return this.get(uid);
  }

  putSandbox(s: Sandbox): void {
    const e = this.#entry(s.podUID);
    e.sandboxes.set(s.id, s);
    e.fingerprint = fingerprint(e);
  }

  putContainer(c: ContainerStatus): void {
    const e = this.#entry(c.podUID);
    e.containers.set(c.id, c);
    e.fingerprint = fingerprint(e);
  }

  dropSandbox(uid: string, id: string): void {
    const e = this.#pods.get(uid);
    if (!e) return;
    e.sandboxes.delete(id);
    for (const [cid, c] of e.containers) if (c.sandboxId === id) e.containers.delete(cid);
    e.fingerprint = fingerprint(e);
  }

  dropContainer(uid: string, id: string): void {
    const e = this.#pods.get(uid);
    if (!e) return;
    e.containers.delete(id);
    e.fingerprint = fingerprint(e);
  }

  forget(uid: string): void {
    this.#pods.delete(uid);
  }
}

// The sandbox's storage: every object in memory, one global resourceVersion counter (like etcd's
// revision, shared by all resources), and a bounded history of changes so that watches can resume from
// a resourceVersion and lists can be served at an older resourceVersion (continue tokens, Exact).
// Once history is trimmed ("compacted"), older resourceVersions are gone: callers answer 410 Expired,
// as kube-apiserver does (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes).
import type { JsonObject } from "./json.js";
import { expired } from "./status.js";

type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

/** One committed change. `object` is the new state (for DELETED: the last state, stamped with the deletion's RV). */
export interface Change {
  type: ChangeType;
  rv: number;
  storage: string;
  key: string;
  object: JsonObject;
  /** The state before the change (MODIFIED, DELETED). */
  prev?: JsonObject;
}

type ChangeListener = (change: Change) => void;

/** A point-in-time copy of the whole store (restart with state kept, snapshot files). */
export interface StoreSnapshot {
  rv: number;
  objects: Array<{ storage: string; key: string; object: JsonObject }>;
}

/** `namespace/name` for namespaced objects, `name` for cluster-scoped ones; lists are ordered by it, like etcd keys. */
export function storageKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function metadataOf(obj: JsonObject): JsonObject {
  const meta = obj.metadata;
  if (meta && typeof meta === "object") return meta as JsonObject;
  const fresh: JsonObject = {};
  obj.metadata = fresh;
  return fresh;
}

export class ObjectStore {
  private rv = 0;
  private readonly data = new Map<string, Map<string, JsonObject>>();
  private history: Change[] = [];
  /** Watches and lists may start from any RV >= this; everything older has been compacted. */
  private compactedRv = 0;
  private readonly listeners = new Set<ChangeListener>();

  constructor(private historyLimit = 10_000) {}

  currentRv(): number {
    return this.rv;
  }

  oldestAvailableRv(): number {
    return this.compactedRv;
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A copy of the stored object, or undefined. */
  get(storage: string, key: string): JsonObject | undefined {
    const obj = this.data.get(storage)?.get(key);
    return obj ? structuredClone(obj) : undefined;
  }

  /** The stored object itself, not a copy: callers must not modify it (stored objects are replaced, never changed). */
  peek(storage: string, key: string): JsonObject | undefined {
    return this.data.get(storage)?.get(key);
  }

  /** The stored objects themselves (read-only, like peek), ordered by key, optionally within one namespace. */
  view(storage: string, namespace?: string): Array<{ key: string; object: JsonObject }> {
    return this.entriesOf(this.data.get(storage), namespace).map(([key, object]) => ({ key, object }));
  }

  /** Copies of the current objects of a storage, ordered by key, optionally within one namespace. */
  list(storage: string, namespace?: string): Array<{ key: string; object: JsonObject }> {
    return this.entriesOf(this.data.get(storage), namespace).map(([key, object]) => ({ key, object: structuredClone(object) }));
  }

  /**
   * The objects of a storage as they were at resourceVersion `rv`, rebuilt by undoing later changes
   * (read-only, like view). Throws a 410 Expired StatusError when the history no longer reaches back to `rv`.
   */
  viewAt(storage: string, rv: number, namespace?: string): Array<{ key: string; object: JsonObject }> {
    if (rv >= this.rv) return this.view(storage, namespace);
    this.assertAvailable(rv);
    const state = new Map(this.data.get(storage) ?? []);
    for (let i = this.history.length - 1; i >= 0; i--) {
      const change = this.history[i] as Change;
      if (change.rv <= rv) break;
      if (change.storage !== storage) continue;
      if (change.type === "ADDED") state.delete(change.key);
      else if (change.prev) state.set(change.key, change.prev);
    }
    return this.entriesOf(state, namespace).map(([key, object]) => ({ key, object }));
  }

  /** Changes after `rv` (exclusive), oldest first. Throws 410 Expired when they are no longer all retained. */
  changesSince(rv: number): Change[] {
    this.assertAvailable(rv);
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.history[mid] as Change).rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  /** Throws 410 Expired when `rv` is older than the retained history (the watch cache's "too old resource version"). */
  assertAvailable(rv: number): void {
    if (rv < this.compactedRv) {
      throw expired(`too old resource version: ${rv} (${this.compactedRv})`);
    }
  }

  /**
   * Stores `object` under storage/key (or removes the key when `object` is undefined), assigning the next
   * resourceVersion to it. Returns the committed change; listeners are told synchronously.
   */
  commit(storage: string, key: string, object: JsonObject | undefined): Change | undefined {
    let map = this.data.get(storage);
    const prev = map?.get(key);
    if (!object && !prev) return undefined;
    const rv = ++this.rv;
    let change: Change;
    if (object) {
      const stored = structuredClone(object);
      metadataOf(stored).resourceVersion = String(rv);
      if (!map) {
        map = new Map();
        this.data.set(storage, map);
      }
      map.set(key, stored);
      change = prev ? { type: "MODIFIED", rv, storage, key, object: stored, prev } : { type: "ADDED", rv, storage, key, object: stored };
    } else {
      const last = structuredClone(prev as JsonObject);
      // The DELETED event carries the resourceVersion of the deletion itself.
      metadataOf(last).resourceVersion = String(rv);
      map?.delete(key);
      change = { type: "DELETED", rv, storage, key, object: last, prev };
    }
    this.history.push(change);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compactedRv = (dropped[dropped.length - 1] as Change).rv;
    }
    for (const listener of [...this.listeners]) listener(change);
    return change;
  }

  /** Forgets all history: a watch or list from any resourceVersion older than now gets 410 Expired. */
  compact(): void {
    this.history = [];
    this.compactedRv = this.rv;
  }

  setHistoryLimit(limit: number): void {
    this.historyLimit = Math.max(1, limit);
  }

  snapshot(): StoreSnapshot {
    const objects: StoreSnapshot["objects"] = [];
    for (const [storage, map] of this.data) {
      for (const [key, object] of map) objects.push({ storage, key, object: structuredClone(object) });
    }
    return { rv: this.rv, objects };
  }

  /**
   * Replaces the whole state. resourceVersions never go backwards (a client holding an old RV must get
   * 410 and relist, not silently miss changes), so the counter continues past the larger of both.
   */
  restore(snapshot: StoreSnapshot | undefined): void {
    this.data.clear();
    // One past both: every resourceVersion handed out before is now too old, even the latest one, so a
    // client resuming a watch is told (410) to relist instead of waiting on a state that was replaced.
    this.rv = Math.max(this.rv, snapshot?.rv ?? 0) + 1;
    for (const { storage, key, object } of snapshot?.objects ?? []) {
      let map = this.data.get(storage);
      if (!map) {
        map = new Map();
        this.data.set(storage, map);
      }
      map.set(key, structuredClone(object));
    }
    this.compact();
  }

  private entriesOf(map: Map<string, JsonObject> | undefined, namespace: string | undefined): Array<[string, JsonObject]> {
    if (!map) return [];
    const prefix = namespace ? `${namespace}/` : undefined;
    const entries = [...map].filter(([key]) => prefix === undefined || key.startsWith(prefix));
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries;
  }
}

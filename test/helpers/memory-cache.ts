// A synced HelmRelease cache held in memory, for the graph page's browser tests and bench/ui: the caller is
// its watch, and upsert() is a watch event (the page sees it through store-feed.ts, as it sees serve's).
import { EventEmitter } from "node:events";
import type { CacheChange } from "../../src/cluster/object-cache.js";
import type { FluxObject } from "../../src/graph/types.js";

export class MemoryCache {
  readonly kind = "HelmRelease" as const;
  readonly synced = Promise.resolve();
  private readonly objects = new Map<string, FluxObject>();
  private readonly emitter = new EventEmitter();
  isSynced = (): boolean => true;
  list = (): FluxObject[] => [...this.objects.values()];
  subscribe(listener: (change: CacheChange) => void): () => void {
    this.emitter.on("change", listener);
    return () => void this.emitter.off("change", listener);
  }
  upsert(object: FluxObject): void {
    const key = `${object.namespace}/${object.name}`;
    const previous = this.objects.get(key);
    this.objects.set(key, object);
    this.emitter.emit("change", { type: "upsert", key, object, ...(previous ? { previous } : {}) });
  }
}

// A list+watch of one resource over the API, as a controller's informer does: list, then watch from the
// list's resourceVersion; on any end of the stream (timeout, 410 Expired, a broken connection) list again
// after a short, growing pause. Every object seen is reported as "upsert"; an object gone from a new list
// or deleted on the watch as "delete". Written for the simulated Flux only (client-node's Watch, no cache
// of releasegate's).
import { CustomObjectsApi, Watch } from "@kubernetes/client-node";
import type { KubeConfig } from "@kubernetes/client-node";
import { idOf, isJson, stringField } from "./unstructured.js";
import type { Json } from "./unstructured.js";

export interface ResourceType {
  group: string;
  version: string;
  plural: string;
}

export type WatchChange = { type: "upsert"; key: string; object: Json } | { type: "delete"; key: string };

function keyOf(obj: unknown): string {
  const id = idOf(obj);
  return `${id.namespace}/${id.name}`;
}

export class ResourceWatch {
  private readonly api: CustomObjectsApi;
  private readonly watch: Watch;
  private readonly known = new Set<string>();
  private abort: AbortController | undefined;
  private stopped = false;
  private pauseMs = 100;
  private retry: NodeJS.Timeout | undefined;
  private resolveSynced!: () => void;
  /** Resolves once the first list is in. */
  readonly synced = new Promise<void>((resolve) => (this.resolveSynced = resolve));

  constructor(kc: KubeConfig, private readonly type: ResourceType, private readonly onChange: (change: WatchChange) => void) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.watch = new Watch(kc);
  }

  start(): void {
    void this.cycle();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.abort?.abort();
  }

  private again(): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.cycle();
    }, this.pauseMs);
    this.retry.unref();
    this.pauseMs = Math.min(this.pauseMs * 2, 2000);
  }

  private async cycle(): Promise<void> {
    if (this.stopped) return;
    let resourceVersion: string;
    try {
      const list = (await this.api.listClusterCustomObject({ group: this.type.group, version: this.type.version, plural: this.type.plural })) as Json;
      const items = Array.isArray(list.items) ? list.items.filter(isJson) : [];
      resourceVersion = stringField(list, "metadata", "resourceVersion") ?? "0";
      const seen = new Set(items.map(keyOf));
      for (const key of [...this.known]) {
        if (!seen.has(key)) {
          this.known.delete(key);
          this.onChange({ type: "delete", key });
        }
      }
      for (const item of items) {
        this.known.add(keyOf(item));
        this.onChange({ type: "upsert", key: keyOf(item), object: item });
      }
      this.resolveSynced();
    } catch {
      this.again();
      return;
    }
    if (this.stopped) return;
    const path = `/apis/${this.type.group}/${this.type.version}/${this.type.plural}`;
    try {
      this.abort = await this.watch.watch(
        path,
        { resourceVersion, allowWatchBookmarks: true },
        (phase: string, obj: unknown) => {
          if (!isJson(obj)) return;
          if (phase === "ERROR") {
            this.abort?.abort();
            return;
          }
          if (phase === "BOOKMARK") return;
          this.pauseMs = 100;
          const key = keyOf(obj);
          if (phase === "DELETED") {
            this.known.delete(key);
            this.onChange({ type: "delete", key });
          } else {
            this.known.add(key);
            this.onChange({ type: "upsert", key, object: obj });
          }
        },
        () => this.again(),
      );
    } catch {
      this.again();
    }
  }
}

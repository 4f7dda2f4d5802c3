// A watch: a chunked HTTP response of JSON lines `{"type": ..., "object": ...}` as kube-apiserver streams
// them (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes).
// resourceVersion unset or "0": synthetic ADDED events for the current state, then changes. A given
// resourceVersion: every change after it, or an ERROR event with a 410 Expired Status when history no
// longer reaches back that far. BOOKMARK events when allowWatchBookmarks=true; sendInitialEvents ends the
// initial state with a bookmark annotated `k8s.io/initial-events-end`; timeoutSeconds ends the stream.
import type { ServerResponse } from "node:http";
import type { ListOptions } from "./list-options.js";
import type { JsonObject } from "./json.js";
import type { ResourceDef } from "./resource-def.js";
import { apiVersionOf, presentAs, selectorView } from "./resources.js";
import type { Status } from "./status.js";
import { StatusError, failure, toWire } from "./status.js";
import type { Change, ObjectStore } from "./store.js";

interface WatchTarget {
  def: ResourceDef;
  version: string;
  namespace?: string;
}

export interface WatchStreamOptions {
  bookmarkIntervalMs: number;
  /** Upper bound when the client sets no timeoutSeconds (kube-apiserver: --min-request-timeout=1800s, randomized). */
  defaultTimeoutMs: number;
  /** Replaces each object sent (e.g. by a Table of it); BOOKMARK and ERROR events are never transformed. */
  transform?: (presented: JsonObject) => unknown;
}

/** A running watch, so the sandbox can end it (dropWatches, restart, close). */
export interface ActiveWatch {
  end(mode: "end" | "reset"): void;
}

function inNamespace(target: WatchTarget, obj: JsonObject): boolean {
  if (!target.namespace) return true;
  return (obj.metadata as JsonObject | undefined)?.namespace === target.namespace;
}

/**
 * Serves one watch on `res` until the client goes away, the timeout passes, or `end` is called.
 * Returns the handle; `onDone` runs once when the watch stops.
 */
export function serveWatch(
  store: ObjectStore,
  target: WatchTarget,
  opts: ListOptions,
  res: ServerResponse,
  streamOptions: WatchStreamOptions,
  headers: Record<string, string | string[]>,
  onDone: () => void,
): ActiveWatch {
  const { def, version } = target;
  let finished = false;
  const pending: string[] = [];

  const write = (type: string, object: unknown): void => {
    if (finished) return;
    pending.push(JSON.stringify({ type, object }) + "\n");
    if (pending.length === 1) {
      queueMicrotask(() => {
        if (finished || pending.length === 0) return;
        res.write(pending.join(""));
        pending.length = 0;
      });
    }
  };
  const flush = (): void => {
    if (pending.length > 0 && !res.destroyed) res.write(pending.join(""));
    pending.length = 0;
  };

  const present = (stored: JsonObject): JsonObject => presentAs(def, version, stored);
  const matches = (stored: JsonObject): boolean => inNamespace(target, stored) && opts.matches(selectorView(def, version, stored));
  // What an event carries: the object, or (for `kubectl get -w`) a one-row Table of it.
  const shown = (stored: JsonObject): unknown => (streamOptions.transform ? streamOptions.transform(present(stored)) : present(stored));
  const bookmark = (annotations?: Record<string, string>): void => {
    const metadata: JsonObject = { resourceVersion: String(store.currentRv()) };
    if (annotations) metadata.annotations = annotations;
    write("BOOKMARK", { kind: def.kind, apiVersion: apiVersionOf(def.group, version), metadata });
  };

  // Changes are filtered as the watch cache does: an object that starts matching arrives as ADDED, one
  // that stops matching as DELETED.
  const deliver = (change: Change): void => {
    if (change.storage !== def.storage) return;
    const now = matches(change.object);
    const before = change.prev !== undefined && change.type !== "ADDED" && matches(change.prev);
    if (change.type === "DELETED") {
      if (before) write("DELETED", shown(change.object));
      return;
    }
    if (now && before) write("MODIFIED", shown(change.object));
    else if (now) write("ADDED", shown(change.object));
    else if (before) write("DELETED", shown(change.object));
  };

  res.writeHead(200, { ...headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked", "Cache-Control": "no-cache, private" });
  res.flushHeaders();

  let unsubscribe: (() => void) | undefined = undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined = undefined;

  const stop = (mode: "end" | "reset"): void => {
    if (finished) return;
    flush();
    finished = true;
    unsubscribe?.();
    if (bookmarkTimer) clearInterval(bookmarkTimer);
    if (timeoutTimer) clearTimeout(timeoutTimer);
    if (mode === "reset") res.destroy();
    else res.end();
    onDone();
  };

  const fail = (status: Status): void => {
    write("ERROR", toWire(status));
    stop("end");
  };

  const rvParam = opts.resourceVersion;
  try {
    if (opts.sendInitialEvents || rvParam === undefined || rvParam === "0") {
      // "Get State and Start at Most Recent" / "Start at Any": the current state as ADDED events.
      for (const { object } of store.view(def.storage, target.namespace)) {
        if (matches(object)) write("ADDED", shown(object));
      }
      if (opts.sendInitialEvents) bookmark({ "k8s.io/initial-events-end": "true" });
    } else {
      const rv = Number(rvParam);
      const current = store.currentRv();
      if (rv > current) {
        // The watch cache waits briefly for a future resourceVersion, then gives up with 504.
        fail(failure(504, "Timeout", `Timeout: Too large resource version: ${rv}, current: ${current}`, {
          causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
          retryAfterSeconds: 1,
        }).status);
        return { end: stop };
      }
      for (const change of store.changesSince(rv)) deliver(change);
    }
  } catch (err) {
    if (err instanceof StatusError) {
      fail(err.status);
      return { end: stop };
    }
    throw err;
  }

  unsubscribe = store.onChange(deliver);
  if (opts.allowWatchBookmarks) bookmarkTimer = setInterval(() => bookmark(), streamOptions.bookmarkIntervalMs);
  const timeoutMs = opts.timeoutSeconds !== undefined ? opts.timeoutSeconds * 1000 : streamOptions.defaultTimeoutMs;
  timeoutTimer = setTimeout(() => {
    // The watch cache sends a last bookmark before a watch times out, so the client resumes from it.
    if (opts.allowWatchBookmarks) bookmark();
    stop("end");
  }, timeoutMs);
  res.on("close", () => stop("end"));
  return { end: stop };
}

// Builders for tests and benchmarks: terse FluxObjects with Flux-shaped statuses. Not used by the
// program itself.

import type { Condition, DependencyEntry, FluxKind, FluxObject } from "./types.js";

export type StatusName = "ready" | "failed" | "progressing" | "stalled" | "none" | "stale" | "reconciling";

interface ReleaseOptions {
  kind?: FluxKind;
  dependsOn?: (string | DependencyEntry)[];
  status?: StatusName;
  message?: string;
  suspend?: boolean;
  generation?: number;
  labels?: Record<string, string>;
}

/** `release("default/backend", { dependsOn: ["redis"], status: "ready" })`. */
export function release(key: string, options: ReleaseOptions = {}): FluxObject {
  const slash = key.indexOf("/");
  const namespace = slash < 0 ? "default" : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  const generation = options.generation ?? 1;
  const obj: FluxObject = {
    kind: options.kind ?? "HelmRelease",
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    namespace,
    name,
    generation,
    dependsOn: (options.dependsOn ?? []).map((d) => (typeof d === "string" ? entry(d) : d)),
  };
  if (options.suspend !== undefined) obj.suspend = options.suspend;
  if (options.labels !== undefined) obj.labels = options.labels;
  const conditions = conditionsFor(options.status ?? "ready", options.message);
  if (conditions !== undefined) {
    obj.status = { observedGeneration: options.status === "stale" ? generation - 1 : generation, conditions };
  }
  return obj;
}

/** "redis" → {name: redis}; "cache/redis" → {name: redis, namespace: cache}. */
function entry(ref: string): DependencyEntry {
  const slash = ref.indexOf("/");
  return slash < 0 ? { name: ref } : { namespace: ref.slice(0, slash), name: ref.slice(slash + 1) };
}

function conditionsFor(status: StatusName, message: string | undefined): Condition[] | undefined {
  switch (status) {
    case "none":
      return undefined;
    case "ready":
    case "stale":
      return [{ type: "Ready", status: "True", reason: "InstallSucceeded", message: message ?? "Helm install succeeded" }];
    case "failed":
      return [{ type: "Ready", status: "False", reason: "InstallFailed", message: message ?? "install retries exhausted" }];
    case "stalled":
      return [
        { type: "Ready", status: "False", reason: "ArtifactFailed", ...(message === undefined ? {} : { message }) },
        { type: "Stalled", status: "True", reason: "RetriesExceeded", message: "Failed to install after 1 attempt(s)" },
      ];
    case "reconciling":
      // Ready from the last run while the next one is under way: Flux's check passes, kstatus's does not.
      return [
        { type: "Ready", status: "True", reason: "UpgradeSucceeded", message: message ?? "Helm upgrade succeeded" },
        { type: "Reconciling", status: "True", reason: "Progressing", message: "Running 'upgrade' action" },
      ];
    case "progressing":
      return [
        { type: "Ready", status: "Unknown", reason: "Progressing", message: message ?? "Running 'install' action" },
        { type: "Reconciling", status: "True", reason: "Progressing" },
      ];
  }
}

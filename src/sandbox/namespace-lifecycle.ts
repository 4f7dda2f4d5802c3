// The namespace controller's part of namespace deletion
// (https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/, "Deleting a namespace"):
// a deleted Namespace is Terminating while every object in it is deleted through the API (so admission
// webhooks see those DELETEs, and finalizers hold objects back); once it is empty the controller removes
// the `kubernetes` finalizer from spec.finalizers and the Namespace is gone.
import type { AdmissionUser } from "./admission.js";
import { finalizersOf, meta, timestamp } from "./object-meta.js";
import type { Registry, RequestScope } from "./registry.js";
import { RESOURCES } from "./resources.js";
import type { JsonObject } from "./json.js";
import type { ResourceDef } from "./resource-def.js";
import type { ObjectStore } from "./store.js";

const CONTROLLER_USER: AdmissionUser = {
  username: "system:serviceaccount:kube-system:namespace-controller",
  groups: ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"],
};

/** One resource per storage, so Events are not deleted twice. */
const NAMESPACED: ResourceDef[] = RESOURCES.filter((r, i, all) => r.namespaced && all.findIndex((o) => o.storage === r.storage) === i);
const RETRY_MS = 200;
/**
 * The namespace controller works from its informer, a moment after the DELETE: `kubectl delete -f` of a
 * Namespace and the objects in it deletes them all before the namespace empties, as on a real cluster.
 */
const FIRST_SYNC_DELAY_MS = 250;

function namespaceOfKey(key: string): string | undefined {
  const slash = key.indexOf("/");
  return slash > 0 ? key.slice(0, slash) : undefined;
}

export class NamespaceLifecycle {
  private readonly scheduled = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private unsubscribe: (() => void) | undefined;
  private running = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: Registry,
  ) {}

  start(): void {
    this.running = true;
    this.unsubscribe = this.store.onChange((change) => {
      if (change.storage === "namespaces") {
        const started = change.prev !== undefined && meta(change.prev).deletionTimestamp !== undefined;
        if (meta(change.object).deletionTimestamp && change.type !== "DELETED") this.schedule(change.key, started ? 0 : FIRST_SYNC_DELAY_MS);
        return;
      }
      const ns = namespaceOfKey(change.key);
      if (ns && this.isTerminating(ns)) this.schedule(ns, 0);
    });
    for (const { key, object } of this.store.list("namespaces")) if (meta(object).deletionTimestamp) this.schedule(key, 0);
  }

  stop(): void {
    this.running = false;
    this.unsubscribe?.();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.scheduled.clear();
  }

  private isTerminating(ns: string): boolean {
    const namespace = this.store.get("namespaces", ns);
    return namespace !== undefined && meta(namespace).deletionTimestamp !== undefined;
  }

  private schedule(ns: string, delayMs: number): void {
    if (!this.running || this.scheduled.has(ns)) return;
    this.scheduled.add(ns);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.scheduled.delete(ns);
      this.sync(ns).catch(() => this.schedule(ns, RETRY_MS));
    }, delayMs);
    this.timers.add(timer);
  }

  private async sync(ns: string): Promise<void> {
    if (!this.running || !this.isTerminating(ns)) return;
    let failed = false;
    const remaining = new Map<string, number>();
    const finalizers = new Map<string, number>();
    for (const def of NAMESPACED) {
      for (const { object } of this.store.view(def.storage, ns)) {
        const name = String(meta(object).name);
        const resource = def.group ? `${def.resource}.${def.group}` : def.resource;
        remaining.set(resource, (remaining.get(resource) ?? 0) + 1);
        for (const f of finalizersOf(object)) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
        if (meta(object).deletionTimestamp) continue;
        const scope: RequestScope = { def, version: def.versions[0] as string, namespace: ns, name, user: CONTROLLER_USER, dryRun: false };
        try {
          await this.registry.delete(scope, { propagationPolicy: "Background" });
        } catch {
          failed = true;
        }
      }
    }
    if (!this.running) return;
    const namespace = this.store.get("namespaces", ns);
    if (!namespace) return;
    const left = NAMESPACED.reduce((n, def) => n + this.store.view(def.storage, ns).length, 0);
    if (left === 0) {
      // Content gone: finalize (drop the `kubernetes` spec finalizer), then the Namespace itself goes
      // unless metadata.finalizers still hold it.
      const spec = (namespace.spec as JsonObject | undefined) ?? {};
      spec.finalizers = (Array.isArray(spec.finalizers) ? spec.finalizers : []).filter((f) => f !== "kubernetes");
      namespace.spec = spec;
      if (finalizersOf(namespace).length === 0 && (spec.finalizers as unknown[]).length === 0) {
        this.store.commit("namespaces", ns, undefined);
      } else {
        this.store.commit("namespaces", ns, namespace);
      }
      return;
    }
    this.recordConditions(ns, namespace, remaining, finalizers);
    if (failed) this.schedule(ns, RETRY_MS);
  }

  /** NamespaceContentRemaining / NamespaceFinalizersRemaining conditions, as `kubectl describe ns` shows them. */
  private recordConditions(ns: string, namespace: JsonObject, remaining: Map<string, number>, finalizers: Map<string, number>): void {
    const now = timestamp();
    const conditions: JsonObject[] = [
      {
        type: "NamespaceContentRemaining",
        status: remaining.size > 0 ? "True" : "False",
        reason: remaining.size > 0 ? "SomeResourcesRemain" : "ContentDeleted",
        message: remaining.size > 0 ? `Some resources are remaining: ${[...remaining].map(([r, n]) => `${r} has ${n} resource instances`).join(", ")}` : "All content successfully deleted, may be waiting on finalization",
        lastTransitionTime: now,
      },
      {
        type: "NamespaceFinalizersRemaining",
        status: finalizers.size > 0 ? "True" : "False",
        reason: finalizers.size > 0 ? "SomeFinalizersRemain" : "ContentHasNoFinalizers",
        message: finalizers.size > 0 ? `Some content in the namespace has finalizers remaining: ${[...finalizers].map(([f, n]) => `${f} in ${n} resource instances`).join(", ")}` : "All content-preserving finalizers finished",
        lastTransitionTime: now,
      },
    ];
    const status = (namespace.status as JsonObject | undefined) ?? {};
    const previous = JSON.stringify((status.conditions as JsonObject[] | undefined)?.map((c) => ({ ...c, lastTransitionTime: undefined })));
    if (previous === JSON.stringify(conditions.map((c) => ({ ...c, lastTransitionTime: undefined })))) return;
    namespace.status = { ...status, conditions };
    this.store.commit("namespaces", ns, namespace);
  }
}

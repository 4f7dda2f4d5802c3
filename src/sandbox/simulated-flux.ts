// A small simulated Flux helm-controller, for the sandbox only: it lets a person (and the end-to-end
// tests) watch the gate controller open gates early without a real Flux. It is a client of the
// sandbox's API like any controller, and imitates only what the gate controller reacts to:
//
// - A HelmRelease is reconciled when it is new, when its generation changes, when
//   `reconcile.fluxcd.io/requestedAt` differs from the last one handled (Flux's ReconcileRequestedPredicate),
//   and every `requeueDependency` (30 s, helm-controller's `--requeue-dependency` default) while it
//   waits for a dependency. It does NOT react to a dependency turning Ready: neither does Flux, which is
//   the whole reason releasegate exists.
// - With a dependency missing or not Ready (Ready=True at its current generation), it sets Ready=False
//   reason DependencyNotReady, "dependency 'default/redis' is not ready", as helm-controller does.
// - Otherwise it "installs": Ready=Unknown Progressing for `installDelay`, then Ready=True
//   InstallSucceeded; or, with the annotation `sandbox.releasegate.io/simulate: install-failure`,
//   Ready=False InstallFailed + Stalled=True RetriesExceeded "install retries exhausted". Changing or
//   removing that annotation reconciles at once (a sandbox convenience: real Flux would wait for a spec
//   change or a requested reconcile).
// Suspended and deleting objects are left alone, as Flux leaves them. Kustomizations are not simulated.

import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { KubeConfig } from "@kubernetes/client-node";
import { describeError, silentLogger } from "../cluster/logger.js";
import type { ClusterLogger } from "../cluster/logger.js";
import { ObjectCache } from "../cluster/object-cache.js";
import type { CacheChange } from "../cluster/object-cache.js";
import { RECONCILE_REQUEST_ANNOTATION } from "../cluster/reconcile-request.js";
import { fluxResourceType } from "../cluster/resources.js";
import { isReady } from "../graph/readiness.js";
import { resolveDependencies } from "../graph/refs.js";
import type { Condition, FluxObject, ObjectKey } from "../graph/types.js";

/** The annotation that makes the simulated install fail. */
export const SIMULATE_ANNOTATION = "sandbox.releasegate.io/simulate";
export const SIMULATE_INSTALL_FAILURE = "install-failure";

export interface SimulatedFluxOptions {
  /** How long an install takes before Ready=True (default 1.5 s, so a person sees it progress). */
  installDelayMs?: number;
  /** helm-controller's `--requeue-dependency` (default 30 s). */
  requeueDependencyMs?: number;
  logger?: ClusterLogger;
}

/** What the simulator last acted on for one object, so its own status writes do not retrigger it. */
interface Handled {
  generation: number | undefined;
  requestedAt: string | undefined;
  simulate: string | undefined;
  timer: NodeJS.Timeout | undefined;
}

export class SimulatedFlux {
  private readonly cache: ObjectCache;
  private readonly api: CustomObjectsApi;
  private readonly installDelayMs: number;
  private readonly requeueDependencyMs: number;
  private readonly log: ClusterLogger;
  private readonly handled = new Map<ObjectKey, Handled>();
  /** Status writes of one object, in order: a short install delay must not let two writes race. */
  private readonly writes = new Map<ObjectKey, Promise<void>>();
  private stopped = false;

  constructor(kc: KubeConfig, options: SimulatedFluxOptions = {}) {
    this.installDelayMs = options.installDelayMs ?? 1500;
    this.requeueDependencyMs = options.requeueDependencyMs ?? 30_000;
    this.log = options.logger ?? silentLogger;
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.cache = new ObjectCache(kc, { kind: "HelmRelease", logger: this.log, backoff: { initialMs: 100, maxMs: 2000 } });
    this.cache.subscribe((change) => this.onChange(change));
  }

  /** Starts watching; resolves once the first list is in. */
  async start(): Promise<void> {
    this.cache.start();
    await this.cache.synced;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const h of this.handled.values()) clearTimeout(h.timer);
    this.handled.clear();
    await this.cache.stop();
  }

  private onChange(change: CacheChange): void {
    if (this.stopped) return;
    if (change.type === "delete") {
      clearTimeout(this.handled.get(change.key)?.timer);
      this.handled.delete(change.key);
      return;
    }
    const obj = change.object;
    const h = this.handled.get(change.key);
    const requestedAt = obj.annotations?.[RECONCILE_REQUEST_ANNOTATION];
    const simulate = obj.annotations?.[SIMULATE_ANNOTATION];
    if (h && h.generation === obj.generation && h.requestedAt === requestedAt && h.simulate === simulate) return;
    this.reconcile(change.key);
  }

  /** One reconciliation of `key`, as helm-controller would run it now. */
  private reconcile(key: ObjectKey): void {
    if (this.stopped) return;
    const obj = this.cache.get(key);
    const previous = this.handled.get(key);
    clearTimeout(previous?.timer);
    if (!obj) return;
    const requestedAt = obj.annotations?.[RECONCILE_REQUEST_ANNOTATION];
    const simulate = obj.annotations?.[SIMULATE_ANNOTATION];
    const h: Handled = { generation: obj.generation, requestedAt, simulate, timer: undefined };
    this.handled.set(key, h);
    if (obj.suspend === true || obj.deleting === true) return;

    const waitingFor = this.firstUnreadyDependency(obj);
    if (waitingFor !== undefined) {
      void this.writeStatus(obj, requestedAt, [
        { type: "Ready", status: "False", reason: "DependencyNotReady", message: waitingFor },
      ]);
      h.timer = this.later(() => this.reconcile(key), this.requeueDependencyMs);
      return;
    }
    void this.writeStatus(obj, requestedAt, [
      { type: "Ready", status: "Unknown", reason: "Progressing", message: "Running 'install' action with timeout of 5m0s" },
      { type: "Reconciling", status: "True", reason: "Progressing", message: "Running 'install' action with timeout of 5m0s" },
    ]);
    h.timer = this.later(() => this.finishInstall(key, h), this.installDelayMs);
  }

  private finishInstall(key: ObjectKey, h: Handled): void {
    const obj = this.cache.get(key);
    if (this.stopped || !obj || this.handled.get(key) !== h) return;
    h.timer = undefined;
    if (h.simulate === SIMULATE_INSTALL_FAILURE) {
      void this.writeStatus(obj, h.requestedAt, [
        { type: "Ready", status: "False", reason: "InstallFailed", message: "install retries exhausted" },
        { type: "Stalled", status: "True", reason: "RetriesExceeded", message: "install retries exhausted" },
        { type: "Released", status: "False", reason: "InstallFailed", message: "install retries exhausted" },
      ]);
      return;
    }
    void this.writeStatus(obj, h.requestedAt, [
      {
        type: "Ready",
        status: "True",
        reason: "InstallSucceeded",
        message: `Helm install succeeded for release ${obj.namespace}/${obj.name}.v1`,
      },
      { type: "Released", status: "True", reason: "InstallSucceeded", message: "Helm install succeeded" },
    ]);
  }

  /** helm-controller's checkDependencies: the first dependency that does not exist or is not Ready
   *  (Ready=True at its current generation, or its readyExpr), in Flux's words. */
  private firstUnreadyDependency(obj: FluxObject): string | undefined {
    for (const entry of resolveDependencies(obj)) {
      const found = this.cache.get(entry.key);
      if (!found) return `unable to get '${entry.key}' dependency: helmreleases.helm.toolkit.fluxcd.io "${entry.name}" not found`;
      if (!isReady(found, obj, entry)) return `dependency '${entry.key}' is not ready`;
    }
    return undefined;
  }

  private later(run: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(run, ms);
    timer.unref();
    return timer;
  }

  private writeStatus(obj: FluxObject, requestedAt: string | undefined, conditions: Condition[]): Promise<void> {
    const key = `${obj.namespace}/${obj.name}`;
    const previous = this.writes.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.patchStatus(obj, requestedAt, conditions));
    this.writes.set(key, next);
    void next.then(() => {
      if (this.writes.get(key) === next) this.writes.delete(key);
    });
    return next;
  }

  private async patchStatus(obj: FluxObject, requestedAt: string | undefined, conditions: Condition[]): Promise<void> {
    const type = fluxResourceType("HelmRelease");
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const status: Record<string, unknown> = {
      observedGeneration: obj.generation,
      conditions: conditions.map((c) => ({ ...c, lastTransitionTime: now, observedGeneration: obj.generation })),
    };
    if (requestedAt !== undefined) status.lastHandledReconcileAt = requestedAt;
    try {
      await this.api.patchNamespacedCustomObjectStatus(
        { group: type.group, version: type.version, plural: type.resource, namespace: obj.namespace, name: obj.name, body: { status } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    } catch (err) {
      if (!this.stopped) this.log.warn({ namespace: obj.namespace, name: obj.name, error: describeError(err) }, "simulated Flux could not write status");
    }
  }
}

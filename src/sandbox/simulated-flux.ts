// A small simulated Flux for the sandbox: helm-controller, kustomize-controller and the Flux Operator's
// ResourceSet controller, as far as releasegate's gate controller can tell them apart. It lets a person
// (and the end-to-end tests) watch gates open early without a real Flux. It is a client of the sandbox's
// API like any controller and an independent oracle: its rules are written from Flux's documented
// behaviour (flux-sim/*-dependencies.ts), never taken from releasegate's code (src/sandbox/README.md).
//
// - An object is reconciled when it is new, when its generation changes, when
//   `reconcile.fluxcd.io/requestedAt` differs from the last one handled (Flux's ReconcileRequestedPredicate;
//   the time is copied to status.lastHandledReconcileAt), and, for a Kustomization, when its source's
//   artifact revision changes. It does NOT react to a dependency turning Ready: neither does Flux, which
//   is the whole reason releasegate exists.
// - While a dependency holds it: Ready=False reason DependencyNotReady, polled again after
//   `requeueDependencyMs` (helm-/kustomize-controller's `--requeue-dependency`, 30 s) or
//   `resourceSetRequeueMs` (the operator's 5 s).
// - Otherwise it "installs": Ready=Unknown Progressing for `installDelayMs`, then Ready=True; or it fails
//   with a terminal reason (HelmRelease: InstallFailed + Stalled=True RetriesExceeded "install retries
//   exhausted") when a HelmRelease's `spec.values.image.tag` names a tag the simulated registry does not
//   have (one containing "does-not-exist": the pods could never pull it, so Helm's wait times out on every
//   retry), or with the annotation `sandbox.releasegate.io/simulate: install-failure` on any kind.
//   Patching the tag is a spec change (a new generation), which Flux reconciles at once, as here; changing
//   or removing the annotation also reconciles at once (a sandbox convenience: real Flux would wait for a
//   spec change or a requested reconcile). A Kustomization applies its source's artifact revision
//   (status.lastAppliedRevision); without a source artifact it fails with ArtifactFailed and retries.
// Suspended objects (`spec.suspend`, or a ResourceSet annotated `fluxcd.controlplane.io/reconcile: disabled`)
// and objects being deleted are left alone, as Flux leaves them.
import { createHash } from "node:crypto";
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { KubeConfig } from "@kubernetes/client-node";
import { ApiReader } from "./flux-sim/api-reader.js";
import { checkEntry, dependsOnEntries } from "./flux-sim/helm-dependencies.js";
import { checkTypedDependency, servesTypedDependsOn, typedDependencies } from "./flux-sim/cross-kind-dependencies.js";
import type { DependencyEntry, DependencyVerdict } from "./flux-sim/helm-dependencies.js";
import { artifactRevision, checkKustomizationEntry, sourceRefOf } from "./flux-sim/kustomize-dependencies.js";
import type { SourceRef } from "./flux-sim/kustomize-dependencies.js";
import { checkResourceSetDependency, invalidResourceSetExpr, resourceSetDependencies } from "./flux-sim/resourceset-dependencies.js";
import { ResourceWatch } from "./flux-sim/resource-watch.js";
import type { ResourceType, WatchChange } from "./flux-sim/resource-watch.js";
import { annotation, field, idOf, numberField } from "./flux-sim/unstructured.js";
import type { Condition, Json } from "./flux-sim/unstructured.js";

/** The annotation that makes the simulated install fail. */
const SIMULATE_ANNOTATION = "sandbox.releasegate.io/simulate";
const SIMULATE_INSTALL_FAILURE = "install-failure";
/** Flux's annotation asking for a reconcile now (any new value). */
const REQUESTED_AT_ANNOTATION = "reconcile.fluxcd.io/requestedAt";

interface SimulatedFluxLogger {
  warn(fields: object, message: string): void;
}

interface SimulatedFluxOptions {
  /** How long an install takes before Ready=True (default 1.5 s, so a person sees it progress). */
  installDelayMs?: number;
  /** helm-controller's and kustomize-controller's `--requeue-dependency` (default 30 s). */
  requeueDependencyMs?: number;
  /** The Flux Operator's dependency re-check of a ResourceSet (default 5 s). */
  resourceSetRequeueMs?: number;
  /** Flux's feature gate AdditiveCELDependencyCheck (readyExpr and the built-in check both apply). */
  additiveCelDependencyCheck?: boolean;
  /** Called with each reconcile this simulator starts (the sandbox banner reports early reconciles). */
  onReconcile?: (event: ReconcileEvent) => void;
  logger?: SimulatedFluxLogger;
}

export interface ReconcileEvent {
  kind: ControllerKind;
  namespace: string;
  name: string;
  /** Why it ran: new/changed object, a requested reconcile, a dependency poll, a source change. */
  trigger: "changed" | "requested" | "poll" | "source";
  /** The outcome written: waiting on a dependency, installing, or a terminal error. */
  outcome: "waiting" | "installing" | "failed" | "ready";
  at: number;
}

type ControllerKind = "HelmRelease" | "Kustomization" | "ResourceSet";

const TYPES: Record<ControllerKind, ResourceType> = {
  HelmRelease: { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases" },
  Kustomization: { group: "kustomize.toolkit.fluxcd.io", version: "v1", plural: "kustomizations" },
  ResourceSet: { group: "fluxcd.controlplane.io", version: "v1", plural: "resourcesets" },
};

const SOURCE_TYPES: Record<string, ResourceType> = {
  GitRepository: { group: "source.toolkit.fluxcd.io", version: "v1", plural: "gitrepositories" },
  OCIRepository: { group: "source.toolkit.fluxcd.io", version: "v1", plural: "ocirepositories" },
  Bucket: { group: "source.toolkit.fluxcd.io", version: "v1", plural: "buckets" },
};

/** What the simulator last acted on for one object, so its own status writes do not retrigger it. */
interface Handled {
  generation: number | undefined;
  requestedAt: string | undefined;
  simulate: string | undefined;
  timer: NodeJS.Timeout | undefined;
}

const silent: SimulatedFluxLogger = { warn: () => undefined };

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

/** The simulated registry's one rule: it has every image tag except those containing this. */
const MISSING_IMAGE_TAG = "does-not-exist";

/** A HelmRelease whose chart values pin `image.tag` to a tag the simulated registry does not have. */
function hasMissingImageTag(obj: Json): boolean {
  const tag = field(obj, "spec", "values", "image", "tag");
  return typeof tag === "string" && tag.includes(MISSING_IMAGE_TAG);
}

function sourceKey(ref: SourceRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

export class SimulatedFlux {
  private readonly reader: ApiReader;
  private readonly api: CustomObjectsApi;
  private readonly watches: ResourceWatch[] = [];
  private readonly objects: Record<ControllerKind, Map<string, Json>> = { HelmRelease: new Map(), Kustomization: new Map(), ResourceSet: new Map() };
  private readonly handled = new Map<string, Handled>();
  private readonly revisions = new Map<string, string | undefined>();
  /** Work on one object, in order: a check, a status write and a finished install never interleave. */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly installDelayMs: number;
  private readonly requeueDependencyMs: number;
  private readonly resourceSetRequeueMs: number;
  private readonly log: SimulatedFluxLogger;
  private stopped = false;

  constructor(kc: KubeConfig, private readonly options: SimulatedFluxOptions = {}) {
    this.installDelayMs = options.installDelayMs ?? 1500;
    this.requeueDependencyMs = options.requeueDependencyMs ?? 30_000;
    this.resourceSetRequeueMs = options.resourceSetRequeueMs ?? 5000;
    this.log = options.logger ?? silent;
    this.reader = new ApiReader(kc);
    this.api = kc.makeApiClient(CustomObjectsApi);
    for (const kind of Object.keys(TYPES) as ControllerKind[]) {
      this.watches.push(new ResourceWatch(kc, TYPES[kind], (change) => this.onChange(kind, change)));
    }
    for (const [kind, type] of Object.entries(SOURCE_TYPES)) {
      this.watches.push(new ResourceWatch(kc, type, (change) => this.onSourceChange(kind, change)));
    }
  }

  /** Starts watching; resolves once the first lists are in. */
  async start(): Promise<void> {
    for (const w of this.watches) w.start();
    await Promise.all(this.watches.map((w) => w.synced));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.watches) w.stop();
    for (const h of this.handled.values()) clearTimeout(h.timer);
    this.handled.clear();
    await Promise.all([...this.queues.values()]);
  }

  private enqueue(key: string, work: () => Promise<void>): void {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(work).catch((err: unknown) => {
      if (!this.stopped) this.log.warn({ object: key, error: err instanceof Error ? err.message : String(err) }, "simulated Flux reconcile failed");
    });
    this.queues.set(key, next);
    void next.then(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
  }

  private onChange(kind: ControllerKind, change: WatchChange): void {
    if (this.stopped) return;
    const key = `${kind}/${change.key}`;
    if (change.type === "delete") {
      this.objects[kind].delete(change.key);
      clearTimeout(this.handled.get(key)?.timer);
      this.handled.delete(key);
      return;
    }
    this.objects[kind].set(change.key, change.object);
    const h = this.handled.get(key);
    const requestedAt = annotation(change.object, REQUESTED_AT_ANNOTATION);
    const generation = numberField(change.object, "metadata", "generation");
    if (h && h.generation === generation && h.requestedAt === requestedAt && h.simulate === annotation(change.object, SIMULATE_ANNOTATION)) return;
    const trigger = h && h.requestedAt !== requestedAt && h.generation === generation ? "requested" : "changed";
    this.reconcile(kind, change.key, trigger);
  }

  private onSourceChange(kind: string, change: WatchChange): void {
    if (this.stopped) return;
    const key = `${kind}/${change.key}`;
    const revision = change.type === "upsert" ? artifactRevision(change.object) : undefined;
    const had = this.revisions.has(key);
    if (had && this.revisions.get(key) === revision) return;
    this.revisions.set(key, revision);
    if (!had && revision === undefined) return;
    // kustomize-controller watches its sources: a new artifact reconciles every Kustomization using it.
    for (const [k, ks] of this.objects.Kustomization) {
      const ref = sourceRefOf(ks);
      if (ref && sourceKey(ref) === key) this.reconcile("Kustomization", k, "source");
    }
  }

  private reconcile(kind: ControllerKind, objectKey: string, trigger: ReconcileEvent["trigger"]): void {
    const key = `${kind}/${objectKey}`;
    const obj = this.objects[kind].get(objectKey);
    if (this.stopped || !obj) return;
    const previous = this.handled.get(key);
    clearTimeout(previous?.timer);
    const h: Handled = {
      generation: numberField(obj, "metadata", "generation"),
      requestedAt: annotation(obj, REQUESTED_AT_ANNOTATION),
      simulate: annotation(obj, SIMULATE_ANNOTATION),
      timer: undefined,
    };
    this.handled.set(key, h);
    this.enqueue(key, () => this.runReconcile(kind, objectKey, h, trigger));
  }

  private isCurrent(kind: ControllerKind, objectKey: string, h: Handled): boolean {
    return !this.stopped && this.handled.get(`${kind}/${objectKey}`) === h;
  }

  private async runReconcile(kind: ControllerKind, objectKey: string, h: Handled, trigger: ReconcileEvent["trigger"]): Promise<void> {
    const obj = this.objects[kind].get(objectKey);
    if (!obj || !this.isCurrent(kind, objectKey, h)) return;
    if (field(obj, "metadata", "deletionTimestamp") !== undefined) return;
    if (kind === "ResourceSet" ? annotation(obj, "fluxcd.controlplane.io/reconcile") === "disabled" : field(obj, "spec", "suspend") === true) return;
    const report = (outcome: ReconcileEvent["outcome"]): void => {
      const { namespace, name } = idOf(obj);
      this.options.onReconcile?.({ kind, namespace, name, trigger, outcome, at: Date.now() });
    };

    const verdict = await this.checkDependencies(kind, obj);
    if (!this.isCurrent(kind, objectKey, h)) return;
    if (verdict.kind === "terminal") {
      await this.writeStatus(kind, obj, h, [
        { type: "Ready", status: "False", reason: verdict.reason, message: verdict.message },
        { type: "Stalled", status: "True", reason: verdict.reason, message: verdict.message },
      ]);
      report("failed");
      return;
    }
    if (verdict.kind === "wait") {
      const message = kind === "ResourceSet" ? `Retrying dependency check: ${verdict.message}` : verdict.message;
      await this.writeStatus(kind, obj, h, [{ type: "Ready", status: "False", reason: "DependencyNotReady", message }]);
      report("waiting");
      this.requeue(kind, objectKey, h, kind === "ResourceSet" ? this.resourceSetRequeueMs : this.requeueDependencyMs);
      return;
    }

    let revision: string | undefined;
    if (kind === "Kustomization") {
      const ref = sourceRefOf(obj);
      const type = ref ? SOURCE_TYPES[ref.kind] : undefined;
      const source = ref && type ? await this.reader.get(type, ref.namespace, ref.name) : undefined;
      revision = artifactRevision(source);
      if (revision === undefined) {
        const what = ref ? `${ref.kind}/${ref.namespace}/${ref.name}` : "sourceRef";
        const message = source === undefined ? `Source '${what}' not found` : "Source artifact not found, retrying in 30s";
        await this.writeStatus(kind, obj, h, [{ type: "Ready", status: "False", reason: "ArtifactFailed", message }]);
        report("waiting");
        this.requeue(kind, objectKey, h, this.requeueDependencyMs);
        return;
      }
    }
    const progressing = kind === "HelmRelease" ? "Running 'install' action with timeout of 5m0s" : "Reconciliation in progress";
    await this.writeStatus(kind, obj, h, [
      { type: "Ready", status: "Unknown", reason: "Progressing", message: progressing },
      { type: "Reconciling", status: "True", reason: "Progressing", message: progressing },
    ]);
    report("installing");
    h.timer = this.later(() => this.enqueue(`${kind}/${objectKey}`, () => this.finish(kind, objectKey, h, revision, report)), this.installDelayMs);
  }

  private requeue(kind: ControllerKind, objectKey: string, h: Handled, ms: number): void {
    if (!this.isCurrent(kind, objectKey, h)) return;
    h.timer = this.later(() => {
      if (this.isCurrent(kind, objectKey, h)) this.reconcile(kind, objectKey, "poll");
    }, ms);
  }

  private async checkDependencies(kind: ControllerKind, obj: Json): Promise<DependencyVerdict> {
    if (kind === "ResourceSet") {
      const deps = resourceSetDependencies(obj);
      const invalid = invalidResourceSetExpr(deps);
      if (invalid) return invalid;
      for (const dep of deps) {
        const verdict = checkResourceSetDependency(dep, await this.reader.getAny(dep.apiVersion, dep.kind, dep.namespace, dep.name), idOf(obj).namespace);
        if (verdict.kind !== "ok") return verdict;
      }
      return { kind: "ok" };
    }
    const additiveCel = this.options.additiveCelDependencyCheck === true;
    // A Kustomization's entries also weigh its source's revision: read once, on the first entry that needs it.
    let source: Json | undefined;
    let sourceRead = false;
    const sameKindVerdict = async (entry: DependencyEntry): Promise<DependencyVerdict> => {
      const found = await this.reader.get(TYPES[kind], entry.namespace, entry.name);
      if (kind !== "Kustomization") return checkEntry(obj, entry, found, "helmreleases.helm.toolkit.fluxcd.io", { additiveCel });
      if (!sourceRead) {
        const ref = sourceRefOf(obj);
        const type = ref ? SOURCE_TYPES[ref.kind] : undefined;
        source = ref && type ? await this.reader.get(type, ref.namespace, ref.name) : undefined;
        sourceRead = true;
      }
      return checkKustomizationEntry(obj, entry, found, source, { additiveCel });
    };
    // A Flux whose CRD serves the RFC's cross-kind dependsOn runs the RFC's check (flux-sim/cross-kind-dependencies.ts).
    if (await this.servesTypedDependsOn(kind)) {
      const entries = dependsOnEntries(obj);
      for (const [index, dep] of typedDependencies(obj).entries()) {
        // An entry of the dependent's own kind keeps the controller's check of today.
        const verdict =
          dep.sameKind && dep.ready
            ? await sameKindVerdict(entries[index]!)
            : checkTypedDependency(obj, dep, dep.apiVersion === "" ? undefined : await this.reader.getAny(dep.apiVersion, dep.kind, dep.namespace, dep.name), additiveCel);
        if (verdict.kind !== "ok") return verdict;
      }
      return { kind: "ok" };
    }
    for (const entry of dependsOnEntries(obj)) {
      const verdict = await sameKindVerdict(entry);
      if (verdict.kind !== "ok") return verdict;
    }
    return { kind: "ok" };
  }

  /** Whether the served CRD of the kind declares the RFC's `apiVersion`/`kind` on dependsOn items. */
  private async servesTypedDependsOn(kind: ControllerKind): Promise<boolean> {
    if (kind === "ResourceSet") return false;
    const type = TYPES[kind];
    const crd = await this.reader.getAny("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", `${type.plural}.${type.group}`);
    return servesTypedDependsOn(crd);
  }

  private async finish(kind: ControllerKind, objectKey: string, h: Handled, revision: string | undefined, report: (o: ReconcileEvent["outcome"]) => void): Promise<void> {
    const obj = this.objects[kind].get(objectKey);
    if (!obj || !this.isCurrent(kind, objectKey, h)) return;
    h.timer = undefined;
    const { namespace, name } = idOf(obj);
    if (h.simulate === SIMULATE_INSTALL_FAILURE || (kind === "HelmRelease" && hasMissingImageTag(obj))) {
      if (kind === "HelmRelease") {
        await this.writeStatus(kind, obj, h, [
          { type: "Ready", status: "False", reason: "InstallFailed", message: "install retries exhausted" },
          { type: "Stalled", status: "True", reason: "RetriesExceeded", message: "install retries exhausted" },
          { type: "Released", status: "False", reason: "InstallFailed", message: "install retries exhausted" },
        ]);
      } else {
        const message = "health check failed after 5m0s: timeout waiting for: [Deployment status: 'InProgress']";
        await this.writeStatus(kind, obj, h, [
          { type: "Ready", status: "False", reason: kind === "Kustomization" ? "HealthCheckFailed" : "ReconciliationFailed", message },
        ], revision === undefined ? {} : { lastAttemptedRevision: revision });
      }
      report("failed");
      return;
    }
    if (kind === "HelmRelease") {
      await this.writeStatus(kind, obj, h, [
        { type: "Ready", status: "True", reason: "InstallSucceeded", message: `Helm install succeeded for release ${namespace}/${name}.v1` },
        { type: "Released", status: "True", reason: "InstallSucceeded", message: "Helm install succeeded" },
      ]);
    } else if (kind === "Kustomization") {
      await this.writeStatus(kind, obj, h, [{ type: "Ready", status: "True", reason: "ReconciliationSucceeded", message: `Applied revision: ${revision ?? ""}` }], {
        lastAppliedRevision: revision,
        lastAttemptedRevision: revision,
      });
    } else {
      const digest = `sha256:${createHash("sha256").update(JSON.stringify(field(obj, "spec") ?? {})).digest("hex")}`;
      await this.writeStatus(kind, obj, h, [{ type: "Ready", status: "True", reason: "ReconciliationSucceeded", message: `Reconciliation finished in ${this.installDelayMs}ms` }], {
        lastAppliedRevision: digest,
      });
    }
    report("ready");
  }

  private later(run: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(run, ms);
    timer.unref();
    return timer;
  }

  private async writeStatus(kind: ControllerKind, obj: Json, h: Handled, conditions: Condition[], extra: Record<string, unknown> = {}): Promise<void> {
    const { namespace, name } = idOf(obj);
    const generation = numberField(obj, "metadata", "generation");
    const time = now();
    const status: Record<string, unknown> = {
      observedGeneration: generation,
      conditions: conditions.map((c) => ({ ...c, lastTransitionTime: time, observedGeneration: generation })),
      ...extra,
    };
    if (h.requestedAt !== undefined) status.lastHandledReconcileAt = h.requestedAt;
    const type = TYPES[kind];
    try {
      await this.api.patchNamespacedCustomObjectStatus(
        { group: type.group, version: type.version, plural: type.plural, namespace, name, body: { status } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    } catch (err) {
      if (!this.stopped) this.log.warn({ kind, namespace, name, error: err instanceof Error ? err.message : String(err) }, "simulated Flux could not write status");
    }
  }
}

